// The room a snapshot's take needs (pure): checked before anything is written, so a full disk is
// refused up front in one line rather than met half-way.
import type { VmConfig } from '../model/index.js';

const MIB = 1 << 20;

/**
 * The most a running VM's saved state can take: its memory, the display adapter's video memory and
 * room for firmware and device state. Usually far less is written (unused memory is not).
 */
export function liveStateBytes(config: { system: Pick<VmConfig['system'], 'memoryMiB'>; display: Pick<VmConfig['display'], 'vga'> }): number {
  const vram = config.display.vga === 'std' ? 16 : config.display.vga === 'cirrus' ? 4 : 0;
  return (config.system.memoryMiB + vram + 4) * MIB;
}

/**
 * Room for a take: a new overlay per disk, a copy of the UEFI variables and, for a running VM, its
 * running state.
 */
export function takeRoomBytes(o: {
  disks: number;
  /** what one new, empty overlay takes */
  overlayBytes: number;
  /** the UEFI variable store's size; 0 for a BIOS VM */
  nvramBytes: number;
  /** the running VM's config; null for a VM that does not run */
  running: Parameters<typeof liveStateBytes>[0] | null;
}): number {
  return o.disks * o.overlayBytes + o.nvramBytes + (o.running ? liveStateBytes(o.running) : 0);
}

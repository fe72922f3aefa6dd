// Human output of the CLI: tables, VM details, a progress bar (pure formatting; streams are passed in).
import type { NetworkDetails, VmDetails } from '../api/contract.js';
import { mountCommand } from '../../src-vmm/model/shareMount.js';

/**
 * A message as one line a terminal shows as written: control characters, bidirectional-text controls
 * and line separators (which a name or a path in the message may carry) become visible escapes, and a
 * very long message keeps its start and its end.
 */
export function oneLine(message: string, maxChars = 1000): string {
  // eslint-disable-next-line no-control-regex
  let s = message.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/gu, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  const chars = [...s];
  if (chars.length > maxChars) s = `${chars.slice(0, maxChars - 203).join('')} … ${chars.slice(-200).join('')}`;
  return s;
}

export function formatTable(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

import { formatSize } from '../../src-vmm/storage/size.js';

export const formatBytes = formatSize;

export function formatDetails(vm: VmDetails): string {
  const lines = [
    `name:        ${vm.name}`,
    `id:          ${vm.id}`,
    `state:       ${vm.state}${vm.stateReason ? ` (${vm.stateReason})` : ''}`,
    `os:          ${vm.osLabel} (${vm.osType})`,
    ...(vm.group && vm.group !== '/' ? [`group:       ${vm.group}`] : []),
    ...(vm.tags?.length ? [`tags:        ${vm.tags.join(', ')}`] : []),
    `cpus:        ${vm.cpus}`,
    `memory:      ${vm.memoryMiB} MiB`,
    `firmware:    ${vm.firmware} (${vm.chipset})${vm.secureBoot ? ', Secure Boot' : ''}${vm.tpm ? ', TPM 2.0' : ''}`,
    `accelerator: ${vm.accelerator} (${vm.accelReason})`,
  ];
  if (vm.restartOnCrash) lines.push(`on crash:    restart (at most ${vm.maxRestartsPerMinute} times a minute)`);
  if (vm.qemuPid) lines.push(`qemu pid:    ${vm.qemuPid}`);
  if (['running', 'paused', 'starting', 'stopping'].includes(vm.state)) {
    const g = vm.guest;
    lines.push(
      g.agent === 'connected'
        ? `guest:       ${[g.hostname, g.osName, g.ipAddresses.join(', ')].filter(Boolean).join('; ') || 'the agent answers'}`
        : 'guest:       no guest agent answers (install qemu-guest-agent in the guest for its address, exec and clean snapshots)',
    );
  }
  if (vm.description) lines.push(`description: ${vm.description}`);
  for (const d of vm.disks) {
    lines.push(`disk ${d.id}:  ${d.bus}, ${formatBytes(d.virtualSizeBytes)}, ${d.path}`);
    if (d.chain.length > 1) lines.push(`             chain: ${d.chain.join(' <- ')}`);
  }
  for (const o of vm.opticals) lines.push(`optical ${o.id}: ${o.bus}, ${o.path ?? '(empty)'}`);
  for (const u of vm.usb ?? []) lines.push(`usb ${u.id}:    ${u.kind === 'storage' ? `mass storage, ${u.format}, ${u.path}` : `host device ${u.vendorId}:${u.productId}`}`);
  for (const n of vm.nics) {
    const fw = n.forwards.map((f) => `${f.protocol}:${f.hostAddress}:${f.hostPort}->${f.guestPort}`).join(', ');
    const on = n.network === null ? 'NAT' : `network '${n.network}'`;
    const extra = [!n.linkUp ? 'cable disconnected' : '', n.ipAddresses.length ? `address ${n.ipAddresses.join(' ')}` : '', fw ? `forwards ${fw}` : ''].filter(Boolean);
    lines.push(`nic ${n.id}:    ${n.model}, ${on}, mac ${n.mac}${extra.length ? `, ${extra.join(', ')}` : ''}`);
  }
  if (vm.display.vga !== 'none') lines.push(`display:     ${vm.display.vga}${vm.display.vnc ? ', VNC' : ''}${vm.display.clipboard ? ', clipboard shared' : ''}`);
  for (const sh of vm.shares) lines.push(`share ${sh.tag}: ${sh.hostPath} (${sh.readOnly ? 'read-only' : 'read-write'}, ${sh.mode === 'virtiofs' ? 'virtio-fs' : '9p'}); in the guest: ${mountCommand(sh)}`);
  if (vm.boot.kernel) lines.push(`kernel:      ${vm.boot.kernel}${vm.boot.initrd ? ` + ${vm.boot.initrd}` : ''}${vm.boot.append ? ` '${vm.boot.append}'` : ''}`);
  if (vm.linkedTo) lines.push(`linked to:   '${vm.linkedTo.vmName}'${vm.linkedTo.snapshotName ? `, snapshot '${vm.linkedTo.snapshotName}'` : ''}`);
  if (vm.baseImage) lines.push(`image:       '${vm.baseImage.name}' (from the image library)`);
  if (vm.cloudInit) lines.push(`ssh:         ${vm.cloudInit.user}@127.0.0.1 port ${vm.cloudInit.sshPort ?? '(none)'} (hangar ssh ${vm.name}), hostname ${vm.cloudInit.hostname}`);
  if (vm.install) lines.push(`install:     ${vm.install.osName}, unattended, from ${vm.install.media} (starts with the VM)`);
  for (const d of vm.dependents ?? []) lines.push(`clone:       '${d.vmName}' depends on it${d.snapshotName ? ` (snapshot '${d.snapshotName}')` : ''}`);
  lines.push(`folder:      ${vm.folder}`);
  for (const p of vm.problems ?? []) lines.push(`PROBLEM:     ${p}`);
  return lines.join('\n');
}

export function formatNetwork(n: NetworkDetails): string {
  const lines = [
    `name:        ${n.name}`,
    `id:          ${n.id}`,
    `mode:        ${n.mode}`,
    `subnet:      ${n.subnet ?? '-'}${n.gateway ? ` (this host: ${n.gateway})` : ''}`,
    `dhcp:        ${n.dhcp ? `on${n.dhcpRange ? `, pool ${n.dhcpRange.first} - ${n.dhcpRange.last}` : ''}` : 'off'}`,
    `bridge:      ${n.transport === 'multicast' ? `none (QEMU multicast socket: no privileges to make ${n.bridge})` : `${n.bridge}${n.up ? ', up' : ', made when a VM uses it'}`}`,
    `vms:         ${n.vms.length ? n.vms.join(', ') : '(none)'}`,
  ];
  for (const r of n.reservations) lines.push(`address:     ${r.address} ${r.vm} (${r.nic}, ${r.mac})${r.hostname ? ` as '${r.hostname}'` : ''}${r.leased ? ', leased' : ''}`);
  return lines.join('\n');
}

export class ProgressBar {
  private last = '';
  private shown = false;

  constructor(
    private readonly out: { write(s: string): unknown },
    private readonly label: string,
    private readonly enabled: boolean,
  ) {}

  update(fraction: number, message?: string): void {
    if (!this.enabled) return;
    const width = 30;
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    const text = `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%${message ? ` ${message}` : ''}`;
    if (text === this.last) return;
    this.last = text;
    this.shown = true;
    this.out.write(`${text}\x1b[K`);
  }

  note(text: string): void {
    if (this.shown) this.out.write('\n');
    this.out.write(`${text}\n`);
    this.shown = false;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

/** The snapshot tree as indented lines, the current state marked as VirtualBox does. */
export function formatSnapshotTree(
  snaps: { id: string; name: string; parentId: string | null; createdAt: string; live: boolean }[],
  currentId: string | null,
  changed: boolean,
): string {
  const lines: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of snaps.filter((x) => x.parentId === parent)) {
      lines.push(`${'  '.repeat(depth)}${s.name}${s.live ? ' [running state]' : ''}  ${s.createdAt}  ${s.id}`);
      if (s.id === currentId) lines.push(`${'  '.repeat(depth + 1)}* current state${changed ? ' (changed)' : ''}  <- you are here`);
      walk(s.id, depth + 1);
    }
  };
  if (currentId === null) lines.push(`* current state${changed ? ' (changed)' : ''}  <- you are here`);
  walk(null, 0);
  return lines.join('\n');
}

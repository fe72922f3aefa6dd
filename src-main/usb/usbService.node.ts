// USB for VMs: the host's devices, and a VM's USB devices (images as mass storage, host devices by
// vendor and product), attached and detached while the VM is stopped (its config) or runs (hot-plug
// through its VMM host, then its config). A failure changes nothing: the config is written last, and a
// device plugged in before a failed write is unplugged again.
import { HangarError, invalidInput } from '../../src-vmm/base/errors.js';
import { applyChange, nextUsbId, type UsbDevice, type VmConfig } from '../../src-vmm/model/index.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import type { QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import type { PathGuard } from '../files/pathGuard.node.js';
import { planUserImage } from '../files/userImages.node.js';
import { configInvalid } from '../vms/requestIssues.js';
import { matching, type HostUsbDevice } from './hostUsb.js';
import { hostUsbDevices } from './hostUsb.node.js';

export interface UsbServiceDeps {
  inventory: HangarInventory;
  supervisor: Supervisor;
  tasks: TaskRunner;
  qemuImg: QemuImg;
  guard: () => PathGuard;
  find: (ref: string) => VmRow;
  log: (line: string) => void;
  /** the host's devices (tests may give their own) */
  hostDevices?: () => HostUsbDevice[];
}

export type UsbAttachRequest = { image: string } | { vendorId: string; productId: string };

export class UsbService {
  constructor(private readonly d: UsbServiceDeps) {}

  hostDevices(): HostUsbDevice[] {
    return (this.d.hostDevices ?? hostUsbDevices)();
  }

  private assertChangeable(row: VmRow): boolean {
    this.d.tasks.assertFree(row);
    if (row.state === 'saved') throw new HangarError('STATE_CONFLICT', `VM '${row.name}' has a saved state: start it and shut it down before changing its USB devices`);
    if (row.state === 'starting' || row.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: wait until it runs or has stopped`);
    const live = isActive(row.state);
    if (live && !this.d.supervisor.get(row.id)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}, but its VMM host does not answer`);
    return live;
  }

  private withDevices(row: VmRow, devices: UsbDevice[]): VmConfig {
    const r = applyChange(row.config, { usb: devices });
    if (!r.ok) throw configInvalid(r.issues);
    return r.value;
  }

  async attach(ref: string, req: UsbAttachRequest): Promise<{ id: string; vm: string; device: UsbDevice; live: boolean }> {
    const row = this.d.find(ref);
    const live = this.assertChangeable(row);
    const devices = row.config.usb?.devices ?? [];
    const id = nextUsbId(devices.map((x) => x.id));
    let device: UsbDevice;
    if ('image' in req) {
      const plan = await planUserImage(req.image, { flatten: false, field: 'image', what: 'USB disk image' }, { qemuImg: this.d.qemuImg, guard: this.d.guard() });
      if (plan.mode !== 'in-place') throw invalidInput([{ path: 'image', message: `USB disk image ${req.image} is ${plan.image.format}: a USB disk image must be qcow2 or raw` }]);
      device = { id, kind: 'storage', path: plan.image.path, format: plan.image.format as 'qcow2' | 'raw' };
    } else {
      const wanted = `${req.vendorId}:${req.productId}`;
      const found = matching(this.hostDevices(), req.vendorId, req.productId);
      if (found.length === 0) {
        throw invalidInput([{ path: 'device', message: `no USB device ${wanted} is connected to this host (the host's devices are listed by usb.list)` }], {
          message: `no USB device ${wanted} is connected to this host`,
        });
      }
      const denied = found.find((x) => !x.access.ok);
      if (denied && !denied.access.ok) throw new HangarError('STATE_CONFLICT', `USB device ${wanted} (${denied.product ?? 'unnamed'}) cannot be passed through: ${denied.access.reason}`, { details: { device: wanted, node: denied.node } });
      if (devices.some((x) => x.kind === 'host' && x.vendorId === req.vendorId && x.productId === req.productId)) {
        throw invalidInput([{ path: 'device', message: `USB device ${wanted} is already attached to VM '${row.name}'` }]);
      }
      device = { id, kind: 'host', vendorId: req.vendorId, productId: req.productId };
    }
    const next = this.withDevices(row, [...devices, device]);
    if (live) await this.d.supervisor.call(row.id, 'host.usbAttach', { device }, { timeoutMs: 60_000 });
    try {
      this.d.inventory.vms.updateConfig(row.id, next);
    } catch (e) {
      if (live) await this.d.supervisor.call(row.id, 'host.usbDetach', { id, storage: device.kind === 'storage' }, { timeoutMs: 60_000 }).catch((u: unknown) => this.d.log(`vm=${row.id} unplugging ${id} after a failed save: ${(u as Error).message}`));
      throw e;
    }
    return { id: row.id, vm: row.name, device, live };
  }

  async detach(ref: string, usbId: string): Promise<{ id: string; vm: string; device: UsbDevice; live: boolean }> {
    const row = this.d.find(ref);
    const devices = row.config.usb?.devices ?? [];
    const device = devices.find((x) => x.id === usbId);
    if (!device) {
      const known = devices.map((x) => x.id).join(', ');
      throw new HangarError('NOT_FOUND', `VM '${row.name}' has no USB device '${usbId}'${known ? ` (it has ${known})` : ' (it has none)'}`, { details: { vm: row.name, usb: usbId } });
    }
    const live = this.assertChangeable(row);
    const next = this.withDevices(row, devices.filter((x) => x.id !== usbId));
    if (live) await this.d.supervisor.call(row.id, 'host.usbDetach', { id: usbId, storage: device.kind === 'storage' }, { timeoutMs: 60_000 });
    this.d.inventory.vms.updateConfig(row.id, next);
    return { id: row.id, vm: row.name, device, live };
  }
}

// A mock owner for the development harness (dev/mock.html, built with `--mode mock`): the real RPC
// kernel and contract serve in-memory handlers, so the interface can be looked at and its page
// objects exercised without QEMU or the web server. Never part of the production bundle.
import { toDisposable } from '../../src-vmm/base/disposable.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { createTransportPair, serve, type ConnectionContext, type Handlers } from '../../src-vmm/base/rpc.js';
import { defaultsFor, OS_TYPES } from '../../src-vmm/model/osCatalogue.js';
import { hangarApi, type TaskInfo, type VmDetails, type VmSummary } from '../../src-main/api/contract.js';
import type { VmState } from '../../src-vmm/protocol/states.js';
import type { Endpoint } from '../api/apiConnection.js';
import { FakeVncChannel } from './fakeVnc.js';
import { bigTree, drawScreen, seedSnapshots, type MockSnapshot, type SnapshotState } from './mockSnapshots.js';
import { defaultSnapshotName, snapshotNameProblems } from '../../src-vmm/snapshots/tree.js';
import { applyEdits, configFromPlan } from '../../src-main/appliances/review.js';
import { APPLIANCE_DIR, APPLIANCE_FILES, mockReview } from './mockAppliances.js';

type Disk = VmDetails['disks'][number];
type Nic = VmDetails['nics'][number];

interface MockVm {
  id: string;
  name: string;
  state: VmState;
  stateReason?: string;
  osType: string;
  description: string;
  cpus: number;
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  accel: 'auto' | 'kvm' | 'tcg';
  nested: boolean;
  restartOnCrash?: boolean;
  maxRestartsPerMinute?: number;
  disks: Disk[];
  opticals: { id: string; bus: string; path: string | null }[];
  nics: Nic[];
  createdAt: string;
  console: string;
  snap: SnapshotState;
  /** a linked clone: based on this VM's snapshot */
  linkedTo?: { vmId: string; vmName: string; snapshotId: string | null; snapshotName: string | null };
}

const GiB = 1024 ** 3;
const HOME = '/home/user/.local/share/hangar';
const HOST_REASON = 'KVM is not usable on this host (/dev/kvm opens but a probe guest hangs): using TCG';

const FILES: Record<string, { name: string; size: number }[]> = {
  '/': [],
  '/home': [],
  '/home/user': [],
  '/home/user/isos': [
    { name: 'debian-12.5.0-amd64-netinst.iso', size: 658 * 1024 ** 2 },
    { name: 'alpine-virt-3.20.0-x86_64.iso', size: 61 * 1024 ** 2 },
    { name: 'Win11_23H2_English_x64.iso', size: 6.2 * GiB },
    { name: 'notes.txt', size: 1234 },
  ],
  '/home/user/images': [
    { name: 'ubuntu-24.04-cloud.qcow2', size: 580 * 1024 ** 2 },
    { name: 'legacy-server.vmdk', size: 8 * GiB },
    { name: 'scratch.raw', size: 2 * GiB },
  ],
  '/home/user/kernels': [
    { name: 'vmlinuz-6.1.0', size: 7 * 1024 ** 2 },
    { name: 'initrd.img-6.1.0', size: 30 * 1024 ** 2 },
  ],
  [APPLIANCE_DIR]: APPLIANCE_FILES,
  '/srv': [],
  '/tmp': [],
  // the Hangar home: the Export dialog's first folder
  '/home/user/.local': [],
  '/home/user/.local/share': [],
  [HOME]: [],
};
const FILTERS: Record<string, RegExp> = {
  all: /./,
  iso: /\.iso$/i,
  disk: /\.(qcow2|raw|img|vmdk|vdi|vhdx?)$/i,
  kernel: /^(vmlinuz|bzImage|initrd|initramfs)/,
  appliance: /\.(ova|ovf)$/i,
};

function fileExists(path: string): boolean {
  const i = path.lastIndexOf('/');
  return (FILES[path.slice(0, i) || '/'] ?? []).some((f) => f.name === path.slice(i + 1));
}

function subdirs(path: string): string[] {
  const prefix = path === '/' ? '/' : `${path}/`;
  return Object.keys(FILES).filter((p) => p !== path && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'));
}

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const uuid = () => crypto.randomUUID();
const mac = (n: number) => `52:54:00:12:34:${n.toString(16).padStart(2, '0')}`;

const BOOT_LOG = [
  'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
  'Booting from Hard Disk...',
  '[    0.000000] Linux version 6.1.0-21-amd64 (debian-kernel@lists.debian.org)',
  '[    0.512311] virtio_blk virtio1: [vda] 41943040 512-byte logical blocks (21.5 GB/20.0 GiB)',
  '[    1.904117] EXT4-fs (vda1): mounted filesystem with ordered data mode.',
  '[  OK  ] Started serial-getty@ttyS0.service - Serial Getty on ttyS0.',
  '[  OK  ] Reached target multi-user.target - Multi-User System.',
  '',
  'Debian GNU/Linux 12 debian ttyS0',
  '',
  'debian login: root (automatic login)',
  '',
  'root@debian:~# ',
].join('\r\n');

function seedVms(): MockVm[] {
  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
  return [
    {
      id: uuid(),
      name: 'debian-12',
      state: 'running',
      osType: 'linux',
      description: 'Build box for the release images.',
      cpus: 2,
      memoryMiB: 2048,
      firmware: 'bios',
      accel: 'auto',
      nested: false,
      disks: [
        {
          id: 'disk0',
          bus: 'virtio',
          path: `${HOME}/vms/debian-12/disks/disk0.qcow2`,
          format: 'qcow2',
          virtualSizeBytes: 20 * GiB,
          actualSizeBytes: 3.4 * GiB,
          chain: [`${HOME}/vms/debian-12/disks/disk0.qcow2`],
        },
      ],
      opticals: [{ id: 'cd0', bus: 'ide', path: '/home/user/isos/debian-12.5.0-amd64-netinst.iso' }],
      nics: [{ id: 'net0', model: 'virtio', mac: mac(1), forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] }],
      createdAt: at(12),
      console: BOOT_LOG,
      snap: seedSnapshots('debian-12'),
    },
    {
      id: uuid(),
      name: 'windows-11',
      state: 'stopped',
      osType: 'windows11',
      description: '',
      cpus: 4,
      memoryMiB: 8192,
      firmware: 'uefi',
      accel: 'auto',
      nested: false,
      disks: [
        {
          id: 'disk0',
          bus: 'sata',
          path: `${HOME}/vms/windows-11/snapshots/after-updates.qcow2`,
          format: 'qcow2',
          virtualSizeBytes: 64 * GiB,
          actualSizeBytes: 1.2 * GiB,
          chain: [`${HOME}/vms/windows-11/snapshots/after-updates.qcow2`, `${HOME}/vms/windows-11/disks/disk0.qcow2`],
        },
      ],
      opticals: [{ id: 'cd0', bus: 'sata', path: null }],
      nics: [{ id: 'net0', model: 'e1000e', mac: mac(2), forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 33890, guestPort: 3389 }] }],
      createdAt: at(30),
      console: '',
      snap: seedSnapshots('windows-11'),
    },
    {
      id: uuid(),
      name: 'freebsd-14',
      state: 'saved',
      osType: 'freebsd',
      description: '',
      cpus: 2,
      memoryMiB: 2048,
      firmware: 'bios',
      accel: 'tcg',
      nested: false,
      disks: [{ id: 'disk0', bus: 'virtio', path: `${HOME}/vms/freebsd-14/disks/disk0.qcow2`, format: 'qcow2', virtualSizeBytes: 16 * GiB, actualSizeBytes: 2.1 * GiB, chain: [`${HOME}/vms/freebsd-14/disks/disk0.qcow2`] }],
      opticals: [],
      nics: [{ id: 'net0', model: 'virtio', mac: mac(3), forwards: [] }],
      createdAt: at(3),
      console: 'FreeBSD/amd64 (freebsd) (ttyu0)\r\n\r\nlogin: ',
      snap: seedSnapshots('freebsd-14'),
    },
    {
      id: uuid(),
      name: 'alpine-test',
      state: 'aborted',
      stateReason: 'QEMU exited with code 1: could not open disk image: Permission denied',
      osType: 'linux',
      description: '',
      cpus: 1,
      memoryMiB: 512,
      firmware: 'bios',
      accel: 'auto',
      nested: false,
      disks: [{ id: 'disk0', bus: 'virtio', path: '/home/user/images/scratch.raw', format: 'raw', virtualSizeBytes: 2 * GiB, chain: ['/home/user/images/scratch.raw'] }],
      opticals: [{ id: 'cd0', bus: 'ide', path: '/home/user/isos/alpine-virt-3.20.0-x86_64.iso' }],
      nics: [],
      createdAt: at(1),
      console: '',
      snap: seedSnapshots('alpine-test'),
    },
  ];
}

function seedTasks(vms: MockVm[]): TaskInfo[] {
  const t = (minsAgo: number) => new Date(Date.now() - minsAgo * 60_000).toISOString();
  return [
    { id: uuid(), kind: 'vm.start', vm: vms[0]!.name, state: 'succeeded', progress: 1, phase: 'starting QEMU', message: null, error: null, startedAt: t(42), finishedAt: t(41) },
    { id: uuid(), kind: 'vm.save', vm: vms[2]!.name, state: 'succeeded', progress: 1, phase: null, message: null, error: null, startedAt: t(90), finishedAt: t(89) },
    {
      id: uuid(),
      kind: 'vm.start',
      vm: vms[3]!.name,
      state: 'failed',
      progress: 0,
      phase: 'starting QEMU',
      message: null,
      error: "VM 'alpine-test' did not start: QEMU exited with code 1",
      startedAt: t(120),
      finishedAt: t(120),
    },
  ];
}

const ACTIVE: readonly VmState[] = ['starting', 'running', 'paused', 'stopping'];
const FREE_BYTES = 118 * GiB;
const MERGE_BYTES_PER_SECOND = 250e6;

export class MockOwner {
  readonly vms: MockVm[] = seedVms();
  private tasks: TaskInfo[] = seedTasks(this.vms);
  private readonly connections = new Set<ConnectionContext>();
  private readonly consoleSubs = new Map<ConnectionContext, Set<string>>();
  private readonly running = new Map<string, AbortController>();
  private readonly lines = new Map<string, string>();
  /** Pretend delays; tests of the harness can shorten them. */
  speed = 1;

  private broadcast(name: string, payload: unknown): void {
    for (const c of this.connections) c.emit(name, payload);
  }

  private find(ref: string): MockVm {
    const vm = this.vms.find((v) => v.id === ref) ?? this.vms.find((v) => v.name.toLowerCase() === ref.toLowerCase());
    if (!vm) throw new HangarError('NOT_FOUND', `no VM named or with id '${ref}'`);
    return vm;
  }

  private setState(vm: MockVm, state: VmState, reason?: string): void {
    vm.state = state;
    if (reason) vm.stateReason = reason;
    else delete vm.stateReason;
    this.broadcast('vm.stateChanged', { id: vm.id, name: vm.name, state, ...(reason ? { reason } : {}) });
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms * this.speed);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          reject(new HangarError('CANCELLED', 'cancelled'));
        },
        { once: true },
      );
    });
  }

  private writeConsole(vm: MockVm, text: string): void {
    vm.console += text;
    for (const [conn, ids] of this.consoleSubs) if (ids.has(vm.id)) conn.emit('vm.console', { id: vm.id, data: b64(text) });
  }

  /** Runs a pretend task with phases, progress events and cancel. */
  private async task<T>(kind: string, vm: { id: string; name: string } | null, signal: AbortSignal, progress: (f: number, m?: string, phase?: string) => void, steps: { phase: string; ms: number }[], finish: () => T): Promise<T> {
    if (vm && this.running.has(vm.id)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is busy with another operation; try again when it ends`);
    const info: TaskInfo = { id: uuid(), kind, vm: vm?.name ?? null, state: 'running', progress: 0, phase: null, message: null, error: null, startedAt: new Date().toISOString(), finishedAt: null };
    const ac = new AbortController();
    signal.addEventListener('abort', () => ac.abort(), { once: true });
    if (vm) this.running.set(vm.id, ac);
    this.running.set(info.id, ac);
    const emit = () => {
      this.tasks = [{ ...info }, ...this.tasks.filter((t) => t.id !== info.id)].slice(0, 50);
      this.broadcast('task.progress', { ...info });
    };
    emit();
    try {
      for (let i = 0; i < steps.length; i++) {
        const s = steps[i]!;
        info.phase = s.phase;
        emit();
        const ticks = 4;
        for (let k = 1; k <= ticks; k++) {
          await this.wait(s.ms / ticks, ac.signal);
          info.progress = (i + k / ticks) / steps.length;
          info.message = `${Math.round(info.progress * 100)} %`;
          progress(info.progress, info.message, s.phase);
          emit();
        }
      }
      const out = finish();
      info.state = 'succeeded';
      info.progress = 1;
      return out;
    } catch (e) {
      const he = e instanceof HangarError ? e : new HangarError('INTERNAL', String(e));
      info.state = he.code === 'CANCELLED' ? 'cancelled' : 'failed';
      info.error = he.code === 'CANCELLED' ? `${kind} was cancelled` : he.message;
      throw he.code === 'CANCELLED' ? new HangarError('CANCELLED', `${kind} was cancelled`) : he;
    } finally {
      info.finishedAt = new Date().toISOString();
      if (vm) this.running.delete(vm.id);
      this.running.delete(info.id);
      emit();
    }
  }

  summary(vm: MockVm): VmSummary {
    return { id: vm.id, name: vm.name, state: vm.state, osType: vm.osType, accelerator: vm.accel === 'kvm' ? 'kvm' : 'tcg' };
  }

  details(vm: MockVm): VmDetails {
    const os = OS_TYPES.find((o) => o.id === vm.osType);
    const chipset = vm.firmware === 'uefi' ? 'q35' : defaultsFor(vm.osType).chipset;
    const active = ['starting', 'running', 'paused', 'stopping'].includes(vm.state);
    return {
      id: vm.id,
      name: vm.name,
      state: vm.state,
      ...(vm.stateReason ? { stateReason: vm.stateReason } : {}),
      osType: vm.osType,
      osLabel: os?.label ?? vm.osType,
      description: vm.description,
      cpus: vm.cpus,
      memoryMiB: vm.memoryMiB,
      firmware: vm.firmware,
      chipset,
      accelerator: vm.accel === 'kvm' ? 'kvm' : 'tcg',
      accelReason: vm.accel === 'auto' ? HOST_REASON : vm.accel === 'tcg' ? 'TCG chosen in the VM settings' : 'KVM chosen in the VM settings',
      accelSetting: vm.accel,
      nested: vm.nested,
      restartOnCrash: vm.restartOnCrash ?? false,
      maxRestartsPerMinute: vm.maxRestartsPerMinute ?? 3,
      ...(active ? { qemuPid: 40_000 + this.vms.indexOf(vm) } : {}),
      disks: vm.disks,
      opticals: vm.opticals,
      nics: vm.nics,
      boot: { order: ['disk', 'optical'] },
      display: { vga: defaultsFor(vm.osType).vga, vnc: true },
      serial: true,
      folder: `${HOME}/vms/${vm.name}`,
      createdAt: vm.createdAt,
      snapshots: vm.snap.snapshots.map((x) => this.snapshotItem(x)),
      currentSnapshotId: vm.snap.currentSnapshotId,
      linkedTo: vm.linkedTo ?? null,
      dependents: this.vms
        .filter((v) => v.linkedTo?.vmId === vm.id)
        .map((v) => ({ vmId: v.id, vmName: v.name, snapshotId: v.linkedTo!.snapshotId, snapshotName: v.linkedTo!.snapshotName })),
    };
  }

  // ---------------------------------------------------------------- snapshots

  /** Adds a stopped VM 'big-tree' with `n` snapshots (the harness's `?bigTree=N`). */
  addBigTree(n: number): void {
    this.vms.push({
      id: uuid(),
      name: 'big-tree',
      state: 'stopped',
      osType: 'linux',
      description: `${n} snapshots, for checking that large trees stay readable and fast.`,
      cpus: 1,
      memoryMiB: 1024,
      firmware: 'bios',
      accel: 'auto',
      nested: false,
      disks: [{ id: 'disk0', bus: 'virtio', path: `${HOME}/vms/big-tree/disks/disk0.qcow2`, format: 'qcow2', virtualSizeBytes: 10 * GiB, chain: [`${HOME}/vms/big-tree/disks/disk0.qcow2`] }],
      opticals: [],
      nics: [],
      createdAt: new Date(Date.now() - 400 * 86_400_000).toISOString(),
      console: '',
      snap: bigTree(n),
    });
  }

  private snapshotItem(x: MockSnapshot) {
    return { id: x.id, name: x.name, parentId: x.parentId, createdAt: x.createdAt, live: x.live, description: x.description, sizeBytes: x.sizeBytes, hasThumbnail: x.hasThumbnail };
  }

  private findSnapshot(vm: MockVm, ref: string): MockSnapshot {
    const s = vm.snap.snapshots.find((x) => x.id === ref) ?? vm.snap.snapshots.find((x) => x.name.toLowerCase() === ref.toLowerCase());
    if (!s) throw new HangarError('NOT_FOUND', `VM '${vm.name}' has no snapshot named or with id '${ref}'`);
    return s;
  }

  private currentStateChanged(vm: MockVm): boolean {
    return ACTIVE.includes(vm.state) || vm.state === 'saved' || vm.snap.currentSnapshotId === null || vm.snap.dirty;
  }

  private checkSnapshotName(vm: MockVm, name: string, except?: string): void {
    const problems = snapshotNameProblems(name);
    if (problems.length) throw new HangarError('INVALID_INPUT', problems.join('; '));
    if (vm.snap.snapshots.some((x) => x.id !== except && x.name.toLowerCase() === name.toLowerCase())) {
      throw new HangarError('ALREADY_EXISTS', `VM '${vm.name}' already has a snapshot named '${name}'`);
    }
  }

  private settled(vm: MockVm): void {
    if (vm.state === 'starting' || vm.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: wait until it has settled`);
  }

  /** Images that receive a snapshot's data when it goes: its children's and the current state's. */
  private dependents(vm: MockVm, s: MockSnapshot): number {
    return vm.snap.snapshots.filter((x) => x.parentId === s.id).length + (vm.snap.currentSnapshotId === s.id ? 1 : 0);
  }

  private blockedBy(vm: MockVm, s: MockSnapshot): string[] {
    return [...s.blockedBy, ...this.vms.filter((v) => v.linkedTo?.vmId === vm.id && v.linkedTo.snapshotId === s.id).map((v) => v.name)];
  }

  private deletePlan(vm: MockVm, s: MockSnapshot) {
    const children = this.dependents(vm, s);
    const bytes = s.sizeBytes * children;
    return {
      snapshot: this.snapshotItem(s),
      children,
      bytesToMerge: bytes,
      freeBytesNeeded: bytes,
      freeBytesAvailable: FREE_BYTES,
      estimatedSeconds: Math.max(1, Math.ceil(bytes / MERGE_BYTES_PER_SECOND)),
      blockedBy: this.blockedBy(vm, s),
    };
  }

  private assertRunning(vm: MockVm): void {
    if (!['starting', 'running', 'paused', 'stopping'].includes(vm.state)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is not running (it is ${vm.state})`);
  }

  private nameFree(name: string, except?: string): void {
    const other = this.vms.find((v) => v.name.toLowerCase() === name.toLowerCase() && v.id !== except);
    if (other) throw new HangarError('ALREADY_EXISTS', `a VM named '${other.name}' already exists`);
  }

  private checkIso(path: string): void {
    if (!fileExists(path)) throw new HangarError('INVALID_INPUT', `ISO file ${path} does not exist or cannot be read`);
    if (!path.toLowerCase().endsWith('.iso')) throw new HangarError('INVALID_INPUT', `${path} is not an ISO image (no ISO 9660 or UDF volume descriptor)`);
  }

  /** Typing into a running VM's console: echo, and a tiny shell on Enter. */
  private typed(vm: MockVm, text: string): void {
    let line = this.lines.get(vm.id) ?? '';
    for (const ch of text) {
      if (ch === '\r') {
        const cmd = line.trim();
        line = '';
        let out = '';
        if (cmd === 'uname -a') out = 'Linux debian 6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 x86_64 GNU/Linux\r\n';
        else if (cmd === 'poweroff') {
          this.writeConsole(vm, '\r\n[  OK  ] Reached target poweroff.target - System Power Off.\r\n');
          this.lines.set(vm.id, '');
          setTimeout(() => this.setState(vm, 'stopped'), 300 * this.speed);
          return;
        } else if (cmd !== '') out = `-bash: ${cmd.split(' ')[0]}: command not found\r\n`;
        this.writeConsole(vm, `\r\n${out}root@debian:~# `);
      } else if (ch === '\x7f') {
        if (line.length) {
          line = line.slice(0, -1);
          this.writeConsole(vm, '\b \b');
        }
      } else {
        line += ch;
        this.writeConsole(vm, ch);
      }
    }
    this.lines.set(vm.id, line);
  }

  handlers(): Handlers<typeof hangarApi> {
    return {
      'host.info': async () => ({
        qemuVersion: '7.2.11',
        qemuBinary: '/usr/bin/qemu-system-x86_64',
        accelerator: 'tcg',
        accelReason: HOST_REASON,
        kvm: { device: 'present', probe: 'hangs' },
        ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
        ownerPid: 4242,
        ownerKind: 'web',
        home: HOME,
      }),
      'os.list': async () => ({
        osTypes: OS_TYPES.map((os) => {
          const d = defaultsFor(os.id);
          return { id: os.id, label: os.label, family: os.family, defaults: { cpus: d.cpus, memoryMiB: d.memoryMiB, diskGiB: d.diskGiB, firmware: d.firmware, chipset: d.chipset, diskBus: d.diskBus, nicModel: d.nicModel } };
        }),
      }),
      'vm.list': async () => ({ vms: this.vms.map((v) => this.summary(v)) }),
      'vm.show': async ({ ref }) => this.details(this.find(ref)),
      'vm.create': async (input, ctx) => {
        this.nameFree(input.name);
        if (input.iso) this.checkIso(input.iso);
        if (input.disk && 'image' in input.disk && !fileExists(input.disk.image)) throw new HangarError('NOT_FOUND', `disk image ${input.disk.image} does not exist`);
        const osType = input.osType ?? 'linux';
        const d = defaultsFor(osType);
        const id = uuid();
        const steps = [{ phase: 'creating the disk', ms: 800 }, { phase: 'registering', ms: 300 }];
        return this.task('vm.create', { id, name: input.name }, ctx.signal, (f, m) => ctx.progress({ fraction: f, ...(m ? { message: m } : {}) }), steps, () => {
          this.nameFree(input.name);
          const path = `${HOME}/vms/${input.name}/disks/disk0.qcow2`;
          const vm: MockVm = {
            id,
            name: input.name,
            state: 'stopped',
            osType,
            description: input.description ?? '',
            cpus: input.cpus ?? d.cpus,
            memoryMiB: input.memoryMiB ?? d.memoryMiB,
            firmware: input.firmware ?? d.firmware,
            accel: input.accel ?? 'auto',
            nested: false,
            disks: !input.disk
              ? []
              : 'sizeBytes' in input.disk
                ? [{ id: 'disk0', bus: d.diskBus, path, format: 'qcow2', virtualSizeBytes: input.disk.sizeBytes, actualSizeBytes: 196_608, chain: [path] }]
                : [{ id: 'disk0', bus: d.diskBus, path: input.disk.image, format: 'qcow2', virtualSizeBytes: 10 * GiB, chain: [input.disk.image] }],
            opticals: input.iso ? [{ id: 'cd0', bus: d.opticalBus, path: input.iso }] : [],
            nics: input.nic === 'none' ? [] : [{ id: 'net0', model: input.nic ?? d.nicModel, mac: mac(16 + this.vms.length), forwards: [] }],
            createdAt: new Date().toISOString(),
            console: '',
            snap: { snapshots: [], currentSnapshotId: null, dirty: false },
          };
          this.vms.push(vm);
          this.broadcast('inventory.changed', { id });
          return this.details(vm);
        });
      },
      'vm.modify': async (input, ctx) => {
        const vm = this.find(input.ref);
        const hardware = Object.entries(input).some(([k, v]) => v !== undefined && !['ref', 'name', 'description', 'restartOnCrash', 'maxRestartsPerMinute'].includes(k));
        if (hardware && vm.state !== 'stopped' && vm.state !== 'aborted') {
          throw new HangarError(
            'STATE_CONFLICT',
            vm.state === 'saved' ? `VM '${vm.name}' has a saved state: start it and shut it down before changing its hardware` : `VM '${vm.name}' is ${vm.state}: stop it before changing its hardware`,
          );
        }
        if (input.name !== undefined) this.nameFree(input.name, vm.id);
        if (input.iso) this.checkIso(input.iso);
        if (input.nested && (input.accel ?? vm.accel) === 'tcg') throw new HangarError('INVALID_INPUT', "features.nested: nested virtualization needs the KVM accelerator (accel is 'tcg')");
        return this.task('vm.modify', vm, ctx.signal, (f) => ctx.progress({ fraction: f }), [{ phase: 'saving', ms: input.disk ? 800 : 200 }], () => {
          if (input.name !== undefined) vm.name = input.name;
          if (input.description !== undefined) vm.description = input.description;
          if (input.osType !== undefined) vm.osType = input.osType;
          if (input.cpus !== undefined) vm.cpus = input.cpus;
          if (input.memoryMiB !== undefined) vm.memoryMiB = input.memoryMiB;
          if (input.firmware !== undefined) vm.firmware = input.firmware;
          if (input.accel !== undefined) vm.accel = input.accel;
          if (input.nested !== undefined) vm.nested = input.nested;
          if (input.restartOnCrash !== undefined) vm.restartOnCrash = input.restartOnCrash;
          if (input.maxRestartsPerMinute !== undefined) vm.maxRestartsPerMinute = input.maxRestartsPerMinute;
          if (input.iso !== undefined) {
            if (vm.opticals[0]) vm.opticals[0] = { ...vm.opticals[0], path: input.iso };
            else if (input.iso) vm.opticals.push({ id: 'cd0', bus: 'ide', path: input.iso });
          }
          if (input.nic === 'none') vm.nics = [];
          else if (input.nic !== undefined || input.forwards !== undefined) {
            const first = vm.nics[0];
            vm.nics = [{ id: first?.id ?? 'net0', model: input.nic ?? first?.model ?? 'virtio', mac: first?.mac ?? mac(40), forwards: input.forwards ?? first?.forwards ?? [] }, ...vm.nics.slice(1)];
          }
          if (input.disk) {
            const n = vm.disks.length;
            const path = 'image' in input.disk ? input.disk.image : `${HOME}/vms/${vm.name}/disks/disk${n}.qcow2`;
            vm.disks.push({ id: `disk${n}`, bus: 'virtio', path, format: 'qcow2', virtualSizeBytes: 'sizeBytes' in input.disk ? input.disk.sizeBytes : 10 * GiB, chain: [path] });
          }
          this.broadcast('inventory.changed', { id: vm.id });
          return this.details(vm);
        });
      },
      'vm.delete': async ({ ref, keepFiles }) => {
        const vm = this.find(ref);
        if (['starting', 'running', 'paused', 'stopping'].includes(vm.state)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: stop it before deleting it`);
        this.vms.splice(this.vms.indexOf(vm), 1);
        this.broadcast('inventory.changed', { id: vm.id });
        return { id: vm.id, keptFiles: keepFiles ? [`${HOME}/vms/${vm.name}`] : [] };
      },
      'vm.start': async ({ ref }, ctx) => {
        const vm = this.find(ref);
        vm.snap.dirty = true;
        if (['starting', 'running', 'paused', 'stopping'].includes(vm.state)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is already ${vm.state}`);
        for (const cd of vm.opticals) if (cd.path && !fileExists(cd.path)) throw new HangarError('NOT_FOUND', `ISO ${cd.path} of VM '${vm.name}' is missing`);
        const wasSaved = vm.state === 'saved';
        this.setState(vm, 'starting');
        try {
          return await this.task('vm.start', vm, ctx.signal, (f) => ctx.progress({ fraction: f }), [{ phase: wasSaved ? 'restoring the saved state' : 'starting QEMU', ms: 900 }], () => {
            this.setState(vm, 'running');
            if (!wasSaved) {
              vm.console = '';
              this.writeConsole(vm, BOOT_LOG);
            }
            return { id: vm.id, state: vm.state, accelerator: 'tcg' as const };
          });
        } catch (e) {
          this.setState(vm, 'aborted', e instanceof Error ? e.message : String(e));
          throw e;
        }
      },
      'vm.stop': async ({ ref, force }, ctx) => {
        const vm = this.find(ref);
        this.assertRunning(vm);
        if (!force && vm.state !== 'running') throw new HangarError('STATE_CONFLICT', `cannot send the ACPI power button while the VM is ${vm.state}`);
        this.setState(vm, 'stopping');
        await this.wait(force ? 200 : 1200, ctx.signal);
        this.writeConsole(vm, '\r\n[  OK  ] Reached target poweroff.target - System Power Off.\r\n');
        this.setState(vm, 'stopped');
        return { id: vm.id, state: vm.state };
      },
      'vm.pause': async ({ ref }) => {
        const vm = this.find(ref);
        this.assertRunning(vm);
        if (vm.state !== 'running') throw new HangarError('STATE_CONFLICT', `cannot pause while the VM is ${vm.state}`);
        this.setState(vm, 'paused');
        return { id: vm.id, state: vm.state };
      },
      'vm.resume': async ({ ref }) => {
        const vm = this.find(ref);
        this.assertRunning(vm);
        if (vm.state !== 'paused') throw new HangarError('STATE_CONFLICT', `cannot resume while the VM is ${vm.state}: it is not paused`);
        this.setState(vm, 'running');
        return { id: vm.id, state: vm.state };
      },
      'vm.reset': async ({ ref }) => {
        const vm = this.find(ref);
        this.assertRunning(vm);
        this.writeConsole(vm, '\r\n');
        this.writeConsole(vm, BOOT_LOG);
        return { id: vm.id, state: vm.state };
      },
      'vm.save': async ({ ref }, ctx) => {
        const vm = this.find(ref);
        this.assertRunning(vm);
        return this.task('vm.save', vm, ctx.signal, (f) => ctx.progress({ fraction: f }), [{ phase: 'saving the memory', ms: 1000 }], () => {
          this.setState(vm, 'saved');
          return { id: vm.id, state: vm.state };
        });
      },
      'vm.serial': async ({ ref }) => ({ data: b64(this.find(ref).console) }),
      'vm.screenshot': async () => {
        throw new HangarError('UNSUPPORTED', 'the mock owner takes no screenshots');
      },
      'vm.send': async ({ ref, text, enter }) => {
        const vm = this.find(ref);
        if (vm.state !== 'running' && vm.state !== 'starting' && vm.state !== 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is not running (it is ${vm.state})`);
        this.typed(vm, enter ? `${text}\r` : text);
        return null;
      },
      'vm.consoleAttach': async ({ ref, backlogBytes }, ctx) => {
        const vm = this.find(ref);
        let subs = this.consoleSubs.get(ctx.connection);
        if (!subs) this.consoleSubs.set(ctx.connection, (subs = new Set()));
        subs.add(vm.id);
        return { id: vm.id, backlog: b64(vm.console.slice(-backlogBytes)) };
      },
      'vm.consoleDetach': async ({ ref }, ctx) => {
        this.consoleSubs.get(ctx.connection)?.delete(this.find(ref).id);
        return null;
      },
      'vm.display': async ({ ref }) => {
        const vm = this.find(ref);
        this.assertRunning(vm);
        return { id: vm.id, path: `/display/${vm.id}` };
      },
      'fs.list': async ({ path, filter }) => {
        const norm = path.length > 1 ? path.replace(/\/+$/, '') : path;
        const files = FILES[norm];
        if (!files) throw new HangarError('NOT_FOUND', `no folder ${path}`);
        const re = FILTERS[filter] ?? FILTERS.all!;
        const dirs = subdirs(norm).map((p) => ({ name: p.slice(p.lastIndexOf('/') + 1), path: p, kind: 'dir' as const, sizeBytes: 0 }));
        const matching = files.filter((f) => re.test(f.name)).map((f) => ({ name: f.name, path: `${norm === '/' ? '' : norm}/${f.name}`, kind: 'file' as const, sizeBytes: f.size }));
        const parent = norm === '/' ? null : norm.slice(0, norm.lastIndexOf('/')) || '/';
        return { path: norm, parent, entries: [...dirs, ...matching] };
      },
      'snapshot.list': async ({ ref }) => {
        const vm = this.find(ref);
        return { snapshots: vm.snap.snapshots.map((x) => this.snapshotItem(x)), currentSnapshotId: vm.snap.currentSnapshotId, currentStateChanged: this.currentStateChanged(vm) };
      },
      'snapshot.take': async ({ ref, name: given, description }, ctx) => {
        const vm = this.find(ref);
        const name = given.trim() === '' ? defaultSnapshotName(vm.snap.snapshots) : given;
        this.checkSnapshotName(vm, name);
        this.settled(vm);
        const running = ACTIVE.includes(vm.state);
        const steps = running
          ? [{ phase: 'taking a live snapshot', ms: 1400 }, { phase: 'recording the snapshot', ms: 200 }]
          : [{ phase: 'freezing the disks', ms: 500 }, { phase: 'recording the snapshot', ms: 200 }];
        return this.task('snapshot.take', vm, ctx.signal, (f, m) => ctx.progress({ fraction: f, ...(m ? { message: m } : {}) }), steps, () => {
          this.checkSnapshotName(vm, name);
          const s: MockSnapshot = {
            id: uuid(),
            name,
            parentId: vm.snap.currentSnapshotId,
            createdAt: new Date().toISOString(),
            live: running || vm.state === 'saved',
            description,
            sizeBytes: vm.snap.snapshots.length === 0 ? 1.4 * GiB : Math.round((30 + Math.random() * 400) * 1024 ** 2),
            hasThumbnail: running,
            blockedBy: [],
          };
          vm.snap.snapshots.push(s);
          vm.snap.currentSnapshotId = s.id;
          // a running guest goes on writing to its disks
          vm.snap.dirty = running;
          this.broadcast('inventory.changed', { id: vm.id });
          return this.snapshotItem(s);
        });
      },
      'snapshot.restore': async ({ ref, snapshot }, ctx) => {
        const vm = this.find(ref);
        if (ACTIVE.includes(vm.state)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: power it off (or save it) before restoring a snapshot`);
        const s = this.findSnapshot(vm, snapshot);
        const steps = [{ phase: 'new overlays on the snapshot', ms: 600 }, { phase: 'switching to the snapshot', ms: 300 }];
        return this.task('snapshot.restore', vm, ctx.signal, (f, m) => ctx.progress({ fraction: f, ...(m ? { message: m } : {}) }), steps, () => {
          vm.snap.currentSnapshotId = s.id;
          vm.snap.dirty = false;
          this.setState(vm, s.live ? 'saved' : 'stopped');
          this.broadcast('inventory.changed', { id: vm.id });
          return { id: vm.id, state: vm.state };
        });
      },
      'snapshot.deletePlan': async ({ ref, snapshot }) => {
        const vm = this.find(ref);
        return this.deletePlan(vm, this.findSnapshot(vm, snapshot));
      },
      'snapshot.delete': async ({ ref, snapshot }, ctx) => {
        const vm = this.find(ref);
        const s = this.findSnapshot(vm, snapshot);
        const blockedBy = this.blockedBy(vm, s);
        if (blockedBy.length) throw new HangarError('STATE_CONFLICT', `snapshot '${s.name}' cannot be deleted: the linked clone(s) ${blockedBy.map((n) => `'${n}'`).join(', ')} depend on it`);
        this.settled(vm);
        const plan = this.deletePlan(vm, s);
        const ms = Math.min(4000, 300 + plan.bytesToMerge / 1e6);
        return this.task('snapshot.delete', vm, ctx.signal, (f, m) => ctx.progress({ fraction: f, ...(m ? { message: m } : {}) }), [{ phase: 'merging', ms }, { phase: 'removing the snapshot', ms: 200 }], () => {
          for (const x of vm.snap.snapshots) if (x.parentId === s.id) x.parentId = s.parentId;
          if (vm.snap.currentSnapshotId === s.id) vm.snap.currentSnapshotId = s.parentId;
          vm.snap.snapshots = vm.snap.snapshots.filter((x) => x.id !== s.id);
          this.broadcast('inventory.changed', { id: vm.id });
          return null;
        });
      },
      'snapshot.edit': async ({ ref, snapshot, name, description }) => {
        const vm = this.find(ref);
        const s = this.findSnapshot(vm, snapshot);
        if (name !== undefined) this.checkSnapshotName(vm, name, s.id);
        if (name !== undefined) s.name = name;
        if (description !== undefined) s.description = description;
        this.broadcast('inventory.changed', { id: vm.id });
        return this.snapshotItem(s);
      },
      'snapshot.thumbnail': async ({ ref, snapshot }) => {
        const vm = this.find(ref);
        const s = this.findSnapshot(vm, snapshot);
        if (!s.hasThumbnail) throw new HangarError('NOT_FOUND', `snapshot '${s.name}' has no screen thumbnail`);
        await this.wait(150);
        return { png: drawScreen(vm.osType, s.name, new Date(s.createdAt).toUTCString()) };
      },
      'vm.clone': async ({ ref, name, linked, snapshot }, ctx) => {
        const src = this.find(ref);
        this.nameFree(name);
        const s = snapshot !== undefined ? this.findSnapshot(src, snapshot) : null;
        if (linked && !s) throw new HangarError('INVALID_INPUT', 'a linked clone is based on a snapshot: choose one');
        const id = uuid();
        return this.task('vm.clone', { id, name }, ctx.signal, (f) => ctx.progress({ fraction: f }), [{ phase: linked ? 'creating overlays' : 'copying the disks', ms: linked ? 300 : 1500 }], () => {
          const vm: MockVm = {
            ...src,
            id,
            name,
            state: 'stopped',
            createdAt: new Date().toISOString(),
            console: '',
            nics: src.nics.map((n, i) => ({ ...n, mac: mac(80 + this.vms.length + i) })),
            snap: { snapshots: [], currentSnapshotId: null, dirty: false },
            ...(linked && s ? { linkedTo: { vmId: src.id, vmName: src.name, snapshotId: s.id, snapshotName: s.name } } : {}),
          };
          delete vm.stateReason;
          if (!linked) delete vm.linkedTo;
          this.vms.push(vm);
          this.broadcast('inventory.changed', { id });
          return this.details(vm);
        });
      },
      'appliance.export': async ({ refs, file, manifest, snapshot, profile }, ctx) => {
        // Checked as the owner checks them, before anything is written.
        const i = file.lastIndexOf('/');
        const folder = file.slice(0, i) || '/';
        const name = file.slice(i + 1);
        const ext = /\.(ova|ovf)$/i.exec(name)?.[1]?.toLowerCase();
        if (!ext) throw new HangarError('INVALID_INPUT', `the export file must end in .ova (one archive) or .ovf (a folder of files), not '${name}'`);
        if (!FILES[folder]) throw new HangarError('NOT_FOUND', `folder ${folder} does not exist`);
        if (fileExists(file)) throw new HangarError('ALREADY_EXISTS', `${file} already exists: choose another name or remove it first`);
        const vms = refs.map((r) => this.find(r));
        if (new Set(vms.map((v) => v.id)).size !== vms.length) throw new HangarError('INVALID_INPUT', 'a VM is named more than once');
        if (snapshot && vms.length > 1) throw new HangarError('INVALID_INPUT', '--snapshot exports one VM: name only that VM');
        const snap = snapshot ? this.findSnapshot(vms[0]!, snapshot) : null;
        for (const vm of vms) {
          if (vm.state === 'starting' || vm.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: wait until it has settled`);
          if (vm.disks.length === 0) throw new HangarError('INVALID_INPUT', `VM '${vm.name}' has no disks: there is nothing to export`);
        }
        const warnings = snap ? [] : vms.filter((v) => ACTIVE.includes(v.state)).map((v) => `${v.name} was ${v.state}: its disks were exported as they were at ${new Date().toISOString()} (a temporary snapshot, removed afterwards); the running memory is not part of an appliance.`);
        if (profile === 'vmware' && vms.some((v) => v.firmware === 'uefi')) warnings.push('UEFI firmware is written as a vmw:firmware setting, which vSphere before 6.5 ignores.');
        const stem = name.slice(0, -4);
        const disks = vms.flatMap((v) => v.disks.map((_, j) => `${v.name.replace(/[^A-Za-z0-9._-]+/g, '_')}-disk${j + 1}.vmdk`));
        const sizes = vms.flatMap((v) => v.disks.map((d) => Math.round((d.actualSizeBytes ?? d.virtualSizeBytes / 4) * 0.6)));
        // A file named like 'disk-full.ova' runs out of space half-way through the first disk.
        const diskFull = name.includes('disk-full');
        const steps = [
          ...vms.flatMap((v) => v.disks.map((_, j) => ({ phase: `converting ${v.name}: disk ${j + 1}`, ms: 1200 / disks.length }))),
          ...(manifest !== 'none' ? [{ phase: 'computing the manifest', ms: 300 }] : []),
          { phase: ext === 'ova' ? 'writing the archive' : 'writing the files', ms: 400 },
          { phase: 'checking the appliance', ms: 200 },
        ];
        const run = diskFull ? [{ ...steps[0]!, ms: steps[0]!.ms / 2 }] : steps;
        return this.task('appliance.export', null, ctx.signal, (f, _m, phase) => ctx.progress({ fraction: diskFull ? f / (2 * steps.length) : f, ...(phase ? { message: phase } : {}) }), run, () => {
          if (diskFull) throw new HangarError('DISK_FULL', `not enough space in ${folder} for ${disks[0]}: ${(sizes[0]! / GiB).toFixed(1)} GiB needed, 0.4 GiB free`);
          if (fileExists(file)) throw new HangarError('ALREADY_EXISTS', `${file} already exists: choose another name or remove it first`);
          const total = sizes.reduce((a, b) => a + b, 0) + 8192;
          const listing = (FILES[folder] ??= []);
          let files: string[];
          if (ext === 'ova') {
            listing.push({ name, size: total });
            files = [file];
          } else {
            const extra = [...disks.map((d, j) => ({ name: d, size: sizes[j]! })), ...(manifest !== 'none' ? [{ name: `${stem}.mf`, size: 300 }] : []), { name, size: 7900 }];
            listing.push(...extra);
            files = extra.map((x) => `${folder === '/' ? '' : folder}/${x.name}`);
          }
          return { file, sizeBytes: total, manifest, machines: vms.map((v) => v.name), files, warnings };
        });
      },
      'appliance.review': async ({ path }) => {
        await this.wait(250);
        return mockReview(path, HOME, (n) => this.vms.some((v) => v.name.toLowerCase() === n.toLowerCase()));
      },
      'appliance.import': async ({ path, machines: edits }, ctx) => {
        const review = mockReview(path, HOME, (n) => this.vms.some((v) => v.name.toLowerCase() === n.toLowerCase()));
        if (edits.length > review.machines.length) throw new HangarError('INVALID_INPUT', `the appliance has ${review.machines.length} machines, the edits name ${edits.length}`);
        // Checked as the owner checks them, before anything is written.
        const planned = review.machines.map((m, i) => {
          const plan = applyEdits(m, edits[i]);
          const id = uuid();
          const diskPaths = plan.disks.filter((d) => d.include).map((_, j) => `${HOME}/VMs/${id}/disks/disk${j}.qcow2`);
          const macs = plan.nics.map((n, j) => (edits[i]?.macPolicy === 'keep' && n.mac ? n.mac : mac((this.vms.length * 8 + j) % 200 + 48)));
          const config = configFromPlan(plan, { id, diskPaths, isoPaths: plan.opticals.map(() => null), macs });
          this.nameFree(config.name);
          return { plan, config };
        });
        const steps = [
          ...planned.flatMap(({ plan }) => plan.disks.filter((d) => d.include).map((d) => ({ phase: d.file ? `importing ${d.file.href}` : `creating the empty disk ${d.diskId}`, ms: d.file ? 1300 / planned.length : 150 }))),
          { phase: 'registering', ms: 200 },
        ];
        // disk-full.ova runs out of space half-way through its first disk.
        const diskFull = path.endsWith('/disk-full.ova');
        const run = diskFull ? [{ ...steps[0]!, ms: steps[0]!.ms / 2 }] : steps;
        return this.task('vm.import', null, ctx.signal, (f, _m, phase) => ctx.progress({ fraction: diskFull ? f / 4 : f, ...(phase ? { message: phase } : {}) }), run, () => {
          if (diskFull) throw new HangarError('DISK_FULL', `not enough space in ${HOME}/VMs for ${review.machines[0]!.disks[0]?.file?.href ?? 'the disk'}: 25 GiB needed, 3.2 GiB free`);
          const created = planned.map(({ plan, config }) => {
            this.nameFree(config.name);
            const vm: MockVm = {
              id: config.id,
              name: config.name,
              state: 'stopped',
              osType: config.osType,
              description: config.description,
              cpus: config.system.cpus,
              memoryMiB: config.system.memoryMiB,
              firmware: config.firmware.type,
              accel: 'auto',
              nested: false,
              disks: config.disks.map((d, j) => {
                const source = plan.disks.filter((x) => x.include)[j]!;
                return { id: d.id, bus: d.bus, path: d.path, format: 'qcow2', virtualSizeBytes: source.capacityBytes || GiB, actualSizeBytes: source.file?.sizeBytes ?? 0, chain: [d.path] };
              }),
              opticals: config.opticals.map((o) => ({ id: o.id, bus: o.bus, path: o.path })),
              nics: config.nics.map((n) => ({ id: n.id, model: n.model, mac: n.mac, forwards: [] })),
              createdAt: new Date().toISOString(),
              console: '',
              snap: { snapshots: [], currentSnapshotId: null, dirty: false },
            };
            this.vms.push(vm);
            this.broadcast('inventory.changed', { id: vm.id });
            return this.details(vm);
          });
          return { vms: created };
        });
      },
      'vm.removeDisk': async ({ ref, diskId, deleteImage }) => {
        const vm = this.find(ref);
        if (vm.state !== 'stopped' && vm.state !== 'aborted') throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: stop it before removing a disk`);
        const disk = vm.disks.find((d) => d.id === diskId);
        if (!disk) throw new HangarError('NOT_FOUND', `VM '${vm.name}' has no disk '${diskId}'`);
        vm.disks = vm.disks.filter((d) => d !== disk);
        this.broadcast('inventory.changed', { id: vm.id });
        return { id: vm.id, diskId, deletedFiles: deleteImage ? [disk.path] : [], keptFiles: deleteImage ? [] : [disk.path] };
      },
      'vm.promote': async ({ ref }, ctx) => {
        const vm = this.find(ref);
        if (!vm.linkedTo) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is not a linked clone`);
        return this.task('vm.promote', vm, ctx.signal, (f) => ctx.progress({ fraction: f }), [{ phase: 'copying the data it was based on', ms: 1200 }], () => {
          delete vm.linkedTo;
          this.broadcast('inventory.changed', { id: vm.id });
          return this.details(vm);
        });
      },
      'tasks.list': async ({ limit }) => ({ tasks: this.tasks.slice(0, limit) }),
      'task.cancel': async ({ id }) => {
        const ac = this.running.get(id);
        if (!ac) throw new HangarError('NOT_FOUND', `no running task '${id}'`);
        ac.abort();
        return null;
      },
      'owner.handover': async () => ({ pid: 4242 }),
      'owner.shutdown': async () => ({ stoppedVms: [] }),
    };
  }

  /** An endpoint whose every open() is a fresh in-page connection to this owner. */
  endpoint(): Endpoint & { drop(): void } {
    let current: { close(): void } | null = null;
    return {
      kind: 'mock',
      reconnect: true,
      open: async () => {
        const [client, server] = createTransportPair();
        const conn = serve(hangarApi, this.handlers(), server, {
          onConnection: (c) => {
            this.connections.add(c);
            c.resources.add(
              toDisposable(() => {
                this.connections.delete(c);
                this.consoleSubs.delete(c);
              }),
            );
          },
        });
        server.onClose(() => conn.dispose());
        current = client;
        return client;
      },
      displayTarget: (path) => {
        const vm = this.vms.find((v) => path.endsWith(v.id));
        return new FakeVncChannel(vm?.name ?? 'unknown');
      },
      drop: () => current?.close(),
    };
  }
}

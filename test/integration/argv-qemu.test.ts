// The installed QEMU accepts what buildQemuLaunch builds: for each config, real image files, the real
// qemu-system-x86_64 with the built argv and env (paused by -S), then QMP says it is alive and has
// every device we asked for. TCG only: KVM is not usable on every test host.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildQemuLaunch, type HostFacts, type RunPaths } from '../../src-vmm/qemu/argv.js';
import type { Disk, Nic, VmConfig } from '../../src-vmm/model/index.js';

const QEMU = 'qemu-system-x86_64';
const OVMF = { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' };
const OVMF_SB = { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' };
const START_TIMEOUT_MS = 20_000;

function qemuVersion(): string {
  const out = execFileSync(QEMU, ['--version'], { encoding: 'utf8' });
  const m = /version (\d+\.\d+\.\d+)/.exec(out);
  assert.ok(m, `cannot read the version from: ${out}`);
  return m[1]!;
}

function which(cmd: string): string {
  return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
}

/** A host TCP port nobody listens on right now, for a forward that QEMU will bind. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Just enough QMP for this test: greeting, capabilities, one command at a time. */
class TinyQmp {
  private buf = '';
  private waiters: ((msg: Record<string, unknown>) => void)[] = [];
  private queue: Record<string, unknown>[] = [];

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        const w = this.waiters.shift();
        if (w) w(msg);
        else this.queue.push(msg);
      }
    });
  }

  static async open(path: string): Promise<TinyQmp> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path, () => resolve(s));
      s.once('error', reject);
    });
    const qmp = new TinyQmp(sock);
    const greeting = await qmp.next();
    assert.ok('QMP' in greeting, `no QMP greeting: ${JSON.stringify(greeting)}`);
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  private next(): Promise<Record<string, unknown>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const onClose = () => reject(new Error('QMP connection closed'));
      this.sock.once('close', onClose);
      this.waiters.push((m) => {
        this.sock.off('close', onClose);
        resolve(m);
      });
    });
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    const reply = await this.next();
    if ('error' in reply) throw new Error(`${command}: ${JSON.stringify(reply.error)}`);
    return reply.return;
  }

  close(): void {
    this.sock.destroy();
  }
}

describe('QEMU accepts the built command line', () => {
  let root: string;
  let host: HostFacts;
  const running = new Set<ChildProcess>();
  const sockets = new Set<TinyQmp>();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hangar-argv-'));
    host = {
      qemuBinary: which(QEMU),
      qemuVersion: qemuVersion(),
      accel: 'tcg',
      ovmf: OVMF,
      ovmfSecureBoot: OVMF_SB,
      virtiofsd: { binary: '/usr/lib/qemu/virtiofsd' },
      swtpm: { binary: which('swtpm') },
    };
  });

  afterEach(async () => {
    for (const q of sockets) q.close();
    sockets.clear();
    await Promise.all([...running].map(stop));
  });

  after(async () => {
    await Promise.all([...running].map(stop));
    rmSync(root, { recursive: true, force: true });
  });

  function stop(child: ChildProcess): Promise<void> {
    running.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** A folder for one case, with a run folder and image files as the config needs them. */
  function caseDir(name: string): { dir: string; paths: RunPaths } {
    const dir = join(root, name);
    const runDir = join(dir, 'run');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    return {
      dir,
      paths: {
        runDir,
        qmpSocket: join(runDir, 'qmp.sock'),
        serialSocket: join(runDir, 'serial.sock'),
        vncSocket: join(runDir, 'vnc.sock'),
        agentSocket: join(runDir, 'qga.sock'),
        pidFile: join(runDir, 'qemu.pid'),
        nvramFile: join(dir, 'nvram.fd'),
        tpmStateDir: join(dir, 'tpm'),
        tpmLog: join(dir, 'swtpm.log'),
        incoming: false,
      },
    };
  }

  function image(dir: string, file: string, format: Disk['format'] = 'qcow2'): string {
    const path = join(dir, file);
    execFileSync('qemu-img', ['create', '-q', '-f', format, path, '64M']);
    return path;
  }

  /** Stands in for an ISO: QEMU opens a CD image as raw bytes and does not look inside before boot. */
  function iso(dir: string, file: string): string {
    const path = join(dir, file);
    writeFileSync(path, Buffer.alloc(2 << 20));
    return path;
  }

  let macCounter = 0;
  const nic = (id: string, model: Nic['model'], forwards: Nic['forwards'] = []): Nic => ({
    id,
    model,
    mac: `0a:48:47:00:00:${(++macCounter).toString(16).padStart(2, '0')}`,
    forwards,
  });

  function config(name: string, over: Partial<VmConfig>): VmConfig {
    return {
      schemaVersion: 1,
      id: '5d2a8f3e-4b6c-4d7e-8f90-a1b2c3d4e5f6',
      name,
      osType: 'linux',
      description: '',
      system: { chipset: 'pc', cpus: 1, memoryMiB: 128, accel: 'auto' },
      firmware: { type: 'bios' },
      disks: [],
      opticals: [],
      nics: [],
      display: { vga: 'std', vnc: true },
      serial: { enabled: true },
      features: { nested: false },
      boot: { order: ['disk', 'optical'] },
      ...over,
    };
  }

  /**
   * Starts QEMU with the built launch, waits for the QMP socket, checks the process is still alive
   * once it is there, and checks the run state and the devices over QMP.
   */
  async function launch(c: VmConfig, paths: RunPaths): Promise<{ qmp: TinyQmp; status: string; devices: Set<string> }> {
    const l = buildQemuLaunch(c, host, paths);
    // The helpers the VM's host would start first (read-only binds left out: the folders are the test's).
    for (const hl of l.helpers) {
      const helper = spawn(hl.binary, hl.argv, { stdio: 'ignore', ...(hl.cwd ? { cwd: hl.cwd } : {}) });
      running.add(helper);
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!existsSync(hl.socket)) {
        assert.ok(Date.now() < deadline && helper.exitCode === null, `${hl.label} did not open ${hl.socket}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    for (const f of l.files) {
      if (f.role.startsWith('disk:') || f.role.startsWith('optical:') || f.role === 'firmware-code' || f.role === 'nvram') {
        assert.ok(existsSync(f.path), `${f.role} ${f.path} should exist before the launch`);
      }
    }
    const child = spawn(l.binary, l.argv, { env: l.env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`QEMU exited (${code ?? signal}) before its QMP socket appeared: ${stderr.trim()}`)));
    const socketUp = (async () => {
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!existsSync(paths.qmpSocket)) {
        if (Date.now() > deadline) return `no QMP socket after ${START_TIMEOUT_MS} ms: ${stderr.trim()}`;
        if (child.exitCode !== null || child.signalCode !== null) return `QEMU exited: ${stderr.trim()}`;
        await new Promise((r) => setTimeout(r, 25));
      }
      return 'up';
    })();
    const outcome = await Promise.race([socketUp, exited]);
    assert.equal(outcome, 'up');
    assert.ok(statSync(paths.qmpSocket).isSocket());
    // The socket exists from the time QEMU parses -chardev; devices are created after that, and a
    // device QEMU refuses ends the process then. QMP answers only once the machine is built.
    const opened = await Promise.race([TinyQmp.open(paths.qmpSocket).catch((e: Error) => e), exited]);
    if (!(opened instanceof TinyQmp)) assert.fail(typeof opened === 'string' ? opened : `QMP: ${opened.message}; QEMU: ${stderr.trim()}`);
    const qmp = opened;
    sockets.add(qmp);
    const { status } = (await qmp.execute('query-status')) as { status: string };
    assert.equal(child.exitCode, null, `QEMU ended: ${stderr}`);
    assert.equal(child.signalCode, null, `QEMU ended: ${stderr}`);
    const peripherals = (await qmp.execute('qom-list', { path: '/machine/peripheral' })) as { name: string }[];
    // Each disk's format node is read-only exactly when the config says so; every ISO is read-only.
    const nodes = (await qmp.execute('query-named-block-nodes', { flat: true })) as { 'node-name': string; ro: boolean }[];
    const ro = new Map(nodes.map((n) => [n['node-name'], n.ro]));
    for (const d of c.disks) assert.equal(ro.get(`${d.id}_fmt`), d.readOnly, `disk ${d.id} read-only`);
    for (const o of c.opticals) if (o.path !== null) assert.equal(ro.get(`${o.id}_fmt`), true, `optical ${o.id} read-only`);
    assert.equal(stderr.trim(), '', 'QEMU printed nothing on stderr (no warnings)');
    return { qmp, status, devices: new Set(peripherals.map((p) => p.name)) };
  }

  function assertDevices(devices: Set<string>, ids: string[]): void {
    for (const id of ids) assert.ok(devices.has(id), `QEMU has no device '${id}' (has: ${[...devices].join(', ')})`);
  }

  test('virtio disk in every image format, virtio NIC with forwards, VNC (pc, BIOS)', async () => {
    const { dir, paths } = caseDir('virtio');
    const formats: Disk['format'][] = ['qcow2', 'raw', 'vmdk', 'vdi', 'vhdx', 'vpc'];
    const disks: Disk[] = formats.map((format, i) => ({ id: `disk${i}`, bus: 'virtio', path: image(dir, `disk${i}.${format}`, format), format, readOnly: format === 'vpc' }));
    const [tcp, udp] = [await freePort(), await freePort()];
    const c = config('virtio', {
      disks,
      nics: [nic('net0', 'virtio', [
        { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: tcp, guestPort: 22 },
        { protocol: 'udp', hostAddress: '127.0.0.1', hostPort: udp, guestPort: 53 },
      ])],
    });
    const { status, devices } = await launch(c, paths);
    assert.equal(status, 'prelaunch', '-S keeps the CPUs stopped');
    assertDevices(devices, [...disks.map((d) => d.id), 'net0', 'video_0', 'xhci_0', 'tablet_0', 'serial_0', 'vserial_0', 'qga_0']);
    assert.ok(statSync(paths.agentSocket).isSocket(), "the guest agent's channel listens on its unix socket");
    assert.ok(statSync(paths.vncSocket).isSocket(), 'VNC listens on its unix socket');
    assert.ok(statSync(paths.serialSocket).isSocket(), 'the serial port listens on its unix socket');
    // The forward is bound on the host: a second bind of the same port fails.
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(tcp, '127.0.0.1', () => srv.close(() => resolve()));
      }),
      /EADDRINUSE/,
    );
  });

  test('SATA on pc (added AHCI) with a CD-ROM holding an ISO, e1000', async () => {
    const { dir, paths } = caseDir('sata-pc');
    const c = config('sata-pc', {
      disks: [
        { id: 'disk0', bus: 'sata', path: image(dir, 'disk0.qcow2'), format: 'qcow2', readOnly: false },
        { id: 'disk1', bus: 'sata', path: image(dir, 'disk1.qcow2'), format: 'qcow2', readOnly: false },
      ],
      opticals: [{ id: 'cd0', bus: 'sata', path: iso(dir, 'install.iso') }],
      nics: [nic('net0', 'e1000')],
    });
    const { qmp, devices } = await launch(c, paths);
    assertDevices(devices, ['ahci_0', 'disk0', 'disk1', 'cd0', 'net0']);
    const blocks = (await qmp.execute('query-block')) as { qdev?: string; inserted?: { file: string } }[];
    const cd = blocks.find((b) => b.qdev === 'cd0' || b.qdev?.includes('/cd0/'));
    assert.ok(cd?.inserted, 'the ISO is in the drive');
  });

  test('SATA on q35 (built-in AHCI) with an empty CD-ROM, e1000e', async () => {
    const { dir, paths } = caseDir('sata-q35');
    const c = config('sata-q35', {
      system: { chipset: 'q35', cpus: 2, memoryMiB: 128, accel: 'auto' },
      disks: [{ id: 'disk0', bus: 'sata', path: image(dir, 'disk0.qcow2'), format: 'qcow2', readOnly: false }],
      opticals: [{ id: 'cd0', bus: 'sata', path: null }],
      nics: [nic('net0', 'e1000e')],
      boot: { order: ['optical', 'disk', 'network'] },
    });
    const { qmp, devices } = await launch(c, paths);
    assertDevices(devices, ['disk0', 'cd0', 'net0']);
    const blocks = (await qmp.execute('query-block')) as { qdev?: string; inserted?: unknown }[];
    const cd = blocks.find((b) => b.qdev === 'cd0' || b.qdev?.includes('/cd0/'));
    assert.ok(cd, 'the empty drive exists');
    assert.equal(cd.inserted, undefined, 'and has no medium');
  });

  test('SCSI disks (one read-only) and a SCSI CD-ROM on virtio-scsi, rtl8139', async () => {
    const { dir, paths } = caseDir('scsi');
    const c = config('scsi', {
      disks: [
        { id: 'disk0', bus: 'scsi', path: image(dir, 'disk0.qcow2'), format: 'qcow2', readOnly: false },
        { id: 'base', bus: 'scsi', path: image(dir, 'base.raw', 'raw'), format: 'raw', readOnly: true },
      ],
      opticals: [{ id: 'cd0', bus: 'scsi', path: iso(dir, 'x.iso') }],
      nics: [nic('net0', 'rtl8139')],
    });
    const { devices } = await launch(c, paths);
    assertDevices(devices, ['scsi_0', 'disk0', 'base', 'cd0', 'net0']);
  });

  test('NVMe disks (with a long id) on q35, vmxnet3', async () => {
    const { dir, paths } = caseDir('nvme');
    const c = config('nvme', {
      system: { chipset: 'q35', cpus: 1, memoryMiB: 128, accel: 'auto' },
      disks: [
        { id: 'disk0', bus: 'nvme', path: image(dir, 'disk0.qcow2'), format: 'qcow2', readOnly: false },
        { id: 'a-rather-long-disk-id-24', bus: 'nvme', path: image(dir, 'long.qcow2'), format: 'qcow2', readOnly: false },
      ],
      nics: [nic('net0', 'vmxnet3')],
    });
    const { devices } = await launch(c, paths);
    assertDevices(devices, ['disk0', 'a-rather-long-disk-id-24', 'net0']);
  });

  test('four IDE devices on pc (two disks, an ISO, an empty drive), pcnet, cirrus', async () => {
    const { dir, paths } = caseDir('ide');
    const c = config('ide', {
      disks: [
        { id: 'disk0', bus: 'ide', path: image(dir, 'disk0.qcow2'), format: 'qcow2', readOnly: false },
        { id: 'disk1', bus: 'ide', path: image(dir, 'disk1.qcow2'), format: 'qcow2', readOnly: false },
      ],
      opticals: [
        { id: 'cd0', bus: 'ide', path: iso(dir, 'a.iso') },
        { id: 'cd1', bus: 'ide', path: null },
      ],
      nics: [nic('net0', 'pcnet')],
      display: { vga: 'cirrus', vnc: false },
    });
    const { devices } = await launch(c, paths);
    assertDevices(devices, ['disk0', 'disk1', 'cd0', 'cd1', 'net0', 'video_0']);
    assert.ok(!existsSync(paths.vncSocket), 'no VNC when the VM does not want it');
  });

  test('UEFI on q35 with a copy of OVMF’s variable store, virtio-gpu, VNC', async () => {
    const { dir, paths } = caseDir('uefi');
    copyFileSync(OVMF.vars, paths.nvramFile);
    const c = config('uefi', {
      system: { chipset: 'q35', cpus: 2, memoryMiB: 256, accel: 'auto' },
      firmware: { type: 'uefi' },
      disks: [{ id: 'disk0', bus: 'virtio', path: image(dir, 'disk0.qcow2'), format: 'qcow2', readOnly: false }],
      opticals: [{ id: 'cd0', bus: 'sata', path: iso(dir, 'install.iso') }],
      nics: [nic('net0', 'virtio')],
      display: { vga: 'virtio', vnc: true },
    });
    const { qmp, devices } = await launch(c, paths);
    assertDevices(devices, ['disk0', 'cd0', 'net0', 'video_0']);
    const nodes = (await qmp.execute('query-named-block-nodes', { flat: true })) as { 'node-name': string; ro: boolean; file: string }[];
    const code = nodes.find((n) => n['node-name'] === 'fw_code');
    const vars = nodes.find((n) => n['node-name'] === 'fw_vars');
    assert.equal(code?.ro, true, 'OVMF code is read-only');
    assert.equal(vars?.ro, false, 'the VM’s variable store is writable');
    assert.ok(vars?.file.includes(paths.nvramFile), 'and it is the VM’s own copy');
    assert.ok(statSync(paths.vncSocket).isSocket());
  });

  test('guest integration: Secure Boot firmware with SMM, a TPM 2.0 (swtpm), virtio-fs and 9p shares, the agent and clipboard channels', async () => {
    const { dir, paths } = caseDir('guest');
    copyFileSync(OVMF_SB.vars, paths.nvramFile);
    mkdirSync(paths.tpmStateDir, { recursive: true, mode: 0o700 });
    mkdirSync(dirname(paths.tpmLog), { recursive: true });
    for (const d of ['fs', 'p9']) mkdirSync(join(dir, d));
    const c = config('guest', {
      system: { chipset: 'q35', cpus: 1, memoryMiB: 256, accel: 'auto' },
      firmware: { type: 'uefi', secureBoot: true },
      tpm: { version: '2.0' },
      display: { vga: 'virtio', vnc: true, clipboard: true },
      shares: [
        { tag: 'fs', hostPath: join(dir, 'fs'), readOnly: false, mode: 'virtiofs' },
        { tag: 'p9', hostPath: join(dir, 'p9'), readOnly: true, mode: '9p' },
      ],
    });
    const { qmp, devices } = await launch(c, paths);
    assertDevices(devices, ['tpm_0', 'fs_0_dev', 'p9_1_dev', 'vserial_0', 'qga_0', 'vdagent_0']);
    const tpm = (await qmp.execute('query-tpm')) as { id: string; model: string; options: { type: string } }[];
    assert.deepEqual(tpm.map((t) => [t.id, t.model, t.options.type]), [['tpm0', 'tpm-crb', 'emulator']]);
    const nodes = (await qmp.execute('query-named-block-nodes', { flat: true })) as { 'node-name': string; file: string }[];
    assert.ok(nodes.find((n) => n['node-name'] === 'fw_code')?.file.endsWith('OVMF_CODE_4M.ms.fd'), 'the Secure Boot build of OVMF');
  });

  test('commas, quotes and "=" in the name and paths; headless; waiting for an incoming state', async () => {
    const { dir } = caseDir('commas');
    const odd = join(dir, 'a,b=c "d"');
    const runDir = join(odd, 'run');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const paths: RunPaths = {
      runDir,
      qmpSocket: join(runDir, 'qmp.sock'),
      serialSocket: join(runDir, 's,1.sock'),
      vncSocket: join(runDir, 'v=1.sock'),
      agentSocket: join(runDir, 'q,ga=1.sock'),
      pidFile: join(runDir, 'qemu,pid'),
      nvramFile: join(odd, 'nvram.fd'),
      tpmStateDir: join(odd, 'tpm'),
      tpmLog: join(odd, 'swtpm.log'),
      incoming: true,
    };
    const c = config('web, db "prod" ünïcode=1', {
      disks: [{ id: 'disk0', bus: 'virtio', path: image(odd, 'disk,0.qcow2'), format: 'qcow2', readOnly: false }],
      display: { vga: 'none', vnc: true },
    });
    const { qmp, status, devices } = await launch(c, paths);
    assert.equal(status, 'inmigrate', '-incoming defer waits for migrate-incoming');
    assertDevices(devices, ['disk0', 'serial_0']);
    assert.ok(!devices.has('video_0') && !devices.has('xhci_0'), 'headless: no display, no USB tablet');
    assert.ok(!existsSync(paths.vncSocket), 'no VNC without a display adapter');
    const { name } = (await qmp.execute('query-name')) as { name: string };
    assert.equal(name, c.name);
    assert.ok(existsSync(paths.pidFile), 'the pid file is where we said');
    assert.ok(statSync(paths.serialSocket).isSocket(), 'the serial socket is where we said');
    assert.ok(statSync(paths.agentSocket).isSocket(), "the guest agent's socket is where we said");
  });
});

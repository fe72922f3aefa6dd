// The tiny test guests themselves (test/fixtures/build-guest.sh), booted with raw QEMU under TCG:
// the ISO as a CD-ROM, and the qcow2 disk on virtio with the serial shell, the vfat mount, DHCP and
// an ACPI power-off over QMP. No Hangar code is involved: if these fail, every other guest test will.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureGuest, GUEST_DISK, GUEST_NET, GUEST_POWERDOWN, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';
import { fixturesDir, repoRoot, testOutputDir } from '../helpers/paths.js';
import { readBytes } from '../helpers/images.node.js';

const READY_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 30_000;
const BASE_ARGS = ['-machine', 'pc', '-accel', 'tcg', '-m', '256', '-nodefaults', '-display', 'none', '-no-reboot', '-serial', 'stdio'];
const buildScript = join(repoRoot, 'test', 'fixtures', 'build-guest.sh');

/** A QEMU process whose serial port is its stdio. */
class SerialVm {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly spawnedAt = performance.now();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  serial = '';
  stderr = '';
  private readonly waiters = new Set<() => void>();

  constructor(readonly name: string, args: string[]) {
    this.proc = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdin.on('error', () => {}); // EPIPE once QEMU is gone; exits are asserted elsewhere
    this.proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.serial += chunk;
      for (const w of [...this.waiters]) w();
    });
    this.proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const w of [...this.waiters]) w();
    });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits for `pattern` in the serial output after character `from`. */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(this.serial.slice(from));
        if (m) return done(() => resolve(m));
        if (!this.running) {
          done(() => reject(new Error(`${this.name}: QEMU exited before ${pattern} appeared. stderr: ${this.stderr.trim()}\nserial:\n${this.serial.slice(-2000)}`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${this.name}: no ${pattern} on serial within ${timeoutMs} ms. serial:\n${this.serial.slice(-2000)}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Types one line into the guest shell and waits for `expect` in what follows. */
  async run(command: string, expect: RegExp): Promise<RegExpExecArray> {
    const from = this.serial.length;
    this.proc.stdin.write(`${command}\n`);
    return this.waitFor(expect, STEP_TIMEOUT_MS, from);
  }

  secondsSinceSpawn(): string {
    return ((performance.now() - this.spawnedAt) / 1000).toFixed(1);
  }

  async kill(): Promise<void> {
    if (this.running) this.proc.kill('SIGKILL');
    await this.exited;
  }

  saveSerial(): void {
    mkdirSync(testOutputDir, { recursive: true });
    writeFileSync(join(testOutputDir, `fixtures-${this.name}.serial.log`), this.serial);
  }
}

/** Just enough QMP to send commands and collect events, over a unix socket. */
class QmpLink {
  private buffer = '';
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  private greeted!: () => void;
  readonly greeting = new Promise<void>((resolve) => (this.greeted = resolve));
  readonly events: string[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    socket.on('error', (e) => this.pending?.reject(e));
    socket.on('close', () => this.pending?.reject(new Error('QMP connection closed')));
  }

  static async connect(path: string): Promise<QmpLink> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const link = new QmpLink(socket);
    await link.greeting;
    await link.execute('qmp_capabilities');
    return link;
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) return this.greeted();
    if (typeof msg.event === 'string') {
      this.events.push(msg.event);
      return;
    }
    const p = this.pending;
    this.pending = undefined;
    if ('error' in msg) p?.reject(new Error(`QMP error: ${JSON.stringify(msg.error)}`));
    else p?.resolve(msg.return);
  }

  execute(command: string): Promise<unknown> {
    assert.equal(this.pending, undefined, 'one QMP command at a time');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(`${JSON.stringify({ execute: command })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}


describe('test guests (test/fixtures)', () => {
  const guest = fixtureGuest();
  const tmp = mkdtempSync(join(tmpdir(), 'hangar-fixtures-'));
  const vms: SerialVm[] = [];
  const links: QmpLink[] = [];
  const boot = (name: string, args: string[]) => {
    const vm = new SerialVm(name, [...BASE_ARGS, ...args]);
    vms.push(vm);
    return vm;
  };

  after(async () => {
    for (const link of links) link.close();
    for (const vm of vms) {
      await vm.kill();
      vm.saveSerial();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('a second build run finds its cache fresh and returns at once', () => {
    const before = statSync(join(fixturesDir, 'manifest.json')).mtimeMs;
    const r = spawnSync('bash', [buildScript], { encoding: 'utf8', env: { ...process.env, HANGAR_FIXTURES: fixturesDir } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /cache is fresh/, `the fixtures were stale and got rebuilt: ${r.stdout}`);
    assert.equal(statSync(join(fixturesDir, 'manifest.json')).mtimeMs, before, 'nothing was written');
  });

  test('a missing tool fails the build with one line naming the packages', () => {
    // A PATH with every usual command except xorriso and mcopy.
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    const taken = new Set(['xorriso', 'mcopy']);
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (taken.has(name)) continue;
        taken.add(name);
        symlinkSync(join(dir, name), join(bin, name));
      }
    }
    const out = join(tmp, 'empty-cache');
    const r = spawnSync('/bin/bash', [buildScript], { encoding: 'utf8', env: { ...process.env, PATH: bin, HANGAR_FIXTURES: out } });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(r.stderr, /missing tools from the Debian packages mtools xorriso; .*apt-get install .*busybox-static xorriso isolinux/);
    assert.deepEqual(readdirSync(out).filter((f) => !f.startsWith('.')), [], 'nothing downloaded or built');
  });

  test('artefacts: a bootable hybrid ISO and a 64 MiB qcow2 disk', () => {
    assert.match(guest.kernelVersion, /^\d+\.\d+\.\d+-\d+-amd64$/);
    const mbr = readBytes(guest.iso, 0, 512);
    assert.equal(mbr.readUInt16LE(510), 0xaa55, 'isohybrid MBR signature');
    assert.equal(readBytes(guest.iso, 0x8001, 5).toString('latin1'), 'CD001');
    assert.equal(readBytes(guest.iso, 0x8801, 5).toString('latin1'), 'CD001', 'boot record volume descriptor');
    assert.equal(readBytes(guest.iso, 0x8807, 23).toString('latin1'), 'EL TORITO SPECIFICATION');
    const info = spawnSync('qemu-img', ['info', '--output=json', guest.disk], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    const json = JSON.parse(info.stdout) as { format: string; 'virtual-size': number };
    assert.equal(json.format, 'qcow2');
    assert.equal(json['virtual-size'], 64 * 1024 * 1024);
  });

  test('(a) the ISO boots from an IDE CD-ROM to READY and a shell', { timeout: 180_000 }, async (t) => {
    const vm = boot('iso-cdrom', ['-cdrom', guest.iso]);
    const ready = await vm.waitFor(/TESTGUEST READY kernel=(\S+) mem=(\d+)kB disks=(\S*)\r?\n/, READY_TIMEOUT_MS);
    t.diagnostic(`${GUEST_READY} after ${vm.secondsSinceSpawn()} s (TCG, -cdrom)`);
    assert.equal(ready[1], guest.kernelVersion);
    assert.ok(Number(ready[2]) > 150_000 && Number(ready[2]) <= 256 * 1024, `mem=${ready[2]}`);
    assert.deepEqual(ready[3]?.split(','), ['sr0']);
    await vm.waitFor(new RegExp(GUEST_PROMPT), STEP_TIMEOUT_MS);
    await vm.run('cat /proc/cmdline', /BOOT_IMAGE=\S+ initrd=\S+ console=ttyS0,115200 quiet\r?\n/);
    // The shell comes back after it exits. Input typed before the new shell's prompt is lost (the
    // old session's hangup flushes the tty), so wait for the new banner and prompt.
    await vm.run('exit', new RegExp(`built-in shell \\(ash\\)[\\s\\S]*${GUEST_PROMPT}`));
    await vm.run('echo again-$((1+1))', /^again-2\r?$/m);
    vm.proc.stdin.write('poweroff -f\n');
    assert.deepEqual(await vm.exited, { code: 0, signal: null });
  });

  test('(b) the qcow2 disk boots on virtio: shell, vfat mount, DHCP, ACPI power-off over QMP', { timeout: 240_000 }, async (t) => {
    const overlay = join(tmp, 'disk.qcow2');
    const created = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', guest.disk, '-F', 'qcow2', overlay], { encoding: 'utf8' });
    assert.equal(created.status, 0, created.stderr);
    const qmpPath = join(tmp, 'qmp.sock');
    const vm = boot('disk-virtio', [
      '-drive', `file=${overlay},format=qcow2,if=virtio`,
      '-nic', 'user,model=virtio-net-pci',
      '-qmp', `unix:${qmpPath},server=on,wait=off`,
    ]);
    const ready = await vm.waitFor(/TESTGUEST READY kernel=(\S+) mem=(\d+)kB disks=(\S*)\r?\n/, READY_TIMEOUT_MS);
    t.diagnostic(`${GUEST_READY} after ${vm.secondsSinceSpawn()} s (TCG, virtio disk)`);
    assert.deepEqual(ready[3]?.split(','), ['vda']);
    await vm.waitFor(new RegExp(`${GUEST_DISK} vda1 mounted at /mnt/disk`), STEP_TIMEOUT_MS);
    await vm.waitFor(new RegExp(GUEST_PROMPT), STEP_TIMEOUT_MS);

    await vm.run('echo $((6*7))', /^42\r?$/m);
    // The command line holds $((20+1)), the output 21: a match is the output, not the echo.
    await vm.run('echo probe-$((20+1)) > /mnt/disk/probe.txt && sync && cat /mnt/disk/probe.txt', /^probe-21\r?$/m);
    const net = await vm.waitFor(new RegExp(`${GUEST_NET} (\\d+\\.\\d+\\.\\d+\\.\\d+)\\r?\\n`), STEP_TIMEOUT_MS);
    assert.equal(net[1], '10.0.2.15', 'the address QEMU user networking hands out first');
    await vm.run('ip route', /^default via 10\.0\.2\.2 dev eth0/m);

    const qmp = await QmpLink.connect(qmpPath);
    links.push(qmp);
    const pressedAt = performance.now();
    await qmp.execute('system_powerdown');
    await vm.waitFor(new RegExp(GUEST_POWERDOWN), STEP_TIMEOUT_MS);
    assert.deepEqual(await vm.exited, { code: 0, signal: null });
    t.diagnostic(`system_powerdown to exit: ${Math.round(performance.now() - pressedAt)} ms`);
    assert.ok(qmp.events.includes('POWERDOWN'), `events: ${qmp.events.join(', ')}`);

    // The file reached the disk image: read it back from the overlay with mtools.
    const raw = join(tmp, 'disk.raw');
    const converted = spawnSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', overlay, raw], { encoding: 'utf8' });
    assert.equal(converted.status, 0, converted.stderr);
    const typed = spawnSync('mtype', ['-i', `${raw}@@1M`, '::/probe.txt'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    assert.equal(typed.status, 0, typed.stderr);
    assert.equal(typed.stdout.trim(), 'probe-21');
  });
});

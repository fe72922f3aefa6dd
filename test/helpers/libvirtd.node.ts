// A libvirt daemon of the test's own: Debian's libvirtd in system mode, in a private mount namespace
// whose libvirt folders are the test's (see libvirtd-sandbox.sh), listening only on a unix socket in a
// temporary folder, with a directory storage pool there. URI: qemu:///system?socket=<dir>/sock/libvirt-sock.
// Only the daemon's own pid is signalled; the domains it runs are destroyed through virsh first.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';
import { waitUntil } from './cli.node.js';

const run = promisify(execFile);

export interface LibvirtDaemon {
  dir: string;
  uri: string;
  socket: string;
  /** the storage pool the test made (a dir pool under dir/pool) */
  pool: string;
  /** a second pool of 4 MiB (a tmpfs only the daemon sees) */
  tinyPool: string;
  poolDir: string;
  pid(): number;
  virsh(args: string[], timeoutMs?: number): Promise<string>;
  /** kills the daemon (SIGKILL: a crash), leaving its domains running */
  kill(): Promise<void>;
  /** starts the daemon again on the same folders (it finds its running domains again) */
  restart(): Promise<void>;
  /** destroys and undefines every domain, stops the daemon and removes its folders */
  stop(): Promise<void>;
}

export interface LibvirtdOptions {
  /** the ports QEMU listens on for an incoming migration (qemu.conf migration_port_min/max): two daemons side by side get distinct ranges */
  migrationPorts?: [number, number];
}

export async function startLibvirtd(opts: LibvirtdOptions = {}): Promise<LibvirtDaemon> {
  // short: unix socket paths are limited to 107 bytes
  const dir = mkdtempSync(join(tmpdir(), 'lvd-'));
  chmodSync(dir, 0o755);
  const sockDir = join(dir, 'sock');
  const poolDir = join(dir, 'pool');
  for (const d of [join(dir, 'etc'), sockDir, poolDir]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(dir, 'etc', 'libvirtd.conf'),
    [
      `unix_sock_dir = "${sockDir}"`,
      'unix_sock_group = "root"',
      'unix_sock_ro_perms = "0700"',
      'unix_sock_rw_perms = "0700"',
      'unix_sock_admin_perms = "0700"',
      'auth_unix_ro = "none"',
      'auth_unix_rw = "none"',
      `log_outputs = "3:file:${join(dir, 'libvirtd.log')}"`,
      // a host of its own: libvirt refuses a migration between two daemons with the same host UUID ("the same host")
      `host_uuid = "${randomUUID()}"`,
      '',
    ].join('\n'),
  );
  // QEMU runs as root (the test's files need no relabelling) and writes its stdio to a file (no virtlogd)
  // An incoming migration's ports. (libvirt refuses a loopback migration_address or migration_host here: the
  // client says it, `virsh migrate --listen-address 127.0.0.1 --migrateuri tcp://127.0.0.1`.)
  const migration = [...(opts.migrationPorts ? [`migration_port_min = ${opts.migrationPorts[0]}`, `migration_port_max = ${opts.migrationPorts[1]}`] : [])];
  writeFileSync(join(dir, 'etc', 'qemu.conf'), ['user = "root"', 'group = "root"', 'dynamic_ownership = 0', 'security_driver = "none"', 'stdio_handler = "file"', ...migration, ''].join('\n'));
  const socket = join(sockDir, 'libvirt-sock');
  const uri = `qemu:///system?socket=${socket}`;
  const cache = join(tmpdir(), 'hangar-test-libvirt-cache');
  let child: ChildProcess | undefined;
  const virsh = async (args: string[], timeoutMs = 120_000) => (await run('virsh', ['-c', uri, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 })).stdout;
  const launch = async () => {
    rmSync(socket, { force: true });
    const c = spawn('unshare', ['-m', '--propagation', 'private', '--', 'bash', join(repoRoot, 'test', 'helpers', 'libvirtd-sandbox.sh'), dir, cache], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child = c;
    await waitUntil(`libvirtd to answer on ${socket}`, async () => {
      if (c.exitCode !== null) throw new Error(`libvirtd exited (${c.exitCode}): ${err}`);
      try {
        await virsh(['version'], 60_000);
        return true;
      } catch {
        return undefined;
      }
    }, 90_000, 300);
  };
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  await launch();
  const pool = 'hangar-test';
  await virsh(['pool-define-as', pool, 'dir', '--target', poolDir]);
  await virsh(['pool-start', pool]);
  const tinyPool = 'hangar-tiny';
  await virsh(['pool-define-as', tinyPool, 'dir', '--target', join(dir, 'tiny')]);
  await virsh(['pool-start', tinyPool]);
  return {
    dir,
    uri,
    socket,
    pool,
    tinyPool,
    poolDir,
    pid: () => child?.pid ?? -1,
    virsh,
    kill: async () => {
      if (!child) return;
      const c = child;
      c.kill('SIGKILL');
      await exited(c);
    },
    restart: launch,
    stop: async () => {
      try {
        const names = (await virsh(['list', '--all', '--name'])).split('\n').map((s) => s.trim()).filter(Boolean);
        for (const n of names) {
          await virsh(['destroy', n]).catch(() => undefined);
          await virsh(['undefine', n, '--snapshots-metadata', '--nvram']).catch(() => virsh(['undefine', n, '--snapshots-metadata']).catch(() => undefined));
        }
      } catch {
        /* the daemon is gone already */
      }
      if (child && child.exitCode === null && child.signalCode === null) {
        const c = child;
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await exited(c);
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The busybox test guest as a libvirt domain (TCG, its disk virtio, a serial console). cache='none' so
 * that libvirt lets it migrate with its disk where both hosts see it; `vnc`: with a VNC display on loopback.
 */
export function testDomainXml(name: string, disk: string, opts: { memoryMiB?: number; vnc?: boolean } = {}): string {
  const display = opts.vnc ? `\n    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>\n    <video><model type='vga'/></video>` : '';
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${opts.memoryMiB ?? 256}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>${display}
  </devices>
</domain>`;
}

// The interface preview: the real owner (startOwner) and the real web server on a temporary home,
// seeded through the real API with the VMs, snapshot trees, a linked clone, tasks and an appliance
// that the screenshots need. The one fake part is the VMM host (see test/helpers/fakeVmmHost.node.ts):
// no QEMU runs, a fake host pretends each started VM runs. Disk images, overlays, merges, clones,
// imports and exports are real qcow2/VMDK work done by the real qemu-img.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hangarApi, type HangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';
import { startOwner, type Owner } from '../../src-main/owner/owner.node.js';
import { startWebServer, type WebServer } from '../../src-main/web/server.node.js';
import { createClient, createTransportPair, type Client } from '../../src-vmm/base/rpc.js';
import { manifestText, tarUp, virtualboxOvf } from '../fixtures/appliances.node.js';
import { FakeHosts } from '../helpers/fakeVmmHost.node.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const DAY = 86_400_000;

export interface PreviewOptions {
  /** snapshots of the 'big-tree' VM (0: no such VM) */
  bigTree?: number;
  /** the web server's port (0: any free one) */
  port?: number;
  /** milliseconds a step of a fake long action takes once seeded (10 steps: a live snapshot's state) */
  stepMs?: number;
  /** progress lines while seeding */
  say?: (line: string) => void;
}

export interface Preview {
  /** the web mode address with its token */
  readonly url: string;
  /** the temporary folder holding the home and the user's files */
  readonly root: string;
  readonly home: string;
  /** the "user's" files: isos/, images/, appliances/ (what the file dialogs browse) */
  readonly files: string;
  readonly api: Client<HangarApi>;
  readonly hosts: FakeHosts;
  /** the appliance to import */
  readonly appliance: string;
  /** the ISO of 'alpine-test' (the screenshots remove it to show a failing start) */
  readonly alpineIso: string;
  /** the web server goes away (open pages lose their connection); the owner and VMs stay */
  stopServer(): void;
  /** the web server comes back on the same port with the same token */
  restartServer(): Promise<void>;
  dispose(): Promise<void>;
}

/** A sparse file that Hangar takes for an ISO (an ISO 9660 volume descriptor at 32 KiB). */
function fakeIso(path: string, sizeBytes: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.from('\x01CD001\x01', 'latin1'), 0, 7, 32768);
  } finally {
    closeSync(fd);
  }
  truncateSync(path, Math.round(sizeBytes));
}

/**
 * An appliance as VirtualBox exports one (the fixtures' VirtualBox dialect: OVF 1.0, a streamOptimized
 * VMDK, a SHA-256 manifest, ustar), made from a fresh 8 GiB disk with a few MiB written: the preview
 * never boots it, so it needs no test guest. Returns the .ova, made in `work` and kept in `into`.
 */
function virtualboxAppliance(work: string, into: string, name: string): string {
  mkdirSync(work, { recursive: true });
  const qcow = join(work, 'disk.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow, '8G']);
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -q -P 0x61 0 4M', qcow]);
  const disk = `${name}-disk001.vmdk`;
  execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'vmdk', '-o', 'subformat=streamOptimized', qcow, join(work, disk)]);
  const vmdk = readFileSync(join(work, disk));
  writeFileSync(join(work, `${name}.ovf`), virtualboxOvf(name, { href: disk, size: vmdk.length, capacity: 8 * GiB }, 1024));
  const members = [`${name}.ovf`, disk];
  writeFileSync(join(work, `${name}.mf`), manifestText('sha256', members.map((m) => ({ name: m, data: readFileSync(join(work, m)) })), 'virtualbox'));
  const ova = join(into, `${name}.ova`);
  tarUp(work, ova, [...members, `${name}.mf`], 'ustar');
  rmSync(work, { recursive: true, force: true });
  return ova;
}

/** A deterministic pseudo-random generator (mulberry32), as the old mock's big tree used. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startPreview(opts: PreviewOptions = {}): Promise<Preview> {
  const say = opts.say ?? (() => undefined);
  const root = mkdtempSync(join(tmpdir(), 'hangar-ui-preview-'));
  const home = join(root, 'hangar');
  const files = join(root, 'files');
  const hosts = new FakeHosts({ stepMs: 0 });
  let owner: Owner | undefined;
  let server: WebServer | undefined;
  let api: Client<HangarApi> | undefined;
  const cleanUp = () => {
    server?.dispose();
    api?.dispose();
    owner?.dispose();
    hosts.dispose();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    // ------------------------------------------------------------ the user's files
    for (const d of ['isos', 'images', 'appliances', 'exports']) mkdirSync(join(files, d), { recursive: true });
    const iso = (name: string, size: number) => {
      const p = join(files, 'isos', name);
      fakeIso(p, size);
      return p;
    };
    const debianIso = iso('debian-12.5.0-amd64-netinst.iso', 658 * MiB);
    const alpineIso = iso('alpine-virt-3.20.0-x86_64.iso', 61 * MiB);
    iso('Win11_23H2_English_x64.iso', 6.2 * GiB);
    iso('FreeBSD-14.1-RELEASE-amd64-disc1.iso', 1.1 * GiB);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(files, 'images', 'ubuntu-24.04-cloud.qcow2'), '10G']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', join(files, 'images', 'legacy-server.vmdk'), '8G']);
    writeFileSync(join(files, 'images', 'scratch.raw'), '');
    truncateSync(join(files, 'images', 'scratch.raw'), 2 * GiB);
    const appliance = virtualboxAppliance(join(root, 'build'), join(files, 'appliances'), 'ubuntu-server');

    // ------------------------------------------------------------ the owner, seeded through its API
    owner = await startOwner({ home, kind: 'hangar serve', forker: hosts });
    const [near, far] = createTransportPair();
    owner.connect(far);
    api = createClient(near, hangarApi);
    const a = api;
    const long = { timeoutMs: 600_000 };
    const take = async (vm: string, name: string, description = '') => (await a.call('snapshot.take', { ref: vm, name, description }, long)).id;
    const restore = (vm: string, snapshot: string) => a.call('snapshot.restore', { ref: vm, snapshot }, long);
    const start = (vm: string) => a.call('vm.start', { ref: vm }, long);
    const stop = (vm: string) => a.call('vm.stop', { ref: vm }, long);
    const powerOff = (vm: string) => a.call('vm.stop', { ref: vm, force: true }, long);
    /** Boot and shut down: the pretend guest writes to its disk meanwhile. */
    const run = async (vm: string) => {
      await start(vm);
      await stop(vm);
    };
    const dates = { vms: new Map<string, number>(), snapshots: new Map<string, number>() };

    const bigTree = opts.bigTree ?? 0;
    if (bigTree > 0) {
      // First, so that its tasks are the oldest in the tasks panel.
      say(`seeding 'big-tree' with ${bigTree} snapshots`);
      const vm = await a.call('vm.create', { name: 'big-tree', osType: 'linux', system: { cpus: 2, memoryMiB: 1024 }, disk: { sizeBytes: 8 * GiB }, description: `${bigTree} snapshots: mostly chains, a branch now and then.` }, long);
      dates.vms.set(vm.id, bigTree * 17 * 3_600_000 + 40 * DAY);
      const r = rng(42);
      const ids: string[] = [];
      let current: string | null = null;
      for (let i = 0; i < bigTree; i++) {
        const parent: string | null = i === 0 ? null : r() < 0.8 ? ids[i - 1]! : ids[Math.floor(r() * i)]!;
        r(); // (the old mock drew here whether a snapshot was live; these are all taken stopped)
        const description = r() < 0.3 ? `nightly ${i + 1}` : '';
        if (parent !== null && parent !== current) await restore('big-tree', parent);
        const id = await take('big-tree', `Build ${String(i + 1).padStart(3, '0')}`, description);
        ids.push(id);
        current = id;
        dates.snapshots.set(id, (bigTree - i) * 17 * 3_600_000);
        if ((i + 1) % 100 === 0) say(`  ${i + 1} snapshots`);
      }
      const wanted = ids[Math.floor(bigTree * 0.9)];
      if (wanted && wanted !== current) await restore('big-tree', wanted);
    }

    say("seeding 'debian-12'");
    {
      const vm = await a.call(
        'vm.create',
        {
          name: 'debian-12',
          osType: 'linux',
          description: 'Build box for the release images.',
          system: { cpus: 2, memoryMiB: 2048 },
          disk: { sizeBytes: 20 * GiB },
          iso: debianIso,
          nics: [{ forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] }],
        },
        long,
      );
      dates.vms.set(vm.id, 12.5 * DAY);
      const at = (id: string, days: number) => dates.snapshots.set(id, days * DAY);
      const D = 'debian-12';
      at(await take(D, 'Fresh install', 'Debian 12.5 netinst: standard system utilities and SSH server.'), 12);
      await run(D);
      at(await take(D, 'Updates applied'), 11.2);
      await start(D);
      at(await take(D, 'Try Docker', 'docker.io from Debian; two test containers running.'), 10.4);
      await powerOff(D);
      await restore(D, 'Updates applied');
      await run(D);
      at(await take(D, 'Build tools', 'gcc, make, git, debhelper, devscripts.'), 9.1);
      await start(D);
      at(await take(D, 'Release 1.4 build'), 6.3);
      await powerOff(D);
      await restore(D, 'Build tools');
      await start(D);
      at(await take(D, 'Before kernel 6.9'), 4.2);
      at(await take(D, 'Kernel 6.9 test', 'Boots; virtio-gpu flickers on resize.'), 3.1);
      await powerOff(D);
      // A live snapshot: restoring it leaves the VM saved, and starting resumes it right there.
      await restore(D, 'Before kernel 6.9');
      await start(D);
    }

    say("seeding 'windows-11' and its linked clone 'win11-test'");
    {
      const vm = await a.call(
        'vm.create',
        {
          name: 'windows-11',
          osType: 'windows11',
          system: { cpus: 4, memoryMiB: 8192 },
          disk: { sizeBytes: 64 * GiB },
          nics: [{ model: 'e1000e', forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 33890, guestPort: 3389 }] }],
        },
        long,
      );
      dates.vms.set(vm.id, 30 * DAY);
      const W = 'windows-11';
      await run(W);
      dates.snapshots.set(await take(W, 'Clean install', 'Windows 11 23H2, local account, no updates.'), 28 * DAY);
      await run(W);
      dates.snapshots.set(await take(W, 'After updates', 'Cumulative update 2024-05.'), 20 * DAY);
      const clone = await a.call('vm.clone', { ref: W, name: 'win11-test', linked: true, snapshot: 'Clean install' }, long);
      dates.vms.set(clone.id, 19 * DAY);
      // It ran since its last snapshot: the current state has changes.
      await run(W);
    }

    say("seeding 'freebsd-14' (saved) and 'alpine-test' (aborted)");
    {
      const bsd = await a.call('vm.create', { name: 'freebsd-14', osType: 'freebsd', system: { cpus: 2, memoryMiB: 2048 }, disk: { sizeBytes: 16 * GiB } }, long);
      dates.vms.set(bsd.id, 3 * DAY);
      await start('freebsd-14');
      await a.call('vm.save', { ref: 'freebsd-14' }, long);
      const alpine = await a.call('vm.create', { name: 'alpine-test', osType: 'linux', system: { cpus: 1, memoryMiB: 512 }, disk: { sizeBytes: 2 * GiB }, iso: alpineIso }, long);
      dates.vms.set(alpine.id, 1 * DAY);
      await start('alpine-test');
      const ended = new Promise<void>((resolve) => {
        const sub = a.onEvent((name, payload) => {
          if (name === 'vm.stateChanged' && (payload as { id: string; state: string }).id === alpine.id && (payload as { state: string }).state === 'aborted') {
            sub.dispose();
            resolve();
          }
        });
      });
      hosts.crash(alpine.id);
      await ended;
    }

    // The API takes snapshots and makes VMs now; a user's tree grew over days. Only the dates change.
    backdate(homePaths(home).inventory, dates);
    hosts.stepMs = opts.stepMs ?? 250;

    // ------------------------------------------------------------ the web server
    const serve = (port: number, token?: string) =>
      startWebServer({ connect: (t) => owner!.connect(t), vncSocketFor: (id) => owner!.vncSocketFor(id), port, ...(token ? { token } : {}) });
    server = await serve(opts.port ?? 0);
    const { port, token } = server;
    return {
      get url() {
        return server!.url;
      },
      root,
      home,
      files,
      api: a,
      hosts,
      appliance,
      alpineIso,
      stopServer: () => server?.dispose(),
      restartServer: async () => {
        server?.dispose();
        server = await serve(port, token);
      },
      dispose: async () => cleanUp(),
    };
  } catch (e) {
    cleanUp();
    throw e;
  }
}

/** Moves creation times into the past (ms before now): the API has no way to take a snapshot last week. */
function backdate(inventory: string, dates: { vms: Map<string, number>; snapshots: Map<string, number> }): void {
  const db = new Database(inventory);
  try {
    const now = Date.now();
    const vm = db.prepare('UPDATE vms SET created_at = ? WHERE id = ?');
    const snap = db.prepare('UPDATE snapshots SET created_at = ? WHERE id = ?');
    db.transaction(() => {
      for (const [id, ago] of dates.vms) if (vm.run(new Date(now - ago).toISOString(), id).changes !== 1) throw new Error(`no VM ${id} to backdate`);
      for (const [id, ago] of dates.snapshots) if (snap.run(new Date(now - ago).toISOString(), id).changes !== 1) throw new Error(`no snapshot ${id} to backdate`);
    })();
  } finally {
    db.close();
  }
}

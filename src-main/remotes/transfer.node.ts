// Sending a stopped Hangar VM to a libvirt host, and fetching a libvirt domain into Hangar, as tasks
// with progress and cancel. Send: each disk's current state is flattened (qemu-img convert: one qcow2
// without backing file; Hangar's snapshots stay behind), the pool's free space is checked, volumes are
// made and filled with libvirt's own upload (vol-create-as, vol-upload), each is downloaded again and
// its size and SHA-256 compared, and only then is the domain defined. Fetch: the domain's disks come
// down with vol-download into a new VM's folder, through provisionVm. A failure or cancel removes what
// was made on either side; neither ever deletes its original.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { composeConfig, formatIssues, newVmNameProblems, type VmConfig } from '../../src-vmm/model/index.js';
import type { QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { homePaths, vmPaths } from '../home.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { provisionVm, type ProvisionDeps, type NewImage } from '../vms/provision.node.js';
import { domainXmlFor, readDomainXml, unsendable } from './domainXml.js';
import { domainNameProblems, readDomainState } from './model.js';
import type { RemoteService } from './remoteService.node.js';
import { virsh } from './virsh.node.js';

export interface TransferDeps {
  home: string;
  inventory: HangarInventory;
  remotes: RemoteService;
  qemuImg: QemuImg;
  tasks: TaskRunner;
  provision: ProvisionDeps;
  find: (ref: string) => VmRow;
  /** MACs the inventory's VMs use, and a new one not among them */
  usedMacs: () => Set<string>;
  newMac: (used: Set<string>) => string;
  log: (line: string) => void;
}

export interface Progress {
  signal: AbortSignal;
  onProgress: (fraction: number, message?: string) => void;
}

export interface SendResult {
  vm: string;
  remote: string;
  domain: string;
  pool: string;
  volumes: { disk: string; volume: string; path: string; sizeBytes: number; sha256: string }[];
}

async function sha256(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, signal ? { signal } : {})) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `virsh pool-info --bytes`: the pool's free bytes */
function poolAvailable(info: string): number {
  const m = /Available:\s+(\d+)/.exec(info);
  if (!m) throw new HangarError('IO_ERROR', 'libvirt did not say how much space the pool has');
  return Number(m[1]);
}

export class RemoteTransfer {
  constructor(private readonly d: TransferDeps) {}

  private scratch(): string {
    const dir = join(homePaths(this.d.home).cacheDir, `transfer-${randomUUID()}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** The pool to use: the one named, else 'default', else the host's only active pool. */
  private async pickPool(uri: string, remote: string, pool: string | undefined): Promise<string> {
    const active = (await virsh(uri, ['pool-list', '--name'])).split('\n').map((s) => s.trim()).filter(Boolean);
    if (pool !== undefined) {
      if (!active.includes(pool)) throw new HangarError('NOT_FOUND', `remote '${remote}' has no active storage pool named '${pool}' (it has: ${active.join(', ') || 'none'})`);
      return pool;
    }
    if (active.includes('default')) return 'default';
    if (active.length === 1) return active[0]!;
    throw new HangarError('INVALID_INPUT', `remote '${remote}' has ${active.length ? `several storage pools (${active.join(', ')})` : 'no active storage pool'}: name the pool to use`);
  }

  async send(ref: string, remote: string, pool: string | undefined, p: Progress): Promise<SendResult> {
    const row = this.d.find(ref);
    const cfg = row.config;
    const { name: remoteName, uri } = this.d.remotes.endpoint(remote);
    if (row.state !== 'stopped') throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: only a stopped VM is sent`);
    const problem = unsendable(cfg) ?? domainNameProblems(row.name)[0];
    if (problem) throw new HangarError(unsendable(cfg) ? 'UNSUPPORTED' : 'INVALID_INPUT', problem);
    return this.d.tasks.run('remote.send', { id: row.id, name: row.name }, { signal: p.signal, onProgress: p.onProgress, subject: remoteName }, async (task) => {
      const domain = row.name;
      if (await virsh(uri, ['dominfo', domain]).then(() => true, () => false)) throw new HangarError('ALREADY_EXISTS', `a domain named '${domain}' exists on remote '${remoteName}' already`);
      const poolName = await this.pickPool(uri, remoteName, pool);
      const scratch = this.scratch();
      const made: { volume: string }[] = [];
      let defined = false;
      try {
        // 1. flatten every disk (its current state) into one qcow2 each
        const flat: { diskId: string; file: string; size: number }[] = [];
        const steps = cfg.disks.length * 3 + 1;
        let step = 0;
        const stepProgress = (f: number, message: string) => task.progress(Math.min(0.99, (step + f) / steps), message);
        for (const disk of cfg.disks) {
          task.phase(`flattening ${disk.id}`);
          const file = join(scratch, `${disk.id}.qcow2`);
          await this.d.qemuImg.convert(disk.path, file, { dstFormat: 'qcow2', signal: task.signal, onProgress: (f) => stepProgress(f, `flattening ${disk.id}`) });
          flat.push({ diskId: disk.id, file, size: statSync(file).size });
          step++;
        }
        const nvramFile = cfg.firmware.type === 'uefi' ? vmPaths(this.d.home, row.id).nvram : null;
        const need = flat.reduce((s, f) => s + f.size, 0) + (nvramFile ? statSync(nvramFile).size : 0);
        // 2. room in the pool, and no volume of these names there yet
        await virsh(uri, ['pool-refresh', poolName]).catch(() => undefined);
        const free = poolAvailable(await virsh(uri, ['pool-info', poolName, '--bytes']));
        if (need > free) throw new HangarError('DISK_FULL', `the pool '${poolName}' on remote '${remoteName}' has ${free} bytes free; VM '${row.name}' needs ${need}`);
        const volumes = [...flat.map((f) => ({ ...f, volume: `${domain}-${f.diskId}.qcow2` })), ...(nvramFile ? [{ diskId: 'nvram', file: nvramFile, size: statSync(nvramFile).size, volume: `${domain}-VARS.fd` }] : [])];
        for (const v of volumes) {
          if (await virsh(uri, ['vol-info', '--pool', poolName, v.volume]).then(() => true, () => false)) {
            throw new HangarError('ALREADY_EXISTS', `a volume named '${v.volume}' exists in pool '${poolName}' on remote '${remoteName}' already`);
          }
        }
        // 3. upload each, then download it again and compare
        const result: SendResult['volumes'] = [];
        const paths: Record<string, string> = {};
        let nvramPath: string | null = null;
        for (const v of volumes) {
          task.phase(`uploading ${v.diskId}`);
          stepProgress(0, `uploading ${v.diskId}`);
          await virsh(uri, ['vol-create-as', poolName, v.volume, String(v.size), '--format', 'raw'], { signal: task.signal });
          made.push({ volume: v.volume });
          await virsh(uri, ['vol-upload', '--pool', poolName, v.volume, v.file], { signal: task.signal, timeoutMs: 24 * 3600_000 });
          step++;
          task.phase(`verifying ${v.diskId}`);
          stepProgress(0, `verifying ${v.diskId}`);
          const back = join(scratch, `${v.diskId}.check`);
          await virsh(uri, ['vol-download', '--pool', poolName, v.volume, back], { signal: task.signal, timeoutMs: 24 * 3600_000 });
          const [want, got] = [await sha256(v.file, task.signal), await sha256(back, task.signal)];
          const gotSize = statSync(back).size;
          rmSync(back, { force: true });
          if (gotSize !== v.size || want !== got) throw new HangarError('IO_ERROR', `the copy of ${v.diskId} on remote '${remoteName}' differs from the original (${gotSize} of ${v.size} bytes)`);
          step++;
          const path = (await virsh(uri, ['vol-path', '--pool', poolName, v.volume])).trim();
          if (v.diskId === 'nvram') nvramPath = path;
          else paths[v.diskId] = path;
          result.push({ disk: v.diskId, volume: v.volume, path, sizeBytes: v.size, sha256: want });
        }
        // 4. the domain, from the VM's configuration
        task.phase('defining the domain');
        const type = cfg.system.accel === 'tcg' ? 'qemu' : cfg.system.accel === 'kvm' ? 'kvm' : await virsh(uri, ['domcapabilities', '--virttype', 'kvm']).then(() => 'kvm' as const, () => 'qemu' as const);
        const xmlFile = join(scratch, 'domain.xml');
        writeFileSync(xmlFile, domainXmlFor(cfg, { name: domain, type, disks: paths, nvram: nvramPath }), { mode: 0o600 });
        await virsh(uri, ['define', xmlFile], { signal: task.signal });
        defined = true;
        task.progress(1, 'sent');
        task.outcome(`VM '${row.name}' is domain '${domain}' on remote '${remoteName}' (pool ${poolName}); the VM stays here`);
        this.d.remotes.touched(remoteName, domain);
        return { vm: row.name, remote: remoteName, domain, pool: poolName, volumes: result };
      } catch (e) {
        // nothing half-made on the host: the domain (if defined) and every volume made go
        if (defined) await virsh(uri, ['undefine', domain, '--nvram']).catch(() => virsh(uri, ['undefine', domain]).catch(() => undefined));
        for (const m of made.reverse()) await virsh(uri, ['vol-delete', '--pool', poolName, m.volume]).catch((err: unknown) => this.d.log(`remote ${remoteName}: could not delete volume ${m.volume}: ${(err as Error).message}`));
        throw e;
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  }

  async fetch(ref: string, newName: string | undefined, p: Progress): Promise<VmRow> {
    const { c, domain } = this.d.remotes.resolveEndpoint(ref);
    const name = newName ?? domain;
    const nameProblem = newVmNameProblems(name)[0];
    if (nameProblem) throw new HangarError('INVALID_INPUT', nameProblem);
    if (this.d.inventory.vms.findByName(name)) throw new HangarError('ALREADY_EXISTS', `a VM named '${name}' already exists`);
    const state = readDomainState(await virsh(c.uri, ['domstate', domain]));
    if (state !== 'shut off') throw new HangarError('STATE_CONFLICT', `domain '${domain}' on remote '${c.name}' is ${state}: only a shut off domain is fetched`);
    const facts = readDomainXml(await virsh(c.uri, ['dumpxml', '--inactive', domain]));
    const id = randomUUID();
    return this.d.tasks.run('remote.fetch', { id, name }, { signal: p.signal, onProgress: p.onProgress, subject: `${c.name}/${domain}` }, async (task) => {
      const scratch = this.scratch();
      try {
        return await provisionVm(this.d.provision, {
          id,
          name,
          fill: async (paths) => {
            const disks: { path: string; format: 'qcow2' | 'raw'; bus: (typeof facts.disks)[number]['bus']; readOnly: boolean }[] = [];
            const images: NewImage[] = [];
            for (const [i, d] of facts.disks.entries()) {
              task.phase(`downloading disk ${i}`);
              task.progress(i / (facts.disks.length + 1), `downloading disk ${i}`);
              const file = join(paths.disks, `disk${i}.${d.format === 'qcow2' ? 'qcow2' : 'img'}`);
              await virsh(c.uri, ['vol-download', d.source, file], { signal: task.signal, timeoutMs: 24 * 3600_000 });
              const info = (await this.d.qemuImg.info(file))[0]!;
              if (info.backingPath) throw new HangarError('UNSUPPORTED', `disk ${i} of '${domain}' is based on another image on the host (${info.backingPath}); flatten it there first`);
              const format = info.format === 'qcow2' ? 'qcow2' : 'raw';
              disks.push({ path: file, format, bus: d.bus, readOnly: d.readOnly });
              images.push({ path: file, format, virtualSize: info.virtualSizeBytes, backingPath: null, owned: true, role: 'disk' });
            }
            if (facts.firmware === 'uefi' && facts.nvram) {
              task.phase('downloading the UEFI variables');
              await virsh(c.uri, ['vol-download', facts.nvram, paths.nvram], { signal: task.signal }).catch(() => this.d.log(`fetch ${c.name}/${domain}: its variable store is in no pool; the VM starts with fresh UEFI variables`));
            }
            // the host's MACs, unless a VM here has one of them already (a VM sent and fetched back)
            const used = this.d.usedMacs();
            const composed = composeConfig({
              id,
              name,
              osType: facts.osType ?? 'linux',
              system: { chipset: facts.chipset, cpus: facts.cpus, memoryMiB: facts.memoryMiB, accel: 'auto' },
              firmware: facts.firmware,
              secureBoot: facts.secureBoot,
              disks,
              opticals: facts.opticals.map((o) => ({ bus: o.bus, path: null })),
              nics: facts.nics.map((n) => ({ ...(n.model ? { model: n.model } : {}), mac: used.has(n.mac) ? this.d.newMac(used) : (used.add(n.mac), n.mac) })),
              boot: { order: facts.bootOrder },
              display: { vga: facts.vga, vnc: facts.vnc },
              fit: 'chipset',
            });
            if (!composed.ok) throw new HangarError('UNSUPPORTED', `domain '${domain}' does not fit a Hangar VM: ${formatIssues(composed.issues)}`);
            task.progress(0.99, 'registering');
            return { config: composed.value as VmConfig, images };
          },
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  }
}

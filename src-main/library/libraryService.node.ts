// The image library: base images kept once in the home (<home>/library/), read-only, with the OS
// detected in them. A disk image (a cloud image) is copied into one qcow2 that names no other file; VMs
// made from it are overlays on it, and the inventory's backing links count them exactly as they count
// a linked clone's base: it cannot be removed while a VM is based on it. An ISO is kept as it is; the
// VMs that have it in a drive count. Every image a person adds passes the one check of
// files/userImages.node.ts: an image that names other files is refused, or flattened when asked.
import { randomUUID, createHash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { HangarError, invalidInput } from '../../src-vmm/base/errors.js';
import { asNoSpace, assertFreeSpace, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { LIBRARY_IMAGE_IN_USE, LIBRARY_IMAGE_NOT_FOUND } from '../api/issueCodes.js';
import { planUserImage } from '../files/userImages.node.js';
import type { PathGuard } from '../files/pathGuard.node.js';
import type { HangarInventory } from '../inventory/hangarInventory.node.js';
import type { LibraryImageRow } from '../inventory/types.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { libraryNameProblem, suggestedLibraryName } from './names.js';

/** What detection says of an image (libosinfo's database), or null for an image it does not know. */
export interface DetectedOs {
  osType: string;
  osinfoId: string | null;
  name: string;
  version: string;
}

export interface LibraryDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  tasks: TaskRunner;
  guard: () => PathGuard;
  /** the OS of an ISO or disk image, or null */
  detect: (path: string, kind: 'disk' | 'iso', signal: AbortSignal) => Promise<DetectedOs | null>;
  log: (line: string) => void;
  /** tells every front end that the library changed */
  changed: () => void;
}

export interface LibraryImageView extends LibraryImageRow {
  /** names of the VMs made from it */
  vms: string[];
}

export function libraryDir(home: string): string {
  return join(home, 'library');
}

/** Whether the file is an ISO 9660 or UDF image (its volume descriptors from byte 32768 on). */
export function isIsoFile(path: string, readHead: (path: string, offset: number, length: number) => Buffer): boolean {
  const buf = readHead(path, 32768, 2048 * 4);
  for (let off = 0; off + 6 <= buf.length; off += 2048) {
    const id = buf.subarray(off + 1, off + 6).toString('latin1');
    if (id === 'CD001' || id === 'BEA01' || id === 'NSR02' || id === 'NSR03') return true;
  }
  return false;
}

export class LibraryService {
  constructor(private readonly d: LibraryDeps) {}

  list(): LibraryImageView[] {
    return this.d.inventory.library.list().map((row) => ({ ...row, vms: this.usedBy(row) }));
  }

  /** The library image a name or id stands for; NOT_FOUND (with an issue at `field`) when none. */
  find(ref: string, field = 'ref'): LibraryImageRow {
    const row = this.d.inventory.library.findByRef(ref);
    if (!row) {
      const message = `the image library has no image named or with id '${ref}'`;
      throw new HangarError('NOT_FOUND', message, { details: { issues: [{ path: field, message, code: LIBRARY_IMAGE_NOT_FOUND, data: { image: ref } }] } });
    }
    return row;
  }

  /** The names of the VMs made from a library image: based on it through any chain, or with it in a drive. */
  usedBy(row: LibraryImageRow): string[] {
    const vmIds = new Set<string>();
    if (row.kind === 'disk') {
      const seen = new Set<string>([row.path]);
      let pending = [row.path];
      while (pending.length) {
        const next: string[] = [];
        for (const p of pending) {
          for (const dep of this.d.inventory.images.dependents(p)) {
            if (dep.vmId) vmIds.add(dep.vmId);
            if (!seen.has(dep.path)) {
              seen.add(dep.path);
              next.push(dep.path);
            }
          }
        }
        pending = next;
      }
    }
    const names: string[] = [];
    for (const vm of this.d.inventory.vms.list()) {
      if (vmIds.has(vm.id) || vm.config.opticals.some((o) => o.path === row.path)) names.push(vm.name);
    }
    return names;
  }

  /**
   * `uniqueName`: when the name is taken, the next free one ('name (2)', …) instead of a refusal (an
   * image added on the way to a VM). The same image added twice is refused with `details.sameAs`, the
   * id of the image the library has.
   */
  async add(input: { path: string; name?: string; flatten?: boolean; uniqueName?: boolean }, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<LibraryImageRow> {
    const guard = this.d.guard();
    const owner = guard.ownerOf(input.path);
    if (owner) throw invalidInput([{ path: 'path', message: `${input.path} ${owner}: the library keeps copies of your own images` }]);
    let st;
    try {
      st = statSync(input.path);
    } catch {
      throw invalidInput([{ path: 'path', message: `${input.path} does not exist` }]);
    }
    if (!st.isFile()) throw invalidInput([{ path: 'path', message: `${input.path} is not a regular file` }]);
    let name = input.name ?? suggestedLibraryName(input.path);
    if (input.uniqueName) {
      const base = name;
      for (let n = 2; this.d.inventory.library.findByName(name); n++) name = `${base} (${n})`;
    }
    const problem = libraryNameProblem(name);
    if (problem) throw invalidInput([{ path: 'name', message: `image name ${problem}` }]);
    const other = this.d.inventory.library.findByName(name);
    if (other) {
      const message = `the image library already has an image named '${other.name}'`;
      throw new HangarError('ALREADY_EXISTS', message, { details: { issues: [{ path: 'name', message }] } });
    }
    const iso = isIsoFile(input.path, readHead);
    // A disk image passes the one check every image a person gives passes (and may be flattened).
    const plan = iso ? null : await planUserImage(input.path, { flatten: input.flatten ?? false, field: 'path', what: 'image', copy: true }, { qemuImg: this.d.qemuImg, guard });
    if (iso && input.flatten) throw invalidInput([{ path: 'flatten', message: `${input.path} is an ISO: there is nothing to flatten` }]);
    const dir = libraryDir(this.d.home);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const needed = plan ? await this.d.qemuImg.measure({ src: plan.image.path, srcFormat: plan.image.format }) : st.size;
    assertFreeSpace(dir, needed);

    const id = randomUUID();
    const target = join(dir, iso ? `${id}.iso` : `${id}.qcow2`);
    return this.d.tasks.run('image.add', null, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      try {
        let sha256: string;
        let virtualSize: number;
        if (plan) {
          task.phase(`copying ${input.path} into the library`);
          await this.d.qemuImg
            .convert(plan.image.path, target, {
              srcFormat: plan.image.format,
              dstFormat: 'qcow2',
              sparse: true,
              signal: task.signal,
              onProgress: (f) => task.progress(f * 0.85, `copying ${basename(input.path)}`),
            })
            .catch((e: unknown) => {
              throw asNoSpace(e, dir, { neededBytes: needed });
            });
          virtualSize = plan.image.virtualSizeBytes;
          task.phase('checking the copy');
          sha256 = await hashFile(target, task.signal, (f) => task.progress(0.85 + f * 0.1, 'checking the copy'));
        } else {
          task.phase(`copying ${input.path} into the library`);
          sha256 = await copyHashing(input.path, target, task.signal, (f) => task.progress(f * 0.95, `copying ${basename(input.path)}`)).catch((e: unknown) => {
            throw asNoSpace(e, dir, { neededBytes: needed });
          });
          virtualSize = statSync(target).size;
        }
        // Kept once: the same image twice is one library image.
        const same = this.d.inventory.library.list().find((r) => r.sha256 === sha256);
        if (same) {
          const message = `the image library has this image already, as '${same.name}'`;
          throw new HangarError('ALREADY_EXISTS', message, { details: { sameAs: same.id, issues: [{ path: 'path', message }] } });
        }
        chmodSync(target, 0o400);
        task.phase('detecting its OS');
        const os = await this.d.detect(target, iso ? 'iso' : 'disk', task.signal).catch((e: unknown) => {
          this.d.log(`library: OS detection of ${input.path} failed: ${(e as Error).message}`);
          return null;
        });
        task.phase('registering');
        const row = this.d.inventory.transaction(() => {
          if (!iso) this.d.inventory.images.add({ path: target, vmId: null, format: 'qcow2', virtualSize, backingPath: null, owned: true, role: 'library' });
          return this.d.inventory.library.insert({
            id,
            name,
            path: target,
            kind: iso ? 'iso' : 'disk',
            format: iso ? 'iso' : 'qcow2',
            virtualSize,
            sizeBytes: statSync(target).size,
            osType: os?.osType ?? null,
            osinfoId: os?.osinfoId ?? null,
            osName: os?.name ?? null,
            osVersion: os?.version ?? null,
            source: input.path,
            sha256,
          });
        });
        this.d.changed();
        return row;
      } catch (e) {
        rmSync(target, { force: true });
        throw e;
      }
    });
  }

  remove(ref: string): { id: string } {
    const row = this.find(ref);
    const vms = this.usedBy(row);
    if (vms.length) {
      const message = `image '${row.name}' cannot be removed: ${vms.length === 1 ? 'the VM' : 'the VMs'} ${vms.map((v) => `'${v}'`).join(', ')} ${vms.length === 1 ? 'is' : 'are'} made from it`;
      throw new HangarError('STATE_CONFLICT', message, { details: { issues: [{ path: 'ref', message, code: LIBRARY_IMAGE_IN_USE, data: { image: row.name, vms } }] } });
    }
    this.d.inventory.transaction(() => {
      this.d.inventory.library.delete(row.id);
      if (row.kind === 'disk' && this.d.inventory.images.get(row.path)) this.d.inventory.images.delete(row.path);
    });
    rmSync(row.path, { force: true });
    this.d.changed();
    return { id: row.id };
  }
}

function readHead(path: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of a file, with progress; a cancel stops it. */
async function hashFile(path: string, signal: AbortSignal, onProgress: (f: number) => void): Promise<string> {
  const total = statSync(path).size || 1;
  const hash = createHash('sha256');
  let done = 0;
  await pipeline(
    createReadStream(path, { highWaterMark: 1 << 20 }),
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        done += chunk.length;
        onProgress(done / total);
        cb();
      },
    }),
    { signal },
  ).catch((e: unknown) => {
    if (signal.aborted) throw new HangarError('CANCELLED', 'cancelled', { cause: e });
    throw e;
  });
  return hash.digest('hex');
}

/** Copies `from` to `to` (which must not exist), hashing what it copies; nothing is left on failure. */
async function copyHashing(from: string, to: string, signal: AbortSignal, onProgress: (f: number) => void): Promise<string> {
  if (existsSync(to)) throw new HangarError('ALREADY_EXISTS', `${to} already exists`);
  const total = statSync(from).size || 1;
  const hash = createHash('sha256');
  let done = 0;
  try {
    await pipeline(
      createReadStream(from, { highWaterMark: 1 << 20 }),
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          done += chunk.length;
          onProgress(done / total);
          cb(null, chunk);
        },
      }),
      createWriteStream(to, { flags: 'wx', mode: 0o600 }),
      { signal },
    );
  } catch (e) {
    rmSync(to, { force: true });
    if (signal.aborted) throw new HangarError('CANCELLED', 'cancelled', { cause: e });
    throw e;
  }
  return hash.digest('hex');
}

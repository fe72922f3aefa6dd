// qemu-img, wrapped: every call spawns qemu-img with an argument array (never a shell), names the file
// in its errors with qemu-img's own last word, and long calls report progress and can be cancelled.
import { spawn } from 'node:child_process';
import { closeSync, constants as fsc, accessSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { HangarError, NO_SPACE_TEXT, cancelledError, isNoSpaceError, noSpaceError, throwIfAborted } from '../base/errors.js';
import { createProgressReader, parseImageInfo, resolveBackingPath, type ImageInfo } from './chain.js';
import { formatProblem, imageReferences, type ImageReference, type UserImageFormat } from './imageSafety.js';
import { formatSize } from './size.js';

export type { ImageInfo } from './chain.js';

/** Raw images are accepted only with these extensions: qemu-img calls any file at all 'raw'. */
export const RAW_IMAGE_EXTENSIONS = ['.img', '.raw', '.bin', '.dd', '.iso'] as const;
/** qcow2's default cluster size, written explicitly so images do not depend on the qemu-img version. */
export const QCOW2_CLUSTER_SIZE = 65536;
/** Room asked for a new, empty overlay: its header and first tables take a few hundred KiB at most. */
export const OVERLAY_ROOM_BYTES = 1 << 20;
/** After SIGTERM, how long qemu-img has to exit before SIGKILL. */
const KILL_GRACE_MS = 5000;
const STDOUT_LIMIT = 32 << 20;
/**
 * How long qemu-img may take to read the header of a file a user offers. Opening an image opens the
 * files it names (a VMDK's extents, a qcow2's data file): one of them could be a FIFO or a device that
 * never answers, and a check must not hang on it.
 */
export const INSPECT_TIMEOUT_MS = 30_000;
const STDERR_TAIL = 64 << 10;

export type DstFormat = 'qcow2' | 'vmdk' | 'raw';

export interface ProgressOptions {
  signal?: AbortSignal;
  /** kill qemu-img after this long (TIMEOUT); none by default: conversions take what they take */
  timeoutMs?: number;
  /** fractions 0 … 1, never decreasing; 1 when done */
  onProgress?: (fraction: number) => void;
}

export interface CreateOptions {
  /** required without a backing image; with one, defaults to the backing image's size */
  sizeBytes?: number;
  format: 'qcow2';
  /** stored in the new image as given: a relative path is relative to the new image's folder */
  backing?: { path: string; format: string };
  clusterSizeBytes?: number;
}

export interface ConvertOptions extends ProgressOptions {
  /** probed when absent */
  srcFormat?: string;
  dstFormat: DstFormat;
  /** `-o` options such as `subformat=streamOptimized` */
  dstOptions?: string[];
  /** read an image that starts at this byte offset inside a bigger file (a disk inside an .ova) */
  srcOffset?: number;
  /** with srcOffset: the image's length in bytes (the rest of the file when absent) */
  srcLength?: number;
  /** skip writing zeroes (the default); false writes every byte */
  sparse?: boolean;
  /**
   * the output is an overlay on this image (`-B`, `-F`), which must hold what the source's backing
   * chain holds: only what the source's top image holds is written
   */
  backing?: { path: string; format: string };
  /**
   * fsync the output before it takes its name (the default). false: a staging file that is only copied
   * elsewhere and never kept (an export's VMDK, copied into the archive, which is synced itself).
   */
  durable?: boolean;
  /**
   * Write a durable output around the page cache (`-t none`, O_DIRECT, with parallel writes that may
   * land out of order, `-W`), where the folder's file system allows it. For a copy the disk bounds (a
   * clone of a qcow2 chain): the disk writes while the copy runs, instead of taking the whole output
   * in the fsync afterwards (2 GiB: 1.5 s against 4.6-6 s here), and the copy does not push everything
   * else out of the cache. Not for a conversion the CPU bounds (a compressed VMDK): there the cache's
   * background writes overlap the decompression, and O_DIRECT made an OVA import ~50% slower. The fsync
   * after the convert stays either way: it flushes the disk's own cache and the file's metadata.
   */
  aroundCache?: boolean;
}

export interface CheckResult {
  /** no corruption and the check completed: leaks only waste space */
  ok: boolean;
  /** false when the format has no consistency check (raw): nothing was checked */
  supported: boolean;
  /** errors that stopped qemu-img from checking everything */
  errors: number;
  leaks: number;
  corruptions: number;
  status: 'clean' | 'leaks' | 'corrupt' | 'incomplete' | 'unsupported';
}

export interface QemuImg {
  /** One entry, or the whole chain top first with backingChain. Works on images a running VM uses. */
  info(path: string, opts?: { backingChain?: boolean }): Promise<ImageInfo[]>;
  /** A new image; ALREADY_EXISTS when the file exists. */
  create(path: string, opts: CreateOptions): Promise<void>;
  /** Converts into `dst`, which must not exist; nothing is left behind on failure or cancel. */
  convert(src: string, dst: string, opts: ConvertOptions): Promise<void>;
  /**
   * Creates an empty streamOptimized VMDK of `virtualSizeBytes` at `path` (which must not exist): the
   * start of a disk that convertInPlace then writes inside a bigger file. Its descriptor names the
   * file as `path`'s name.
   */
  createStreamOptimizedVmdk(path: string, virtualSizeBytes: number): Promise<void>;
  /**
   * Converts into the image (of `target.format`, as createStreamOptimizedVmdk made it) that starts at
   * `target.offset` in `target.file` and reads as zeroes beyond its metadata: qemu-img writes it there,
   * growing the file (an .ova's disk written straight into the archive). The caller removes the file
   * on failure or cancel.
   */
  convertInPlace(src: string, target: { file: string; offset: number; format: 'vmdk' }, opts: Omit<ConvertOptions, 'dstFormat' | 'dstOptions' | 'durable' | 'aroundCache' | 'backing' | 'sparse'>): Promise<void>;
  check(path: string, opts?: { repair?: 'leaks' | 'all' }): Promise<CheckResult>;
  /** Changes an image's virtual size (qemu-img resize); Hangar only grows images. */
  resize(path: string, sizeBytes: number, opts: { format: string }): Promise<void>;
  /** Writes the top image's data into its backing image (or into `base`, further down the chain). */
  commit(path: string, opts?: ProgressOptions & { base?: string; keepTop?: boolean }): Promise<void>;
  /** Changes the backing image; null makes the image standalone. Unsafe only rewrites the name. */
  rebase(path: string, opts: ProgressOptions & { backing: string | null; backingFormat?: string; unsafe?: boolean }): Promise<void>;
  /**
   * What qemu-img sees in a foreign image opened with an explicit format (and optionally a byte window):
   * its virtual size and every other file it would read (backing file, external data file, extents).
   */
  describeSource(src: string, opts: { srcFormat: string; srcOffset?: number; srcLength?: number }): Promise<SourceDescription>;
  /**
   * Where guest data is allocated anywhere in the chain ending at `path` (what a flattening copy
   * holds), as byte ranges in order.
   */
  dataExtents(path: string, format?: string): Promise<{ start: number; length: number }[]>;
  /**
   * Whether the image itself (not its backing chain) holds anything: a cluster of data or of zeroes
   * the guest wrote. Exact, from the image's own allocation map: one written sector counts.
   */
  holdsOwnData(path: string, format?: string): Promise<boolean>;
  /** The format and size of a file the user offers as a disk image, or INVALID_INPUT saying why not. */
  detectImage(path: string): Promise<{ format: string; virtualSizeBytes: number; backingPath?: string }>;
  /**
   * A file a user offers as a disk image: its format (one Hangar uses, else INVALID_INPUT), its size,
   * and every other file it names (backing file, external data file, VMDK extents), without opening
   * any backing file. Bounded in time: a named file that never answers fails the inspection.
   */
  inspectImage(path: string): Promise<InspectedImage>;
  /**
   * Bytes a new qcow2 takes (qemu-img measure): a conversion of `src` (its whole chain, flattened), or
   * an empty image of `sizeBytes`.
   */
  measure(what: { src: string; srcFormat?: string; srcOffset?: number; srcLength?: number } | { sizeBytes: number }): Promise<number>;
}

export interface InspectedImage {
  path: string;
  format: UserImageFormat;
  virtualSizeBytes: number;
  references: ImageReference[];
}

export interface SourceDescription {
  format: string;
  virtualSizeBytes: number;
  /** the name qemu-img gives the opened image (a json: spec for a window) */
  filename: string;
  backingFilename: string | null;
  /** qcow2's external data file */
  dataFile: string | null;
  /** VMDK extents' file names (a monolithic VMDK has one: itself) */
  extents: string[];
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** qemu-img's last line on stderr, without its `qemu-img: ` prefix. */
export function lastLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return (lines.at(-1) ?? '').replace(/^qemu-img:\s*/, '');
}

function isLockError(stderr: string): boolean {
  return /Failed to get ".*" lock|Is another process using the image/i.test(stderr);
}

function isNoSpace(stderr: string): boolean {
  return NO_SPACE_TEXT.test(stderr);
}

/** Bytes an unprivileged writer may still use on the filesystem holding `dir` (or its nearest existing parent); null when unknown. */
export function freeSpace(dir: string): number | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      const st = statfsSync(d);
      return st.bavail * st.bsize;
    } catch {
      if (d === dirname(d)) return null;
    }
  }
}

/**
 * DISK_FULL before anything is written when the filesystem holding `dir` has less than `neededBytes`
 * free. Only a first answer: the space can still run out during the writing (others write too), and
 * that failure must be as clean.
 */
export function assertFreeSpace(dir: string, neededBytes: number, o: { atLeast?: boolean } = {}): void {
  const free = freeSpace(dir);
  if (free !== null && free < neededBytes) throw noSpaceError(dir, { neededBytes, freeBytes: free, ...(o.atLeast ? { atLeast: true } : {}) });
  testFillPoint('after-space-check');
}

/**
 * `e` as it should reach a person when the filesystem holding `dir` filled up during an operation
 * (measured again now, after the cleanup); any other error unchanged.
 */
export function asNoSpace(e: unknown, dir: string, o: { neededBytes?: number; atLeast?: boolean } = {}): unknown {
  if (!isNoSpaceError(e)) return e;
  // Already said about this folder (by a check or an inner step): kept as it is.
  const prior = e instanceof HangarError && e.code === 'DISK_FULL' ? (e.details as { dir?: unknown; neededBytes?: unknown } | undefined) : undefined;
  if (prior?.dir === dir) return e;
  const neededBytes = o.neededBytes ?? (typeof prior?.neededBytes === 'number' ? prior.neededBytes : undefined);
  const free = freeSpace(dir);
  // Numbers only while they explain the failure: with room again (the cleanup gave it back, or others
  // did), "needs 10 MiB, 40 MiB free" would not, nor would "needs 10.8 MiB, 10.8 MiB free".
  const explains = neededBytes !== undefined && free !== null && free < neededBytes && formatSize(free) !== formatSize(neededBytes);
  return noSpaceError(dir, explains ? { neededBytes, freeBytes: free, ...(o.atLeast ? { atLeast: true } : {}), cause: e } : { cause: e });
}

/** `run`, with a full filesystem (the inventory's included) reported as one on `dir`. */
export async function noSpaceOn<T>(dir: string, o: { neededBytes?: number }, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw asNoSpace(e, dir, o);
  }
}

/**
 * Test-only (HANGAR_TEST=1 and HANGAR_TEST_FILL=<control file>): at the named point, fill the
 * filesystem of the control file's `ballast` until `leaveBytes` remain, as another program writing at
 * that moment would. The control file holds JSON { point, ballast, leaveBytes, skip? }: the point is
 * passed `skip` times first, then the fill happens once (the file is emptied). Without it, nothing.
 */
export function testFillPoint(point: string): void {
  const control = process.env.HANGAR_TEST === '1' ? process.env.HANGAR_TEST_FILL : undefined;
  if (!control) return;
  let spec: { point?: unknown; ballast?: unknown; leaveBytes?: unknown; skip?: unknown };
  try {
    spec = JSON.parse(readFileSync(control, 'utf8')) as typeof spec;
  } catch {
    return;
  }
  if (spec.point !== point || typeof spec.ballast !== 'string') return;
  if (typeof spec.skip === 'number' && spec.skip > 0) {
    writeFileSync(control, JSON.stringify({ ...spec, skip: spec.skip - 1 }));
    return;
  }
  writeFileSync(control, '{}');
  const leave = typeof spec.leaveBytes === 'number' ? spec.leaveBytes : 0;
  const fd = openSync(spec.ballast, 'a');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) {
      const free = freeSpace(spec.ballast) ?? 0;
      if (free <= leave) break;
      writeSync(fd, chunk, 0, Math.min(chunk.length, free - leave));
    }
  } catch {
    /* full: done */
  } finally {
    closeSync(fd);
  }
}

/** A timeout while reading a user's file says which file; other errors pass unchanged. */
function timedOutReading(file: string, e: unknown): unknown {
  if (!(e instanceof HangarError) || e.code !== 'TIMEOUT') return e;
  return new HangarError('INVALID_INPUT', `${file} could not be read within ${INSPECT_TIMEOUT_MS / 1000} s: it, or a file it names, does not answer (a named pipe or a device?)`, { cause: e });
}

/** Progress that never goes back and ends at exactly 1, whatever qemu-img prints. */
function monotonic(onProgress: ((fraction: number) => void) | undefined): { report: (f: number) => void; finish: () => void } {
  let last = -1;
  const report = (f: number) => {
    if (!onProgress || !(f > last)) return;
    last = f;
    onProgress(f);
  };
  return { report, finish: () => report(1) };
}

/**
 * Whether files in `dir` can be opened with O_DIRECT (most local file systems; not every FUSE or
 * network one). Checked with a scratch file, so qemu-img is never asked for what the folder refuses.
 */
export function directIoWorksIn(dir: string): boolean {
  if (fsc.O_DIRECT === undefined) return false;
  const probe = join(dir, `.direct-io-${process.pid}`);
  try {
    closeSync(openSync(probe, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_DIRECT, 0o600));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a folder; the data is written either way.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function createQemuImg(opts: { binary?: string; log?: (line: string) => void } = {}): QemuImg {
  const binary = opts.binary ?? 'qemu-img';
  const log = opts.log ?? (() => {});

  function run(args: string[], o: ProgressOptions = {}): Promise<RunResult> {
    throwIfAborted(o.signal);
    const started = Date.now();
    log(`qemu-img ${args.join(' ')}`);
    return new Promise((resolvePromise, reject) => {
      // LC_ALL=C: the messages we match and show are qemu-img's English ones.
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      let stdout = '';
      let stderr = '';
      let aborted = false;
      let killTimer: NodeJS.Timeout | undefined;
      const progress = o.onProgress ? createProgressReader() : undefined;
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (progress) {
          const f = progress.push(chunk);
          if (f !== undefined) o.onProgress!(f);
        }
        if (stdout.length < STDOUT_LIMIT) stdout += chunk;
      });
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.length > STDERR_TAIL * 2) stderr = stderr.slice(-STDERR_TAIL);
      });
      const onAbort = () => {
        aborted = true;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const deadline =
        o.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, o.timeoutMs);
      const done = () => {
        o.signal?.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        if (deadline) clearTimeout(deadline);
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        done();
        if (e.code === 'ENOENT') reject(new HangarError('UNSUPPORTED', `${binary} is not installed: install QEMU's tools (the qemu-utils package on Debian and Ubuntu)`, { cause: e }));
        else reject(new HangarError('QEMU_FAILED', `cannot run ${binary}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        done();
        log(`qemu-img ${args[0]} ended (${code ?? signal}) after ${Date.now() - started} ms`);
        if (aborted) reject(cancelledError());
        else if (timedOut) reject(new HangarError('TIMEOUT', `qemu-img did not finish within ${Math.round((o.timeoutMs ?? 0) / 1000)} s`, { details: { args } }));
        else resolvePromise({ code, signal, stdout, stderr });
      });
    });
  }

  /** The error for a qemu-img run that failed on `file` (the file being written, for space errors). */
  function failure(verb: string, file: string, args: string[], r: RunResult): HangarError {
    const last = lastLine(r.stderr) || (r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`);
    const details = { file, args, exitCode: r.code, signal: r.signal, stderr: r.stderr.slice(-4096) };
    if (isNoSpace(r.stderr)) return new HangarError('DISK_FULL', `not enough space on ${dirname(file)} to write ${basename(file)}`, { details });
    if (isLockError(r.stderr)) return new HangarError('STATE_CONFLICT', `${file} is in use by another process (a running VM?): ${last}`, { details });
    return new HangarError('QEMU_FAILED', `qemu-img could not ${verb} ${file}: ${last}`, { details });
  }

  function assertExists(path: string): void {
    if (!existsSync(path)) throw new HangarError('NOT_FOUND', `${path} does not exist`);
  }

  async function info(path: string, o: { backingChain?: boolean } = {}): Promise<ImageInfo[]> {
    const abs = resolve(path);
    assertExists(abs);
    // -U (force-share): read the header without taking the image lock, so it works while a VM runs.
    const args = ['info', '--output=json', '-U', ...(o.backingChain ? ['--backing-chain'] : []), abs];
    const r = await run(args);
    if (r.code !== 0) throw failure('read', abs, args, r);
    return parseImageInfo(r.stdout);
  }

  async function describeSource(src: string, o: { srcFormat: string; srcOffset?: number; srcLength?: number }): Promise<SourceDescription> {
    const abs = resolve(src);
    assertExists(abs);
    const source = sourceSpec(abs, o);
    const args = ['info', '--output=json', '-U', ...source.args, source.spec];
    const r = await run(args, { timeoutMs: INSPECT_TIMEOUT_MS }).catch((e: unknown) => {
      throw timedOutReading(abs, e);
    });
    if (r.code !== 0) throw failure('read', abs, args, r);
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      throw new HangarError('QEMU_FAILED', `qemu-img printed no image description for ${abs}`);
    }
    const data = ((j['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {}) as Record<string, unknown>;
    const extents = Array.isArray(data['extents']) ? (data['extents'] as { filename?: unknown }[]).map((e) => String(e.filename ?? '')) : [];
    return {
      format: String(j['format'] ?? o.srcFormat),
      virtualSizeBytes: Number(j['virtual-size'] ?? 0),
      filename: String(j['filename'] ?? abs),
      // Relative names are relative to the image's folder: that is the file QEMU would open.
      backingFilename:
        typeof j['backing-filename'] === 'string'
          ? o.srcOffset === undefined
            ? resolveBackingPath(abs, j['backing-filename'])
            : typeof j['full-backing-filename'] === 'string'
              ? j['full-backing-filename']
              : j['backing-filename']
          : null,
      dataFile: typeof data['data-file'] === 'string' ? (o.srcOffset === undefined ? resolveBackingPath(abs, data['data-file']) : data['data-file']) : null,
      extents,
    };
  }

  async function dataExtents(path: string, format?: string): Promise<{ start: number; length: number }[]> {
    const abs = resolve(path);
    assertExists(abs);
    const args = ['map', '--output=json', '-U', ...(format ? ['-f', format] : []), abs];
    const r = await run(args);
    if (r.code !== 0) throw failure('read', abs, args, r);
    let extents: { start?: number; length?: number; data?: boolean }[];
    try {
      extents = JSON.parse(r.stdout) as typeof extents;
    } catch {
      throw new HangarError('QEMU_FAILED', `qemu-img printed no allocation map for ${abs}`);
    }
    return extents.filter((e) => e.data && typeof e.start === 'number' && typeof e.length === 'number').map((e) => ({ start: e.start!, length: e.length! }));
  }

  async function holdsOwnData(path: string, format?: string): Promise<boolean> {
    const abs = resolve(path);
    assertExists(abs);
    const args = ['map', '--output=json', '-U', ...(format ? ['-f', format] : []), abs];
    const r = await run(args);
    if (r.code !== 0) throw failure('read', abs, args, r);
    let extents: { depth?: number; present?: boolean }[];
    try {
      extents = JSON.parse(r.stdout) as typeof extents;
    } catch {
      throw new HangarError('QEMU_FAILED', `qemu-img printed no allocation map for ${abs}`);
    }
    // depth 0 is the image itself; present: the extent was written there (data, or zeroes written as such).
    return extents.some((e) => e.depth === 0 && e.present === true);
  }

  async function create(path: string, o: CreateOptions): Promise<void> {
    const abs = resolve(path);
    if (o.format !== 'qcow2') throw new HangarError('INVALID_INPUT', `cannot create a ${String(o.format)} image: only qcow2`);
    if (o.sizeBytes === undefined && !o.backing) throw new HangarError('INVALID_INPUT', `a size is needed to create ${abs}`);
    if (o.sizeBytes !== undefined && (!Number.isSafeInteger(o.sizeBytes) || o.sizeBytes <= 0)) {
      throw new HangarError('INVALID_INPUT', `the size of ${abs} must be a positive whole number of bytes, not ${o.sizeBytes}`);
    }
    if (existsSync(abs)) throw new HangarError('ALREADY_EXISTS', `${abs} already exists`);
    if (!existsSync(dirname(abs))) throw new HangarError('NOT_FOUND', `folder ${dirname(abs)} does not exist`);
    const args = [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-o',
      `cluster_size=${o.clusterSizeBytes ?? QCOW2_CLUSTER_SIZE}`,
      ...(o.backing ? ['-b', o.backing.path, '-F', o.backing.format] : []),
      abs,
      ...(o.sizeBytes !== undefined ? [String(o.sizeBytes)] : []),
    ];
    const r = await run(args);
    if (r.code !== 0) {
      rmSync(abs, { force: true });
      throw failure('create', abs, args, r);
    }
  }

  /** The source as qemu-img takes it: a path, or a json: pseudo-filename reading at an offset. */
  function sourceSpec(abs: string, o: Pick<ConvertOptions, 'srcFormat' | 'srcOffset' | 'srcLength'>): { args: string[]; spec: string } {
    if (o.srcOffset === undefined) return { args: o.srcFormat ? ['-f', o.srcFormat] : [], spec: abs };
    if (!Number.isSafeInteger(o.srcOffset) || o.srcOffset < 0) throw new HangarError('INVALID_INPUT', `offset ${o.srcOffset} into ${abs} is not a byte position`);
    if (o.srcLength !== undefined && (!Number.isSafeInteger(o.srcLength) || o.srcLength <= 0)) {
      throw new HangarError('INVALID_INPUT', `length ${o.srcLength} of the image inside ${abs} is not a byte count`);
    }
    // The raw driver's offset/size options cut a window out of the file; the format driver (or the
    // probe, without srcFormat) reads the image inside it. No temporary copy is made.
    const window = { driver: 'raw', offset: o.srcOffset, ...(o.srcLength !== undefined ? { size: o.srcLength } : {}), file: { driver: 'file', filename: abs } };
    const spec = `json:${JSON.stringify(o.srcFormat ? { driver: o.srcFormat, file: window } : { file: window })}`;
    return { args: [], spec };
  }

  /** A failed convert: space runs out on the side being written, so a full disk names the output. */
  function convertFailure(srcAbs: string, outAbs: string, args: string[], r: RunResult): HangarError {
    const e = failure('convert', srcAbs, args, r);
    return e.code === 'DISK_FULL' ? new HangarError('DISK_FULL', `not enough space on ${dirname(outAbs)} to write ${basename(outAbs)}`, { details: e.details }) : e;
  }

  async function convert(src: string, dst: string, o: ConvertOptions): Promise<void> {
    const srcAbs = resolve(src);
    const dstAbs = resolve(dst);
    assertExists(srcAbs);
    if (srcAbs === dstAbs) throw new HangarError('INVALID_INPUT', `cannot convert ${srcAbs} onto itself`);
    if (existsSync(dstAbs)) throw new HangarError('ALREADY_EXISTS', `${dstAbs} already exists`);
    if (!existsSync(dirname(dstAbs))) throw new HangarError('NOT_FOUND', `folder ${dirname(dstAbs)} does not exist`);
    const source = sourceSpec(srcAbs, o);
    throwIfAborted(o.signal);
    // The partial output lives at <dst>.partial, a folder holding a file with the final name: a VMDK
    // records its own file name in its descriptor, so the name must be right from the start.
    const partialDir = `${dstAbs}.partial`;
    const partial = join(partialDir, basename(dstAbs));
    rmSync(partialDir, { recursive: true, force: true }); // left over by a crash: ours to remove
    mkdirSync(partialDir, { mode: 0o700 });
    // Around the page cache where asked and the folder's file system allows it (see ConvertOptions.aroundCache).
    const direct = o.aroundCache === true && o.durable !== false && directIoWorksIn(partialDir);
    const args = [
      'convert',
      '-p',
      ...(direct ? ['-t', 'none', ...(o.dstFormat === 'vmdk' ? [] : ['-W'])] : []),
      ...source.args,
      '-O',
      o.dstFormat,
      ...(o.dstOptions?.length ? ['-o', o.dstOptions.join(',')] : []),
      ...(o.sparse === false ? ['-S', '0'] : []),
      ...(o.backing ? ['-B', o.backing.path, '-F', o.backing.format] : []),
      source.spec,
      partial,
    ];
    const progress = monotonic(o.onProgress);
    try {
      const r = await run(args, { signal: o.signal, onProgress: progress.report });
      if (r.code !== 0) throw convertFailure(srcAbs, dstAbs, args, r);
      // Durable before it takes the final name, so a crash never leaves a short file under it.
      if (o.durable !== false) fsyncPath(partial);
      renameSync(partial, dstAbs);
      rmSync(partialDir, { recursive: true, force: true });
      if (o.durable !== false) fsyncPath(dirname(dstAbs));
    } catch (e) {
      rmSync(partialDir, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new HangarError('DISK_FULL', `not enough space on ${dirname(dstAbs)} to write ${basename(dstAbs)}`, { cause: e });
      }
      throw e;
    }
    progress.finish();
  }

  async function createStreamOptimizedVmdk(path: string, virtualSizeBytes: number): Promise<void> {
    const abs = resolve(path);
    if (existsSync(abs)) throw new HangarError('ALREADY_EXISTS', `${abs} already exists`);
    if (!Number.isSafeInteger(virtualSizeBytes) || virtualSizeBytes <= 0) throw new HangarError('INVALID_INPUT', `${virtualSizeBytes} is not a disk size`);
    const args = ['create', '-q', '-f', 'vmdk', '-o', 'subformat=streamOptimized', abs, String(virtualSizeBytes)];
    const r = await run(args);
    if (r.code !== 0) {
      rmSync(abs, { force: true });
      throw failure('create', abs, args, r);
    }
  }

  async function convertInPlace(src: string, target: { file: string; offset: number; format: 'vmdk' }, o: Omit<ConvertOptions, 'dstFormat'>): Promise<void> {
    const srcAbs = resolve(src);
    const fileAbs = resolve(target.file);
    assertExists(srcAbs);
    assertExists(fileAbs);
    if (srcAbs === fileAbs) throw new HangarError('INVALID_INPUT', `cannot convert ${srcAbs} into itself`);
    if (!Number.isSafeInteger(target.offset) || target.offset < 0) throw new HangarError('INVALID_INPUT', `offset ${target.offset} into ${fileAbs} is not a byte position`);
    const source = sourceSpec(srcAbs, o);
    throwIfAborted(o.signal);
    // The raw driver's offset puts the image's start inside the file; without a size, writes past the
    // end grow the file. -n: the image exists (its metadata is there); --target-is-zero: the rest reads
    // as zeroes, so zero regions are skipped, exactly as in a new file.
    const window = { driver: 'raw', offset: target.offset, file: { driver: 'file', filename: fileAbs } };
    const args = ['convert', '-p', '-n', '--target-is-zero', ...source.args, '-O', target.format, source.spec, `json:${JSON.stringify({ driver: target.format, file: window })}`];
    const progress = monotonic(o.onProgress);
    const r = await run(args, { signal: o.signal, onProgress: progress.report });
    if (r.code !== 0) throw convertFailure(srcAbs, fileAbs, args, r);
    progress.finish();
  }

  async function check(path: string, o: { repair?: 'leaks' | 'all' } = {}): Promise<CheckResult> {
    const abs = resolve(path);
    assertExists(abs);
    const args = ['check', '--output=json', ...(o.repair ? ['-r', o.repair] : []), abs];
    const r = await run(args);
    // Exit codes of qemu-img check: 0 consistent; 1 the check could not complete; 2 corruptions;
    // 3 leaked clusters only (wasted space, no harm to data); 63 the format has no check.
    if (r.code === 63) return { ok: true, supported: false, errors: 0, leaks: 0, corruptions: 0, status: 'unsupported' };
    let report: { 'check-errors'?: number; leaks?: number; corruptions?: number } | undefined;
    try {
      report = JSON.parse(r.stdout) as typeof report;
    } catch {
      report = undefined;
    }
    if (!report || ![0, 1, 2, 3].includes(r.code ?? -1)) throw failure('check', abs, args, r);
    const counts = { errors: report['check-errors'] ?? 0, leaks: report.leaks ?? 0, corruptions: report.corruptions ?? 0 };
    switch (r.code) {
      case 0:
        return { ok: true, supported: true, ...counts, status: 'clean' };
      case 3:
        return { ok: true, supported: true, ...counts, status: 'leaks' };
      case 2:
        return { ok: false, supported: true, ...counts, status: 'corrupt' };
      default:
        return { ok: false, supported: true, ...counts, errors: Math.max(1, counts.errors), status: 'incomplete' };
    }
  }

  async function resize(path: string, sizeBytes: number, o: { format: string }): Promise<void> {
    const abs = resolve(path);
    assertExists(abs);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new HangarError('INVALID_INPUT', `the new size of ${abs} must be a positive whole number of bytes, not ${sizeBytes}`);
    const args = ['resize', '-q', '-f', o.format, abs, String(sizeBytes)];
    const r = await run(args);
    if (r.code !== 0) throw failure('resize', abs, args, r);
  }

  async function commit(path: string, o: ProgressOptions & { base?: string; keepTop?: boolean } = {}): Promise<void> {
    const abs = resolve(path);
    assertExists(abs);
    const args = ['commit', '-p', ...(o.base ? ['-b', resolve(o.base)] : []), ...(o.keepTop ? ['-d'] : []), abs];
    const progress = monotonic(o.onProgress);
    const r = await run(args, { signal: o.signal, onProgress: progress.report });
    if (r.code !== 0) throw failure('commit', abs, args, r);
    progress.finish();
  }

  async function rebase(path: string, o: ProgressOptions & { backing: string | null; backingFormat?: string; unsafe?: boolean }): Promise<void> {
    const abs = resolve(path);
    assertExists(abs);
    if (o.backing && !o.backingFormat) throw new HangarError('INVALID_INPUT', `the format of the new backing image of ${abs} is needed`);
    const args = [
      'rebase',
      ...(o.unsafe ? ['-u'] : ['-p']),
      '-b',
      o.backing ?? '',
      ...(o.backing && o.backingFormat ? ['-F', o.backingFormat] : []),
      abs,
    ];
    const progress = monotonic(o.onProgress);
    const r = await run(args, { signal: o.signal, onProgress: progress.report });
    if (r.code !== 0) throw failure('rebase', abs, args, r);
    progress.finish();
  }

  async function detectImage(path: string): Promise<{ format: string; virtualSizeBytes: number; backingPath?: string }> {
    const abs = resolve(path);
    let size: number;
    try {
      const st = statSync(abs);
      if (!st.isFile()) throw new HangarError('INVALID_INPUT', `${abs} is not a file`);
      size = st.size;
    } catch (e) {
      if (e instanceof HangarError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new HangarError('INVALID_INPUT', `${abs} does not exist`, { cause: e });
      throw new HangarError('INVALID_INPUT', `${abs} cannot be read: ${(e as Error).message}`, { cause: e });
    }
    try {
      accessSync(abs, fsc.R_OK);
    } catch (e) {
      throw new HangarError('INVALID_INPUT', `${abs} cannot be read: permission denied`, { cause: e });
    }
    if (size === 0) throw new HangarError('INVALID_INPUT', `${abs} is empty: it is not a disk image`);
    const args = ['info', '--output=json', '-U', abs];
    const r = await run(args, { timeoutMs: INSPECT_TIMEOUT_MS }).catch((e: unknown) => {
      throw timedOutReading(abs, e);
    });
    if (r.code !== 0) throw new HangarError('INVALID_INPUT', `${abs} is not a disk image qemu-img can read: ${lastLine(r.stderr)}`, { details: { stderr: r.stderr.slice(-4096) } });
    const [top] = parseImageInfo(r.stdout);
    if (!top) throw new HangarError('INTERNAL', `qemu-img info said nothing about ${abs}`);
    if (top.format === 'raw') {
      // qemu-img's probe falls back to 'raw' for any file at all, text included.
      const ext = extname(abs).toLowerCase();
      const plausible = size % 512 === 0 && (RAW_IMAGE_EXTENSIONS as readonly string[]).includes(ext);
      if (!plausible) throw new HangarError('INVALID_INPUT', `${abs} is not a disk image: qemu-img finds no image format in it`);
    }
    return { format: top.format, virtualSizeBytes: top.virtualSizeBytes, ...(top.backingPath ? { backingPath: top.backingPath } : {}) };
  }

  async function inspectImage(path: string): Promise<InspectedImage> {
    const abs = resolve(path);
    const detected = await detectImage(abs);
    const problem = formatProblem(detected.format);
    if (problem) throw new HangarError('INVALID_INPUT', `${abs} ${problem}`);
    // Opened with its format, as QEMU will open it: the names it follows are the ones listed here.
    const description = await describeSource(abs, { srcFormat: detected.format });
    return { path: abs, format: detected.format as UserImageFormat, virtualSizeBytes: detected.virtualSizeBytes, references: imageReferences(description, [abs]) };
  }

  async function measure(what: { src: string; srcFormat?: string; srcOffset?: number; srcLength?: number } | { sizeBytes: number }): Promise<number> {
    let args: string[];
    let subject: string;
    if ('src' in what) {
      subject = resolve(what.src);
      assertExists(subject);
      const source = sourceSpec(subject, what);
      // -U: a source a running VM has open (a snapshot's frozen image) can be measured.
      args = ['measure', '--output=json', '-U', ...source.args, '-O', 'qcow2', source.spec];
    } else {
      subject = `a new ${what.sizeBytes}-byte image`;
      args = ['measure', '--output=json', '-O', 'qcow2', '--size', String(what.sizeBytes)];
    }
    const r = await run(args);
    if (r.code !== 0) throw failure('measure', subject, args, r);
    let j: { required?: unknown };
    try {
      j = JSON.parse(r.stdout) as typeof j;
    } catch {
      throw new HangarError('QEMU_FAILED', `qemu-img printed no measurement for ${subject}`);
    }
    const required = Number(j.required);
    if (!Number.isFinite(required) || required < 0) throw new HangarError('QEMU_FAILED', `qemu-img printed no measurement for ${subject}`);
    return required;
  }

  return { info, describeSource, dataExtents, holdsOwnData, create, convert, createStreamOptimizedVmdk, convertInPlace, check, resize, commit, rebase, detectImage, inspectImage, measure };
}

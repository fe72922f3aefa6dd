// Writes an .ova: members one after another, straight to a file, with ustar headers (and a pax header
// when a name or size needs one). Data is streamed; only headers are built in memory.
import { open, type FileHandle } from 'node:fs/promises';
import { HangarError, cancelledError, toHangarError } from '../../src-vmm/base/errors.js';
import { displayMemberName, TAR_END_LENGTH, tarHeaderBlocks, tarPadding } from './tar.js';

export interface TarWriterOptions {
  /** Modification time of every member (a member's own option wins); default now. */
  mtime?: Date | number;
  /** User and group name in the headers; default "hangar". */
  owner?: string;
  signal?: AbortSignal;
  /** Called after every write with the archive's length so far. */
  onProgress?: (bytesWritten: number) => void;
}

export interface TarMemberOptions {
  mtime?: Date | number;
  mode?: number;
}

const seconds = (t: Date | number): number => Math.floor((t instanceof Date ? t.getTime() : t) / 1000);

/**
 * Sequential tar writer. `TarWriter.create(path)` owns its file (closed by finish/abort);
 * `new TarWriter(fileHandle)` writes from position 0 of a handle the caller closes. One member at
 * a time: await each call before the next. After any failure the writer refuses further members.
 */
export class TarWriter {
  private position = 0;
  private busy = false;
  private failed: HangarError | null = null;
  private finished = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly opts: TarWriterOptions = {},
    private readonly ownsHandle = false,
  ) {}

  /** Creates (or truncates) `path` and writes the archive there. */
  static async create(path: string, opts: TarWriterOptions = {}): Promise<TarWriter> {
    try {
      return new TarWriter(await open(path, 'w', 0o644), opts, true);
    } catch (e) {
      throw new HangarError('IO_ERROR', `cannot create ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Bytes written to the archive so far. */
  get bytesWritten(): number {
    return this.position;
  }

  /** Adds a member holding `data`. */
  async addBuffer(name: string, data: Uint8Array, opts: TarMemberOptions = {}): Promise<void> {
    await this.member(name, data.length, opts, async () => {
      await this.write(data);
      return data.length;
    });
  }

  /**
   * Adds a member of `size` bytes read from `source` (a Readable or any async iterable of bytes).
   * The source must yield exactly `size` bytes; otherwise the member fails with IO_ERROR (it
   * changed while being read) and the archive is unusable.
   */
  async addFile(name: string, size: number, source: AsyncIterable<Uint8Array | string>, opts: TarMemberOptions = {}): Promise<void> {
    await this.member(name, size, opts, async () => {
      let n = 0;
      for await (const chunk of source) {
        if (typeof chunk === 'string') throw new HangarError('INTERNAL', `tar member ${displayMemberName(name)}: the source yields text, not bytes`);
        if (n + chunk.length > size) {
          throw new HangarError('IO_ERROR', `tar member ${displayMemberName(name)}: the source gave more than the ${size} bytes declared (did the file change while it was being exported?)`);
        }
        n += chunk.length;
        await this.write(chunk);
      }
      return n;
    });
  }

  /**
   * Adds a member of `size` bytes whose content is written later by the returned `fill`, before
   * `finish`: a manifest that comes before the files it lists, completed once they have been read
   * into the archive (each file is read once, for the archive and its digest together).
   */
  async reserve(name: string, size: number, opts: TarMemberOptions = {}): Promise<(data: Uint8Array) => Promise<void>> {
    let at = -1;
    await this.member(name, size, opts, async () => {
      at = this.position;
      await this.write(Buffer.alloc(size));
      return size;
    });
    return async (data) => {
      if (data.length !== size) throw new HangarError('INTERNAL', `tar member ${displayMemberName(name)}: ${data.length} bytes given for the ${size} reserved`);
      if (this.finished || this.failed) throw new HangarError('STATE_CONFLICT', `tar member ${displayMemberName(name)}: the archive is ${this.failed ? 'failed' : 'finished'}`);
      if (this.opts.signal?.aborted) throw cancelledError();
      try {
        await this.writeAt(data, at);
      } catch (e) {
        this.failed = toHangarError(e);
        throw e;
      }
    };
  }

  /**
   * Adds a member whose data another writer puts straight into the archive, where no copy is made:
   * `write(dataOffset)` writes it from `dataOffset` on (qemu-img converting a disk into the .ova), and
   * the member is everything up to the file's end when it returns. Its header is written afterwards,
   * in the room the largest possible size (`maxSize`) needs. Returns the member's size.
   */
  async addWrittenInPlace(name: string, maxSize: number, write: (dataOffset: number) => Promise<void>, opts: TarMemberOptions = {}): Promise<number> {
    const mtime = seconds(opts.mtime ?? this.opts.mtime ?? Date.now());
    const entry = { name, mtime, mode: opts.mode, owner: this.opts.owner };
    const room = tarHeaderBlocks({ ...entry, size: maxSize }).length; // refuses a bad name before anything is written
    this.enter();
    try {
      if (this.opts.signal?.aborted) throw cancelledError();
      const headerAt = this.position;
      const dataOffset = headerAt + room;
      await write(dataOffset);
      if (this.opts.signal?.aborted) throw cancelledError();
      const size = (await this.fh.stat()).size - dataOffset;
      if (size < 0 || size > maxSize) throw new HangarError('INTERNAL', `tar member ${displayMemberName(name)}: ${size} bytes were written, at most ${maxSize} were expected`);
      await this.writeAt(tarHeaderBlocks({ ...entry, size }, { length: room }), headerAt);
      this.position = dataOffset + size;
      this.opts.onProgress?.(this.position);
      const pad = tarPadding(size);
      if (pad) await this.write(Buffer.alloc(pad));
      return size;
    } catch (e) {
      this.failed = toHangarError(e);
      throw this.failed;
    } finally {
      this.busy = false;
    }
  }

  /** Makes what has been written so far durable (the end's own flush then has little left to do). */
  async flush(): Promise<void> {
    this.enter();
    try {
      await this.fh.datasync();
    } catch (e) {
      this.failed = toHangarError(e);
      throw new HangarError('IO_ERROR', `cannot write the archive: ${(e as Error).message}`, { cause: e });
    } finally {
      this.busy = false;
    }
  }

  /** Writes the end-of-archive blocks (and closes the file if the writer opened it). Returns the archive's length. */
  async finish(): Promise<number> {
    this.enter();
    try {
      await this.write(Buffer.alloc(TAR_END_LENGTH));
      if (this.ownsHandle) await this.fh.datasync();
      this.finished = true;
    } catch (e) {
      this.failed = toHangarError(e);
      throw this.failed;
    } finally {
      this.busy = false;
    }
    if (this.ownsHandle) await this.fh.close();
    return this.position;
  }

  /** Stops writing and closes the file if the writer opened it; the partial archive stays for the caller to remove. */
  async abort(): Promise<void> {
    if (!this.failed) this.failed = cancelledError();
    if (this.ownsHandle && !this.finished) {
      this.finished = true;
      await this.fh.close();
    }
  }

  private enter(): void {
    if (this.failed) throw new HangarError('STATE_CONFLICT', `the archive can take no more members: ${this.failed.message}`);
    if (this.finished) throw new HangarError('STATE_CONFLICT', 'the archive is already finished');
    if (this.busy) throw new HangarError('INTERNAL', 'TarWriter: one member at a time');
    this.busy = true;
  }

  private async member(name: string, size: number, opts: TarMemberOptions, body: () => Promise<number>): Promise<void> {
    // A name or size that cannot be written is refused before anything is written.
    const mtime = seconds(opts.mtime ?? this.opts.mtime ?? Date.now());
    const header = tarHeaderBlocks({ name, size, mtime, mode: opts.mode, owner: this.opts.owner });
    this.enter();
    try {
      await this.write(header);
      const n = await body();
      if (n !== size) {
        throw new HangarError('IO_ERROR', `tar member ${displayMemberName(name)}: the source gave ${n} bytes, ${size} were declared (did the file change while it was being exported?)`);
      }
      const pad = tarPadding(size);
      if (pad) await this.write(Buffer.alloc(pad));
    } catch (e) {
      this.failed = toHangarError(e);
      throw this.failed;
    } finally {
      this.busy = false;
    }
  }

  private async write(data: Uint8Array): Promise<void> {
    if (this.opts.signal?.aborted) throw cancelledError();
    if (data.length === 0) return;
    await this.writeAt(data, this.position);
    this.position += data.length;
    this.opts.onProgress?.(this.position);
  }

  /** Writes all of `data` at `at`, without moving the end. */
  private async writeAt(data: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      try {
        const { bytesWritten } = await this.fh.write(data, done, data.length - done, at + done);
        done += bytesWritten;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw toHangarError(e);
        throw new HangarError('IO_ERROR', `cannot write the archive: ${(e as Error).message}`, { cause: e });
      }
    }
  }
}

// Lists an .ova's members by reading only their headers, at offsets: a multi-GiB archive costs a few
// small reads per member, never a pass over the disks inside.
import { open, type FileHandle } from 'node:fs/promises';
import { HangarError } from '../../src-vmm/base/errors.js';
import { readAt } from '../../src-vmm/base/readAt.node.js';
import { checkMembers, TarHeaderParser, type TarMember } from './tar.js';

export interface IndexTarOptions {
  maxMembers?: number;
  signal?: AbortSignal;
}

function ioError(path: string, e: unknown): HangarError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new HangarError('NOT_FOUND', `${path} does not exist`, { cause: e });
  return new HangarError('IO_ERROR', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
}

/**
 * Every member of the tar at `path`, in archive order, after checkMembers has passed them against
 * the file's real size. Throws INVALID_INPUT for something that is not a tar (empty, compressed,
 * zip, garbage), UNSAFE_ARCHIVE for a tar an appliance should never be (see checkMembers).
 */
export async function indexTar(path: string, opts: IndexTarOptions = {}): Promise<TarMember[]> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    let fileSize: number;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new HangarError('INVALID_INPUT', `${path} is not a file`);
      fileSize = st.size;
    } catch (e) {
      throw e instanceof HangarError ? e : ioError(path, e);
    }
    if (fileSize === 0) throw new HangarError('INVALID_INPUT', `${path} is empty`);
    const parser = new TarHeaderParser({ label: path, maxMembers: opts.maxMembers });
    for (let r = parser.next(); r; r = parser.next()) {
      if (opts.signal?.aborted) throw new HangarError('CANCELLED', 'cancelled');
      let bytes: Buffer;
      if (r.offset >= fileSize) bytes = Buffer.alloc(0);
      else {
        try {
          bytes = await readAt(fh, r.offset, Math.min(r.length, fileSize - r.offset));
        } catch (e) {
          throw ioError(path, e);
        }
      }
      parser.feed(bytes);
    }
    checkMembers(parser.members, { fileSize, label: path, maxMembers: opts.maxMembers });
    return parser.members;
  } finally {
    await fh.close();
  }
}

// Positioned reads that gather what a short read left out.
import type { FileHandle } from 'node:fs/promises';

/** Up to `length` bytes of the file at `offset`: fewer only where the file ends. */
export async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

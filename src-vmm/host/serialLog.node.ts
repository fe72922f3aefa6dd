// The serial console log: appended as bytes arrive, bounded by rotating to <file>.1.
import { closeSync, openSync, renameSync, statSync, writeSync, readFileSync, existsSync } from 'node:fs';

export class SerialLog {
  private fd: number;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = statSync(file).size;
  }

  append(chunk: Buffer): void {
    if (this.size + chunk.length > this.maxBytes) this.rotate();
    writeSync(this.fd, chunk);
    this.size += chunk.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The last `maxBytes` of a log and its rotated predecessor. */
export function readLogTail(file: string, maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  for (const f of [`${file}.1`, file]) if (existsSync(f)) parts.push(readFileSync(f));
  const all = Buffer.concat(parts);
  return all.length > maxBytes ? all.subarray(all.length - maxBytes) : all;
}

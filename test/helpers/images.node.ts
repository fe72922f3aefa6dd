// Small helpers for tests that make and inspect disk images with the real qemu-img and qemu-io.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';

/** Runs a command to its end; its stdout, or a failed assertion with its stderr. */
export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Writes a pattern into an image through QEMU's own block layer. */
export const qemuIo = (file: string, command: string, format = 'qcow2') => sh('qemu-io', ['-f', format, '-c', command, file]);

/** `length` bytes of a file from `offset` (zeroes past its end). */
export function readBytes(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

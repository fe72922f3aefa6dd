// One owner per home: a lock file holding the owner's pid and process start time.
// A lock whose process is gone (or whose pid was reused by another process) is stale and taken over.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { HangarError } from '../../src-vmm/base/errors.js';
import { toDisposable, type Disposable } from '../../src-vmm/base/disposable.js';

export interface LockInfo {
  pid: number;
  kind: string;
  startTime: string | null;
  startedAt: string;
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or null where unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterComm[19] ?? null;
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (dead, not yet reaped: an init that does not reap leaves them around) is not alive.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** The holder of the lock if it is a live process, else null. */
export function liveLockHolder(path: string): LockInfo | null {
  const info = readLock(path);
  if (!info || !Number.isInteger(info.pid)) return null;
  if (!isProcessAlive(info.pid)) return null;
  const now = processStartTime(info.pid);
  if (info.startTime && now && now !== info.startTime) return null; // pid reused
  return info;
}

export function acquireOwnerLock(path: string, kind: string): Disposable & { info: LockInfo } {
  const info: LockInfo = { pid: process.pid, kind, startTime: processStartTime(process.pid), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      const check = readLock(path);
      if (check?.pid !== process.pid) continue;
      const lock = toDisposable(() => {
        if (readLock(path)?.pid === process.pid) unlinkSync(path);
      });
      return Object.assign(lock, { info });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = liveLockHolder(path);
      if (holder && holder.pid !== process.pid) {
        throw new HangarError('OWNER_CONFLICT', `this Hangar home is already owned by ${holder.kind} (pid ${holder.pid})`, { details: holder });
      }
      try {
        unlinkSync(path); // stale: its process is gone
      } catch {
        /* someone else removed it first */
      }
    }
  }
  throw new HangarError('OWNER_CONFLICT', 'could not take the owner lock of this Hangar home (another owner is starting)');
}

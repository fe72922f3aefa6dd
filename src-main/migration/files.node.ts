// The files a VM's snapshot tree needs on the target, streamed before its memory: the target listens on
// a unix socket in the arriving VM's run folder (forwarded through ssh like the migration stream), the
// source connects once and sends each file as a header line `{"path","size"}` and its bytes; the target
// writes each into the VM's folder (private, fsynced) and answers `ok` once every announced file is
// there, or `error: …`. Only the announced files, at their announced sizes, are accepted.
import { createReadStream } from 'node:fs';
import { open, mkdir, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';

export interface Announced {
  /** relative to the VM's folder */
  path: string;
  size: number;
}

const CHUNK = 1 << 20;

/** The target's side: resolves `done` once every announced file has arrived. */
export function receiveFiles(socketPath: string, dir: string, expected: readonly Announced[]): { done: Promise<void>; dispose: () => void } {
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined);
  let busy = false;
  let finished = false;
  const server = createServer((sock) => {
    if (busy || finished) {
      sock.destroy();
      return;
    }
    busy = true;
    // The source may go at any moment (cancelled): its socket's errors end the receipt, never the owner.
    sock.on('error', () => undefined);
    receive(sock, dir, expected).then(
      () => {
        finished = true;
        if (sock.writable) sock.end('ok\n');
        resolveDone();
      },
      (e: unknown) => {
        const message = (e as Error).message;
        if (sock.writable) sock.end(`error: ${message}\n`);
        else sock.destroy();
        rejectDone(new HangarError('IO_ERROR', `receiving the snapshot files: ${message}`, { cause: e }));
      },
    );
  });
  server.listen(socketPath);
  return {
    done,
    dispose: () => {
      server.close();
      rejectDone(new HangarError('CANCELLED', 'the files were not all sent'));
    },
  };
}

async function receive(sock: Socket, dir: string, expected: readonly Announced[]): Promise<void> {
  const left = new Map(expected.map((f) => [f.path, f.size]));
  let buf: Buffer = Buffer.alloc(0);
  let file: { fh: Awaited<ReturnType<typeof open>>; remaining: number; path: string } | undefined;
  const finishFile = async () => {
    await file!.fh.sync();
    await file!.fh.close();
    file = undefined;
  };
  const startFile = async (header: string) => {
    let h: { path?: unknown; size?: unknown };
    try {
      h = JSON.parse(header) as typeof h;
    } catch {
      throw new Error('a bad header');
    }
    const path = h.path;
    const size = typeof path === 'string' ? left.get(path) : undefined;
    if (typeof path !== 'string' || size === undefined || size !== h.size) throw new Error(`a file that was not announced: ${String(path)}`);
    left.delete(path);
    const to = join(dir, path);
    await mkdir(dirname(to), { recursive: true, mode: 0o700 });
    const opened = { fh: await open(to, 'wx', 0o600), remaining: size, path };
    file = opened;
    if (opened.remaining === 0) await finishFile();
  };
  try {
    if (left.size === 0) return;
    // Not destroyed when the loop ends: the answer goes back on it.
    for await (const chunk of sock.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length) {
        if (file) {
          const n = Math.min(file.remaining, buf.length);
          await file.fh.write(buf.subarray(0, n));
          file.remaining -= n;
          buf = buf.subarray(n);
          if (file.remaining === 0) await finishFile();
        } else {
          const nl = buf.indexOf(10);
          if (nl < 0) {
            if (buf.length > 4096) throw new Error('a header line too long');
            break;
          }
          const header = buf.subarray(0, nl).toString('utf8');
          buf = buf.subarray(nl + 1);
          await startFile(header);
        }
        if (!file && left.size === 0) return;
      }
    }
    throw new Error('the source stopped sending');
  } finally {
    if (file) {
      await file.fh.close().catch(() => undefined);
      await rm(join(dir, file.path), { force: true });
    }
  }
}

/** The source's side: sends every file (at most `bandwidthBytes` a second when given) and waits for the target's answer. */
export async function sendFiles(
  socketPath: string,
  files: readonly { from: string; to: string; size: number }[],
  o: { signal: AbortSignal; bandwidthBytes?: number | undefined; onProgress: (sent: number, total: number) => void },
): Promise<void> {
  const total = files.reduce((a, f) => a + f.size, 0);
  const sock = createConnection(socketPath);
  let answer = '';
  const answered = new Promise<string>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('\n')) resolve(answer.trim());
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(answer.trim()));
  });
  answered.catch(() => undefined);
  const onAbort = () => sock.destroy();
  o.signal.addEventListener('abort', onAbort, { once: true });
  const t0 = Date.now();
  let sent = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const closed = new Promise<never>((_, j) => sock.once('close', () => j(new Error('the target closed the line'))));
    closed.catch(() => undefined);
    const write = (b: Buffer | string): Promise<unknown> => {
      if (sock.destroyed) return closed;
      return sock.write(b) ? Promise.resolve() : Promise.race([new Promise((r) => sock.once('drain', r)), closed]);
    };
    for (const f of files) {
      await write(`${JSON.stringify({ path: f.to, size: f.size })}\n`);
      if (f.size === 0) continue;
      for await (const chunk of createReadStream(f.from, { start: 0, end: f.size - 1, highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
        if (o.signal.aborted) throw cancelled();
        await write(chunk);
        sent += chunk.length;
        o.onProgress(sent, total);
        if (o.bandwidthBytes) {
          const ahead = (sent / o.bandwidthBytes) * 1000 - (Date.now() - t0);
          if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
        }
      }
    }
    const said = await answered;
    if (o.signal.aborted) throw cancelled();
    if (said !== 'ok') throw new HangarError('IO_ERROR', `the target did not take the snapshot files${said ? `: ${said.replace(/^error: /, '')}` : ''}`);
  } catch (e) {
    if (o.signal.aborted) throw cancelled();
    // A target that refuses answers why and closes the line, which a write may notice first: the
    // answer (if one came) says more than the closed line.
    const said = await Promise.race([answered.catch(() => ''), new Promise<string>((r) => setTimeout(() => r(''), 1000).unref())]);
    if (said && said !== 'ok') throw new HangarError('IO_ERROR', `the target did not take the snapshot files: ${said.replace(/^error: /, '')}`);
    throw e;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    sock.destroy();
  }
}

function cancelled(): HangarError {
  return new HangarError('CANCELLED', 'the migration was cancelled; the VM runs on here');
}

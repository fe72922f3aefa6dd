// `hangar ssh --wait`: until a deadline, waiting for a booting guest's SSH server to answer, then to
// finish a handshake. The ssh client's own arguments are the caller's.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { isTransientSshFailure } from './sshFailure.js';

/** Whether an SSH server answers (its banner, 'SSH-…') on host:port before the deadline. */
export async function waitForSshBanner(host: string, port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolveBanner) => {
      const sock = createConnection({ host, port });
      const done = (v: boolean) => {
        sock.destroy();
        resolveBanner(v);
      };
      sock.setTimeout(5000, () => done(false));
      sock.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-')));
      sock.once('error', () => done(false));
      sock.once('close', () => done(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

/**
 * After the first banner, a booting guest can still drop the next connection (sshd restarted by
 * cloud-init, a guest too busy to answer in time). Until the deadline, a quiet login (`true`, no
 * prompts) is tried again while it fails that way; any other outcome (logged in, a refused key, a
 * changed host key) ends the wait, and the person's own ssh says what it says. Returns the logins tried.
 * (ssh keeps the first value an option is given: the probe's LogLevel=INFO, which prints the
 * 'Connection closed by …' this reads, comes before the caller's.)
 */
export async function waitForSshHandshake(args: readonly string[], deadline: number): Promise<number> {
  let attempts = 0;
  while (Date.now() < deadline) {
    attempts++;
    const probe = await new Promise<{ code: number | null; stderr: string }>((resolveProbe) => {
      const child = spawn('ssh', ['-o', 'BatchMode=yes', '-o', 'LogLevel=INFO', ...args, '--', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4096)));
      child.on('error', () => resolveProbe({ code: null, stderr }));
      child.on('close', (code) => resolveProbe({ code, stderr }));
    });
    if (!(probe.code === 255 && isTransientSshFailure(probe.stderr))) return attempts;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return attempts;
}

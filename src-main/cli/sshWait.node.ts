// `hangar ssh --wait`: until a deadline, waiting for a booting guest's SSH server to answer, then for a
// login to get through and cloud-init to finish the boot. The ssh client's own arguments are the caller's.
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
 * The remote command of the wait's logins: returns once cloud-init (when the guest has it) has finished
 * every stage of the boot, which can still restart sshd after it first answers.
 */
export const READY_COMMAND = 'if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null 2>&1; fi; exit 0';

/**
 * After the first banner, a quiet login (no prompts) runs READY_COMMAND. A booting guest can drop the
 * connection (sshd restarted by cloud-init, a guest too busy to answer in time): while a login fails
 * that way, it is tried again. Any other outcome (done, a refused key, a changed host key) ends the
 * wait, and the person's own ssh says what it says; at the deadline a login still waiting is ended.
 * Returns the logins tried. (ssh keeps the first value an option is given: the probe's LogLevel=INFO,
 * which prints the 'Connection closed by …' this reads, comes before the caller's.)
 */
export async function waitForSshLogin(args: readonly string[], deadline: number): Promise<number> {
  let attempts = 0;
  while (Date.now() < deadline) {
    attempts++;
    const probe = await new Promise<{ code: number | null; stderr: string }>((resolveProbe) => {
      const child = spawn('ssh', ['-o', 'BatchMode=yes', '-o', 'LogLevel=INFO', ...args, '--', READY_COMMAND], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4096)));
      child.on('error', () => resolveProbe({ code: null, stderr }));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolveProbe({ code, stderr });
      });
    });
    if (!(probe.code === 255 && isTransientSshFailure(probe.stderr))) return attempts;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return attempts;
}

// Processes of a test, caught in the act: a qemu-img step frozen with SIGSTOP as soon as it runs, so
// an operation is certainly "during" another (a disk made slow to order, not a race).
import { readdirSync, readFileSync } from 'node:fs';

/** The command line of every process, by pid (processes that end meanwhile are left out). */
export function processes(): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length) out.push({ pid: Number(name), argv });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** SIGSTOPs the first qemu-img `sub` command working on a file under `under`, as soon as it runs. */
export async function freezeQemuImg(sub: string, under: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const p = processes().find((x) => x.argv[0]!.endsWith('qemu-img') && x.argv[1] === sub && x.argv.some((a) => a.startsWith(under)));
    if (p) {
      process.kill(p.pid, 'SIGSTOP');
      return p.pid;
    }
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no 'qemu-img ${sub}' on ${under} appeared within ${timeoutMs} ms`);
}

/** Lets a frozen process run again (it may have ended meanwhile). */
export function thaw(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    /* it has ended */
  }
}

// Quick create benchmarks.
//   - From `hangar create --image` to the first successful `hangar ssh VM -- true`, against bare QEMU
//     booting the same image (an overlay made by qemu-img) with a hand-made seed (cloud-localds, from
//     Debian's cloud-image-utils: not Hangar's code) to the same SSH login, in the same run.
//   - Creating a second VM from the same library image (the CLI call) against bare `qemu-img create -b`.
//   - (`npm run bench -- install`) A complete unattended Debian installation from the netboot ISO, from
//     `hangar start` to the installation task's success (installed, media ejected), shown beside the
//     installed system's own boot to its login prompt (same VM). No bare-QEMU reference for this one.
//     The netboot installer fetches its components (udebs) from deb.debian.org: where the archive does
//     not serve them (this workplace's Debian registry answers 404 for every .udeb), the installer stops
//     at 'Download installer components' and the bench ends there, naming the question, instead of
//     waiting out its deadline.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { quickCreateFixtures } from '../fixtures/quickcreate.node.js';
import { median, type BenchFigure } from './results.js';
import { freePort } from '../helpers/sshd.node.js';
import { QUESTION_PHASE } from '../../src-main/quickcreate/installers.js';

const round1 = (x: number) => Math.round(x * 10) / 10;
const MEMORY_MIB = 1024;
const SSH_DEADLINE_MS = 20 * 60_000;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Tries `attempt` every second until it succeeds; returns when it did, throws after the deadline. */
async function until(what: string, attempt: () => Promise<boolean> | boolean, deadlineMs = SSH_DEADLINE_MS): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > end) throw new Error(`bench: ${what} did not happen within ${deadlineMs / 60_000} min`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Bare QEMU on the image with a cloud-localds seed, timed to the first `ssh … true` that succeeds. */
async function bareBootToSsh(image: string, work: string): Promise<number> {
  const key = join(work, 'id_bare');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  writeFileSync(
    join(work, 'user-data'),
    `#cloud-config\nhostname: bare\nusers:\n  - name: bench\n    shell: /bin/bash\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    ssh_authorized_keys:\n      - ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`,
  );
  writeFileSync(join(work, 'meta-data'), 'instance-id: bare-1\nlocal-hostname: bare\n');
  const seed = join(work, 'seed.iso');
  const overlay = join(work, 'overlay.qcow2');
  const port = await freePort();
  const t0 = performance.now();
  run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'qcow2', overlay, '20G']);
  run('cloud-localds', [seed, join(work, 'user-data'), join(work, 'meta-data')]);
  // The machine Hangar gives a Linux guest under TCG: pc, virtio disk and NIC, an IDE CD, 2 CPUs.
  const qemu: ChildProcess = spawn(
    'qemu-system-x86_64',
    ['-machine', 'pc', '-accel', 'tcg', '-cpu', 'max,-la57,-vmx,-svm', '-smp', '2', '-m', String(MEMORY_MIB), '-nodefaults', '-display', 'none', '-serial', `file:${join(work, 'serial.log')}`,
      '-drive', `file=${overlay},if=virtio,format=qcow2`, '-drive', `file=${seed},media=cdrom,if=ide,format=raw`,
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0', '-device', 'virtio-vga'],
    { stdio: 'ignore' },
  );
  try {
    await until('bare QEMU: ssh bench@guest true', () => {
      const r = spawnSync('ssh', ['-p', String(port), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', 'bench@127.0.0.1', 'true'], { timeout: 30_000 });
      return r.status === 0;
    });
    return performance.now() - t0;
  } finally {
    qemu.kill('SIGKILL');
  }
}

export async function quickCreateBench(): Promise<BenchFigure[]> {
  const fx = quickCreateFixtures();
  const { home, cleanup } = tempHome('hangar-bench-qc-');
  const work = mkdtempSync(join(tmpdir(), 'hangar-bench-qc-bare-'));
  const ok = async (...args: string[]) => {
    const r = await runCli(home, args, { timeoutMs: SSH_DEADLINE_MS });
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };
  try {
    await ok('image', 'add', fx.cloudImage, '--name', 'debian');
    const lib = (await ok('image', 'list', '--json')).json.images[0] as { path: string };

    // Creating from the library: the CLI call, against the one qemu-img call it makes.
    await ok('create', '--name', 'warm', '--image', 'debian'); // the owner is up, the caches warm
    const createMs: number[] = [];
    const bareCreateMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await ok('create', '--name', `c${i}`, '--image', 'debian');
      createMs.push(performance.now() - t0);
      const b0 = performance.now();
      run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', lib.path, '-F', 'qcow2', join(work, `c${i}.qcow2`), '20G']);
      bareCreateMs.push(performance.now() - b0);
    }

    // To the first SSH login: Hangar first, then bare QEMU, one after the other on the same machine.
    const t0 = performance.now();
    await ok('create', '--name', 'ssh-bench', '--image', 'debian', '--memory', String(MEMORY_MIB));
    await ok('start', 'ssh-bench');
    await until('hangar ssh ssh-bench -- true', async () => (await runCli(home, ['ssh', 'ssh-bench', '--', 'true'], { timeoutMs: 60_000 })).code === 0);
    const hangarMs = performance.now() - t0;
    await ok('stop', 'ssh-bench', '--force');
    const bareMs = await bareBootToSsh(lib.path, work);

    return [
      {
        name: 'quick create: create --image to the first hangar ssh VM -- true',
        value: round1(hangarMs / 1000),
        unit: 's',
        reference: round1(bareMs / 1000),
        referenceName: 'bare QEMU, same image, cloud-localds seed, to the same SSH login',
        ratio: hangarMs / bareMs,
        note: `TCG, ${MEMORY_MIB} MiB, 2 CPUs; one run each, one after the other`,
      },
      {
        name: 'quick create: create --image (a second VM from the library image)',
        value: Math.round(median(createMs)),
        unit: 'ms',
        reference: Math.round(median(bareCreateMs)),
        referenceName: 'qemu-img create -b (the overlay alone)',
        ratio: median(createMs) / median(bareCreateMs),
        note: 'median of 5; the CLI call includes the seed (xorriso), two ssh-keygen runs and the inventory',
      },
    ];
  } finally {
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A complete unattended installation of Debian 12 from the netboot ISO: from `hangar start` to the
 * installed system's login prompt (the task ejects the media; the next start boots the disk).
 */
export async function installBench(): Promise<BenchFigure[]> {
  const fx = quickCreateFixtures();
  const { home, cleanup } = tempHome('hangar-bench-install-');
  const deadline = 3 * 3600_000;
  const ok = async (...args: string[]) => {
    const r = await runCli(home, args, { timeoutMs: deadline });
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };
  try {
    await ok('create', '--name', 'inst', '--iso', fx.media.debian, '--unattended', '--user', 'bench', '--password', 'bench pass', '--disk', '8G');
    const t0 = performance.now();
    await ok('start', 'inst');
    let last = '';
    await until(
      'the unattended installation',
      async () => {
        const task = ((await ok('tasks', '--json')).json.tasks as { kind: string; state: string; phase: string | null; error: string | null }[]).find((t) => t.kind === 'vm.install');
        last = task ? `${task.state}: ${task.phase ?? ''} ${task.error ?? ''}` : last;
        if (task?.state === 'failed') throw new Error(`bench: the installation failed: ${task.error}`);
        // The installer waits at a question (an error it could not get past): nothing will happen by itself.
        if (task?.phase?.startsWith(QUESTION_PHASE)) throw new Error(`bench: the installer stopped after ${round1((performance.now() - t0) / 60_000)} min: ${task.phase}`);
        return task?.state === 'succeeded';
      },
      deadline,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message} (last: ${last})`);
    });
    const installMs = performance.now() - t0;
    const shown = (await ok('show', 'inst', '--json')).json;
    if (shown.install || shown.boot.kernel || shown.opticals.some((o: { path: string | null }) => o.path)) throw new Error('bench: the media was not ejected');
    const b0 = performance.now();
    await ok('start', 'inst', '--wait-serial', 'login:', '--timeout', '1800');
    const bootMs = performance.now() - b0;
    return [
      {
        name: 'unattended install: Debian 12 netboot, start to installed and ejected',
        value: round1(installMs / 60_000),
        unit: 'min',
        reference: round1(bootMs / 60_000),
        referenceName: 'the installed system booting to login: (same VM)',
        ratio: installMs / bootMs,
        note: 'downloads from deb.debian.org; TCG',
      },
    ];
  } finally {
    await cleanup();
  }
}

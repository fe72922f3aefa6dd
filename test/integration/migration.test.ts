// Live migration (issue 20) with real QEMU under TCG, between homes on this machine and through an sshd
// the test starts on 127.0.0.1 with its own keys. One busybox guest with two live snapshots goes around
// the homes and counts on its serial console all the while: A → B (shared storage), a cancelled and an
// interrupted try back to A, a cancel while its snapshots are being copied to C, B → C with
// --copy-storage while it writes to its disk, C → D through SSH. Its snapshot tree goes with it, and the
// older snapshot restores on B and on C with the data written before it. Bad input first, on VMs that
// never boot (or, for the firmware, one that boots into OVMF only).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';

const VM = 'mover';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The counter lines the guest printed, in order (`C:<n>:E`). */
function counts(text: string): number[] {
  return [...text.matchAll(/C:(\d+):E/g)].map((m) => Number(m[1]));
}

function vmFolders(home: string): string[] {
  try {
    return readdirSync(join(home, 'VMs'));
  } catch {
    return [];
  }
}

function qemuImgCheck(file: string): void {
  execFileSync('qemu-img', ['check', '-U', file], { stdio: 'pipe' });
}

/** `qemu-img check` of every image in these homes' VM folders; how many there were. */
function checkEveryImage(...homes: string[]): number {
  let n = 0;
  for (const home of homes) {
    for (const id of vmFolders(home)) {
      const dir = join(home, 'VMs', id, 'disks');
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.qcow2'))) {
        qemuImgCheck(join(dir, f));
        n++;
      }
    }
  }
  return n;
}

/** The guest's disk as the image `top` (and its chain) holds it: the text at sector 20. */
function sector20(top: string): string {
  const dump = execFileSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', 'read -v 10240 16', top], { encoding: 'utf8' });
  // qemu-io shows the dash as a dot
  const m = /SNAPDATA.(ONE|TWO)/.exec(dump);
  return m ? `SNAPDATA-${m[1]}` : dump;
}

describe('live migration', () => {
  const guest = fixtureGuest();
  const work = mkdtempSync(join(tmpdir(), 'hangar-mig-'));
  // A, B, C, D: where the guest goes; E: a target without UEFI firmware; F: the VMs that cannot move.
  const homes = ['A', 'B', 'C', 'D', 'E', 'F'].map((n) => tempHome(`hangar-mig-${n}-`));
  const [A, B, C, D, E, F] = homes.map((h) => h.home) as [string, string, string, string, string, string];
  let sshd: ChildProcess | undefined;
  const sshConfig = join(work, 'ssh_config');
  // Every owner gets the ssh settings (owners take their environment from the CLI that started them).
  const env = { HANGAR_SSH_CONFIG: sshConfig, HANGAR_REMOTE_HANGAR: `${process.execPath} ${cliPath}` };
  // E's owner sees no UEFI firmware (a test seam: a host without the ovmf package).
  const h = (home: string, ...args: string[]) => runCli(home, args, { env: home === E ? { ...env, HANGAR_TEST: '1', HANGAR_TEST_NO_OVMF: '1' } : env });
  const ok = async (home: string, ...args: string[]) => {
    const r = await h(home, ...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** Refused in one line with this exit status, and saying this. */
  const refused = async (home: string, args: string[], code: number, says: RegExp) => {
    const r = await h(home, ...args);
    assert.equal(r.code, code, `hangar ${args.join(' ')} exits ${code}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, says);
  };
  /** The snapshot tree as `snapshot list` shows it: ids, names, parents, descriptions, live, the current one. */
  type Tree = { snapshots: { id: string; name: string; parentId: string | null; description: string; live: boolean; createdAt: string }[]; current: string | null };
  const treeOf = async (home: string): Promise<Tree> => {
    const j = (await ok(home, 'snapshot', 'list', VM, '--json')).json as { snapshots: Tree['snapshots']; currentSnapshotId: string | null };
    return { snapshots: j.snapshots.map((x) => ({ id: x.id, name: x.name, parentId: x.parentId, description: x.description, live: x.live, createdAt: x.createdAt })), current: j.currentSnapshotId };
  };
  let sourceTree: Tree;
  /** Powered off, the older snapshot restored (live: the VM is saved), the data written before it on the disk, started again (it resumes). */
  const restoreOlder = async (home: string) => {
    await ok(home, 'stop', VM, '--force');
    await ok(home, 'snapshot', 'restore', VM, 'S1');
    assert.equal(sector20((await ok(home, 'show', VM, '--json')).json.disks[0].path as string), 'SNAPDATA-ONE', 'the data written before S1');
    await ok(home, 'start', VM);
    const was = (await h(home, 'serial', VM)).stdout.length;
    await waitUntil('counting after the restore', async () => (counts((await h(home, 'serial', VM)).stdout.slice(was)).length > 2 ? true : undefined), 60_000);
    const tree = await treeOf(home);
    assert.equal(tree.current, tree.snapshots.find((x) => x.name === 'S1')!.id);
    return tree;
  };
  const running = async (home: string) => ((await ok(home, 'list', '--json')).json.vms.map((v: { name: string; state: string }) => `${v.name}:${v.state}`) as string[]).sort();

  after(async () => {
    sshd?.kill('SIGTERM');
    for (const x of homes) await x.cleanup().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  before(async () => {
    writeFileSync(sshConfig, '');
    // The guest: 128 MiB, an 8 MiB blank disk, counting on its console five times a second; a value in its RAM (initramfs).
    await ok(A, 'create', '--name', VM, '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', '8M', '--memory', '128', '--nic', 'none');
    await ok(A, 'start', VM, '--wait-serial', GUEST_READY, '--timeout', '300');
    await waitUntil('the shell', async () => ((await h(A, 'serial', VM)).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    await ok(A, 'send', VM, 'echo RAM-$((6*7))-VALUE > /ramvalue; i=0; while true; do i=$((i+1)); printf "%08d" $i | dd of=/dev/vda bs=512 seek=7 count=1 conv=sync,fsync 2>/dev/null; echo "C:$i:E"; sleep 0.2; done &');
    await waitUntil('the counter', async () => (counts((await h(A, 'serial', VM)).stdout).length > 3 ? true : undefined), 60_000);
    // Two live snapshots: S1 with SNAPDATA-ONE at sector 20 of the disk, S2 with SNAPDATA-TWO over it.
    for (const [n, word] of [[1, 'ONE'], [2, 'TWO']] as const) {
      await ok(A, 'send', VM, `echo SNAPDATA-${word} | dd of=/dev/vda bs=512 seek=20 count=1 conv=sync,fsync 2>/dev/null && echo MARK-$((${n}*100))-DONE`);
      await waitUntil(`the mark ${n}`, async () => ((await h(A, 'serial', VM)).stdout.includes(`MARK-${n * 100}-DONE`) ? true : undefined), 30_000);
      await ok(A, 'snapshot', 'take', VM, '--name', `S${n}`, '--description', `before ${n === 1 ? 'the first' : 'the second'} move`);
    }
    sourceTree = await treeOf(A);
    assert.equal(sourceTree.snapshots.length, 2);
  });

  test('bad input: one line each, nothing changed', async (t) => {
    const t0 = performance.now();
    // Usage.
    await refused(A, ['migrate', VM], 2, /needs --to/);
    await refused(A, ['migrate', VM, '--to', 'somewhere'], 2, /not a migration target/);
    await refused(A, ['migrate', VM, '--to', 'home:relative/path'], 2, /absolute path/);
    await refused(A, ['migrate', VM, '--to', 'ssh://-oProxyCommand=x'], 2, /not a host name/);
    await refused(A, ['migrate', VM, '--to', `home:${A}`], 2, /the target is this home/);
    // An unreachable target (nothing listens on the port).
    const closed = await freePort();
    await refused(A, ['migrate', VM, '--to', `ssh://127.0.0.1:${closed}`], 1, /cannot reach the target.*(refused|Connection)/i);
    // A share cannot move.
    const shared = join(work, 'shared');
    mkdirSync(shared);
    await ok(F, 'create', '--name', 'sharer', '--disk', 'none', '--nic', 'none', '--memory', '64', '--share', `${shared},tag=s1,mode=9p`);
    await refused(F, ['migrate', 'sharer', '--to', `home:${E}`], 1, /shares host folders \('s1'\), which cannot move/);
    // A linked clone, and the VM it is based on.
    await ok(F, 'create', '--name', 'base', '--disk', '4M', '--nic', 'none', '--memory', '64');
    await ok(F, 'clone', 'base', '--name', 'lc', '--linked');
    await refused(F, ['migrate', 'base', '--to', `home:${E}`], 1, /linked clone\(s\) 'lc' depend on its disks/);
    await refused(F, ['migrate', 'lc', '--to', `home:${E}`], 1, /is a linked clone of 'base'/);
    // A VM that does not run.
    await ok(F, 'create', '--name', 'idle', '--disk', 'none', '--nic', 'none', '--memory', '64');
    await refused(F, ['migrate', 'idle', '--to', `home:${E}`], 1, /is stopped: only a running VM migrates/);
    // A name already used on the target.
    await ok(E, 'create', '--name', VM, '--disk', 'none', '--nic', 'none', '--memory', '64');
    await refused(A, ['migrate', VM, '--to', `home:${E}`], 1, new RegExp(`a VM named '${VM}' already exists on the target`));
    assert.deepEqual(await running(E), [`${VM}:stopped`]);
    assert.equal(vmFolders(E).length, 1, 'nothing of the refused VM on the target');
    await ok(E, 'delete', VM);
    // A target without the firmware the VM needs (a UEFI VM; the target's owner sees no OVMF).
    await ok(F, 'create', '--name', 'efi', '--firmware', 'uefi', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', 'none', '--nic', 'none', '--memory', '128');
    await ok(F, 'start', 'efi');
    await refused(F, ['migrate', 'efi', '--to', `home:${E}`], 1, /UEFI firmware \(OVMF\) is not installed/);
    assert.deepEqual(await running(E), []);
    assert.deepEqual(vmFolders(E), [], 'no folder left on the target');
    assert.ok((await running(F)).includes('efi:running'), 'the VM runs on');
    await ok(F, 'stop', 'efi', '--force');
    assert.deepEqual(await running(A), [`${VM}:running`]);
    assert.deepEqual(await running(F), ['idle:stopped', 'sharer:stopped', 'base:stopped', 'lc:stopped', 'efi:stopped'].sort());
    t.diagnostic(`took ${Math.round(performance.now() - t0)} ms`);
  });

  test('between two homes (shared storage): the guest counts on, its RAM survives, the downtime is recorded', async () => {
    // The console as a person follows it on the source, until the VM leaves.
    const follow = spawn(process.execPath, [cliPath, 'serial', VM, '--follow'], { env: { ...process.env, ...env, HANGAR_HOME: A } });
    let followed = '';
    follow.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    const disk = (await ok(A, 'show', VM, '--json')).json.disks[0].path as string;
    const r = await ok(A, 'migrate', VM, '--to', `home:${B}`, '--json');
    // What the source's console had sent before the switch-over reaches the follower (its end comes with the VM's).
    let seen = -1;
    await waitUntil('the follower to have it all', () => (followed.length === seen ? true : ((seen = followed.length), undefined)), 10_000, 500);
    follow.kill('SIGTERM');
    assert.equal(r.json.vm, VM);
    assert.equal(r.json.target, `home:${B}`);
    assert.equal(typeof r.json.downtimeMs, 'number', 'the downtime QEMU reported');
    assert.ok(r.json.totalMs > 0 && r.json.transferredBytes > 0, JSON.stringify(r.json));
    // Gone from the source, running on the target with the same disk (shared storage).
    assert.deepEqual(await running(A), []);
    assert.deepEqual(await running(B), [`${VM}:running`]);
    assert.equal((await ok(B, 'show', VM, '--json')).json.disks[0].path, disk);
    // It counts on, without a reset and without a lost line: the source's last lines and the target's first follow on.
    await waitUntil('counting on the target', async () => (counts((await h(B, 'serial', VM)).stdout).length > 3 ? true : undefined), 60_000);
    const there = (await h(B, 'serial', VM)).stdout;
    assert.ok(!there.includes(GUEST_READY), 'no reboot on the target');
    // A line may be split at the switch-over: its start went out here, its end was still in the UART and comes out there.
    const seq = counts(`${followed}${there.replace(/^[\s\S]*?(?=\d*:E|C:)/, '')}`);
    assert.ok(counts(followed).length > 0, 'the source printed some');
    for (let k = 1; k < seq.length; k++) assert.equal(seq[k], seq[k - 1]! + 1, `no line lost around ${seq[k - 1]}: ${seq.slice(Math.max(0, k - 3), k + 3).join(',')}`);
    assert.ok(Math.max(...counts(there)) > Math.max(...counts(followed)), 'the target went on from where the source stopped');
    // The value in its memory.
    await ok(B, 'send', VM, 'cat /ramvalue');
    await waitUntil('the RAM value', async () => ((await h(B, 'serial', VM)).stdout.includes('RAM-42-VALUE') ? true : undefined), 30_000);
    // The snapshot tree came with it, used in place; every image is sound; the older snapshot restores.
    assert.deepEqual(await treeOf(B), sourceTree);
    assert.ok(checkEveryImage(A, B) >= 3);
    sourceTree = await restoreOlder(B);
  });

  /** Starts `migrate` from B slowly (1 MiB/s) and resolves once its task is copying (memory, or with --copy-storage the snapshots first). */
  const slowMigration = async (to = A, ...more: string[]) => {
    const child = spawn(process.execPath, [cliPath, 'migrate', VM, '--to', `home:${to}`, '--bandwidth', '1', ...more], { env: { ...process.env, ...env, HANGAR_HOME: B } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await waitUntil(
      'the pre-copy',
      async () => {
        const t = (await ok(B, 'tasks', '--json')).json.tasks.find((x: { kind: string; state: string }) => x.kind === 'vm.migrate' && x.state === 'running');
        return t && t.progress > 0 ? t : undefined;
      },
      60_000,
    );
    return { child, ended, stderr: () => stderr };
  };

  /** A has no VM, and of the VM's old folder only the note and the disks it uses from B (shared storage). */
  const nothingOnA = async () => {
    assert.deepEqual(await running(A), []);
    // (the snapshots' RAM states stay too, used in place by B)
    const asItWas = (id: string) => readdirSync(join(A, 'VMs', id)).sort().join() === 'MIGRATED,disks,snapshots' && readdirSync(join(A, 'VMs', id, 'snapshots')).every((f) => f.endsWith('.vmstate'));
    await waitUntil('the target folder to be as it was', () => (vmFolders(A).every(asItWas) ? true : undefined), 30_000);
  };

  /** The VM runs on B and counts on, its disk passes qemu-img check; A has nothing of it. */
  const stillOnB = async () => {
    assert.deepEqual(await running(B), [`${VM}:running`]);
    await nothingOnA();
    // (new lines: after a restore the guest counts again from the snapshot's value)
    const was = (await h(B, 'serial', VM)).stdout.length;
    await waitUntil('counting on', async () => (counts((await h(B, 'serial', VM)).stdout.slice(was)).length > 2 ? true : undefined), 30_000);
    qemuImgCheck((await ok(B, 'show', VM, '--json')).json.disks[0].path);
    assert.deepEqual(await treeOf(B), sourceTree, 'the snapshot tree is as it was');
  };

  test('a cancel during pre-copy leaves the VM running on the source and nothing on the target', async () => {
    const m = await slowMigration();
    m.child.kill('SIGINT');
    const code = await m.ended;
    assert.equal(code, 1, m.stderr());
    assert.match(m.stderr(), /cancelled/);
    await stillOnB();
  });

  test('the target owner killed mid-migration: the VM runs on the source, the target has nothing', async () => {
    const m = await slowMigration();
    const ownerPid = (JSON.parse(readFileSync(join(A, 'owner.lock'), 'utf8')) as { pid: number }).pid;
    process.kill(ownerPid, 'SIGKILL');
    const code = await m.ended;
    assert.equal(code, 1, m.stderr());
    // The next owner of the target cleans up after the arrival its predecessor did not see through.
    await stillOnB();
  });

  test('a cancel while the snapshots are copied (--copy-storage) leaves the VM and its tree on the source and nothing on the target', async () => {
    const m = await slowMigration(C, '--copy-storage');
    m.child.kill('SIGINT');
    assert.equal(await m.ended, 1, m.stderr());
    assert.match(m.stderr(), /cancelled/);
    assert.deepEqual(await running(C), []);
    assert.deepEqual(vmFolders(C), [], 'no folder left on the target');
    await stillOnB();
    checkEveryImage(A, B);
  });

  test('--copy-storage: the disk is mirrored while the guest writes to it, and the target has the writes', async () => {
    const id = (await ok(B, 'show', VM, '--json')).json.id as string;
    const r = await ok(B, 'migrate', VM, '--to', `home:${C}`, '--copy-storage', '--json');
    assert.ok(r.json.mirroredBytes > 0, JSON.stringify(r.json));
    assert.deepEqual(await running(B), []);
    const target = (await ok(C, 'show', VM, '--json')).json.disks[0].path as string;
    assert.ok(target.startsWith(join(C, 'VMs')), `the disk is in the target's folder: ${target}`);
    assert.ok(!existsSync(join(B, 'VMs', id)), "the source's folder went");
    await waitUntil('counting on the target', async () => (counts((await h(C, 'serial', VM)).stdout).length > 3 ? true : undefined), 60_000);
    const printed = Math.max(...counts((await h(C, 'serial', VM)).stdout));
    // The guest writes the counter to its disk before printing it: the target's disk has it.
    const dump = execFileSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', 'read -v 3584 8', target], { encoding: 'utf8' });
    const onDisk = Number(/^00000e00:(?:\s+[0-9a-f]{2}){8}\s+(\d{8})/m.exec(dump)?.[1]);
    assert.ok(onDisk >= printed, `the target's disk has the counter ${onDisk} (printed ${printed})`);
    // The tree came too, its images and RAM states copied into C's folder: sound, and the older snapshot restores.
    assert.deepEqual(await treeOf(C), sourceTree);
    const chain = (await ok(C, 'show', VM, '--json')).json.disks[0].chain as string[];
    assert.ok(chain.length >= 2 && chain.every((p) => p.startsWith(join(C, 'VMs'))), `the chain is C's own: ${chain.join(' ← ')}`);
    assert.ok(checkEveryImage(C) >= 3);
    sourceTree = await restoreOlder(C);
  });

  test('through SSH to this machine (an sshd of the test, its own keys)', async () => {
    const keys = join(work, 'keys');
    mkdirSync(keys, { mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'host')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'user')]);
    writeFileSync(join(keys, 'authorized_keys'), readFileSync(join(keys, 'user.pub')), { mode: 0o600 });
    const port = await freePort();
    const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    writeFileSync(join(keys, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(keys, 'host.pub'), 'utf8')}`);
    writeFileSync(
      join(keys, 'sshd_config'),
      [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(keys, 'host')}`, `AuthorizedKeysFile ${join(keys, 'authorized_keys')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'PermitRootLogin prohibit-password', 'StrictModes no', 'AllowStreamLocalForwarding yes', `PidFile ${join(keys, 'sshd.pid')}`, ''].join('\n'),
    );
    writeFileSync(sshConfig, ['Host 127.0.0.1', `  IdentityFile ${join(keys, 'user')}`, `  UserKnownHostsFile ${join(keys, 'known_hosts')}`, '  StrictHostKeyChecking yes', '  IdentitiesOnly yes', ''].join('\n'));
    mkdirSync('/run/sshd', { recursive: true });
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(keys, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let sshdLog = '';
    sshd.stderr!.on('data', (d: Buffer) => (sshdLog += d.toString()));
    await waitUntil('sshd', () => (/listening on/i.test(sshdLog) ? true : undefined), 20_000);

    const r = await h(C, 'migrate', VM, '--to', `ssh://${user}@127.0.0.1:${port}${D}`, '--copy-storage', '--json');
    assert.equal(r.code, 0, `${r.stderr}\nsshd: ${sshdLog}`);
    assert.equal(r.json.target, `ssh://${user}@127.0.0.1:${port}${D}`);
    assert.deepEqual(await running(C), []);
    assert.deepEqual(await running(D), [`${VM}:running`]);
    const before = Math.max(...counts((await h(D, 'serial', VM)).stdout), 0);
    await waitUntil('counting on the target', async () => (Math.max(...counts((await h(D, 'serial', VM)).stdout), 0) > before + 2 ? true : undefined), 60_000);
    await ok(D, 'send', VM, 'cat /ramvalue');
    await waitUntil('the RAM value', async () => ((await h(D, 'serial', VM)).stdout.includes('RAM-42-VALUE') ? true : undefined), 30_000);
    assert.deepEqual(await treeOf(D), sourceTree, 'the tree went through SSH too');
    assert.ok(checkEveryImage(D) >= 3);
  });
});

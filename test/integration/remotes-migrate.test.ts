// Live migration between two remotes (issue 22, point 4), for real: two of Debian's libvirtd side by
// side (test/helpers/libvirtd.node.ts: each in its own mount namespace, with its own host UUID and
// migration ports), one busybox domain counting on its serial console. Bad input first (nothing
// changes), then a throttled migration cancelled (it runs on A, B has nothing), then A → B on storage
// both see (it counts on at B, gone from A), then B → A copying its disk into A's pool, and a cancelled
// copy back (the volume made on B goes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRefused, cliIn, cliPath, tempHome, waitUntil } from '../helpers/cli.node.js';
import { startLibvirtd, testDomainXml, type LibvirtDaemon } from '../helpers/libvirtd.node.js';
import { fixturesDir } from '../helpers/paths.js';

const DOMAIN = 'mover';


/** the counter's values on a serial console (C:n:E lines) */
function counts(text: string): number[] {
  return [...text.matchAll(/C:(\d+):E/g)].map((m) => Number(m[1]));
}

describe('remotes: live migration between two libvirt hosts', () => {
  const { home, cleanup } = tempHome('hangar-lvmig-');
  // storage both daemons see (as NFS would be): a folder outside their private mounts
  const shared = mkdtempSync(join(tmpdir(), 'hangar-lvmig-shared-'));
  let a: LibvirtDaemon;
  let b: LibvirtDaemon;
  const { h, ok } = cliIn(home);
  const refused = assertRefused;
  const names = async (lv: LibvirtDaemon) => (await lv.virsh(['list', '--all', '--name'])).split('\n').map((s) => s.trim()).filter(Boolean).sort();
  const serial = async (where: string) => (await ok('serial', `${where}/${DOMAIN}`)).stdout;
  /** it runs on `lv` (and only there) and counts on past what it had printed */
  const countsOn = async (where: 'a' | 'b', lv: LibvirtDaemon, other: LibvirtDaemon, after: number) => {
    assert.equal((await lv.virsh(['domstate', DOMAIN])).trim(), 'running');
    assert.ok(!(await names(other)).includes(DOMAIN), `nothing of ${DOMAIN} on the other host: ${(await names(other)).join(',')}`);
    const seen = await waitUntil(`counting on at ${where}`, async () => {
      const c = counts(await serial(where));
      return c.length && Math.max(...c) > after + 2 ? c : undefined;
    }, 60_000, 1000);
    return Math.max(...seen);
  };

  /** `hangar migrate a/DOMAIN --to b --bandwidth 1 …ARGS` started, once its task has sent some */
  const slowMigration = async (...args: string[]) => {
    const child = spawn(process.execPath, [cliPath, 'migrate', `a/${DOMAIN}`, '--to', 'b', '--bandwidth', '1', ...args], { env: { ...process.env, HANGAR_HOME: home } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const task = await waitUntil('the copy', async () => {
      const t = (await ok('tasks', '--json')).json.tasks.find((x: { kind: string; state: string }) => x.kind === 'remote.migrate' && x.state === 'running');
      return t && t.progress > 0 ? t : undefined;
    }, 60_000, 500);
    return { child, ended, stderr: () => stderr, task };
  };

  before(async () => {
    // distinct migration port ranges: each daemon's incoming QEMU listens on its own
    [a, b] = await Promise.all([startLibvirtd({ migrationPorts: [49300, 49339] }), startLibvirtd({ migrationPorts: [49340, 49379] })]);
    const disk = join(shared, `${DOMAIN}.qcow2`);
    copyFileSync(join(fixturesDir, 'test-disk.qcow2'), disk);
    writeFileSync(join(a.dir, 'd.xml'), testDomainXml(DOMAIN, disk, { memoryMiB: 128 }));
    await a.virsh(['define', join(a.dir, 'd.xml')]);
    // a domain that is not running, on A
    copyFileSync(join(fixturesDir, 'test-disk.qcow2'), join(shared, 'idle.qcow2'));
    writeFileSync(join(a.dir, 'i.xml'), testDomainXml('idle', join(shared, 'idle.qcow2')));
    await a.virsh(['define', join(a.dir, 'i.xml')]);
    await ok('remote', 'add', 'a', a.uri);
    await ok('remote', 'add', 'b', b.uri);
    await ok('start', `a/${DOMAIN}`);
    await waitUntil('the guest to boot', async () => (/TESTGUEST READY/.test(await serial('a')) ? true : undefined), 180_000, 1000);
    await ok('send', `a/${DOMAIN}`, 'i=0; while true; do i=$((i+1)); echo "C:$i:E"; sleep 0.2; done &');
    await waitUntil('the counter', async () => (counts(await serial('a')).length > 3 ? true : undefined), 60_000, 1000);
  });
  after(async () => {
    await cleanup();
    await a?.stop();
    await b?.stop();
    rmSync(shared, { recursive: true, force: true });
  });

  test('bad input: unknown remote, the same remote, not running, a name taken on the target, the target unreachable: one line each, nothing changed', async () => {
    const unchanged = async () => {
      assert.deepEqual(await names(a), ['idle', DOMAIN]);
      assert.equal((await a.virsh(['domstate', DOMAIN])).trim(), 'running');
      assert.deepEqual(await names(b), []);
    };
    refused(await h('migrate', `a/${DOMAIN}`, '--to', 'nowhere'), 1, /no remote named 'nowhere'/);
    refused(await h('migrate', `a/${DOMAIN}`, '--to', 'a'), 2, /is on remote 'a' already/);
    refused(await h('migrate', 'a/idle', '--to', 'b'), 1, /domain 'idle' on remote 'a' is shut off: only a running domain/);
    refused(await h('migrate', 'a/ghost', '--to', 'b'), 1, /no domain 'ghost' on remote 'a'/);
    refused(await h('migrate', `a/${DOMAIN}`, '--to', 'b', '--pool', 'x'), 2, /--pool goes with --copy-storage/);
    refused(await h('migrate', `a/${DOMAIN}`, '--to', 'b', '--copy-storage', '--pool', 'x'), 1, /remote 'b' has no active storage pool named 'x'/);
    await unchanged();
    // a domain of that name on the target
    writeFileSync(join(b.dir, 'taken.xml'), testDomainXml(DOMAIN, join(shared, 'idle.qcow2')));
    await b.virsh(['define', join(b.dir, 'taken.xml')]);
    refused(await h('migrate', `a/${DOMAIN}`, '--to', 'b'), 1, new RegExp(`a domain named '${DOMAIN}' exists on remote 'b' already`));
    await b.virsh(['undefine', DOMAIN]);
    await unchanged();
    // the target's daemon is down: the remote is disconnected
    await b.kill();
    await waitUntil('b to show disconnected', async () => ((await ok('remote', 'list', '--json')).json.remotes.find((r: { name: string }) => r.name === 'b')?.state === 'disconnected' ? true : undefined), 30_000, 500);
    refused(await h('migrate', `a/${DOMAIN}`, '--to', 'b'), 1, /remote 'b' is disconnected/);
    await b.restart();
    await waitUntil('b to reconnect', async () => ((await ok('remote', 'list', '--json')).json.remotes.find((r: { name: string }) => r.name === 'b')?.state === 'connected' ? true : undefined), 60_000, 500);
    await unchanged();
  });

  test('a cancel during a throttled migration: it runs on at A, and B has nothing', async () => {
    const before = Math.max(...counts(await serial('a')));
    const { child, ended, stderr, task } = await slowMigration('--max-downtime', '123');
    // libvirt's job has the limit asked for (a running job's downtime is its maximum)
    assert.match(await a.virsh(['domjobinfo', '--rawstats', DOMAIN]), /^downtime: 123$/m);
    assert.match(task.message, /MiB sent, .* MiB to go/);
    assert.equal(task.subject, `a/${DOMAIN} → b`);
    // the incoming domain is on B meanwhile
    assert.deepEqual(await names(b), [DOMAIN]);
    child.kill('SIGINT');
    assert.equal(await ended, 1, stderr());
    assert.match(stderr(), /cancelled/);
    await countsOn('a', a, b, before);
    assert.equal((await ok('tasks', '--json')).json.tasks.find((x: { id: string }) => x.id === task.id)?.state, 'cancelled');
  });

  test('A → B on shared storage: it counts on at B without a reboot, gone from A; the task is listed', async () => {
    const before = Math.max(...counts(await serial('a')));
    const r = (await ok('migrate', `a/${DOMAIN}`, '--to', 'b', '--max-downtime', '500', '--json')).json;
    assert.deepEqual(Object.keys(r).sort(), ['downtimeMs', 'id', 'mirroredBytes', 'target', 'totalMs', 'transferredBytes', 'vm']);
    assert.equal(r.vm, `a/${DOMAIN}`);
    assert.equal(r.target, 'b');
    assert.ok(r.transferredBytes > 1 << 20, JSON.stringify(r));
    assert.ok(r.totalMs > 0 && r.downtimeMs > 0 && r.downtimeMs < r.totalMs, JSON.stringify(r));
    assert.equal(r.mirroredBytes, 0);
    assert.equal((await b.virsh(['domuuid', DOMAIN])).trim(), r.id);
    // defined on B (persistent), undefined on A
    assert.match(await b.virsh(['dominfo', DOMAIN]), /Persistent:\s+yes/);
    assert.deepEqual(await names(a), ['idle']);
    await countsOn('b', b, a, before);
    // the same guest: its counter went on (a reboot would print the boot marker and start no counter)
    assert.doesNotMatch(await serial('b'), /TESTGUEST READY/);
    assert.deepEqual((await ok('list', '--remote', 'b', '--json')).json.domains.map((d: { name: string; state: string }) => [d.name, d.state]), [[DOMAIN, 'running']]);
    const tasks = (await ok('tasks', '--json')).json.tasks.filter((x: { kind: string }) => x.kind === 'remote.migrate');
    assert.deepEqual(tasks.map((t: { state: string }) => t.state).sort(), ['cancelled', 'succeeded']);
  });

  test('B → A with --copy-storage: the disk is copied into A\'s pool while it runs', async () => {
    const before = Math.max(...counts(await serial('b')));
    const r = (await ok('migrate', `b/${DOMAIN}`, '--to', 'a', '--copy-storage', '--pool', a.pool, '--json')).json;
    assert.ok(r.mirroredBytes > 0, JSON.stringify(r));
    const disk = (await a.virsh(['domblklist', DOMAIN])).split('\n').find((l) => /^\s*vda\s/.test(l))?.trim().split(/\s+/)[1];
    assert.equal(disk, join(a.poolDir, `${DOMAIN}.qcow2`));
    assert.ok(existsSync(disk!));
    await countsOn('a', a, b, before);
  });

  test('a cancel during --copy-storage: it runs on at A, and the volume made on B is gone', async () => {
    const before = Math.max(...counts(await serial('a')));
    const volumes = async () => (await b.virsh(['vol-list', b.pool])).split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    const { child, ended, stderr } = await slowMigration('--copy-storage', '--pool', b.pool);
    assert.deepEqual(await volumes(), [`${DOMAIN}.qcow2`]);
    child.kill('SIGINT');
    assert.equal(await ended, 1, stderr());
    assert.match(stderr(), /cancelled/);
    await countsOn('a', a, b, before);
    await b.virsh(['pool-refresh', b.pool]);
    assert.deepEqual(await volumes(), []);
  });
});

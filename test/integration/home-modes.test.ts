// Everything Hangar writes in its home is private to the user, whoever created the home and whatever
// the umask: a home made beforehand with mode 0755, every command run under `umask 000`, then `serve`
// (which creates the inventory, the host-facts cache and owner.log itself), a VM created, started,
// snapshotted live, saved, restored and cloned. Every file, folder and socket in the home, walked
// while the VM runs and again at the end, has no group or other permission bit. Files of the user's
// outside the home keep their modes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, cliIn, runCli, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';

/** Every entry under `root` (links not followed) whose mode gives group or other any access, as "path 0644 (kind)". */
function sharedEntries(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const kind = st.isDirectory() ? 'folder' : st.isSocket() ? 'socket' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other';
      if (kind !== 'link' && (st.mode & 0o077) !== 0) found.push(`${path.slice(root.length + 1)} ${(st.mode & 0o7777).toString(8).padStart(4, '0')} (${kind})`);
      if (st.isDirectory()) walk(path);
    }
  };
  const st = statSync(root);
  if ((st.mode & 0o077) !== 0) found.push(`. ${(st.mode & 0o7777).toString(8).padStart(4, '0')} (the home)`);
  walk(root);
  return found;
}

function countEntries(root: string, pred: (path: string) => boolean): number {
  return readdirSync(root, { recursive: true }).map(String).filter((p) => pred(join(root, p))).length;
}

describe('modes in a home created beforehand, under umask 000', () => {
  const parent = mkdtempSync(join(tmpdir(), 'hangar-modes-'));
  const home = join(parent, 'home');
  const user = join(parent, 'user');
  const guest = fixtureGuest();
  const { h, ok } = cliIn(home);
  const disk = join(user, 'guest.qcow2');
  let previousUmask = 0o022;

  before(() => {
    // Every process the test starts (the CLI, the headless owner, serve) inherits this umask.
    previousUmask = process.umask(0o000);
    mkdirSync(home, { mode: 0o755 });
    mkdirSync(user, { mode: 0o755 });
    copyFileSync(guest.disk, disk);
    assert.equal(statSync(home).mode & 0o777, 0o755, 'the home starts as 0755');
  });
  after(async () => {
    try {
      await runCli(home, ['shutdown', '--force'], { timeoutMs: 60_000 });
    } finally {
      process.umask(previousUmask);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test('serve in the fresh home: the home becomes 0700; the inventory, its -wal and -shm, the cache and owner.log are 0600', async () => {
    const serve = spawn(process.execPath, [cliPath, 'serve'], { env: { ...process.env, HANGAR_HOME: home } });
    let out = '';
    serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
    serve.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil(`the URL (${out})`, () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 90_000);
    const listed = await h('list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    for (const f of ['inventory.sqlite', 'inventory.sqlite-wal', 'inventory.sqlite-shm', 'owner.log', 'owner.sock', 'cache/host-facts.json']) {
      assert.equal((statSync(join(home, f)).mode & 0o777).toString(8), '600', `${f} is 0600`);
    }
    assert.deepEqual(sharedEntries(home), []);
    const ended = new Promise((r) => serve.once('close', r));
    serve.kill('SIGINT');
    await ended;
  });

  test('a VM created, booted, snapshotted live, saved, restored and cloned: nothing in the home is shared, sockets included', async () => {
    await ok('create', '--name', 'm', '--disk-image', disk, '--memory', '128', '--nic', 'none');
    await ok('create', '--name', 'blank', '--disk', '32M', '--nic', 'none');
    // UEFI: the variable store is a copy of OVMF's 0644 template, and must be private too; its
    // snapshot keeps a copy, and a full clone another.
    await ok('create', '--name', 'uefi', '--firmware', 'uefi', '--disk', '32M', '--nic', 'none');
    await ok('snapshot', 'take', 'uefi', '--name', 'vars');
    await ok('clone', 'uefi', '--name', 'uefi-copy');
    await ok('start', 'm', '--wait-serial', GUEST_READY, '--timeout', '240');
    const sockets = countEntries(home, (p) => lstatSync(p).isSocket());
    assert.ok(sockets >= 5, `the owner's and the running VM's sockets are there to check (${sockets})`);
    assert.deepEqual(sharedEntries(home), [], 'while the VM runs');
    await ok('snapshot', 'take', 'm', '--name', 'live');
    await ok('save', 'm');
    assert.deepEqual(sharedEntries(home), [], 'with a saved state');
    await ok('start', 'm');
    await ok('stop', 'm', '--force');
    await ok('clone', 'm', '--name', 'c', '--linked');
    const files = countEntries(home, (p) => lstatSync(p).isFile());
    assert.ok(files >= 15, `images, state, logs and the inventory were written (${files} files)`);
    assert.deepEqual(sharedEntries(home), [], 'at the end');
  });

  test('the owner still answers, and the user\'s own files outside the home kept their modes', async () => {
    const list = await h('list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.json.vms.map((v: { name: string }) => v.name).sort(), ['blank', 'c', 'm', 'uefi', 'uefi-copy']);
    assert.equal(statSync(user).mode & 0o777, 0o755);
    assert.equal(statSync(disk).mode & 0o777, statSync(guest.disk).mode & 0o777, 'an image used in place is not Hangar\'s to change');
  });
});

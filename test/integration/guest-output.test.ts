// What a guest prints, and where Hangar writes for the user, must not reach further than asked.
// - `hangar serial` shows the guest's output without its escape sequences and controls (a guest
//   could retitle the user's terminal, query it, or print a hyperlink to anywhere); `--raw` gives
//   the bytes as they are; `--json` carries the whole text with every control escaped. The guest
//   here is the fixture's shell, typed into with `hangar send`.
// - `screenshot -o` never writes through a symbolic link planted at the path: the victim file it
//   points to stays as it was.
// After each, the owner still answers and nothing outside what was asked changed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, cliPath, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';

const ESC = '\x1b';
/** Any C0 control but newline and tab, DEL, or a C1 control. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('guest output and user files', () => {
  const { home, cleanup } = tempHome('hangar-guestout-');
  const user = mkdtempSync(join(tmpdir(), 'hangar-guestout-user-'));
  const guest = fixtureGuest();
  const { h, ok } = cliIn(home);
  let previousUmask = 0o022;
  let ownerPid = 0;

  /** Types a command into the guest's shell and waits for `marker` in the raw serial log. */
  const run = async (command: string, marker: string) => {
    await ok('send', 'g', command);
    await waitUntil(`'${marker}' on the serial console`, async () => ((await h('serial', 'g', '--raw')).stdout.includes(marker) ? true : undefined), 60_000);
  };

  before(async () => {
    // Known: the headless owner (started by the first command) inherits it as the user's umask.
    previousUmask = process.umask(0o022);
    const disk = join(user, 'guest.qcow2');
    copyFileSync(guest.disk, disk);
    await ok('create', '--name', 'g', '--disk-image', disk, '--memory', '128', '--nic', 'none');
    await ok('start', 'g', '--wait-serial', GUEST_READY, '--timeout', '240');
    await waitUntil('the shell prompt', async () => ((await h('serial', 'g')).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    ownerPid = (await ok('host', '--json')).json.ownerPid;
  });
  after(async () => {
    try {
      await cleanup();
    } finally {
      process.umask(previousUmask);
      rmSync(user, { recursive: true, force: true });
    }
  });

  test('serial removes escape sequences and controls; --raw keeps them; --json escapes them all', async () => {
    // The printf arguments split the markers, so the shell's echo of the typed line never matches them.
    await run(
      "printf '\\033]0;%s-%s\\007\\033[31m%s\\033[0m \\033]8;;https://evil.example/\\033\\\\%s\\033]8;;\\033\\\\ \\033[6n\\302\\23331m%s\\033P$q\"p\\033\\\\ %s-%s\\n' pwned title RED LINK C1 END 42",
      'END-42',
    );
    const filtered = (await ok('serial', 'g')).stdout;
    assert.ok(filtered.includes('RED LINK C1 END-42\n'), `the text stays: ${JSON.stringify(filtered.slice(-300))}`);
    assert.ok(!filtered.includes(ESC), 'no ESC byte in serial');
    assert.doesNotMatch(filtered, CONTROL, 'no other control either');
    assert.ok(!filtered.includes('pwned-title'), 'the title sequence is gone, payload and all');

    const raw = (await ok('serial', 'g', '--raw')).stdout;
    assert.ok(raw.includes(`${ESC}]8;;https://evil.example/${ESC}\\LINK${ESC}]8;;${ESC}\\`), 'serial --raw has the OSC 8 link as the guest sent it');
    assert.ok(raw.includes(`${ESC}]0;pwned-title\x07`) && raw.includes('\u009b31mC1'), 'and the title and the C1 CSI');

    const json = await ok('serial', 'g', '--json');
    assert.doesNotMatch(json.stdout, CONTROL, 'the JSON document holds no control character');
    assert.ok(json.stdout.includes('\\u001b]0;pwned-title\\u0007') && json.stdout.includes('\\u009b31mC1'), 'they are escaped in it');
    assert.ok(json.json.text.includes(`${ESC}]8;;https://evil.example/`), 'and decode to the guest\'s text');
  });

  test('serial --follow filters as it streams', async () => {
    const follower = spawn(process.execPath, [cliPath, 'serial', 'g', '--follow'], { env: { ...process.env, HANGAR_HOME: home } });
    let followed = '';
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString('utf8')));
    const ended = new Promise((r) => follower.once('close', r));
    try {
      await waitUntil('the backlog', () => (followed.includes('END-42') ? true : undefined));
      await ok('send', 'g', "printf '\\033[2J\\033]0;t2\\007\\033[1;32m%s-%s\\033[0m\\r\\n' FOLLOW 7");
      await waitUntil('the new output', () => (followed.includes('FOLLOW-7\n') ? true : undefined), 60_000);
      assert.ok(!followed.includes(ESC), 'no ESC byte in serial --follow');
      assert.doesNotMatch(followed, CONTROL);
    } finally {
      follower.kill('SIGINT');
      await ended;
    }
  });

  test('screenshot -o refuses a symbolic link planted at the path, and the file it points to is untouched', async () => {
    const victim = join(user, 'victim.txt');
    writeFileSync(victim, 'the user\'s precious file\n');
    const victimMode = statSync(victim).mode;
    const planted = join(user, 'shot.png');
    symlinkSync(victim, planted);
    const r = await h('screenshot', 'g', '-o', planted);
    assert.notEqual(r.code, 0, 'refused');
    assert.match(r.stderr, /^hangar: screenshot file .*shot\.png is a symbolic link: Hangar does not write through links/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal(readFileSync(victim, 'utf8'), 'the user\'s precious file\n', 'the victim is untouched');
    assert.equal(statSync(victim).mode, victimMode);
    assert.ok(lstatSync(planted).isSymbolicLink(), 'the link is left as it was');
  });

  test('screenshot -o writes a new file with the user\'s usual mode, and replaces an existing file whole', async () => {
    const fresh = join(user, 'fresh.png');
    const a = await ok('screenshot', 'g', '-o', fresh, '--json');
    const png = readFileSync(fresh);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(a.json.sizeBytes, png.length);
    assert.equal(statSync(fresh).mode & 0o777, 0o644, 'umask 022: 0644, not the owner\'s private 0600');
    const existing = join(user, 'existing.png');
    writeFileSync(existing, Buffer.alloc(png.length + 100_000, 0x41), { mode: 0o640 });
    await ok('screenshot', 'g', '-o', existing);
    const written = readFileSync(existing);
    assert.equal(written.subarray(1, 4).toString(), 'PNG');
    assert.ok(!written.includes(Buffer.from('AAAAAAAA')), 'truncated: nothing of the old content is left');
    assert.equal(statSync(existing).mode & 0o777, 0o640, 'an existing file keeps its mode');
  });

  test('afterwards the same owner answers and the VM runs on', async () => {
    const host = await ok('host', '--json');
    assert.equal(host.json.ownerPid, ownerPid);
    const shown = await ok('show', 'g', '--json');
    assert.equal(shown.json.state, 'running');
    await run("echo alive-$((40+2))", 'alive-42');
  });
});

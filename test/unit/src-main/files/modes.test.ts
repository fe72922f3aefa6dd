import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePrivate, usePrivateUmask, userFileMode } from '../../../../src-main/files/modes.node.js';

describe('file modes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-modes-unit-'));
  const original = process.umask(0o002);
  after(() => {
    process.umask(original);
    rmSync(dir, { recursive: true, force: true });
  });

  test('usePrivateUmask makes new files private and remembers the user\'s umask for files of the user\'s', () => {
    assert.equal(userFileMode(), 0o664, 'before: the process umask is the user\'s');
    usePrivateUmask();
    usePrivateUmask(); // twice: the first umask seen is the user's
    writeFileSync(join(dir, 'new'), 'x');
    assert.equal(statSync(join(dir, 'new')).mode & 0o777, 0o600);
    assert.equal(userFileMode(), 0o664);
  });

  test('makePrivate takes group and other bits off files and folders, leaves links, and says what it changed', () => {
    process.umask(0o000); // the files below are made shared on purpose
    const f = join(dir, 'shared');
    writeFileSync(f, 'x', { mode: 0o666 });
    const d = join(dir, 'folder');
    mkdirSync(d, { mode: 0o755 });
    const l = join(dir, 'link');
    symlinkSync(f, l);
    const lmode = lstatSync(l).mode;
    assert.equal(makePrivate(l), null, 'a link is left alone');
    assert.equal(lstatSync(l).mode, lmode);
    assert.equal(statSync(f).mode & 0o777, 0o666, 'and so is its target');
    assert.equal(makePrivate(f), 0o666);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(makePrivate(f), null, 'already private');
    assert.equal(makePrivate(d), 0o755);
    assert.equal(statSync(d).mode & 0o777, 0o700);
    assert.equal(makePrivate(join(dir, 'missing')), null);
    const dl = join(dir, 'dirlink');
    mkdirSync(join(dir, 'real'), { mode: 0o755 });
    symlinkSync(join(dir, 'real'), dl);
    assert.equal(makePrivate(dl, { followLink: true }), 0o755, 'the home may be a link to its folder');
    assert.equal(statSync(join(dir, 'real')).mode & 0o777, 0o700);
  });
});

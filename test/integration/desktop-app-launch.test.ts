// Starting the desktop app for `hangar open` (launchDesktopApp). The Electron binary cannot be
// downloaded on the development machine, so a program standing in for it records what it was given:
// what is checked is the start itself (the app folder, then the file, the way Electron's main reads
// them), its own session, and its output in a private log.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/cli.node.js';
import { repoRoot } from '../helpers/paths.js';
import { appRoot, launchDesktopApp } from '../../src-main/desktop/desktopApp.node.js';
import { fileArgFromArgv } from '../../src-main/electron/policy.js';

describe('starting the desktop app on a file', () => {
  const work = mkdtempSync(join(tmpdir(), 'hangar-app-launch-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('app folder then file, a session of its own, output in a private log', async () => {
    const record = join(work, 'argv.txt');
    const standIn = join(work, 'electron');
    writeFileSync(standIn, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}.tmp'\necho $$ >> '${record}.tmp'\nps -o sid= -p $$ >> '${record}.tmp'\necho 'app started'\nmv '${record}.tmp' '${record}'\n`);
    chmodSync(standIn, 0o755);
    const log = join(work, 'home', 'desktop.log');
    await launchDesktopApp(standIn, ['/srv/my appliance.ova'], log);
    const lines = (await waitUntil('the stand-in to run', () => {
      try {
        return readFileSync(record, 'utf8');
      } catch {
        return undefined;
      }
    })).split('\n');
    assert.equal(lines[0], appRoot);
    assert.equal(`${lines[0]}`.replace(/\/$/, ''), repoRoot);
    assert.equal(lines[1], '/srv/my appliance.ova');
    assert.equal(fileArgFromArgv(lines.slice(0, 2), '/'), '/srv/my appliance.ova');
    assert.equal(Number(lines[3]!.trim()), Number(lines[2]), 'it leads a session of its own (it outlives the command and its terminal)');
    assert.equal(await waitUntil('the log', () => (readFileSync(log, 'utf8') === 'app started\n' ? true : undefined)), true);
    assert.equal(statSync(log).mode & 0o777, 0o600);
  });
});

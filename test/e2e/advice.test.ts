// The interface words its own remedies (issue 23, point 2): the owner's refusal says what is wrong,
// and the interface adds what to do with its own buttons, never a command-line flag. The same
// refusal at the command line names its flags.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { cliIn, tempHome } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { MainWindow } from './pages/index.js';

describe('each surface words its own advice', () => {
  const { home, cleanup } = tempHome('hangar-advice-');
  const files = mkdtempSync(join(tmpdir(), 'hangar-advice-files-'));
  const { h, ok } = cliIn(home);
  let session: WebSession;

  before(async () => {
    mkdirSync(join(testOutputDir, 'e2e-advice'), { recursive: true });
    const iso = join(files, 'gone.iso');
    copyFileSync(fixtureGuest().iso, iso);
    await ok('create', '--name', 'no-iso', '--iso', iso, '--disk', 'none', '--memory', '128', '--nic', 'none');
    rmSync(iso);
    session = await startWebSession(home);
  });
  after(async () => {
    await session?.stop();
    await cleanup();
    rmSync(files, { recursive: true, force: true });
  });

  test('a start refused for a missing ISO: the interface points at Settings, the CLI at its flag', async () => {
    const cli = await h('start', 'no-iso');
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /ISO .*gone\.iso of VM 'no-iso' is missing: change it with 'hangar modify no-iso --iso FILE' \(or --iso none\)/);

    const win = await MainWindow.open(session.page, session.url);
    await win.selectVm('no-iso');
    await win.start();
    const alert = session.page.getByRole('alert').filter({ hasText: 'is missing' });
    await alert.waitFor({ timeout: 60_000 });
    const text = (await alert.innerText()).trim();
    assert.match(text, /gone\.iso of VM 'no-iso' is missing\. Choose another ISO, or eject it, in Settings → Storage\./);
    assert.doesNotMatch(text, /hangar |--[a-z]/, 'no command or flag in the interface');
    await session.page.screenshot({ path: join(testOutputDir, 'e2e-advice', 'missing-iso.png') });
    assert.deepEqual(session.problems, []);
  });
});

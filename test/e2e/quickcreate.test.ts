// Quick create in the New VM wizard, in Debian's Chromium against the real web mode: from a cloud image
// of the library, with the key from ~/.ssh offered by default and the person's cloud-config checked as
// they type; from installer ISOs, whose OS (libosinfo's database) fills in the OS type and its defaults,
// with unattended installation offered where it is available. Nothing boots here: the integration tests
// boot what the wizard makes (quickcreate-cloud, quickcreate-install). Screenshots in test-output/e2e.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { quickCreateFixtures } from '../fixtures/quickcreate.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { MainWindow } from './pages/index.js';
import { chooseOption } from './pages/util.js';

const shots = join(testOutputDir, 'e2e');

describe('quick create in the New VM wizard', () => {
  const { home, cleanup } = tempHome('hangar-e2e-qc-');
  const userHome = mkdtempSync(join(tmpdir(), 'hangar-e2e-qc-user-'));
  const fx = quickCreateFixtures();
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let step = 0;
  const shot = async (name: string) => {
    step++;
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    await page.screenshot({ path: join(shots, `quickcreate-${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const cli = (...args: string[]) => runCli(home, args);

  before(async () => {
    mkdirSync(shots, { recursive: true });
    for (const f of readdirSync(shots)) if (/^quickcreate-\d+-.*\.png$/.test(f)) rmSync(join(shots, f));
    // The person's own key, in the ~/.ssh of the home the owner runs with.
    mkdirSync(join(userHome, '.ssh'), { mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@desk', '-f', join(userHome, '.ssh', 'id_ed25519')]);
    assert.equal((await cli('image', 'add', fx.cloudImage, '--name', 'debian-cloud')).code, 0);
    session = await startWebSession(home, undefined, { env: { HOME: userHome } });
    page = session.page;
    win = await MainWindow.open(page, session.url);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
    rmSync(userHome, { recursive: true, force: true });
  });

  test('from a cloud image: the library image and the key from ~/.ssh are the defaults; the VM is an overlay with that key', async () => {
    const wizard = await win.openNewVmWizard();
    await wizard.nameField.fill('cloud-e2e');
    await wizard.source('A cloud image').check();
    await wizard.next();
    await wizard.step('Cloud image').waitFor();
    assert.match((await wizard.cloudImageField.textContent()) ?? '', /^debian-cloud \(Debian 12\)/);
    const key = join(userHome, '.ssh', 'id_ed25519.pub');
    await page.getByText(key).first().waitFor();
    assert.match((await wizard.sshKeyField.textContent()) ?? '', new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ssh-ed25519, me@desk\\)`));
    await wizard.userField.fill('alice');
    await wizard.hostnameField.fill('e2e-host');
    // cloud-config checked as it is typed, with the line of the problem
    await wizard.userDataField.fill('#cloud-config\npackages: [git\n');
    await wizard.userDataField.blur();
    assert.match((await wizard.error(wizard.userDataField)) ?? '', /user-data is not valid YAML: line 2, column 11: a flow sequence/);
    await shot('cloud-user-data-invalid');
    await wizard.next();
    assert.equal(await wizard.currentStep(), 'Cloud image', 'an invalid step cannot advance');
    await wizard.userDataField.fill('#cloud-config\npackages: [git]\n');
    await shot('cloud-image-step');
    await wizard.next();
    await wizard.step('Memory and CPUs').waitFor();
    await wizard.memoryField.fill('1024');
    await wizard.next();
    await wizard.step('Hard disk').waitFor();
    await wizard.diskSizeField.fill('6G');
    await wizard.next();
    await wizard.step('Guest integration').waitFor();
    await wizard.next();
    await wizard.step('Summary').waitFor();
    assert.match((await wizard.summary.textContent()) ?? '', /Cloud image\s*debian-cloud/);
    await shot('cloud-summary');
    await wizard.create();
    await win.waitForVm('cloud-e2e');
    const vm = (await cli('show', 'cloud-e2e', '--json')).json;
    assert.equal(vm.cloudInit.user, 'alice');
    assert.equal(vm.cloudInit.hostname, 'e2e-host');
    assert.equal(vm.cloudInit.identityFile, join(userHome, '.ssh', 'id_ed25519'), 'hangar ssh uses the key offered');
    assert.equal(vm.baseImage.name, 'debian-cloud');
    assert.equal(vm.disks[0].virtualSizeBytes, 6 * 2 ** 30);
    assert.equal(vm.memoryMiB, 1024);
    await win.selectVm('cloud-e2e');
    await page.getByRole('heading', { name: 'Quick create' }).waitFor();
    assert.match(await page.locator('body').innerText(), /hangar ssh cloud-e2e/);
    await shot('cloud-vm-details');
  });

  test('an ISO picked is detected: its OS type and defaults fill in; unknown media says so; unattended where available', async () => {
    let wizard = await win.openNewVmWizard();
    await wizard.nameField.fill('win-e2e');
    await wizard.next();
    await wizard.step('Installation media').waitFor();
    await wizard.isoField.fill(fx.media.windows11);
    await wizard.detection.waitFor();
    assert.equal(await wizard.detection.textContent(), 'Detected Microsoft Windows 11: OS type Windows 11.');
    assert.match((await wizard.unattendedBox.locator('..').locator('..').textContent()) ?? '', /not available: libosinfo has no install script for Microsoft Windows 11/);
    assert.equal(await wizard.unattendedBox.isDisabled(), true);
    await shot('iso-detected-windows');
    await wizard.back();
    assert.match((await wizard.osTypeField.textContent()) ?? '', /Windows 11/);
    await wizard.next();
    await wizard.next();
    await wizard.step('Memory and CPUs').waitFor();
    assert.equal(await wizard.memoryField.inputValue(), '4096', "Windows 11's default memory");
    await wizard.cancel();

    wizard = await win.openNewVmWizard();
    await wizard.nameField.fill('tiny-e2e');
    await wizard.next();
    await wizard.isoField.fill(fixtureGuest().iso);
    await wizard.detection.waitFor();
    assert.match((await wizard.detection.textContent()) ?? '', /Hangar does not know this media: choose its OS type on the first step/);
    assert.equal(await wizard.unattendedBox.count(), 0);
    await shot('iso-unknown');
    await wizard.cancel();

    wizard = await win.openNewVmWizard();
    await wizard.nameField.fill('debian-e2e');
    await chooseOption(page, wizard.osTypeField, 'Other');
    await wizard.next();
    await wizard.isoField.fill(fx.media.debian);
    await wizard.detection.waitFor();
    assert.equal(await wizard.detection.textContent(), 'Detected Debian 12, whose OS type is Linux (modern, 64-bit); the OS type you chose, Other, is kept.');
    await wizard.unattendedBox.check();
    await wizard.next();
    assert.match((await wizard.error(wizard.userField)) ?? '', /Linux account name/);
    await wizard.userField.fill('alice');
    await wizard.passwordField.fill('pass word');
    await shot('iso-unattended');
    await wizard.next();
    await wizard.next();
    await wizard.next();
    await wizard.next();
    await wizard.step('Summary').waitFor();
    assert.match((await wizard.summary.textContent()) ?? '', /unattended installation as alice/);
    await wizard.create();
    await win.waitForVm('debian-e2e');
    const vm = (await cli('show', 'debian-e2e', '--json')).json;
    assert.equal(vm.osType, 'other', 'the OS type chosen by hand is kept');
    assert.equal(vm.install.osName, 'Debian 12');
    assert.equal(vm.opticals[0].path, fx.media.debian);
    assert.deepEqual(session.problems, []);
  });
});

// Networks in the interface (issue 17), in Chromium against web mode, both inside a network namespace
// of the test's own: the Networks dialog makes a network (refusing a bad name on its field), the New
// VM wizard puts the VM's card on it, the running VM's address (its DHCP lease) appears in the list and
// the details, Settings plugs a second card into the running VM and pulls its cable, and deleting the
// network is refused in words that name the VM. Screenshots go to test-output/e2e-networks/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { chooseOption, MainWindow, NetworksDialog, waitUntil } from './pages/index.js';

const shots = join(testOutputDir, 'e2e-networks');

describe('networks in the interface', () => {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgui');
  const home = mkdtempSync(join(tmpdir(), 'hangar-e2e-net-'));
  const { h, ok } = ns.cli(home);
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let step = 0;
  const shot = async (name: string) => {
    step++;
    await page.screenshot({ path: join(shots, `${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const show = async (vm: string) => (await ok('show', vm, '--json')).json;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    session = await startWebSession(home, undefined, { netns: ns.name });
    page = session.page;
    win = await MainWindow.open(page, session.url);
  });
  after(async () => {
    await session?.stop();
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  test('the Networks dialog makes a network; a bad name is refused on its field', async () => {
    const dialog = await NetworksDialog.open(page);
    await dialog.nameField.fill('a b');
    await dialog.nameField.blur();
    assert.match((await dialog.error(dialog.nameField)) ?? '', /network name must be 1 to 32 letters/);
    await shot('networks-bad-name');
    await dialog.create({ name: 'lab', subnet: '10.77.0.0/24' });
    await dialog.row('lab').waitFor();
    assert.match(await dialog.row('lab').innerText(), /NAT network\s+10\.77\.0\.0\/24\s+On\s+hgbr0/);
    await dialog.create({ name: 'side', mode: 'Internal', subnet: '' });
    await dialog.row('side').waitFor();
    await shot('networks-made');
    await dialog.close();
    assert.deepEqual((await ok('network', 'list', '--json')).json.networks.map((n: { name: string; mode: string }) => [n.name, n.mode]), [['lab', 'nat'], ['side', 'internal']]);
  });

  test('the New VM wizard puts its card on a network; running, its address shows in the list and the details', async () => {
    const wizard = await win.openNewVmWizard();
    await wizard.nameField.fill('web');
    await wizard.next();
    await wizard.step('Installation media').waitFor();
    await wizard.isoField.fill(guest.iso);
    await wizard.next();
    await wizard.step('Memory and CPUs').waitFor();
    await wizard.memoryField.fill('128');
    await chooseOption(page, wizard.root.getByRole('combobox', { name: 'Network' }), /^lab — NAT network/);
    await wizard.next();
    await wizard.step('Hard disk').waitFor();
    await wizard.diskChoice('No disk').check();
    await wizard.next();
    await wizard.step('Guest integration').waitFor();
    await wizard.next();
    await wizard.step('Summary').waitFor();
    assert.match(await wizard.summary.innerText(), /Network\s+lab/);
    await shot('wizard-summary-network');
    await wizard.create();
    await win.waitForVm('web');
    assert.equal((await show('web')).nics[0].network, 'lab');

    await win.selectVm('web');
    await win.start();
    await win.waitForState('web', 'Running');
    await win.showDetails();
    const card = page.getByRole('group', { name: 'Network card net0' });
    const text = await waitUntil(() => card.innerText(), (t) => /IP address\s+10\.77\.0\.\d+/.test(t), 'the address in the details', 180_000);
    assert.match(text, /Attached to\s+Network “lab”/);
    const address = /IP address\s+(10\.77\.0\.\d+)/.exec(text)![1]!;
    // the list follows the same guest event a moment later (its own reload)
    await waitUntil(() => win.vmList.innerText(), (t) => t.includes(address), 'the list shows it too', 30_000);
    assert.deepEqual((await show('web')).nics[0].ipAddresses, [address]);
    await shot('details-address');
  });

  test('Settings plugs a second card into the running VM and pulls its cable', async () => {
    const settings = await win.openSettings();
    await settings.tab('Network');
    assert.equal(await settings.nicField.isDisabled(), true, "a running card's model stays");
    await settings.root.getByRole('button', { name: 'Add network card' }).click();
    const card2 = settings.root.getByRole('listitem', { name: 'Network card 2' });
    await chooseOption(page, card2.getByRole('combobox', { name: 'Network of card 2' }), /^side — Internal/);
    await shot('settings-add-card');
    await settings.save();
    const nics = (await show('web')).nics;
    assert.deepEqual(nics.map((n: { id: string; network: string; linkUp: boolean }) => [n.id, n.network, n.linkUp]), [['net0', 'lab', true], ['net1', 'side', true]]);
    await page.getByRole('group', { name: 'Network card net1' }).waitFor();

    const again = await win.openSettings();
    await again.tab('Network');
    const cable = again.root.getByRole('listitem', { name: 'Network card 2' }).getByRole('checkbox', { name: 'Cable connected' });
    await cable.uncheck();
    await again.save();
    assert.equal((await show('web')).nics[1].linkUp, false);
    await waitUntil(() => page.getByRole('group', { name: 'Network card net1' }).innerText(), (t) => /Cable\s+Disconnected/.test(t), 'the cable shown disconnected');
    await shot('settings-cable');
  });

  test('deleting a network in use is refused, naming the VM', async () => {
    const dialog = await NetworksDialog.open(page);
    await dialog.delete('lab');
    await waitUntil(() => dialog.notice.innerText(), (t) => t.includes('“web”'), 'the refusal');
    assert.match(await dialog.notice.innerText(), /Network “lab” is in use by the VM “web”\. Move their cards to another network \(Settings → Network\) first\./);
    await shot('networks-delete-refused');
    await dialog.row('lab').waitFor();
    await dialog.close();
  });
});

// The VM list with 1,000 VMs in 50 groups, in Chromium (web mode): the list renders only what is in
// view and scrolls to the end, the search filters, a group folds, a VM dragged onto a group moves
// there, tags are added in Details, several VMs ticked with Ctrl- and Shift-click are snapshotted and
// deleted together (the delete asks once, naming them), and a bad group path is refused in the dialog.
// Screenshots in test-output/groups/.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { seedVms } from '../helpers/manyVms.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { GroupedList, MainWindow, settle, waitUntil } from './pages/index.js';

const shots = join(testOutputDir, 'groups');
const N = 1000;
const groupOf = (i: number) => `/team-${i % 10}/env-${Math.floor(i / 10) % 5}`;

describe('groups, search and bulk actions in Chromium, 1,000 VMs', () => {
  const { home, cleanup } = tempHome('hangar-e2e-groups-');
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let list: GroupedList;
  const shot = async (name: string) => {
    await settle(page);
    await page.screenshot({ path: join(shots, `${name}.png`) });
  };
  const show = async (vm: string) => {
    const r = await runCli(home, ['show', vm, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return r.json as { group: string; tags: string[] };
  };

  before(async () => {
    mkdirSync(shots, { recursive: true });
    seedVms(home, N, { group: groupOf, tags: (i) => (i % 100 === 7 ? ['special'] : []), notes: (i) => (i % 250 === 3 ? `owner: alice #${i}` : '') });
    session = await startWebSession(home);
    page = session.page;
    win = await MainWindow.open(page, session.url);
    list = new GroupedList(page);
  });
  after(async () => {
    await session?.stop();
    await cleanup();
  });

  test('the groups are a tree; the list renders what is in view and scrolls to the last VM', async () => {
    await list.group('/team-0').waitFor();
    await list.group('/team-0/env-0').waitFor();
    const rendered = await list.renderedVms();
    assert.ok(rendered.length > 5 && rendered.length < 60, `${rendered.length} rows rendered of ${N}`);
    assert.equal(rendered[0], 'vm-00000');
    await shot('tree');
    await list.scrollToEnd();
    await list.vm('vm-00999').waitFor();
    assert.ok(!(await list.renderedVms()).includes('vm-00000'), 'the first rows are gone from the page');
    await shot('end');
    // Keyboard: Home goes back to the first VM.
    await list.vm('vm-00999').click();
    await page.keyboard.press('Home');
    await list.vm('vm-00000').waitFor();
    assert.equal(await win.selectedVm(), 'vm-00000');
  });

  test('a group folds and unfolds', async () => {
    await list.group('/team-0').click();
    assert.equal(await list.group('/team-0').getAttribute('aria-expanded'), 'false');
    await list.vm('vm-00000').waitFor({ state: 'detached' });
    await list.group('/team-1').waitFor();
    await list.group('/team-0').click();
    await list.vm('vm-00000').waitFor();
  });

  test('search filters by notes, tag and name', async () => {
    await win.search.fill('alice');
    await waitUntil(() => list.renderedVms(), (n) => n.length === 4, 'four VMs with alice in their notes');
    assert.deepEqual(await list.renderedVms(), ['vm-00003', 'vm-00253', 'vm-00503', 'vm-00753']);
    await list.group('/team-3/env-0').waitFor();
    assert.equal(await list.group('/team-0').count(), 0, 'groups without a match are not shown');
    await win.search.fill('tag:special vm-009');
    await waitUntil(() => list.renderedVms(), (n) => n.join() === 'vm-00907', 'the special VM among vm-009xx');
    await shot('search');
    await win.search.fill('no such thing');
    await page.getByText('No virtual machine matches').waitFor();
    await win.search.fill('');
    await list.vm('vm-00000').waitFor();
  });

  test('a VM dragged onto a group moves there', async () => {
    await win.search.fill('vm-0000');
    await list.vm('vm-00003').waitFor();
    assert.equal((await show('vm-00003')).group, '/team-3/env-0');
    await list.vm('vm-00003').dragTo(list.group('/team-0/env-0'));
    await waitUntil(async () => (await show('vm-00003')).group, (g) => g === '/team-0/env-0', 'vm-00003 to move to /team-0/env-0');
    // The list follows: vm-00003 now sits in /team-0/env-0, right after vm-00000.
    await waitUntil(() => list.renderedVms(), (n) => n.indexOf('vm-00003') === n.indexOf('vm-00000') + 1, 'the list to show the move');
    await win.search.fill('');
  });

  test('tags are added in Details and shown in the list; a bad one is refused in place', async () => {
    await win.selectVm('vm-00000');
    await list.addTag.fill('two words');
    await list.placement.getByText(/letters, digits/).waitFor();
    await list.addTag.fill('web');
    await list.addTag.press('Enter');
    await waitUntil(() => list.tagsOf('vm-00000'), (t) => t.join() === 'web', 'the tag in the list');
    assert.deepEqual((await show('vm-00000')).tags, ['web']);
    await list.addTag.fill('x'.repeat(33));
    await list.placement.getByText(/at most 32 characters/).waitFor();
    await list.addTag.fill('');
  });

  test('several VMs ticked with Ctrl- and Shift-click: snapshot each, then delete them, asked once', async () => {
    await win.search.fill('vm-0001');
    await list.vm('vm-00010').waitFor();
    await list.vm('vm-00011').click();
    await list.vm('vm-00013').click({ modifiers: ['Shift'] });
    await list.bulkBar.getByText('3 selected').waitFor();
    assert.equal(await list.tick('vm-00012').isChecked(), true, 'Shift ticks the range');
    await list.vm('vm-00014').click({ modifiers: ['Control'] });
    await list.tick('vm-00015').check();
    await list.bulkBar.getByText('5 selected').waitFor();
    await shot('selected');
    await list.bulk('Take snapshot').click();
    await page.getByText(/Take snapshot: 5 of 5 snapshotted/).waitFor({ timeout: 120_000 });
    for (const vm of ['vm-00011', 'vm-00015']) assert.equal((await runCli(home, ['snapshot', 'list', vm, '--json'])).json.snapshots.length, 1);
    await list.bulk('Delete').click();
    const dialog = page.getByRole('dialog', { name: 'Delete 5 virtual machines?' });
    await dialog.waitFor();
    assert.deepEqual(await dialog.getByRole('list', { name: 'Virtual machines to delete' }).getByRole('listitem').locator('.MuiListItemText-primary').allInnerTexts(), ['vm-00011', 'vm-00012', 'vm-00013', 'vm-00014', 'vm-00015']);
    await shot('delete-asks-once');
    await dialog.getByRole('button', { name: 'Delete 5' }).click();
    await page.getByText(/Delete: 5 of 5 deleted/).waitFor({ timeout: 120_000 });
    await list.vm('vm-00011').waitFor({ state: 'detached' });
    assert.equal((await runCli(home, ['list', '--json'])).json.vms.length, N - 5);
    await list.bulkBar.waitFor({ state: 'detached' });
    await win.search.fill('');
  });

  test('Move to group with a bad path: the dialog says why and moves nothing; a good one moves them', async () => {
    await win.search.fill('vm-0000');
    await list.vm('vm-00000').click();
    await list.vm('vm-00001').click({ modifiers: ['Control'] });
    await list.bulk('Move selected to group…').click();
    await list.groupDialog.waitFor();
    await list.groupField.fill('lab//x');
    await list.groupDialog.getByText(/must start with '\/'/).waitFor();
    assert.equal(await list.groupDialog.getByRole('button', { name: 'Move' }).isEnabled(), false);
    await list.groupField.fill('/lab//x');
    await list.groupDialog.getByText(/empty group name/).waitFor();
    await shot('bad-group');
    await list.groupField.fill('/lab/new');
    await list.groupDialog.getByRole('button', { name: 'Move' }).click();
    await list.group('/lab/new').waitFor();
    await list.bulkBar.getByText('2 selected').waitFor();
    assert.equal((await show('vm-00001')).group, '/lab/new');
    assert.equal((await show('vm-00000')).group, '/lab/new');
    await shot('moved');
    assert.deepEqual(session.problems, []);
  });
});

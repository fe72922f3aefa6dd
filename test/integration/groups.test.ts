// Groups, tags, notes, list filters and bulk actions on 1,000 VMs through the CLI and the API (issue 21,
// point 1). The 1,000 are written straight into the inventory (they never boot); a bulk start, stop and
// save runs on two real busybox guests. Bulk actions go through the interface's own runner
// (src-renderer/vms/bulk.ts): one API call per VM, each its own task in the owner.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';
import { runCli, tempHome, waitUntil, type CliResult } from '../helpers/cli.node.js';
import { seedVms } from '../helpers/manyVms.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { bulkCall, planBulk, runBulk, type BulkAction } from '../../src-renderer/vms/bulk.js';
import type { VmSummary } from '../../src-main/api/contract.js';

const N = 1000;
/** 10 top groups × 5 subgroups: 50 leaf groups of 20 VMs */
const groupOf = (i: number) => `/team-${i % 10}/env-${Math.floor(i / 10) % 5}`;
const tagsOf = (i: number) => [i % 2 ? 'odd' : 'even', ...(i % 100 === 7 ? ['Special'] : [])];
const notesOf = (i: number) => (i % 250 === 3 ? `owner: alice #${i}` : '');

describe('groups, tags, notes and bulk actions on 1,000 VMs', () => {
  const { home, cleanup } = tempHome('hangar-groups-');
  let api: Client<typeof hangarApi>;
  const cli = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** a refusal: exit 2, one line on stderr, nothing on stdout */
  const refused = (r: CliResult, re: RegExp) => {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, re);
  };
  const list = async (...filter: string[]) => (await ok('list', ...filter, '--json')).json.vms as VmSummary[];

  before(async () => {
    seedVms(home, N, { group: groupOf, tags: tagsOf, notes: notesOf });
    await ok('host', '--json'); // starts the owner
    api = createClient(await connectUnix(homePaths(home).ownerSocket, { timeoutMs: 10_000 }), hangarApi);
  });
  after(async () => {
    api?.dispose();
    await cli('shutdown', '--force');
    await cleanup();
  });

  test('list shows every VM with its group and tags (and every field it had); filters by group, tag and search', async () => {
    const all = await list();
    assert.equal(all.length, N);
    const v0 = all[0]!;
    for (const k of ['id', 'name', 'state', 'osType', 'accelerator', 'group', 'tags']) assert.ok(k in v0, `list items have "${k}"`);
    assert.equal(v0.group, '/team-0/env-0');
    assert.deepEqual(v0.tags, ['even']);
    assert.equal((await list('--group', '/team-3')).length, 100, 'a group holds its subgroups');
    assert.equal((await list('--group', '/team-3/env-2')).length, 20);
    assert.equal((await list('--group', '/team')).length, 0, 'a prefix of a name is not a group');
    assert.equal((await list('--tag', 'special')).length, 10, 'a tag without regard to case');
    assert.equal((await list('--group', '/team-7', '--tag', 'Special')).length, 10);
    const alice = await list('--search', 'alice');
    assert.deepEqual(alice.map((v) => v.name), ['vm-00003', 'vm-00253', 'vm-00503', 'vm-00753'], 'search finds the notes');
    assert.deepEqual((await list('--search', 'tag:special windows')).map((v) => v.name), ['vm-00207', 'vm-00507', 'vm-00807'], 'a tag and the OS together');
    const table = (await ok('list', '--group', '/team-1/env-0')).stdout;
    assert.match(table.split('\n')[0]!, /GROUP\s+TAGS/);
    assert.match(table, /vm-00001\s+stopped\s+linux\s+\S+\s+\/team-1\/env-0\s+odd/);
  });

  test('modify moves a VM, tags and untags it, writes its notes; show and list say so', async () => {
    await ok('modify', 'vm-00042', '--group', '/lab/web', '--tag', 'nginx', '--tag', 'prod', '--notes', 'front end\nbehind the proxy');
    let shown = (await ok('show', 'vm-00042', '--json')).json;
    assert.equal(shown.group, '/lab/web');
    assert.deepEqual(shown.tags, ['even', 'nginx', 'prod']);
    assert.equal(shown.description, 'front end\nbehind the proxy');
    await ok('modify', 'vm-00042', '--untag', 'EVEN', '--untag', 'absent', '--tag', 'NGINX');
    shown = (await ok('show', 'vm-00042', '--json')).json;
    assert.deepEqual(shown.tags, ['nginx', 'prod'], 'untag without regard to case; a tag it has is not added twice');
    assert.deepEqual((await list('--group', '/lab')).map((v) => v.name), ['vm-00042']);
    assert.deepEqual((await list('--search', 'proxy')).map((v) => v.name), ['vm-00042']);
    // A clone is placed where its source is, with its tags (as VirtualBox places a clone).
    const clone = (await ok('clone', 'vm-00042', '--name', 'vm-00042-copy', '--json')).json;
    assert.equal(clone.group, '/lab/web');
    assert.deepEqual(clone.tags, ['nginx', 'prod']);
    assert.deepEqual((await list('--group', '/lab')).map((v) => v.name), ['vm-00042', 'vm-00042-copy']);
    await ok('delete', 'vm-00042-copy');
    await ok('modify', 'vm-00042', '--group', '/');
    assert.equal((await list('--group', '/lab')).length, 0, 'a group without VMs is gone');
  });

  test('bad input: one line, exit 2, nothing changed', async () => {
    const before = (await ok('show', 'vm-00010', '--json')).json;
    refused(await cli('modify', 'vm-00010', '--group', 'lab/web'), /must start with '\/'/);
    refused(await cli('modify', 'vm-00010', '--group', '/lab//web'), /empty group name/);
    refused(await cli('modify', 'vm-00010', '--group', '/lab/../x'), /'\.' or '\.\.'/);
    refused(await cli('modify', 'vm-00010', '--group', `/${'g'.repeat(65)}`), /at most 64 characters/);
    refused(await cli('modify', 'vm-00010', '--tag', 'x'.repeat(33)), /at most 32 characters/);
    refused(await cli('modify', 'vm-00010', '--tag', 'ok', '--tag', 'not ok'), /letters, digits/);
    refused(await cli('modify', 'vm-00010', '--notes', 'a', '--description', 'b'), /give one of them/);
    refused(await cli('modify', 'vm-00010', '--group', '/fine', '--cpus', '0'), /cpus|CPU/i);
    refused(await cli('modify', 'vm-00010', '--tag', 'fine', '--notes', 'x'.repeat(5000)), /4096/);
    refused(await cli('list', '--group', 'nope'), /must start with '\/'/);
    refused(await cli('list', '--tag', 'two words'), /letters, digits/);
    const after = (await ok('show', 'vm-00010', '--json')).json;
    assert.deepEqual([after.group, after.tags, after.description, after.cpus], [before.group, before.tags, before.description, before.cpus]);
    // Too many tags for one VM: the whole change is refused.
    const many = Array.from({ length: 31 }, (_, i) => ['--tag', `t${i}`]).flat();
    refused(await cli('modify', 'vm-00010', ...many, '--tag', 'one-more', '--tag', 'two-more'), /at most 32 tags/);
    assert.deepEqual((await ok('show', 'vm-00010', '--json')).json.tags, before.tags);
  });

  test('vm.organize moves and tags 1,000 VMs in one transaction, or none', async () => {
    const all = await list();
    const refs = all.map((v) => v.id);
    // One ref that names nothing: nothing moves.
    await assert.rejects(api.call('vm.organize', { refs: [...refs.slice(0, 500), 'no-such-vm'], group: '/moved' }), (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /no-such-vm/.test(e.message));
    assert.equal((await list('--group', '/moved')).length, 0);
    // A VM that would get too many tags: nothing is tagged.
    await ok('modify', 'vm-00999', ...Array.from({ length: 31 }, (_, i) => ['--tag', `x${i}`]).flat());
    await assert.rejects(api.call('vm.organize', { refs, addTags: ['bulk', 'more'] }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && /vm-00999/.test(e.message));
    assert.equal((await list('--tag', 'bulk')).length, 0);
    await assert.rejects(api.call('vm.organize', { refs, group: 'bad' }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
    const r = await api.call('vm.organize', { refs: refs.slice(0, 999), group: '/moved/all', addTags: ['bulk'] });
    assert.equal(r.vms.length, 999);
    assert.equal((await list('--group', '/moved')).length, 999);
    assert.equal((await list('--tag', 'bulk')).length, 999);
    // Back to the teams (drag and drop of each group's VMs).
    for (const [i, id] of refs.entries()) assert.ok(id, String(i));
    const byGroup = new Map<string, string[]>();
    for (const [i, v] of all.entries()) byGroup.set(groupOf(i), [...(byGroup.get(groupOf(i)) ?? []), v.id]);
    for (const [g, ids] of byGroup) await api.call('vm.organize', { refs: ids, group: g, removeTags: ['bulk'] });
    assert.equal((await list('--group', '/team-4')).length, 100);
    assert.equal((await list('--tag', 'bulk')).length, 0);
  });

  test('bulk snapshot and delete of many stopped VMs, each its own call (and task)', async () => {
    const chosen = (await list('--group', '/team-9/env-4')).slice(0, 10);
    assert.equal(chosen.length, 10);
    const run = async (action: BulkAction, vms: VmSummary[]) => {
      const plan = planBulk(vms, action);
      return { plan, r: await runBulk(plan.run, (vm) => bulkCall(api, action, vm)) };
    };
    const snap = await run('snapshot', chosen);
    assert.equal(snap.r.failed.length, 0, JSON.stringify(snap.r.failed));
    for (const vm of chosen) assert.equal((await api.call('snapshot.list', { ref: vm.id })).snapshots.length, 1, vm.name);
    const tasks = (await api.call('tasks.list', { limit: 100 })).tasks.filter((t) => t.kind === 'snapshot.take');
    assert.equal(new Set(tasks.map((t) => t.vm)).size, 10, 'one snapshot task per VM');
    const del = await run('delete', chosen);
    assert.equal(del.r.ok.length, 10, JSON.stringify(del.r.failed));
    assert.equal((await list()).length, N - 10);
    assert.equal((await list('--group', '/team-9/env-4')).length, 10);
  });

  test('bulk start, stop, start and save of two real guests in a group', async () => {
    const g = fixtureGuest();
    const names = ['real-1', 'real-2'];
    for (const name of names) {
      await ok('create', '--name', name, '--kernel', g.kernel, '--initrd', g.initrd, '--append', 'console=ttyS0', '--disk', 'none', '--nic', 'none', '--memory', '128', '--json');
      await ok('modify', name, '--group', '/real', '--tag', 'busybox');
    }
    const real = async () => list('--group', '/real');
    const bulk = async (action: BulkAction) => {
      const plan = planBulk(await real(), action);
      assert.equal(plan.run.length, names.length, `${action}: ${JSON.stringify(plan.skip)}`);
      const r = await runBulk(plan.run, (vm) => bulkCall(api, action, vm), names.length);
      assert.equal(r.failed.length, 0, `${action}: ${JSON.stringify(r.failed)}`);
    };
    const states = async () => (await real()).map((v) => v.state);
    await bulk('start');
    assert.deepEqual(await states(), ['running', 'running']);
    for (const name of names) {
      await waitUntil(`${name} to be ready`, async () => ((await ok('serial', name)).stdout.includes('TESTGUEST READY') ? true : undefined), 400_000, 2_000);
    }
    await bulk('stop');
    await waitUntil('every guest to power off on the ACPI button', async () => ((await states()).every((s) => s === 'stopped') ? true : undefined), 180_000, 1_000);
    await bulk('start');
    await bulk('save');
    assert.deepEqual(await states(), ['saved', 'saved']);
    const tasks = (await api.call('tasks.list', { limit: 200 })).tasks.filter((t) => t.vm?.startsWith('real-'));
    for (const kind of ['vm.start', 'vm.save', 'vm.stop']) assert.equal(new Set(tasks.filter((t) => t.kind === kind).map((t) => t.id)).size, kind === 'vm.start' ? 4 : 2, `${kind}: one task per VM and action`);
  });
});

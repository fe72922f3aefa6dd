import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { changeTags, groupAncestors, groupName, groupPathProblem, GroupPath, inGroup, MAX_TAGS, tagProblem } from '../../../../src-main/groups/rules.js';
import { filterList, organize, placementAfter } from '../../../../src-main/groups/placement.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';

describe('group paths', () => {
  test('good paths', () => {
    for (const p of ['/', '/lab', '/lab/web', '/Lab 2/web-1', '/ünïcode/机器', `/${'a'.repeat(64)}`, `/${Array.from({ length: 16 }, () => 'g').join('/')}`]) assert.equal(groupPathProblem(p), null, p);
  });
  test('bad paths, each with one line that says why', () => {
    const cases: [string, RegExp][] = [
      ['', /is needed/],
      ['lab', /must start with '\/'/],
      ['/lab/', /must not end with '\/'/],
      ['/lab//web', /empty group name/],
      ['/lab/../etc', /'\.' or '\.\.'/],
      ['/./x', /'\.' or '\.\.'/],
      [`/${'a'.repeat(65)}`, /at most 64 characters/],
      [`/${Array.from({ length: 17 }, () => 'g').join('/')}`, /at most 16 deep/],
      ['/ lab', /start or end with a space/],
      ['/lab\nweb', /control character/],
      ['/lab\u202eweb', /control character/],
      [`/${'ab/'.repeat(200)}x`, /at most 512 characters/],
    ];
    for (const [p, re] of cases) {
      const m = groupPathProblem(p);
      assert.match(m ?? '', re, JSON.stringify(p));
      assert.ok(!m!.includes('\n'), 'one line');
    }
  });
  test('the zod schema says the same', () => {
    assert.equal(GroupPath.safeParse('/a/b').success, true);
    const r = GroupPath.safeParse('a/b');
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /must start with/);
  });
  test('membership, ancestors and names', () => {
    assert.ok(inGroup('/lab/web', '/lab'));
    assert.ok(inGroup('/lab', '/lab'));
    assert.ok(inGroup('/lab', '/'));
    assert.ok(!inGroup('/laboratory', '/lab'), 'a prefix of a name is not a parent');
    assert.deepEqual(groupAncestors('/a/b/c'), ['/a', '/a/b', '/a/b/c']);
    assert.deepEqual(groupAncestors('/'), []);
    assert.equal(groupName('/a/b'), 'b');
  });
});

describe('tags', () => {
  test('good and bad tags', () => {
    for (const t of ['web', 'env:prod', 'v1.2', 'a+b', 'ops@team', 'Ünï', '9lives']) assert.equal(tagProblem(t), null, t);
    assert.match(tagProblem('x'.repeat(33))!, /at most 32 characters/);
    assert.match(tagProblem('')!, /empty/);
    assert.match(tagProblem('two words')!, /letters, digits/);
    assert.match(tagProblem('-flag')!, /starts with a letter or digit/);
    assert.match(tagProblem('a,b')!, /letters, digits/);
  });
  test('adding and removing, without regard to case, keeping the first spelling', () => {
    assert.deepEqual(changeTags(['Web', 'db'], ['web', 'new'], []), { tags: ['Web', 'db', 'new'] });
    assert.deepEqual(changeTags(['Web', 'db'], [], ['WEB', 'absent']), { tags: ['db'] });
    assert.deepEqual(changeTags(['a'], ['a'], ['a']), { tags: [] }, 'remove wins');
    const many = Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`);
    assert.match((changeTags(many, ['one-more'], []) as { problem: string }).problem, /at most 32 tags/);
  });
});

describe('placement', () => {
  const row = (id: string, name: string, group = '/', tags: string[] = []) => ({ id, name, group, tags, config: { id, name }, state: 'stopped' as const, stateReason: null, accelerator: null, createdAt: '', updatedAt: '' });
  test('placementAfter keeps what is not changed', () => {
    assert.deepEqual(placementAfter(row('1', 'a', '/x', ['t']), { addTags: ['u'] }), { group: '/x', tags: ['t', 'u'] });
    assert.deepEqual(placementAfter(row('1', 'a', '/x', ['t']), { group: '/' }), { group: '/', tags: ['t'] });
  });
  test('organize checks every VM before writing any (all or nothing)', () => {
    const rows = [row('1', 'a'), row('2', 'b', '/', Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`))];
    const written: string[] = [];
    const inv = {
      vms: { findByRef: (ref: string) => rows.find((r) => r.id === ref || r.name === ref), setPlacement: (id: string) => void written.push(id) },
      transaction: <T>(fn: () => T) => fn(),
    } as unknown as Parameters<typeof organize>[0];
    assert.throws(() => organize(inv, ['a', 'b'], { addTags: ['x'] }), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && /VM 'b'/.test(e.message));
    assert.deepEqual(written, []);
    assert.throws(() => organize(inv, ['a', 'nope'], { group: '/g' }), (e: unknown) => e instanceof HangarError && e.code === 'NOT_FOUND');
    assert.deepEqual(written, []);
    const out = organize(inv, ['a', 'b'], { group: '/g' });
    assert.deepEqual(written, ['1', '2']);
    assert.deepEqual(out.map((r) => r.group), ['/g', '/g']);
  });
  test('list filters: group (with subgroups), tag (any case), search', () => {
    const vms = [
      { name: 'web1', group: '/lab/web', tags: ['Prod'], osType: 'debian12', notes: '' },
      { name: 'db1', group: '/lab/db', tags: [], osType: 'linux', notes: 'postgres 16' },
      { name: 'laptop', group: '/laboratory', tags: ['prod'], osType: 'windows11', notes: '' },
      { name: 'free', group: '/', tags: [], osType: 'linux', notes: '' },
    ];
    const names = (f: Parameters<typeof filterList>[1]) => filterList(vms, f, (o) => (o === 'windows11' ? 'Windows 11' : o)).map((v) => v.name);
    assert.deepEqual(names({ group: '/lab' }), ['web1', 'db1']);
    assert.deepEqual(names({ group: '/' }), ['web1', 'db1', 'laptop', 'free']);
    assert.deepEqual(names({ tag: 'PROD' }), ['web1', 'laptop']);
    assert.deepEqual(names({ group: '/lab', tag: 'prod' }), ['web1']);
    assert.deepEqual(names({ search: 'postgres' }), ['db1']);
    assert.deepEqual(names({ search: 'windows' }), ['laptop']);
  });
});

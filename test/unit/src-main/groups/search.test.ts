import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, parseQuery, search } from '../../../../src-main/groups/search.js';

const vms = [
  { name: 'web-01', tags: ['prod', 'nginx'], osType: 'debian12', notes: 'front end, behind the proxy' },
  { name: 'web-02', tags: ['staging'], osType: 'debian12', notes: '' },
  { name: 'Build box', tags: ['ci'], osType: 'windows11', notes: 'MSVC 2022 and the signing key' },
  { name: 'bsd', tags: [], osType: 'freebsd', notes: 'Production firewall' },
];
const label = (o: string) => ({ debian12: 'Debian 12', windows11: 'Windows 11', freebsd: 'FreeBSD' })[o] ?? o;
const names = (q: string) => search(vms, q, label).map((v) => v.name);

describe('search over name, tag, OS and notes', () => {
  test('each field, ignoring case', () => {
    assert.deepEqual(names('WEB'), ['web-01', 'web-02']);
    assert.deepEqual(names('nginx'), ['web-01'], 'a tag');
    assert.deepEqual(names('windows 11'), ['Build box'], 'the OS label, two words both in it');
    assert.deepEqual(names('freebsd'), ['bsd'], 'the OS id');
    assert.deepEqual(names('signing'), ['Build box'], 'the notes');
  });
  test('every word must match somewhere (AND), in any field', () => {
    assert.deepEqual(names('web prod'), ['web-01']);
    assert.deepEqual(names('debian staging'), ['web-02']);
    assert.deepEqual(names('web zzz'), []);
  });
  test('tag:WORD asks for that exact tag', () => {
    assert.deepEqual(names('tag:prod'), ['web-01'], 'not the notes "Production"');
    assert.deepEqual(names('prod'), ['web-01', 'bsd'], 'a plain word also finds the notes');
    assert.deepEqual(names('tag:PROD web'), ['web-01']);
    assert.deepEqual(names('tag:pro'), []);
  });
  test('an empty query keeps everything; blank words are ignored', () => {
    assert.equal(names('').length, 4);
    assert.equal(names('   ').length, 4);
    assert.deepEqual(parseQuery('  a   tag:b '), { words: ['a'], tags: ['b'] });
    assert.ok(matches(vms[0]!, parseQuery('running'), label, ['Running']), 'extra words from the caller');
  });
});

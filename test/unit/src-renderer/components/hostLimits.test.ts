import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostLimitAdvice, hostLimitsLine, hostLimitsOf } from '../../../../src-renderer/components/hostLimits.js';
import { countOf, localizeTimestamps } from '../../../../src-renderer/components/format.js';

describe('the host\'s limits for CPUs and memory', () => {
  // the host of the issue: 2 CPUs, about 23 GiB
  const host = { cpus: 2, memoryMiB: 23_552 };
  test('16 CPUs and 100000 MiB on a 2-core, 23 GiB host are warned about, with the host\'s figures', () => {
    const advice = hostLimitAdvice({ cpus: '16', memoryMiB: '100000' }, host);
    assert.deepEqual(advice.map((a) => a.field), ['cpus', 'memoryMiB']);
    assert.match(advice[0]!.message, /More CPUs than this host has \(2\)/);
    assert.match(advice[1]!.message, /More memory than this host has \(23 GiB\)/);
  });
  test('what the host can give is not warned about; most of its memory is', () => {
    assert.deepEqual(hostLimitAdvice({ cpus: '2', memoryMiB: '2048' }, host), []);
    const most = hostLimitAdvice({ cpus: '1', memoryMiB: '20000' }, host);
    assert.equal(most.length, 1);
    assert.match(most[0]!.message, /Most of this host's memory/);
  });
  test('nothing to say while the host is unknown or the value is not a number yet', () => {
    assert.deepEqual(hostLimitAdvice({ cpus: '99', memoryMiB: '999999' }, null), []);
    assert.deepEqual(hostLimitAdvice({ cpus: 'x', memoryMiB: '' }, host), []);
    assert.equal(hostLimitsOf({}), null);
    assert.deepEqual(hostLimitsOf({ hostCpus: 2, hostMemoryMiB: 1024 }), { cpus: 2, memoryMiB: 1024 });
  });
  test('the host line and counts in the right number', () => {
    assert.equal(hostLimitsLine(host), 'This host has 2 CPUs and 23 GiB of memory.');
    assert.equal(hostLimitsLine({ cpus: 1, memoryMiB: 512 }), 'This host has 1 CPU and 512 MiB of memory.');
    assert.equal(countOf(1, 'CPU'), '1 CPU');
    assert.equal(countOf(4, 'CPU'), '4 CPUs');
  });
});

test('raw UTC timestamps in a message are shown as local time', () => {
  const text = "web was running: its disks were exported as they were at 2026-03-06T12:04:31.123Z (a temporary snapshot, removed afterwards)";
  assert.equal(localizeTimestamps(text, (iso) => `<${iso.slice(11, 16)}>`), 'web was running: its disks were exported as they were at <12:04> (a temporary snapshot, removed afterwards)');
  assert.equal(localizeTimestamps('no time here'), 'no time here');
  assert.doesNotMatch(localizeTimestamps(text), /T12:04:31\.123Z/);
});

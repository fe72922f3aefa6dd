import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateArgs, migrationProgress, movedDisksXml, onThisMachine, parseJobStats, uriHost } from '../../../../src-main/remotes/migrateModel.js';

test('a URI\'s host; on this machine when it has none or a loopback one', () => {
  assert.equal(uriHost('qemu:///system?socket=/tmp/x/libvirt-sock'), '');
  assert.equal(uriHost('qemu+ssh://root@Host.example:2222/system'), 'host.example');
  assert.equal(uriHost('qemu+tcp://[::1]:16509/system'), '::1');
  for (const u of ['qemu:///system', 'qemu+ssh://root@127.0.0.1:2222/system?socket=/s', 'qemu+tcp://localhost/system', 'qemu+tcp://[::1]/system']) assert.ok(onThisMachine(u), u);
  for (const u of ['qemu+ssh://server/system', 'qemu+tcp://10.0.0.2/system', 'qemu+ssh://127host/system']) assert.ok(!onThisMachine(u), u);
});

test('virsh migrate arguments: live, persistent on the target, undefined on the source; loopback and --unsafe only between daemons of this machine', () => {
  assert.deepEqual(migrateArgs('d', 'qemu+ssh://far/system', { copyStorage: false, sameMachine: false }), ['migrate', '--live', '--persistent', '--undefinesource', '--', 'd', 'qemu+ssh://far/system']);
  assert.deepEqual(migrateArgs('-d', 'qemu:///system', { copyStorage: false, sameMachine: true, bandwidthMiBs: 0.5 }), [
    'migrate', '--live', '--persistent', '--undefinesource', '--unsafe', '--listen-address', '127.0.0.1', '--migrateuri', 'tcp://127.0.0.1', '--bandwidth', '1', '--', '-d', 'qemu:///system',
  ]);
  const copy = migrateArgs('d', 'qemu:///system', { copyStorage: true, sameMachine: true, xmlFile: '/t/x.xml' });
  assert.ok(copy.includes('--copy-storage-all') && !copy.includes('--unsafe'));
  assert.deepEqual(copy.slice(copy.indexOf('--xml'), copy.indexOf('--xml') + 2), ['--xml', '/t/x.xml']);
});

const RUNNING = `Job type: 2

operation: 5
time_elapsed: 3165
downtime: 300
data_total: 134750208
data_processed: 855584
data_remaining: 133042176
memory_total: 134750208
memory_remaining: 133042176
disk_total: 0
disk_processed: 0
`;

test('domjobinfo --rawstats: a running job, none, a completed one', () => {
  const s = parseJobStats(RUNNING);
  assert.equal(s.active, true);
  assert.equal(s.elapsedMs, 3165);
  assert.equal(s.dataProcessed, 855584);
  assert.equal(s.dataRemaining, 133042176);
  assert.equal(s.downtimeMs, 300);
  assert.equal(parseJobStats('Job type: 0\n\n').active, false);
  const done = parseJobStats('Job type: 3\n\noperation: 6\ntime_elapsed: 6560\ndowntime: 115\nmemory_total: 134750208\nmemory_remaining: 0\n');
  assert.deepEqual([done.active, done.elapsedMs, done.downtimeMs, done.memoryTotal - done.memoryRemaining], [true, 6560, 115, 134750208]);
  assert.equal(parseJobStats('Job type: 3\n').downtimeMs, null);
});

test('progress never goes back and stops short of done; it says what is sent and what is left', () => {
  const s = parseJobStats(RUNNING);
  const p = migrationProgress(s, 0);
  assert.ok(p.fraction > 0 && p.fraction < 0.01);
  assert.equal(p.message, '0.8 MiB sent, 126.9 MiB to go');
  // memory dirtied again: remaining grows, the fraction holds
  assert.equal(migrationProgress({ ...s, dataProcessed: 10, dataRemaining: 1e9 }, 0.4).fraction, 0.4);
  assert.equal(migrationProgress({ ...s, dataRemaining: 0 }, 0.5).fraction, 0.99);
  assert.deepEqual(migrationProgress(parseJobStats('Job type: 2\n\ndata_total: 0\n'), 0), { fraction: 0, message: 'starting on the target' });
});

test('the target\'s XML: each disk moved to its new path, escaped; an unknown disk is an error', () => {
  const xml = `<domain><devices><disk type='file'><source file='/a/it&apos;s.qcow2'/></disk><disk type='file'><source file='/a/b.img'/></disk></devices></domain>`;
  const out = movedDisksXml(xml, { "/a/it's.qcow2": '/p/it&s.qcow2', '/a/b.img': '/p/b.img' });
  assert.equal(out, `<domain><devices><disk type='file'><source file='/p/it&amp;s.qcow2'/></disk><disk type='file'><source file='/p/b.img'/></disk></devices></domain>`);
  assert.throws(() => movedDisksXml(xml, { '/nope': '/p/x' }), /no disk at \/nope/);
});

// Performance samples and scheduled snapshots with a real guest (issue 21, points 2 and 4), in a network
// namespace of the test's own so that the guest's card is on a tap (a host-only network):
// - a busy loop and dd in the guest show in `hangar stats --json` as CPU well above an idle guest's (about
//   1% under TCG; the loop gets what the rest of a busy machine leaves it) and disk writes; a
//   ping flood from the host shows as received and sent bytes (the tap's counters);
// - a schedule run by the owner on a test clock (HANGAR_TEST_CLOCK: the time is read from a file the test
//   moves) takes live snapshots named auto … and prunes them to --keep with the safe delete, leaving a
//   snapshot a person took alone;
// - bad input (a bad duration, --keep 0, an unknown VM): one line, exit 2 (1 for the unknown VM), nothing changed.
// One guest boots once for all of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest, GUEST_DISK, GUEST_DISK_MOUNT, GUEST_PROMPT } from '../fixtures/guest.node.js';

interface Sample {
  t: string;
  cpuPercent: number | null;
  memoryBytes: number | null;
  diskReadBps: number | null;
  diskWriteBps: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
}

describe('performance samples and scheduled snapshots, with a real guest', () => {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgstat');
  const home = mkdtempSync(join(tmpdir(), 'hangar-stats-'));
  const work = mkdtempSync(join(tmpdir(), 'hangar-stats-work-'));
  const clockFile = join(work, 'clock');
  const { h, ok } = ns.cli(home);
  const sh = guestCommands(h);
  let now = Date.UTC(2026, 11, 6, 9, 0);
  /** Moves the owner's scheduler clock (the test clock reads the file). */
  const setClock = (ms: number) => {
    now = ms;
    writeFileSync(clockFile, new Date(ms).toISOString());
  };
  const stats = async (...args: string[]): Promise<{ samples: Sample[]; netUnmeasured: unknown[]; running: boolean }> => (await ok('stats', 'g', ...args, '--json')).json;
  let address = '';

  before(async () => {
    setClock(now);
    // the owner the first command starts inherits these (test-only: see src-main/schedules/clock.node.ts)
    process.env.HANGAR_TEST = '1';
    process.env.HANGAR_TEST_CLOCK = clockFile;
    const disk = join(work, 'disk.qcow2');
    copyFileSync(guest.disk, disk);
    await ok('network', 'create', 'ho', '--mode', 'hostonly', '--subnet', '192.168.77.0/24');
    await ok('create', '--name', 'g', '--memory', '128', '--disk-image', disk, '--nic', 'virtio,network=ho', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet');
    await ok('start', 'g', '--wait-serial', 'TESTGUEST NET', '--timeout', '240');
    const serial = (await ok('serial', 'g')).stdout;
    assert.ok(serial.includes(`${GUEST_DISK} `) && serial.includes(GUEST_PROMPT), `the guest mounted its disk: ${serial.slice(-400)}`);
    address = /TESTGUEST NET (192\.168\.77\.\d+)/.exec(serial)![1]!;
  });

  after(async () => {
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    delete process.env.HANGAR_TEST_CLOCK;
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test('a busy loop, dd and a ping flood show as CPU, disk writes and network traffic', async () => {
    const from = Date.now();
    await sh.status('g', 'sh -c "while :; do :; done" >/dev/null 2>&1 & echo $! > /tmp/busy.pid');
    assert.equal(await sh.status('g', `for i in 1 2 3; do dd if=/dev/zero of=${GUEST_DISK_MOUNT}/fill bs=64k count=160 conv=fsync 2>/dev/null; sync; done`, 120_000), 0);
    const ping = ns.try('busybox', 'ping', '-A', '-w', '3', '-s', '1400', address);
    assert.equal(ping.code, 0, `the host reaches the guest: ${ping.stdout}`);
    const since = String(Math.ceil((Date.now() - from) / 1000) + 5);
    const r = await waitUntil(
      'samples of the busy loop, the writes and the pings',
      async () => {
        const s = await stats('--since', since);
        const ok = s.samples.some((x) => (x.cpuPercent ?? 0) > 10) && s.samples.some((x) => (x.diskWriteBps ?? 0) > 100_000) && s.samples.some((x) => (x.netRxBps ?? 0) > 10_000);
        return ok ? s : undefined;
      },
      30_000,
      1_000,
    );
    await sh.status('g', 'kill $(cat /tmp/busy.pid)');
    assert.equal(r.running, true);
    assert.deepEqual(r.netUnmeasured, [], 'a card on a host-only network is counted through its tap');
    const max = (k: keyof Omit<Sample, 't'>) => Math.max(...r.samples.map((x) => x[k] ?? 0));
    assert.ok(max('cpuPercent') > 10, `CPU well above idle while the loop spins: ${max('cpuPercent')}%`);
    assert.ok(max('diskWriteBps') > 100_000, `dd shows as disk writes: ${max('diskWriteBps')} B/s`);
    assert.ok(max('netRxBps') > 10_000 && max('netTxBps') > 10_000, `the pings and their replies: rx ${max('netRxBps')}, tx ${max('netTxBps')} B/s`);
    for (const x of r.samples) {
      assert.ok((x.memoryBytes ?? 0) > 50 * 2 ** 20, 'QEMU holds the guest memory');
      assert.ok(!Number.isNaN(Date.parse(x.t)));
    }
    // one a second, in order
    const times = r.samples.map((x) => Date.parse(x.t));
    assert.ok(times.every((t, i) => i === 0 || (t > times[i - 1]! && t - times[i - 1]! < 3_000)), 'one sample a second, oldest first');
    const all = await stats();
    assert.ok(all.samples.length >= r.samples.length, 'without --since: everything kept');
  });

  test('bad input: one line, and nothing changed', async () => {
    for (const [args, code, re] of [
      [['schedule', 'g', '--every', 'soon', '--keep', '2'], 2, /--every: 'soon' is not a duration such as 30m, 2h or 1d/],
      [['schedule', 'g', '--every', '1h', '--keep', '0'], 2, /--keep: keep must be a whole number from 1/],
      [['schedule', 'nosuch', '--every', '1h', '--keep', '2'], 1, /no VM|nosuch/],
      [['stats', 'nosuch'], 1, /nosuch/],
    ] as const) {
      const r = await h(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal((await ok('show', 'g', '--json')).json.schedule, null, 'no schedule was set');
  });

  test('a schedule on a test clock takes live snapshots named auto … and prunes them to --keep', async () => {
    await ok('snapshot', 'take', 'g', '--name', 'mine');
    const set = await ok('schedule', 'g', '--every', '1h', '--keep', '1', '--json');
    assert.equal(set.json.schedule.every, '1h');
    assert.equal(set.json.schedule.keep, 1);
    assert.equal((await ok('show', 'g', '--json')).json.schedule.everySeconds, 3600, 'show --json has the schedule');
    const autos = async () => ((await ok('snapshot', 'list', 'g', '--json')).json.snapshots as { name: string; live: boolean }[]).filter((s) => s.name.startsWith('auto '));
    const runs: string[] = [];
    for (let i = 1; i <= 2; i++) {
      setClock(now + 3600_000 + 1_000);
      const result = await waitUntil(
        `scheduled run ${i}`,
        async () => {
          const s = (await ok('schedule', 'g', '--json')).json.schedule;
          return s.lastRunAt === new Date(now).toISOString() && /^took/.test(s.lastResult ?? '') ? (s.lastResult as string) : undefined;
        },
        120_000,
        500,
      );
      runs.push(result);
    }
    assert.match(runs[0]!, /^took 'auto \d{4}-\d\d-\d\d \d\d:\d\d' \(/, runs.join('\n'));
    assert.match(runs[1]!, /^took 'auto \d{4}-\d\d-\d\d \d\d:\d\d'; deleted 'auto /, runs.join('\n'));
    const left = await autos();
    assert.equal(left.length, 1, `pruned to 1: ${left.map((s) => s.name).join(', ')}`);
    assert.ok(left.every((s) => s.live), 'taken live, the VM running');
    const names = ((await ok('snapshot', 'list', 'g', '--json')).json.snapshots as { name: string }[]).map((s) => s.name);
    assert.ok(names.includes('mine'), 'the snapshot a person took stays');
    const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; state: string }[];
    assert.equal(tasks.filter((t) => t.kind === 'schedule.snapshot' && t.state === 'succeeded').length, 2, 'each run is a task');
    assert.ok(tasks.filter((t) => t.kind === 'snapshot.delete' && t.state === 'succeeded').length >= 1, 'pruned by the snapshot delete');
    // the guest still runs, and what it wrote is intact
    assert.equal((await ok('show', 'g', '--json')).json.state, 'running');
    assert.equal(await sh.status('g', `ls ${GUEST_DISK_MOUNT}/fill`), 0);
    const off = await ok('schedule', 'g', '--off', '--json');
    assert.equal(off.json.schedule, null);
    assert.equal((await autos()).length, 1, 'switching off keeps what was taken');
  });
});

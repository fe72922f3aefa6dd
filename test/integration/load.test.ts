// Load: tiny VMs started at once on this 2-core machine and stopped again, while the API keeps
// answering every list and show (their latency is a figure of `npm run bench -- load`, not a test
// assertion) and the owner's memory stays bounded;
// and a guest that floods its serial console cannot grow its log past the bound. The CI size is
// reduced (HANGAR_LOAD_VMS, default 6); `npm run bench` runs the full 20.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { runLoad } from '../helpers/load.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

const VMS = Number(process.env.HANGAR_LOAD_VMS ?? 6);
const SERIAL_LOG_BOUND = 2 << 20;

describe('load', () => {
  const { home, cleanup } = tempHome('hangar-load-');
  after(async () => {
    await cleanup();
  });

  test(`${VMS} tiny VMs start at once and stop; the API stays responsive and the owner's memory bounded`, async (t) => {
    // 96 MiB: the smallest the Debian test kernel boots in (64, 72 and 80 MiB did not).
    const r = await runLoad({ home, vms: VMS, memoryMiB: 128, guest: fixtureGuest(), log: (l) => t.diagnostic(l) });
    t.diagnostic(JSON.stringify({ ...r, folders: undefined }));
    assert.ok(r.list.count >= 20 && r.show.count >= 20, `the prober got enough answers (${r.list.count} list, ${r.show.count} show)`);
    // Bounded: the owner holds no per-VM buffers that grow with the guests' output or run time.
    assert.ok(r.ownerRssMiB.max - r.ownerRssMiB.before < 80, `owner RSS grew from ${r.ownerRssMiB.before} to ${r.ownerRssMiB.max} MiB`);
    assert.ok(r.ownerRssMiB.max < 250, `owner RSS peaked at ${r.ownerRssMiB.max} MiB`);
    assert.ok(r.serialLogMaxBytes > 0 && r.serialLogMaxBytes <= 2 * SERIAL_LOG_BOUND, `serial logs ${r.serialLogMaxBytes} bytes`);
    const list = (await runCli(home, ['list', '--json'])).json;
    assert.equal(list.vms.length, VMS);
    assert.ok(list.vms.every((v: { state: string }) => v.state === 'stopped'), 'every VM ended stopped');
  });

  test('a guest flooding its serial console keeps its log within the bound, and still answers', async () => {
    const vm = 'load-01';
    const h = (...args: string[]) => runCli(home, args);
    const started = await h('start', vm, '--wait-serial', 'TESTGUEST READY', '--timeout', '240');
    assert.equal(started.code, 0, started.stderr);
    const logs = join((await h('show', vm, '--json')).json.folder, 'logs');
    // 6 MB of text: three times the bound.
    await h('send', vm, 'yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c 6000000; echo flood-$((1+1))-done');
    // Watched on disk: asking for the whole console each second would compete with the guest.
    const tail = () => ['serial.log.1', 'serial.log'].map((f) => (existsSync(join(logs, f)) ? readFileSync(join(logs, f)).subarray(-4096).toString('latin1') : '')).join('');
    await waitUntil('the flood to end', () => (tail().includes('flood-2-done') ? true : undefined), 300_000, 1_000);
    assert.ok(existsSync(join(logs, 'serial.log.1')), 'the log was rotated');
    for (const f of ['serial.log', 'serial.log.1']) {
      const size = statSync(join(logs, f)).size;
      assert.ok(size <= SERIAL_LOG_BOUND, `${f} is ${size} bytes`);
    }
    await h('send', vm, 'echo still-$((20+1))');
    await waitUntil('the guest to answer', () => (tail().includes('still-21') ? true : undefined), 60_000);
    assert.match((await h('serial', vm)).stdout.slice(-4096), /still-21/, 'hangar serial shows the newest output');
    assert.equal((await h('stop', vm, '--force')).code, 0);
  });
});

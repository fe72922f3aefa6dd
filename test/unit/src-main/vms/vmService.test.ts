import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertIso, bootSeparator, consoleSinceStart, lastConsoleLine, shutdownOutcome, watchSerial } from '../../../../src-main/vms/vmService.node.js';
import { Emitter } from '../../../../src-vmm/base/events.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';

describe('VM service helpers', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hangar-unit-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('watchSerial finds text split across chunks, only for its VM', async () => {
    const bus = new Emitter<{ id: string; data: string }>();
    const w = watchSerial(bus, 'vm1', 'TESTGUEST READY');
    let done = false;
    void w.matched.then(() => (done = true));
    const send = (id: string, text: string) => bus.fire({ id, data: Buffer.from(text).toString('base64') });
    send('vm2', 'TESTGUEST READY');
    send('vm1', 'boot...TESTGU');
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    send('vm1', 'EST READY kernel=6.1');
    assert.equal(await w.matched, true);
    assert.equal(bus.listenerCount, 0, 'the watcher unsubscribes itself');
  });

  test('assertIso accepts ISO 9660 and refuses other files with a clear message', () => {
    const iso = join(dir, 'ok.iso');
    const buf = Buffer.alloc(40_000);
    buf.write('\x01CD001', 32768, 'latin1');
    writeFileSync(iso, buf);
    assert.doesNotThrow(() => assertIso(iso));
    const text = join(dir, 'readme.iso');
    writeFileSync(text, 'hello');
    assert.throws(() => assertIso(text), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && /not an ISO image/.test(e.message));
    const empty = join(dir, 'empty.iso');
    writeFileSync(empty, '');
    assert.throws(() => assertIso(empty), /is empty/);
    assert.throws(() => assertIso(join(dir, 'nope.iso')), /does not exist/);
    assert.throws(() => assertIso(dir), /not a regular file/);
  });

  test('each start writes a separator line that says when, and whether it resumed', () => {
    const at = new Date(2026, 2, 6, 12, 4, 31);
    const line = bootSeparator(at, false);
    assert.match(line, /^──── Hangar: started 2026-03-06 12:04:31 [+-]\d\d:\d\d ────$/);
    assert.match(bootSeparator(at, true), /Hangar: resumed from its saved state 2026-03-06/);
  });

  test("the console's last line since the last start, for a wait that timed out", () => {
    const log = join(dir, 'serial.log');
    const started = bootSeparator(new Date(2026, 2, 6, 12, 4, 31), false);
    assert.equal(lastConsoleLine(join(dir, 'missing.log')), null, 'no log');
    writeFileSync(log, `old boot\r\nTESTGUEST READY\r\n\r\n${started}\r\n`);
    assert.equal(lastConsoleLine(log), null, 'nothing since the start: not the last boot\'s lines');
    writeFileSync(log, `old boot\r\n\r\n${started}\r\nSeaBIOS\r\nBooting from Hard Disk...\r\n\r\n  \r\n`);
    assert.equal(lastConsoleLine(log), 'Booting from Hard Disk...');
    writeFileSync(log, `\r\n${started}\r\n${'x'.repeat(300)}`);
    assert.equal(lastConsoleLine(log), 'x'.repeat(200), 'a long line is cut to its end');
  });

  test('what the console printed since the last start: after its separator, else the whole window', () => {
    const log = join(dir, 'since.log');
    const started = bootSeparator(new Date(2026, 2, 6, 12, 4, 31), false);
    assert.equal(consoleSinceStart(join(dir, 'missing.log')), null);
    writeFileSync(log, `MARK from before\r\n${started}\r\nfirst\r\n${started}\r\nsecond MARK\r\n`);
    assert.equal(consoleSinceStart(log), 'second MARK\r\n', 'only the last start counts');
    writeFileSync(log, `old MARK\r\n${started}`);
    assert.equal(consoleSinceStart(log), '', 'a separator without its line end: nothing yet');
    // the separator is older than the window: all of the window is this start's
    writeFileSync(log, `${started}\r\n${'y'.repeat(100)}MARK`);
    assert.equal(consoleSinceStart(log, 20), `${'y'.repeat(16)}MARK`);
  });

  test('how a shutdown that was waited for ended', () => {
    assert.equal(shutdownOutcome({ state: 'stopped', reason: 'the guest shut down' }), 'the guest shut down');
    assert.equal(shutdownOutcome({ state: 'stopped', reason: 'powered off' }), 'it was powered off');
    assert.equal(shutdownOutcome({ state: 'saved' }), 'its state was saved instead');
    assert.equal(shutdownOutcome({ state: 'aborted', reason: 'QEMU exited unexpectedly' }), 'it ended unexpectedly (QEMU exited unexpectedly)');
  });
});

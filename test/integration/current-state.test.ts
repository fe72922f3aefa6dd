// "Has the current state changed since the snapshot?" decides whether a restore may discard it
// without asking (issue 23, point 1). It must be exact: one 512-byte sector the guest wrote is a
// change (it was not, below a 1 MiB threshold), and nothing is a change right after a restore
// (a restored live snapshot leaves a saved state that the snapshot itself holds). Settings count too.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempHome, cliIn, waitUntil, withLogsOnFailure } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';

describe('whether the current state changed', () => {
  const { home, cleanup } = tempHome('hangar-current-state-');
  const { h, ok } = cliIn(home);
  const guest = fixtureGuest();
  after(async () => {
    await cleanup();
  });
  const changed = async () => (await ok('snapshot', 'list', 'cs', '--json')).json.currentStateChanged as boolean;
  const run = async (command: string, expect: RegExp) => {
    const before = (await h('serial', 'cs')).stdout.length;
    await ok('send', 'cs', command);
    return waitUntil(`'${expect}' after '${command}'`, async () => (await h('serial', 'cs')).stdout.slice(before).match(expect) ?? undefined, 120_000);
  };
  const sector = async () => (await run('echo "s:$(dd if=/dev/vda bs=512 skip=7 count=1 2>/dev/null | md5sum | cut -c1-8):e"', /s:(\w+):e/))[1];

  test('one written sector is a change; a restore leaves none; a setting is one', () => withLogsOnFailure(home, async () => {
    // The guest boots from its kernel and initrd: nothing writes to its blank disk unless asked.
    await ok('create', '--name', 'cs', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', '8M', '--nic', 'none', '--memory', '128');
    await ok('snapshot', 'take', 'cs', '--name', 'clean');
    assert.equal(await changed(), false, 'a fresh snapshot: nothing changed');

    await ok('start', 'cs', '--wait-serial', GUEST_READY, '--timeout', '300');
    await waitUntil('the shell', async () => ((await h('serial', 'cs')).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    const blank = await sector();
    await run('dd if=/dev/urandom of=/dev/vda bs=512 seek=7 count=1 conv=fsync 2>/dev/null; sync; echo wrote-one', /wrote-one/);
    const written = await sector();
    assert.notEqual(written, blank, 'the guest wrote the sector');
    await ok('stop', 'cs', '--force');
    assert.equal(await changed(), true, 'one 512-byte sector is a change');

    await ok('snapshot', 'restore', 'cs', 'clean');
    assert.equal(await changed(), false, 'right after a restore nothing has changed');

    // A live snapshot restored leaves the VM saved, with the very state the snapshot holds.
    await ok('start', 'cs', '--wait-serial', GUEST_READY, '--timeout', '300');
    await waitUntil('the shell', async () => ((await h('serial', 'cs')).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    assert.equal(await sector(), blank, 'the restore took the written sector back');
    assert.equal(await changed(), true, 'a running machine is a change');
    await ok('snapshot', 'take', 'cs', '--name', 'live');
    await ok('stop', 'cs', '--force');
    await ok('snapshot', 'restore', 'cs', 'live');
    assert.equal((await ok('show', 'cs', '--json')).json.state, 'saved');
    assert.equal(await changed(), false, 'a saved state that the current snapshot holds is no change');

    // A setting is a change, and setting it back is none.
    await ok('start', 'cs', '--timeout', '300');
    await ok('stop', 'cs', '--force');
    await ok('snapshot', 'restore', 'cs', 'clean');
    assert.equal(await changed(), false);
    await ok('modify', 'cs', '--memory', '160');
    assert.equal(await changed(), true, 'a setting is a change');
    await ok('modify', 'cs', '--memory', '128');
    assert.equal(await changed(), false, 'the same settings again: no change');
  }));
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSendQueue, MAX_SEND_CHARS } from '../../../../src-renderer/consoles/sendQueue.js';

function controlledSender() {
  const sent: string[] = [];
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const send = (text: string) =>
    new Promise<void>((resolve, reject) => {
      sent.push(text);
      pending.push({ resolve, reject });
    });
  return { sent, pending, send };
}

describe('console send queue', () => {
  test('keys typed while a send is on its way go out together, in order', async () => {
    const s = controlledSender();
    const q = createSendQueue(s.send, () => assert.fail('no error expected'));
    q.push('l');
    q.push('s');
    q.push(' -l');
    assert.deepEqual(s.sent, ['l']);
    s.pending.shift()!.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.sent, ['l', 's -l']);
    q.push('\r');
    s.pending.shift()!.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.sent, ['l', 's -l', '\r']);
    s.pending.shift()!.resolve();
    await q.idle();
  });

  test('a failed send is reported and the queue goes on', async () => {
    const s = controlledSender();
    const errors: unknown[] = [];
    const q = createSendQueue(s.send, (e) => errors.push(e));
    q.push('a');
    q.push('b');
    s.pending.shift()!.reject(new Error('not running'));
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 1);
    assert.deepEqual(s.sent, ['a', 'b']);
    s.pending.shift()!.resolve();
    await q.idle();
  });

  test('long pastes are cut at the API limit without splitting a character', async () => {
    const sent: string[] = [];
    const q = createSendQueue(async (t) => void sent.push(t), () => undefined);
    const text = 'x'.repeat(MAX_SEND_CHARS - 1) + '😀' + 'y';
    q.push(text);
    await q.idle();
    assert.equal(sent.join(''), text);
    assert.ok(sent.every((c) => c.length <= MAX_SEND_CHARS));
    assert.equal(sent[0]!.length, MAX_SEND_CHARS - 1);
  });

  test('clear drops what is waiting', async () => {
    const s = controlledSender();
    const q = createSendQueue(s.send, () => undefined);
    q.push('a');
    q.push('b');
    q.clear();
    s.pending.shift()!.resolve();
    await q.idle();
    assert.deepEqual(s.sent, ['a']);
  });
});

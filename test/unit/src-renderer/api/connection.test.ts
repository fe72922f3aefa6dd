import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiSocketUrl, displaySocketUrl, reconnectDelay, RECONNECT_MAX_MS, takeTokenFromUrl } from '../../../../src-renderer/api/connection.js';

describe('the access token in the page address', () => {
  test('is taken out, keeping the rest of the address', () => {
    assert.deepEqual(takeTokenFromUrl('http://127.0.0.1:8123/?token=abc123'), { token: 'abc123', cleanUrl: '/' });
    assert.deepEqual(takeTokenFromUrl('http://127.0.0.1:8123/app?x=1&token=t%2Bk#vm'), { token: 't+k', cleanUrl: '/app?x=1#vm' });
    assert.deepEqual(takeTokenFromUrl('http://127.0.0.1:8123/?x=1'), { token: null, cleanUrl: null });
    assert.deepEqual(takeTokenFromUrl('http://127.0.0.1:8123/?token='), { token: null, cleanUrl: '/' });
  });
});

describe('websocket addresses', () => {
  test('the API socket on the same host, ws or wss as the page', () => {
    assert.equal(apiSocketUrl({ protocol: 'http:', host: '127.0.0.1:8123' }, 'a b'), 'ws://127.0.0.1:8123/api?token=a%20b');
    assert.equal(apiSocketUrl({ protocol: 'https:', host: 'localhost' }, 't'), 'wss://localhost/api?token=t');
  });
  test('the display path from vm.display with the token', () => {
    const loc = { protocol: 'http:', host: '127.0.0.1:8123' };
    assert.equal(displaySocketUrl(loc, '/display/abc', 'tok'), 'ws://127.0.0.1:8123/display/abc?token=tok');
    assert.equal(displaySocketUrl(loc, '/display?vm=abc', 'tok'), 'ws://127.0.0.1:8123/display?vm=abc&token=tok');
    assert.equal(displaySocketUrl(loc, 'display/abc', null), 'ws://127.0.0.1:8123/display/abc');
  });
});

describe('reconnect delay', () => {
  test('doubles from half a second up to ten, with jitter', () => {
    assert.equal(reconnectDelay(0, () => 0.5), 500);
    assert.equal(reconnectDelay(1, () => 0.5), 1000);
    assert.equal(reconnectDelay(3, () => 0.5), 4000);
    assert.equal(reconnectDelay(30, () => 0.5), RECONNECT_MAX_MS);
    assert.equal(reconnectDelay(0, () => 0), 400);
    assert.equal(reconnectDelay(0, () => 1), 600);
  });
});

test('while disconnected the page says why: the server is gone, or restarted with a new link', async () => {
  const { disconnectedMessage, sessionCause } = await import('../../../../src-renderer/api/connection.js');
  assert.equal(sessionCause(401), 'refused');
  assert.equal(sessionCause(204), 'unknown');
  assert.match(disconnectedMessage('refused'), /restarted with a new access link.*Open the link it printed/);
  assert.match(disconnectedMessage('unreachable'), /not answering/);
});

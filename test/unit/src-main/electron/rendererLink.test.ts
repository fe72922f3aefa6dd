import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { toDisposable } from '../../../../src-vmm/base/disposable.js';
import { createClient, method, serve, type Transport, type Wire } from '../../../../src-vmm/base/rpc.js';
import { createRendererLink, isSessionId } from '../../../../src-main/electron/rendererLink.js';

const contract = {
  echo: method(z.object({ s: z.string() }).strict(), z.object({ s: z.string() })),
};

/** A fake window: what main posts to the page, per session, and a client transport per page session. */
function harness() {
  const posted: { session: string; m: Wire }[] = [];
  const pages = new Map<string, Set<(m: Wire) => void>>();
  const served: Transport[] = [];
  const closedServed: Transport[] = [];
  const link = createRendererLink({
    post: (session, m) => {
      posted.push({ session, m });
      for (const l of [...(pages.get(session) ?? [])]) queueMicrotask(() => l(m));
    },
    connect: (t) => {
      served.push(t);
      t.onClose(() => closedServed.push(t));
      serve(contract, { echo: async ({ s }) => ({ s: s.toUpperCase() }) }, t);
    },
  });
  /** The page side of one document: sends through the link with its session id. */
  const page = (session: string): Transport => {
    const listeners = new Set<(m: Wire) => void>();
    pages.set(session, listeners);
    return {
      send: (m) => link.receive(session, JSON.parse(JSON.stringify(m)) as Wire),
      onMessage(cb) {
        listeners.add(cb);
        return toDisposable(() => listeners.delete(cb));
      },
      onClose: () => toDisposable(() => undefined),
      close: () => undefined,
    };
  };
  return { link, posted, served, closedServed, page };
}

const S1 = '11111111-aaaa-bbbb-cccc-000000000001';
const S2 = '22222222-aaaa-bbbb-cccc-000000000002';

describe('renderer link (the API over IPC)', () => {
  test('a page calls the API and gets its reply on its own session', async () => {
    const h = harness();
    const api = createClient(h.page(S1), contract);
    assert.deepEqual(await api.call('echo', { s: 'hi' }), { s: 'HI' });
    assert.equal(h.served.length, 1);
    assert.ok(h.posted.every((p) => p.session === S1));
    h.link.dispose();
  });

  test('a reload (a new session) closes the old connection and serves the new page', async () => {
    const h = harness();
    const first = createClient(h.page(S1), contract);
    await first.call('echo', { s: 'a' });
    const second = createClient(h.page(S2), contract);
    assert.deepEqual(await second.call('echo', { s: 'b' }), { s: 'B' });
    assert.equal(h.served.length, 2);
    assert.deepEqual(h.closedServed, [h.served[0]]);
    // the old page's later messages start yet another connection only if it really speaks again;
    // replies for S2 never go to S1
    assert.ok(h.posted.filter((p) => p.m.t === 'ok' && p.session === S1).length === 1);
    h.link.dispose();
  });

  test('app events wait for a page, then go to it; later ones go at once', async () => {
    const h = harness();
    h.link.sendEvent('app.openFile', { path: '/x.ova' });
    assert.equal(h.posted.length, 0, 'no page yet');
    const api = createClient(h.page(S1), contract);
    const events: [string, unknown][] = [];
    api.onEvent((name, payload) => events.push([name, payload]));
    await api.call('echo', { s: 'x' });
    h.link.sendEvent('app.menu', { command: 'newVm' });
    await new Promise<void>((r) => queueMicrotask(r));
    assert.deepEqual(events, [
      ['app.openFile', { path: '/x.ova' }],
      ['app.menu', { command: 'newVm' }],
    ]);
    h.link.dispose();
  });

  test('drop closes the connection; nothing is posted after dispose', async () => {
    const h = harness();
    const api = createClient(h.page(S1), contract);
    await api.call('echo', { s: 'x' });
    h.link.drop();
    assert.equal(h.closedServed.length, 1);
    h.link.dispose();
    const before = h.posted.length;
    h.link.sendEvent('app.menu', { command: 'newVm' });
    h.link.receive(S2, { t: 'req', id: 1, method: 'echo', input: { s: 'y' } });
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(h.posted.length, before);
    assert.equal(h.served.length, 1);
  });

  test('a post that throws (the window is gone) does not break the link', async () => {
    let fail = true;
    const delivered: Wire[] = [];
    const logged: string[] = [];
    const link = createRendererLink({
      post: (_session, m) => {
        if (fail) throw new Error('Object has been destroyed');
        delivered.push(m);
      },
      connect: (t) => serve(contract, { echo: async ({ s }) => ({ s }) }, t),
      log: (l) => logged.push(l),
    });
    link.receive(S1, { t: 'req', id: 1, method: 'echo', input: { s: 'x' } });
    await new Promise<void>((r) => setImmediate(r));
    assert.match(logged[0] ?? '', /could not send to the page: Object has been destroyed/);
    fail = false;
    link.sendEvent('e', {});
    assert.deepEqual(delivered, [{ t: 'event', name: 'e', payload: {} }]);
    link.dispose();
  });

  test('session ids: the preload’s UUIDs pass, anything else does not', () => {
    assert.equal(isSessionId(crypto.randomUUID()), true);
    for (const s of ['', 'short', 'x'.repeat(65), 'a b c d e f g h', '../../etc', 42, null, undefined, {}]) assert.equal(isSessionId(s), false, String(s));
  });
});

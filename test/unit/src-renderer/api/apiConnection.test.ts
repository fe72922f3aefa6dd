// The page's connection over the real RPC kernel and contract, with in-memory transports.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError, isHangarError } from '../../../../src-vmm/base/errors.js';
import { createTransportPair, serve, type ConnectionContext, type Handlers, type Transport } from '../../../../src-vmm/base/rpc.js';
import { hangarApi } from '../../../../src-main/api/contract.js';
import { ApiConnection, type ConnectionStatus, type Endpoint } from '../../../../src-renderer/api/apiConnection.js';

type Api = typeof hangarApi;

/** A fake owner: the handlers a test needs; every open() is a new connection. */
function fakeOwner(handlers: Partial<Handlers<Api>>, opts: { failOpens?: number } = {}) {
  const servers: Transport[] = [];
  const connections: ConnectionContext[] = [];
  let failOpens = opts.failOpens ?? 0;
  let opens = 0;
  const endpoint: Endpoint = {
    kind: 'web',
    reconnect: true,
    open: async () => {
      opens++;
      if (failOpens > 0) {
        failOpens--;
        throw new HangarError('IO_ERROR', 'cannot connect to Hangar');
      }
      const [client, server] = createTransportPair();
      serve(hangarApi, handlers as Handlers<Api>, server, { onConnection: (c) => connections.push(c) });
      servers.push(server);
      return client;
    },
    displayTarget: (path) => `ws://test${path}`,
  };
  return { endpoint, servers, connections, opens: () => opens };
}

function waitForStatus(conn: ApiConnection, kind: ConnectionStatus['kind']): Promise<void> {
  return new Promise((resolve) => {
    if (conn.getStatus().kind === kind) return resolve();
    const off = conn.subscribe(() => {
      if (conn.getStatus().kind === kind) {
        off();
        resolve();
      }
    });
  });
}

const VM_LIST = { vms: [{ id: 'a', name: 'web', state: 'stopped' as const, osType: 'linux', accelerator: 'tcg' as const, group: '/', tags: [], notes: '' }] };
let conn: ApiConnection | undefined;
afterEach(() => conn?.dispose());

describe('ApiConnection', () => {
  test('typed calls and validated events', async () => {
    const owner = fakeOwner({ 'vm.list': async () => VM_LIST });
    conn = new ApiConnection(owner.endpoint).start();
    assert.deepEqual(await conn.call('vm.list', {}), VM_LIST);
    assert.equal(conn.generation, 1);

    const seen: unknown[] = [];
    const sub = conn.on('vm.stateChanged', (e) => seen.push(e));
    owner.connections[0]!.emit('vm.stateChanged', { id: 'a', name: 'web', state: 'running' });
    owner.connections[0]!.emit('vm.stateChanged', { id: 'a', state: 'flying' }); // malformed: dropped
    owner.connections[0]!.emit('vm.console', { id: 'a', data: '' }); // nobody listens
    await conn.call('vm.list', {});
    assert.deepEqual(seen, [{ id: 'a', name: 'web', state: 'running' }]);
    sub.dispose();
    owner.connections[0]!.emit('vm.stateChanged', { id: 'a', name: 'web', state: 'stopped' });
    await conn.call('vm.list', {});
    assert.equal(seen.length, 1);
  });

  test('the API error arrives as a HangarError with its code and message', async () => {
    const owner = fakeOwner({
      'vm.start': async () => {
        throw new HangarError('STATE_CONFLICT', "VM 'web' is already running");
      },
    });
    conn = new ApiConnection(owner.endpoint).start();
    await assert.rejects(conn.call('vm.start', { ref: 'web' }), (e) => isHangarError(e, 'STATE_CONFLICT') && e.message === "VM 'web' is already running");
    await assert.rejects(conn.call('vm.show', { ref: '' }), (e) => isHangarError(e, 'INVALID_INPUT'));
  });

  test('cancel reaches the owner and the call ends CANCELLED', async () => {
    let handlerSignal: AbortSignal | undefined;
    const owner = fakeOwner({
      'vm.create': (_input, ctx) =>
        new Promise((_resolve, reject) => {
          handlerSignal = ctx.signal;
          ctx.progress({ fraction: 0.25, message: 'creating the disk' });
          ctx.signal.addEventListener('abort', () => reject(new HangarError('CANCELLED', 'vm.create was cancelled')));
        }),
    });
    conn = new ApiConnection(owner.endpoint).start();
    const ac = new AbortController();
    const progress: number[] = [];
    const call = conn.call('vm.create', { name: 'x' }, { signal: ac.signal, onProgress: (p) => progress.push(p.fraction) });
    while (progress.length === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    await assert.rejects(call, (e) => isHangarError(e, 'CANCELLED'));
    assert.equal(handlerSignal?.aborted, true);
    assert.deepEqual(progress, [0.25]);
  });

  test('a lost connection rejects pending calls, reconnects, and keeps subscriptions', async () => {
    let release: (() => void) | undefined;
    const owner = fakeOwner({
      'vm.list': async () => VM_LIST,
      'vm.stop': () =>
        new Promise(() => {
          release = () => undefined;
        }),
    });
    conn = new ApiConnection(owner.endpoint, { delay: () => 5 }).start();
    await conn.call('vm.list', {});
    const seen: string[] = [];
    conn.on('inventory.changed', (e) => seen.push(e.id ?? '-'));
    const pending = conn.call('vm.stop', { ref: 'web' });
    while (!release) await new Promise((r) => setImmediate(r));
    owner.servers[0]!.close();
    await assert.rejects(pending, (e) => isHangarError(e, 'IO_ERROR') && /connection closed/.test(e.message));
    await waitForStatus(conn, 'open');
    assert.equal(conn.generation, 2);
    assert.deepEqual(await conn.call('vm.list', {}), VM_LIST);
    owner.connections[1]!.emit('inventory.changed', { id: 'b' });
    await conn.call('vm.list', {});
    assert.deepEqual(seen, ['b']);
  });

  test('calls made while disconnected wait for the connection, or their signal', async () => {
    const owner = fakeOwner({ 'vm.list': async () => VM_LIST }, { failOpens: 2 });
    const statuses: string[] = [];
    conn = new ApiConnection(owner.endpoint, { delay: () => 5 });
    conn.subscribe(() => statuses.push(conn!.getStatus().kind));
    conn.start();
    const ac = new AbortController();
    const abandoned = conn.call('vm.list', {}, { signal: ac.signal });
    ac.abort();
    await assert.rejects(abandoned, (e) => isHangarError(e, 'CANCELLED'));
    assert.deepEqual(await conn.call('vm.list', {}), VM_LIST);
    assert.equal(owner.opens(), 3);
    assert.deepEqual([...statuses], ['connecting', 'waiting', 'connecting', 'waiting', 'connecting', 'open']);
  });

  test('an endpoint that cannot work says why, and calls fail with it', async () => {
    const owner = fakeOwner({});
    conn = new ApiConnection({ ...owner.endpoint, problem: 'This page needs the address with the access token' }).start();
    assert.deepEqual(conn.getStatus(), { kind: 'failed', error: 'This page needs the address with the access token' });
    await assert.rejects(conn.call('vm.list', {}), (e) => isHangarError(e, 'IO_ERROR') && /access token/.test(e.message));
    assert.equal(owner.opens(), 0);
  });

  test('dispose closes the transport and ends waiting calls', async () => {
    const owner = fakeOwner({ 'vm.list': async () => VM_LIST }, { failOpens: 1 });
    conn = new ApiConnection(owner.endpoint, { delay: () => 60_000 }).start();
    await waitForStatus(conn, 'waiting');
    const waiting = conn.call('vm.list', {});
    conn.dispose();
    await assert.rejects(waiting, (e) => isHangarError(e, 'IO_ERROR'));
    assert.equal(conn.getStatus().kind, 'closed');
  });

  test('prefetch: the request leaves as the connection opens; the first call of it takes that answer, a caller that gives up passes it on', async () => {
    let asked = 0;
    const owner = fakeOwner({
      'vm.list': async () => {
        asked++;
        return VM_LIST;
      },
    });
    conn = new ApiConnection(owner.endpoint);
    const sent = conn.prefetch('vm.list', {});
    conn.start();
    await sent;
    assert.equal(conn.getStatus().kind, 'open');
    // A query mounted before the connection opened gives up (its effect re-runs for the new generation) …
    const ac = new AbortController();
    const first = conn.call('vm.list', {}, { signal: ac.signal });
    ac.abort();
    await assert.rejects(first, (e) => isHangarError(e, 'CANCELLED'));
    // … and the next one gets the answer already asked for.
    assert.deepEqual(await conn.call('vm.list', {}), VM_LIST);
    assert.equal(asked, 1, 'one request for both');
    // Later calls ask again; other inputs were never prefetched.
    assert.deepEqual(await conn.call('vm.list', {}), VM_LIST);
    assert.deepEqual(await conn.call('vm.list', { tag: 'web' }), VM_LIST);
    assert.equal(asked, 3);
  });

  test('prefetch on an endpoint that cannot connect resolves at once (the page renders and says why)', async () => {
    const owner = fakeOwner({});
    conn = new ApiConnection({ ...owner.endpoint, problem: 'no token' }).start();
    await conn.prefetch('vm.list', {});
    await assert.rejects(conn.call('vm.list', {}), (e) => isHangarError(e, 'IO_ERROR'));
  });
});

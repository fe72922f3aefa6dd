import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createClient, createTransportPair, method, MAX_INPUT_DEPTH, nestingExceeds, serve, type ConnectionContext, type Handlers, type Progress, type Transport, type Wire } from '../../../../src-vmm/base/rpc.js';
import { ERROR_CODES, HangarError } from '../../../../src-vmm/base/errors.js';

const contract = {
  echo: method(z.object({ text: z.string() }).strict(), z.object({ text: z.string(), length: z.number() })),
  fail: method(z.object({ code: z.enum(ERROR_CODES), plain: z.boolean().optional() }), z.null()),
  slow: method(z.object({ steps: z.number().int().positive() }), z.null(), { long: true }),
  hang: method(z.object({}), z.null()),
  notify: method(z.object({ n: z.number() }), z.null()),
};

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Serves the test contract on one side of a transport pair and records what the handlers saw. */
function setup(transports: [Transport, Transport] = createTransportPair()) {
  const [serverSide, clientSide] = transports;
  const seen = { echo: 0, hangStarted: deferred(), hangAborted: deferred(), slowAborted: deferred() };
  const handlers: Handlers<typeof contract> = {
    echo: async ({ text }) => {
      seen.echo++;
      return { text, length: text.length };
    },
    fail: async ({ code, plain }) => {
      if (plain) throw new Error('something broke');
      throw new HangarError(code, `failing with ${code}`, { details: { why: 'asked to' } });
    },
    slow: async ({ steps }, ctx) => {
      for (let i = 1; i <= steps; i++) {
        ctx.progress({ fraction: i / (steps + 1), message: `step ${i}` });
        await new Promise((r) => setImmediate(r));
      }
      // Wait for the caller to cancel (which may already have happened).
      await aborted(ctx.signal);
      seen.slowAborted.resolve();
      throw new Error('stopped');
    },
    hang: async (_input, ctx) => {
      seen.hangStarted.resolve();
      await aborted(ctx.signal);
      seen.hangAborted.resolve();
      return null;
    },
    notify: async ({ n }, ctx) => {
      ctx.connection.emit('tick', { n });
      ctx.connection.emit('tock', { n: n + 1 });
      return null;
    },
  };
  const server = serve(contract, handlers, serverSide);
  const client = createClient(clientSide, contract);
  return { server, client, seen, serverSide, clientSide };
}

const hasCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof HangarError && e.code === code && (message === undefined || message.test(e.message));

describe('rpc kernel over an in-memory transport pair', () => {
  test('a call succeeds and the output is validated', async () => {
    const { client } = setup();
    assert.deepEqual(await client.call('echo', { text: 'hello' }), { text: 'hello', length: 5 });
    client.dispose();
  });

  test('a bad payload is INVALID_INPUT and the handler never sees it', async () => {
    const { client, seen } = setup();
    await assert.rejects(client.call('echo', { text: 5 } as never), hasCode('INVALID_INPUT', /text/));
    await assert.rejects(client.call('echo', { text: 'x', extra: 1 } as never), hasCode('INVALID_INPUT', /extra/));
    assert.equal(seen.echo, 0);
    client.dispose();
  });

  test('a thrown HangarError crosses with its code, message and details; other errors become INTERNAL', async () => {
    const { client } = setup();
    for (const code of ['DISK_FULL', 'STATE_CONFLICT', 'NOT_FOUND'] as const) {
      await assert.rejects(client.call('fail', { code }), (e: unknown) => {
        assert.ok(e instanceof HangarError);
        assert.equal(e.code, code);
        assert.equal(e.message, `failing with ${code}`);
        assert.deepEqual(e.details, { why: 'asked to' });
        return true;
      });
    }
    await assert.rejects(client.call('fail', { code: 'NOT_FOUND', plain: true }), hasCode('INTERNAL', /something broke/));
    client.dispose();
  });

  test('progress reaches the caller and cancellation reaches the handler signal', async () => {
    const { client, seen } = setup();
    const ac = new AbortController();
    const progress: Progress[] = [];
    const call = client.call('slow', { steps: 2 }, {
      signal: ac.signal,
      onProgress: (p) => {
        progress.push(p);
        if (progress.length === 2) ac.abort();
      },
    });
    await assert.rejects(call, hasCode('CANCELLED'));
    await seen.slowAborted.promise;
    assert.deepEqual(progress, [
      { fraction: 1 / 3, message: 'step 1' },
      { fraction: 2 / 3, message: 'step 2' },
    ]);
    client.dispose();
  });

  test('a signal aborted before the call rejects at once and nothing runs', async () => {
    const { client, seen } = setup();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(client.call('echo', { text: 'x' }, { signal: ac.signal }), hasCode('CANCELLED'));
    assert.equal(seen.echo, 0);
    client.dispose();
  });

  test('a timeout rejects with TIMEOUT and cancels the handler', async () => {
    const { client, seen } = setup();
    await assert.rejects(client.call('hang', {}, { timeoutMs: 20 }), hasCode('TIMEOUT', /'hang' did not answer within 20 ms/));
    await seen.hangAborted.promise;
    client.dispose();
  });

  test('events reach the connection that caused them, in order, before the reply', async () => {
    const { client } = setup();
    const events: [string, unknown][] = [];
    const sub = client.onEvent((name, payload) => events.push([name, payload]));
    await client.call('notify', { n: 1 });
    assert.deepEqual(events, [
      ['tick', { n: 1 }],
      ['tock', { n: 2 }],
    ]);
    sub.dispose();
    await client.call('notify', { n: 5 });
    assert.equal(events.length, 2);
    client.dispose();
  });

  test('when the transport closes, pending calls reject, close listeners run and the handler is aborted', async () => {
    const { client, seen, serverSide } = setup();
    const closed = deferred();
    client.onClose(() => closed.resolve());
    const call = client.call('hang', {});
    await seen.hangStarted.promise;
    serverSide.close();
    await assert.rejects(call, hasCode('IO_ERROR', /connection closed while waiting for 'hang'/));
    await closed.promise;
    await seen.hangAborted.promise;
    await assert.rejects(client.call('echo', { text: 'late' }), hasCode('IO_ERROR'));
  });

  test('aborting a call right after the transport closed does not throw out of the abort', async () => {
    const { client, seen, clientSide } = setup();
    const ac = new AbortController();
    const call = client.call('hang', {}, { signal: ac.signal });
    await seen.hangStarted.promise;
    clientSide.close(); // the close is delivered asynchronously...
    ac.abort(); // ...so the cancel is sent to a closed transport
    await assert.rejects(call, hasCode('IO_ERROR'));
  });

  test('disposing the client rejects its pending calls and runs its close listeners', async () => {
    const { client, seen } = setup();
    let closes = 0;
    client.onClose(() => closes++);
    const call = client.call('hang', {});
    await seen.hangStarted.promise;
    client.dispose();
    await assert.rejects(call, hasCode('IO_ERROR'));
    assert.equal(closes, 1);
    await seen.hangAborted.promise;
  });

  test("a connection's idle() waits for the requests in progress, and settles after their replies were sent", async () => {
    const [serverSide, clientSide] = createTransportPair();
    let conn: ConnectionContext | undefined;
    const gate = deferred();
    const handlers = {
      echo: async ({ text }: { text: string }) => {
        await gate.promise;
        return { text, length: text.length };
      },
    } as unknown as Handlers<typeof contract>;
    serve(contract, handlers, serverSide, { onConnection: (c) => (conn = c) });
    const client = createClient(clientSide, contract);
    await conn!.idle(); // nothing runs yet: at once
    const order: string[] = [];
    const answer = client.call('echo', { text: 'last' }).then((r) => order.push(`reply ${r.text}`));
    await new Promise((r) => setImmediate(r));
    const idle = conn!.idle().then(() => order.push('idle'));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [], 'idle waits while the handler runs');
    gate.resolve();
    await Promise.all([answer, idle]);
    assert.deepEqual(order, ['reply last', 'idle']);
    client.dispose();
  });

  test('a contract given as a loader: loaded once, after the first request left; replies wait for it and are still checked', async () => {
    const [serverSide, clientSide] = createTransportPair();
    // The server answers whatever it likes (its own contract does not check the reply), so a reply the
    // client's contract refuses can be sent.
    const loose = { echo: method(z.object({ text: z.string() }), z.unknown()) };
    const handled: string[] = [];
    serve(loose, { echo: async ({ text }) => (handled.push(text), text === 'lie' ? { text, length: 'many' } : { text, length: text.length }) }, serverSide);
    const gate = deferred<typeof contract>();
    let loads = 0;
    const client = createClient(clientSide, () => (loads++, gate.promise));
    assert.equal(loads, 0, 'nothing is loaded before a request');
    let settled = false;
    const first = client.call('echo', { text: 'abc' }).finally(() => (settled = true));
    assert.equal(loads, 1, 'the first request starts the load');
    for (let i = 0; i < 10 && handled.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(handled, ['abc'], 'the request reached the server while the contract was still loading');
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'the reply waits for the contract');
    gate.resolve(contract);
    assert.deepEqual(await first, { text: 'abc', length: 3 });
    await assert.rejects(client.call('echo', { text: 'lie' }), hasCode('INTERNAL', /bad reply to 'echo'/));
    assert.equal(loads, 1, 'loaded once');
    client.dispose();

    // A contract that cannot load fails the call, with the reason.
    const [serverSide2, clientSide2] = createTransportPair();
    serve(loose, { echo: async ({ text }) => ({ text, length: text.length }) }, serverSide2);
    const broken = createClient<typeof contract>(clientSide2, () => Promise.reject(new Error('chunk missing')));
    await assert.rejects(broken.call('echo', { text: 'x' }), hasCode('INTERNAL', /could not load the contract to check the reply to 'echo': chunk missing/));
    broken.dispose();
  });

  test('with a loader, what comes after a reply that waits for it is held behind it: events, later replies and the close keep their order', async () => {
    const [serverSide, clientSide] = createTransportPair();
    serve(
      contract,
      {
        echo: async ({ text }: { text: string }, ctx: { connection: ConnectionContext }) => {
          // sent after the reply: the caller, once its call resolved, must still see it
          setImmediate(() => ctx.connection.emit('after', { text }));
          return { text, length: text.length };
        },
      } as unknown as Handlers<typeof contract>,
      serverSide,
    );
    const gate = deferred<typeof contract>();
    const client = createClient<typeof contract>(clientSide, () => gate.promise);
    const order: string[] = [];
    client.onClose(() => void order.push('closed'));
    const first = client.call('echo', { text: 'one' });
    const second = client.call('echo', { text: 'two' });
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    serverSide.close(); // the close too arrives while the first reply waits
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual([...order], [], 'nothing overtakes the waiting reply');
    gate.resolve(contract);
    const r1 = await first;
    // Listening only now, as a caller that subscribes once its call returned (hangar serial --follow did).
    client.onEvent((name, payload) => order.push(`${name} ${(payload as { text: string }).text}`));
    order.push(`reply ${r1.text}`);
    const r2 = await second;
    order.push(`reply ${r2.text}`);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    // The wire's order: both replies (the handlers returned at once), then both events, then the close.
    assert.deepEqual(order, ['reply one', 'reply two', 'after one', 'after two', 'closed']);
  });

  test('with a loader, a listener that throws while messages are held is reported as uncaught, and what follows still arrives in order', async () => {
    const [serverSide, clientSide] = createTransportPair();
    serve(
      contract,
      {
        echo: async ({ text }: { text: string }, ctx: { connection: ConnectionContext }) => {
          setImmediate(() => {
            ctx.connection.emit('after', { text: `${text}-1` });
            ctx.connection.emit('after', { text: `${text}-2` });
          });
          return { text, length: text.length };
        },
      } as unknown as Handlers<typeof contract>,
      serverSide,
    );
    const gate = deferred<typeof contract>();
    const client = createClient<typeof contract>(clientSide, () => gate.promise);
    const seen: string[] = [];
    client.onEvent((_name, payload) => {
      const { text } = payload as { text: string };
      seen.push(text);
      if (text === 'one-1') throw new Error('listener broke on one-1');
    });
    client.onClose(() => void seen.push('closed'));
    const uncaught: string[] = [];
    process.setUncaughtExceptionCaptureCallback((e) => uncaught.push((e as Error).message));
    try {
      const first = client.call('echo', { text: 'one' });
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      serverSide.close();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      assert.equal(seen.length, 0, 'everything waits behind the reply');
      gate.resolve(contract);
      assert.equal((await first).text, 'one');
      for (let i = 0; i < 10 && !seen.includes('closed'); i++) await new Promise((r) => setImmediate(r));
      // The throw is reported from a timer, as an uncaught exception.
      for (let i = 0; i < 50 && uncaught.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    } finally {
      process.setUncaughtExceptionCaptureCallback(null);
    }
    assert.deepEqual(seen, ['one-1', 'one-2', 'closed'], 'the event after the throw and the close still arrive');
    assert.deepEqual(uncaught, ['listener broke on one-1']);
  });

  test('an unknown method is INVALID_INPUT', async () => {
    const { client } = setup();
    await assert.rejects(client.call('nope' as never, {} as never), hasCode('INVALID_INPUT', /unknown method 'nope'/));
    await assert.rejects(client.call('toString' as never, {} as never), hasCode('INVALID_INPUT', /unknown method 'toString'/));
    client.dispose();
  });
});

describe('input depth', () => {
  /** A value nested n levels deep, built without recursion. */
  const nested = (n: number) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };

  test('nestingExceeds walks without recursion: 100,000 levels, cycles and wide shared graphs get an answer', () => {
    assert.equal(nestingExceeds(nested(MAX_INPUT_DEPTH), MAX_INPUT_DEPTH), false);
    assert.equal(nestingExceeds(nested(MAX_INPUT_DEPTH + 1), MAX_INPUT_DEPTH), true);
    assert.equal(nestingExceeds(nested(100_000), MAX_INPUT_DEPTH), true);
    assert.equal(nestingExceeds({ a: 1, b: 'x', c: null, d: [1, 2, { e: [] }] }, 4), false);
    assert.equal(nestingExceeds({ a: 1, b: 'x', c: null, d: [1, 2, { e: [] }] }, 3), true);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.equal(nestingExceeds(cycle, MAX_INPUT_DEPTH), true);
    // 40 levels, each holding the level below twice: 2^40 paths, bounded by the visit cap.
    let shared: unknown = {};
    for (let i = 0; i < 40; i++) shared = { l: shared, r: shared };
    assert.equal(nestingExceeds(shared, MAX_INPUT_DEPTH), true);
  });

  test('a too deep input is INVALID_INPUT before the schema or the handler sees it', async () => {
    const { client, seen } = setup();
    await assert.rejects(client.call('echo', { text: nested(100) } as never), hasCode('INVALID_INPUT', /nests deeper than 64 levels/));
    assert.equal(seen.echo, 0);
    assert.deepEqual(await client.call('echo', { text: 'still here' }), { text: 'still here', length: 10 });
    client.dispose();
  });

  test('over a transport that does not copy (as Electron hands over objects): 100,000 levels and a cycle are refused', async () => {
    let deliver!: (m: Wire) => void;
    const sent: Wire[] = [];
    const transport: Transport = {
      send: (m) => sent.push(m),
      onMessage: (cb) => {
        deliver = cb;
        return { dispose: () => undefined };
      },
      onClose: () => ({ dispose: () => undefined }),
      close: () => undefined,
    };
    serve(contract, { echo: async ({ text }: { text: string }) => ({ text, length: text.length }) } as never, transport);
    const cycle: Record<string, unknown> = { text: 'x' };
    cycle.again = cycle;
    deliver({ t: 'req', id: 1, method: 'echo', input: nested(100_000) });
    deliver({ t: 'req', id: 2, method: 'echo', input: cycle });
    assert.deepEqual(
      sent.map((m) => (m.t === 'err' ? [m.id, m.error.code] : m.t)),
      [
        [1, 'INVALID_INPUT'],
        [2, 'INVALID_INPUT'],
      ],
    );
  });
});

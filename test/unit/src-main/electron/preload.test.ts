// The real preload, transpiled from its source and run against a fake `electron` module, the way a
// sandboxed preload runs (a CommonJS wrapper with require, process, exports and module).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import ts from 'typescript';
import { repoRoot } from '../../../helpers/paths.js';

const preloadFile = join(repoRoot, 'src-main', 'electron', 'preload.electron.cts');
const source = readFileSync(preloadFile, 'utf8');
const compiled = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  fileName: 'preload.electron.cts',
}).outputText;

type Listener = (event: unknown, ...args: unknown[]) => void;
type Bridge = {
  send(m: unknown): void;
  onMessage(cb: (m: unknown) => void): () => void;
  pickFile(o: unknown): Promise<string | null>;
  displayUrl(p: string): string;
};

function loadPreload(argv: string[] = ['/opt/hangar/hangar', '--type=renderer', '--hangar-display-port=40123', '--hangar-display-token=T0k-en_x']) {
  const sent: unknown[][] = [];
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<Listener>>();
  let invokeResult: unknown = '/home/u/debian.iso';
  const exposed: Record<string, unknown> = {};
  const required: string[] = [];
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        exposed[key] = api;
      },
    },
    ipcRenderer: {
      send: (...args: unknown[]) => sent.push(args),
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        return invokeResult;
      },
      on: (channel: string, l: Listener) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
      },
      removeListener: (channel: string, l: Listener) => listeners.get(channel)?.delete(l),
    },
  };
  const fakeRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`the preload required ${name}`);
  };
  const module = { exports: {} };
  const wrapper = runInThisContext(`(function (require, process, exports, module) {\n${compiled}\n})`, { filename: preloadFile }) as (
    ...a: unknown[]
  ) => void;
  wrapper(fakeRequire, { argv }, module.exports, module);
  const emit = (channel: string, ...args: unknown[]) => {
    for (const l of [...(listeners.get(channel) ?? [])]) l({ sender: { secret: 'ipcRenderer' } }, ...args);
  };
  const sessionOf = () => (sent[0] as [string, string, unknown])[1];
  return {
    bridge: exposed.hangar as Bridge,
    exposed,
    sent,
    invoked,
    listeners,
    required,
    emit,
    sessionOf,
    setInvokeResult: (v: unknown) => (invokeResult = v),
  };
}

describe('preload', () => {
  test('exposes exactly window.hangar with send, onMessage, pickFile and displayUrl', () => {
    const p = loadPreload();
    assert.deepEqual(Object.keys(p.exposed), ['hangar']);
    assert.deepEqual(Object.keys(p.bridge).sort(), ['displayUrl', 'onMessage', 'pickFile', 'send']);
    for (const v of Object.values(p.bridge)) assert.equal(typeof v, 'function');
    assert.deepEqual(p.required, ['electron'], 'nothing but electron is required');
  });

  test('send passes requests and cancels on the one channel, tagged with the document’s session', () => {
    const p = loadPreload();
    const req = { t: 'req', id: 1, method: 'vm.list', input: {} };
    p.bridge.send(req);
    p.bridge.send({ t: 'cancel', id: 1 });
    assert.equal(p.sent.length, 2);
    const [channel, session, msg] = p.sent[0]!;
    assert.equal(channel, 'hangar:rpc');
    assert.match(String(session), /^[0-9a-f-]{36}$/);
    assert.deepEqual(msg, req);
    assert.equal(p.sent[1]![1], session);
  });

  test('send refuses what is not an API message', () => {
    const p = loadPreload();
    for (const bad of [null, undefined, 'req', 42, [], {}, { t: 'bogus' }, { t: 'ok', id: 1, output: 1 }, { t: 'event', name: 'x' }, { t: 5 }]) {
      assert.throws(() => p.bridge.send(bad), TypeError, JSON.stringify(bad));
    }
    assert.equal(p.sent.length, 0);
  });

  test('onMessage delivers this session’s messages only, never the IPC event, and unsubscribes', () => {
    const p = loadPreload();
    p.bridge.send({ t: 'req', id: 1, method: 'x', input: {} });
    const session = p.sessionOf();
    const got: unknown[][] = [];
    const off = p.bridge.onMessage((...args: unknown[]) => got.push(args));
    const ok = { t: 'ok', id: 1, output: null };
    p.emit('hangar:rpc', session, ok);
    p.emit('hangar:rpc', 'another-document-session-0000000000', { t: 'ok', id: 2, output: null });
    p.emit('hangar:rpc', session, { t: 'req', id: 3, method: 'x', input: {} });
    p.emit('hangar:rpc', session, 'not an object');
    p.emit('hangar:rpc', session, { t: 'event', name: 'app.openFile', payload: { path: '/a.ova' } });
    assert.deepEqual(got, [[ok], [{ t: 'event', name: 'app.openFile', payload: { path: '/a.ova' } }]]);
    assert.equal(p.listeners.get('hangar:rpc')!.size, 1);
    off();
    assert.equal(p.listeners.get('hangar:rpc')!.size, 0);
    p.emit('hangar:rpc', session, ok);
    assert.equal(got.length, 2);
    assert.throws(() => p.bridge.onMessage('not a function' as never), TypeError);
  });

  test('pickFile asks main with only title, filter and defaultPath, and returns a path or null', async () => {
    const p = loadPreload();
    const path = await p.bridge.pickFile({ title: 'Choose an ISO', filter: 'iso', defaultPath: '/home/u', properties: ['openDirectory'] });
    assert.equal(path, '/home/u/debian.iso');
    assert.deepEqual(p.invoked, [['hangar:pickFile', { title: 'Choose an ISO', filter: 'iso', defaultPath: '/home/u' }]]);
    p.setInvokeResult(undefined);
    assert.equal(await p.bridge.pickFile({ title: 'x', filter: 'disk' }), null);
  });

  test('displayUrl points at the loopback display socket with the token', () => {
    const p = loadPreload();
    const id = '0b7e7a5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    assert.equal(p.bridge.displayUrl(`/vnc/${id}`), `ws://127.0.0.1:40123/vnc/${id}?token=T0k-en_x`);
  });

  test('displayUrl refuses paths that would leave the host or carry a query', () => {
    const p = loadPreload();
    for (const bad of ['vnc/1', '//evil.example/x', '@evil.example/', '/vnc?token=x', '/vnc#x', 'http://evil/', '/a b']) {
      assert.throws(() => p.bridge.displayUrl(bad), TypeError, bad);
    }
  });

  test('without the display switches, displayUrl says the display is not available', () => {
    const p = loadPreload(['/opt/hangar/hangar', '--type=renderer']);
    assert.throws(() => p.bridge.displayUrl('/vnc/x'), /not available/);
  });
});

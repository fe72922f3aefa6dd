// A web page of another origin cannot end `hangar serve`: a page served by a second local HTTP server
// (another port, so another origin) makes Chromium send web mode the requests that used to kill it
// (`GET /%`, `/%c0%ae`) through <img>, fetch() and WebSocket. Afterwards web mode still serves the
// interface with the same owner, and nothing in the home changed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { readdirSync } from 'node:fs';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { MainWindow } from './pages/index.js';

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('an attack from a page of another origin', () => {
  const { home, cleanup } = tempHome('hangar-xorigin-');
  let session: WebSession;
  let attacker: Server;
  let attackerPort: number;
  let port: number;
  let ownerPid: number;
  let exited = '';
  let filesBefore: string[];
  const homeFiles = () =>
    readdirSync(home, { recursive: true })
      .map(String)
      .filter((f) => !/^owner\.log$|^inventory\.sqlite-(wal|shm)$/.test(f))
      .sort();

  before(async () => {
    session = await startWebSession(home);
    session.serve.on('exit', (code, signal) => (exited = `exit ${code} ${signal ?? ''}`));
    port = Number(new URL(session.url).port);
    const created = await runCli(home, ['create', '--name', 'keep', '--disk', '16M', '--nic', 'none']);
    assert.equal(created.code, 0, created.stderr);
    ownerPid = (await runCli(home, ['host', '--json'])).json.ownerPid;
    filesBefore = homeFiles();
    const target = `127.0.0.1:${port}`;
    // The attacker's page: every way a page can make the browser send a request to another origin.
    const page = `<!doctype html><title>attack</title><body><script>
      const target = ${JSON.stringify(target)};
      const paths = ['/%', '/%c0%ae', '/%c0%ae%c0%ae/etc/passwd', '/%E0%A4%A', '/api?token=%'];
      const img = (src) => new Promise((r) => { const i = new Image(); i.onload = i.onerror = () => r('img ' + src); i.src = src; document.body.append(i); });
      const get = (url) => fetch(url, { mode: 'no-cors' }).then(() => 'fetch ' + url, () => 'fetch failed ' + url);
      const ws = (url) => new Promise((r) => { try { const s = new WebSocket(url); s.onerror = s.onclose = () => r('ws ' + url); } catch (e) { r('ws threw ' + url); } });
      window.attack = Promise.all(paths.flatMap((p) => [img('http://' + target + p), get('http://' + target + p), ws('ws://' + target + p)]));
    </script></body>`;
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    attackerPort = (attacker.address() as { port: number }).port;
    assert.notEqual(attackerPort, port);
  });

  after(async () => {
    await session?.stop();
    await new Promise((r) => attacker?.close(r));
    await cleanup();
  });

  test('the browser sends the malformed requests; web mode answers them and keeps serving the interface', async () => {
    const sent: string[] = [];
    session.page.on('request', (r) => {
      if (r.url().includes(`:${port}/`)) sent.push(new URL(r.url()).pathname);
    });
    await session.page.goto(`http://127.0.0.1:${attackerPort}/`);
    const outcomes = (await session.page.evaluate('window.attack')) as string[];
    assert.equal(outcomes.length, 15, outcomes.join('\n'));
    // The killers reached the server as they were written (Chromium keeps a lone '%' and encoded bytes).
    assert.ok(sent.includes('/%') && sent.includes('/%c0%ae'), `requests seen: ${sent.join(' ')}`);
    assert.equal(await httpStatus(port, '/%'), 400);
    assert.equal(exited, '', 'hangar serve is still running');
    assert.ok([200, 503].includes(await httpStatus(port, '/')));
    // The interface loads and lists the VM, over the same owner.
    const win = await MainWindow.open(session.page, session.url);
    assert.deepEqual(await win.vmNames(), ['keep']);
    const host = await runCli(home, ['host', '--json']);
    assert.equal(host.json.ownerPid, ownerPid);
    assert.equal(host.json.ownerPid, session.serve.pid);
    const list = await runCli(home, ['list', '--json']);
    assert.deepEqual(list.json.vms.map((v: { name: string }) => v.name), ['keep']);
    assert.deepEqual(homeFiles(), filesBefore, 'nothing in the home changed');
  });
});

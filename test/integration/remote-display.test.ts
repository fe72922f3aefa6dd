// The display tunnel of a remote reached over qemu+ssh, for real: the route display.ts makes from a
// qemu+ssh URI (the test sshd's own ssh wrapper, port and user) run as `ssh -W`, behind Hangar's VNC
// relay (web/server.node.ts) exactly as a display ticket is served. A VNC server's greeting on the far
// side's loopback ('RFB 003.008') is read through the relay's WebSocket, what the client sends
// arrives, and closing the WebSocket ends the ssh child.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { displayRoute } from '../../src-main/remotes/display.js';
import { openDisplayRoute } from '../../src-main/remotes/display.node.js';
import { startWebServer, type WebServer } from '../../src-main/web/server.node.js';
import { startSshd, type TestSshd } from '../helpers/sshd.node.js';
import { waitUntil } from '../helpers/cli.node.js';

const TICKET = '0f0e0d0c-0b0a-4909-8807-060504030201';

/** ssh children with this sshd's client configuration and -W (the display tunnels) */
function tunnels(sshdDir: string): number {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.includes('-W') && argv.some((a) => a.startsWith(sshdDir));
      } catch {
        return false;
      }
    }).length;
}

let sshd: TestSshd;
let vnc: Server;
let web: WebServer;
const received: Buffer[] = [];
const log: string[] = [];

before(async () => {
  sshd = await startSshd();
  // the far side's VNC server, on its loopback: RFB's greeting, then it keeps what the client sends
  vnc = createServer((s: Socket) => {
    s.write('RFB 003.008\n');
    s.on('data', (d: Buffer) => received.push(d));
  });
  await new Promise<void>((r) => vnc.listen(0, '127.0.0.1', () => r()));
  const port = (vnc.address() as { port: number }).port;
  const route = displayRoute(`qemu+ssh://root@127.0.0.1:${sshd.port}/system?socket=/nowhere&command=${sshd.command}`, { kind: 'tcp', host: '127.0.0.1', port });
  assert.equal(typeof route, 'object', String(route));
  assert.equal((route as { kind: string }).kind, 'ssh');
  web = await startWebServer({
    connect: (t) => t.close(),
    vncSocketFor: (id) => (id === TICKET ? { open: () => openDisplayRoute(route as Exclude<typeof route, string>, (l) => log.push(l)) } : null),
  });
});

after(async () => {
  web?.dispose();
  vnc?.close();
  await sshd?.stop();
});

test('a VNC greeting read through the relay and the ssh tunnel; the tunnel ends with the viewer', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${web.port}/vnc/${TICKET}?token=${web.token}`);
  const first = await new Promise<string>((resolve, reject) => {
    ws.once('message', (d: Buffer) => resolve(d.toString('latin1')));
    ws.once('error', reject);
    ws.once('close', () => reject(new Error(`closed before the greeting: ${log.join('; ')}`)));
  });
  assert.match(first, /^RFB 003\.00\d\n$/);
  assert.equal(tunnels(sshd.dir), 1, 'one ssh -W child');
  ws.send(Buffer.from('RFB 003.008\n'));
  await waitUntil('the client version on the far side', () => (Buffer.concat(received).toString('latin1') === 'RFB 003.008\n' ? true : undefined), 15_000, 50);
  ws.close();
  await waitUntil('the ssh tunnel to end', () => (tunnels(sshd.dir) === 0 ? true : undefined), 15_000, 100);
});

test('a display path without a ticket is refused, and nothing is started', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${web.port}/vnc/${TICKET.replace(/^0/, '1')}?token=${web.token}`);
  const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  assert.equal(status, 404);
  assert.equal(tunnels(sshd.dir), 0);
});

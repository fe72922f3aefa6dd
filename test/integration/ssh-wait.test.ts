// `hangar ssh --wait`'s handshake wait against a real sshd (the test's own, on 127.0.0.1), reached through a
// front that drops its first connections right after the banner, as a booting guest's sshd does when
// cloud-init restarts it: the wait tries again until a login succeeds, and stops at the first answer
// that trying again will not change (a refused key, a host key that differs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { waitForSshBanner, waitForSshLogin } from '../../src-main/cli/sshWait.node.js';
import { startSshd, type TestSshd } from '../helpers/sshd.node.js';

/**
 * A loopback front for the sshd: the first `drops` connections get a banner and are closed; with
 * `silent`, every connection is held open without a word (a guest that hangs).
 */
async function flakyFront(target: number, drops: number, silent = false): Promise<{ port: number; connections: () => number; open: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    if (silent) {
      client.resume(); // read (and drop) what comes, so that its end is seen
      return;
    }
    if (connections <= drops) {
      client.end('SSH-2.0-OpenSSH_9.2p1 booting\r\n');
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    connections: () => connections,
    open: () => open.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('hangar ssh --wait: the handshake wait', () => {
  let sshd: TestSshd;
  const user = userInfo().username;
  /** ssh's arguments through a front on `port`: the test's client key and known hosts unless others are given. */
  const args = (port: number, o: { key?: string; knownHosts?: string } = {}) => [
    '-p', String(port), '-i', o.key ?? join(sshd.dir, 'client_key'), '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${o.knownHosts ?? join(sshd.dir, 'known_hosts')}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', `HostKeyAlias=[127.0.0.1]:${sshd.port}`, '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=60', `${user}@127.0.0.1`,
  ];
  const soon = () => Date.now() + 300_000;
  /** Runs `body` with a front for the sshd (see flakyFront), closed afterwards. */
  const withFront = async (drops: number, silent: boolean, body: (front: Awaited<ReturnType<typeof flakyFront>>) => Promise<void>) => {
    const front = await flakyFront(sshd.port, drops, silent);
    try {
      await body(front);
    } finally {
      await front.close();
    }
  };

  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd.stop();
  });

  test('connections dropped after the banner are tried again until a login succeeds', () =>
    withFront(2, false, async (front) => {
      assert.equal(await waitForSshBanner('127.0.0.1', front.port, soon()), true);
      assert.equal(front.connections(), 1, 'the banner came on the first connection (which the front then dropped)');
      const attempts = await waitForSshLogin(args(front.port), soon());
      assert.equal(attempts, 2, 'one login dropped, the next one in');
      assert.equal(front.connections(), 3);
    }));

  test('a refused key ends the wait at the first answer', () => {
    const other = join(sshd.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    return withFront(0, false, async (front) => {
      assert.equal(await waitForSshLogin(args(front.port, { key: other }), soon()), 1);
      assert.equal(front.connections(), 1);
    });
  });

  test('a host key that differs from the one known ends the wait at the first answer', () => {
    const stranger = join(sshd.dir, 'stranger_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const knownHosts = join(sshd.dir, 'known_hosts_stranger');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${execFileSync('cut', ['-d', ' ', '-f1,2', `${stranger}.pub`], { encoding: 'utf8' }).trim()}\n`);
    return withFront(0, false, async (front) => {
      assert.equal(await waitForSshLogin(args(front.port, { knownHosts }), soon()), 1);
      assert.equal(front.connections(), 1);
    });
  });

  test('a login that gets no answer is ended at the deadline', () =>
    withFront(0, true, async (front) => {
      const attempts = await waitForSshLogin(args(front.port), Date.now() + 2000);
      assert.equal(attempts, 1);
      // the ssh that waited was killed: its connection closes (bounded wait, by count)
      for (let i = 0; i < 100 && front.open() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(front.open(), 0);
    }));

  test('a server that keeps dropping: the wait ends at its deadline', () =>
    withFront(Number.MAX_SAFE_INTEGER, false, async (front) => {
      const attempts = await waitForSshLogin(args(front.port), Date.now() + 3000);
      assert.ok(attempts >= 1 && attempts === front.connections(), `each attempt was one connection: ${attempts} / ${front.connections()}`);
      // A deadline already passed tries nothing.
      assert.equal(await waitForSshLogin(args(front.port), Date.now() - 1), 0);
    }));
});

// Web mode's link across restarts (issue 23): `hangar serve` keeps its token and port in the home,
// private to the user, so a page left open reconnects; GET /session tells a page whether its token is
// still the server's. Real `hangar serve` processes on a temporary home.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServe } from '../helpers/webMode.node.js';
import { tempHome } from '../helpers/cli.node.js';

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web mode keeps its link across restarts', () => {
  const { home, cleanup } = tempHome('hangar-web-link-');
  let stop: (() => Promise<void>) | undefined;
  after(async () => {
    await stop?.();
    await cleanup();
  });

  test('a restarted serve prints the same link; the kept file is 0600; /session checks the token', async () => {
    const first = await startServe(home);
    stop = first.stop;
    const file = join(home, 'owner.web-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const u = new URL(first.url);
    const token = u.searchParams.get('token')!;
    const session = `http://127.0.0.1:${u.port}/session`;
    assert.equal(await get(session, { 'x-hangar-token': token }), 204);
    assert.equal(await get(session, { 'x-hangar-token': `${token}x` }), 401);
    assert.equal(await get(session), 401);
    assert.equal(await get(session, { 'x-hangar-token': token, Origin: 'http://evil.example' }), 403);
    assert.equal(await get(`http://127.0.0.1:${u.port}/session?token=${token}`), 401, 'the token goes in a header, not the address');
    await first.stop();

    const second = await startServe(home);
    stop = second.stop;
    assert.equal(second.url, first.url, 'same token, same port');
    await second.stop();

    // A kept file others could read is not trusted: a new token, said on stderr.
    chmodSync(file, 0o644);
    const third = await startServe(home);
    stop = third.stop;
    assert.notEqual(new URL(third.url).searchParams.get('token'), token);
    assert.match(third.output(), /could be read by other users: serving with a new access token/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.notEqual(JSON.parse(readFileSync(file, 'utf8')).token, token);
  });
});

// A live snapshot that pauses the guest must leave it running, even when QEMU refuses the first `cont`.
// QEMU says a migration is 'completed' a moment before it leaves finish-migrate; a `cont` in that
// instant is refused ("Migration is not finalized yet") and the guest then stays paused in postmigrate
// (seen in CI: the save after such a snapshot was refused with "Can't migrate the vm that was paused
// due to previous migration"). The instant is too short to hit on purpose, so the real QEMU runs behind
// a QMP relay that answers the first `cont` after a `migrate` with QEMU's own refusal instead of
// passing it on: QEMU then really is in postmigrate, as after the race. The relay sits in front of the
// QEMU that Hangar finds first on PATH, a script that moves QMP's socket and then becomes the real QEMU
// (exec: Hangar's pid is QEMU's).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli, tempHome, waitUntil, withLogsOnFailure } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';
import { findOnPath } from '../../src-vmm/qemu/probe.node.js';

/** The relay: listens where Hangar expects QMP, passes every line on, and refuses one `cont` after a `migrate`. */
const RELAY = String.raw`
const net = require('node:net');
const fs = require('node:fs');
const [listenPath, qemuPath, injectedFile] = process.argv.slice(2);
let migrated = false;
let injected = false;
const server = net.createServer((client) => {
  let tries = 0;
  const connect = () => {
    const qemu = net.connect(qemuPath);
    qemu.once('error', () => {
      if (++tries > 400) return client.destroy();
      setTimeout(connect, 25);
    });
    qemu.once('connect', () => {
      qemu.pipe(client);
      let pending = '';
      client.on('data', (chunk) => {
        pending += chunk.toString();
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl + 1);
          pending = pending.slice(nl + 1);
          let msg;
          try { msg = JSON.parse(line); } catch { msg = undefined; }
          if (msg && msg.execute === 'migrate') migrated = true;
          if (msg && msg.execute === 'cont' && migrated && !injected) {
            injected = true;
            fs.writeFileSync(injectedFile, 'refused one cont\n');
            client.write(JSON.stringify({ error: { class: 'GenericError', desc: 'Migration is not finalized yet' }, ...(msg.id !== undefined ? { id: msg.id } : {}) }) + '\r\n');
            continue;
          }
          qemu.write(line);
        }
      });
      const end = () => { client.destroy(); qemu.destroy(); process.exit(0); };
      client.on('close', end);
      qemu.on('close', end);
      client.on('error', end);
      qemu.on('error', end);
    });
  };
  connect();
});
server.listen(listenPath);
// bounded, should QEMU never come
setTimeout(() => process.exit(0), 10 * 60 * 1000);
`;

describe('a live snapshot whose resume QEMU refuses once', () => {
  const guest = fixtureGuest();
  const work = mkdtempSync(join(tmpdir(), 'hangar-snap-resume-'));
  const t = tempHome('hangar-snap-resume-home-');
  after(async () => {
    await t.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  const realQemu = findOnPath('qemu-system-x86_64', process.env.PATH);
  const bin = join(work, 'bin');
  const injectedFile = join(work, 'injected');
  const relayFile = join(work, 'relay.cjs');
  writeFileSync(relayFile, RELAY);
  // The QEMU Hangar finds: with a QMP socket among its arguments, it moves that socket aside, starts
  // the relay in its place and becomes the real QEMU; otherwise (--version, the probe) it is the real QEMU.
  const wrapper = `#!/bin/bash
args=()
for a in "$@"; do
  if [[ "$a" == socket,id=qmp,path=* ]]; then
    p="\${a#socket,id=qmp,path=}"; p="\${p%%,*}"
    a="\${a/path=$p,/path=$p.real,}"
    setsid ${JSON.stringify(process.execPath)} ${JSON.stringify(relayFile)} "$p" "$p.real" ${JSON.stringify(injectedFile)} </dev/null >/dev/null 2>&1 &
  fi
  args+=("$a")
done
exec ${JSON.stringify(realQemu)} "\${args[@]}"
`;
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'qemu-system-x86_64'), wrapper);
  chmodSync(join(bin, 'qemu-system-x86_64'), 0o755);
  const relaysRunning = () => {
    try {
      return execFileSync('pgrep', ['-f', relayFile], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    } catch {
      return 0; // pgrep: none
    }
  };
  const env = { PATH: `${bin}:${process.env.PATH}`, HANGAR_TEST_NO_BACKGROUND_SNAPSHOT: '1' };
  const h = (...args: string[]) => runCli(t.home, args, { env });
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  test('the guest runs on after the snapshot, and the save that follows works', () => withLogsOnFailure(t.home, async () => {
    assert.ok(realQemu, 'QEMU is installed');
    const host = (await ok('host', '--json')).json;
    assert.equal(host.qemuBinary, join(bin, 'qemu-system-x86_64'), 'Hangar runs the QEMU in front of the relay');
    await ok('create', '--name', 'sr', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', '8M', '--memory', '128', '--nic', 'none');
    await ok('start', 'sr', '--wait-serial', GUEST_READY, '--timeout', '300');
    await waitUntil('the shell', async () => ((await h('serial', 'sr')).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    await ok('send', 'sr', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "n:$i:e"; sleep 0.2; done &');
    const counted = async () => Math.max(0, ...[...(await h('serial', 'sr')).stdout.matchAll(/n:(\d+):e/g)].map((m) => Number(m[1])));
    await waitUntil('the counter', async () => ((await counted()) >= 3 ? true : undefined), 120_000);

    const snap = (await ok('snapshot', 'take', 'sr', '--name', 'live', '--json')).json;
    assert.equal(snap.liveMethod, 'paused');
    assert.ok(existsSync(injectedFile), 'QEMU refused the resume once (through the relay)');
    assert.equal((await ok('show', 'sr', '--json')).json.state, 'running');
    const atReturn = await counted();
    await waitUntil(`the guest counting past ${atReturn + 2}`, async () => ((await counted()) > atReturn + 2 ? true : undefined), 120_000);

    // A guest left in postmigrate would make QEMU refuse this migration.
    await ok('save', 'sr');
    assert.equal((await ok('show', 'sr', '--json')).json.state, 'saved');
    await ok('start', 'sr');
    const afterRestore = await counted();
    await waitUntil('the restored guest counting', async () => ((await counted()) > afterRestore + 1 ? true : undefined), 120_000);
    await ok('stop', 'sr', '--force');
    assert.match(readFileSync(injectedFile, 'utf8'), /refused one cont/);
    // each relay ends with its QEMU's connection
    await waitUntil('the relays to end', async () => (relaysRunning() === 0 ? true : undefined), 30_000);
  }));
});

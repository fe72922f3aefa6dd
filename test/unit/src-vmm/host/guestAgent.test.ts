// The host's view of the guest agent: whether one answers. A guest whose agent port nobody opened is
// known to have no agent at once (QEMU says so), without a sync that could only wait out its timeout;
// a guest with the port open is asked. QEMU is a stand-in for query-chardev; the agent's channel is a
// real unix socket whose traffic is counted.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestAgent } from '../../../../src-vmm/host/guestAgent.node.js';
import { AGENT_CHARDEV_ID } from '../../../../src-vmm/qemu/devices.js';
import type { QmpClient } from '../../../../src-vmm/qmp/client.node.js';

const dir = mkdtempSync(join(tmpdir(), 'hangar-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A QMP stand-in that answers query-chardev with the agent port open or not (or fails), counting the questions. */
function fakeQmp(port: { open: boolean | 'error' }) {
  const asked = { chardev: 0 };
  const qmp = {
    onEvent: () => ({ dispose() {} }),
    execute: async (cmd: string) => {
      if (cmd !== 'query-chardev') throw new Error(`unexpected ${cmd}`);
      asked.chardev++;
      if (port.open === 'error') throw new Error('QMP is gone');
      return [{ label: 'serial0', filename: 'unix:x', 'frontend-open': true }, { label: AGENT_CHARDEV_ID, filename: 'unix:y', 'frontend-open': port.open }];
    },
  };
  return { qmp: qmp as unknown as QmpClient, asked };
}

/** The agent's channel: answers guest-sync-delimited when `answering`, and counts the bytes it was sent. */
async function agentChannel(name: string, answering: boolean): Promise<{ path: string; received: () => number; close: () => void }> {
  const path = join(dir, name);
  let received = 0;
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (!answering) return;
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const m = JSON.parse(line) as { execute: string; arguments?: { id?: number } };
        if (m.execute === 'guest-sync-delimited') s.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${JSON.stringify({ return: m.arguments?.id })}\n`)]));
        else s.write(`${JSON.stringify({ return: m.execute === 'guest-get-host-name' ? { 'host-name': 'g' } : [] })}\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  const close = () => {
    sockets.forEach((s) => s.destroy());
    server.close();
  };
  return { path, received: () => received, close };
}

describe('guest agent: does one answer?', () => {
  test('the port is closed: no agent, at once, and nothing is sent down the channel', async () => {
    const ch = await agentChannel('closed.sock', true);
    const { qmp, asked } = fakeQmp({ open: false });
    const logs: string[] = [];
    const agent = new GuestAgent(ch.path, qmp, (l) => logs.push(l));
    assert.equal(await agent.answers(), false);
    assert.equal(asked.chardev, 1);
    assert.equal(ch.received(), 0, 'no sync was sent to a port nobody reads');
    assert.equal(agent.info().agent, 'absent');
    agent.dispose();
    ch.close();
  });

  test('the port is open and an agent answers: connected', async () => {
    const ch = await agentChannel('open.sock', true);
    const { qmp } = fakeQmp({ open: true });
    const agent = new GuestAgent(ch.path, qmp, () => undefined);
    assert.equal(await agent.answers(), true);
    assert.ok(ch.received() > 0);
    assert.equal(agent.info().agent, 'connected');
    agent.dispose();
    ch.close();
  });

  test('QEMU cannot be asked: the agent itself is (a short sync), and silence is no agent', async () => {
    const ch = await agentChannel('silent.sock', false);
    const { qmp } = fakeQmp({ open: 'error' });
    const agent = new GuestAgent(ch.path, qmp, () => undefined);
    assert.equal(await agent.answers(50), false);
    assert.ok(ch.received() > 0, 'a sync was tried');
    agent.dispose();
    ch.close();
  });
});

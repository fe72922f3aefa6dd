// The QMP client against a real QEMU with no machine at all: fast, and still the real protocol.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient, type QmpDisconnectInfo } from '../../src-vmm/qmp/client.node.js';
import { QmpCommandError } from '../../src-vmm/qmp/errors.js';

const QEMU = 'qemu-system-x86_64';

describe('QmpClient against qemu-system-x86_64 -machine none', () => {
  let dir: string;
  let qemu: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let stderr = '';
  const logs: string[] = [];
  const qmp = new QmpClient({ log: (l) => logs.push(l) });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-qmpi-'));
    const sock = join(dir, 'qmp.sock');
    qemu = spawn(QEMU, ['-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-qmp', `unix:${sock},server=on,wait=off`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    qemu.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    exited = new Promise((resolve) => {
      qemu!.once('exit', (code, signal) => resolve({ code, signal }));
      qemu!.once('error', (e) => {
        stderr += `cannot run ${QEMU}: ${e.message}`;
        resolve({ code: null, signal: null });
      });
    });
  });

  after(async () => {
    await qmp.disconnect();
    if (qemu?.pid !== undefined && qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('connects while the socket appears, and reads the greeting', async () => {
    await qmp.connect(join(dir, 'qmp.sock'), { timeoutMs: 10_000, retryUntilMs: 10_000 });
    assert.equal(qmp.runstate, 'running', stderr);
    assert.ok(qmp.version && qmp.version.qemu.major >= 7);
  });

  test('query-version matches qemu-system-x86_64 --version', async () => {
    const banner = execFileSync(QEMU, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
    // e.g. "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"; QMP gives the package without parentheses.
    const m = /^QEMU emulator version (\d+)\.(\d+)\.(\d+)(?: \((.*)\))?$/.exec(banner.trim());
    assert.ok(m, banner);
    const v = await qmp.execute('query-version');
    assert.deepEqual(v.qemu, { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3]) });
    assert.equal(v.package.trim(), (m[4] ?? '').trim());
    assert.deepEqual(qmp.version, v, 'the greeting reports the same version');
  });

  test('query-status is prelaunch under -S', async () => {
    const status = await qmp.execute('query-status');
    assert.equal(status.status, 'prelaunch');
    assert.equal(status.running, false);
  });

  test('an unknown command is a QmpCommandError with class CommandNotFound', async () => {
    await assert.rejects(qmp.execute('no-such-command' as never, undefined as never), (e: unknown) => {
      assert.ok(e instanceof QmpCommandError, String(e));
      assert.equal(e.code, 'QMP_ERROR');
      assert.equal(e.command, 'no-such-command');
      assert.equal(e.errorClass, 'CommandNotFound');
      assert.match(e.desc, /no-such-command/);
      return true;
    });
    assert.equal(qmp.runstate, 'running');
  });

  test('query-qmp-schema, a large reply, arrives whole', async () => {
    const schema = await qmp.execute('query-qmp-schema');
    assert.ok(Array.isArray(schema) && schema.length > 100);
  });

  test('quit gives a SHUTDOWN event, a clean disconnect, and QEMU exits', async () => {
    const disconnected = new Promise<QmpDisconnectInfo>((resolve) => qmp.onDisconnect(resolve));
    const { event } = await qmp.executeAndWait('quit', undefined, 'SHUTDOWN', undefined, { timeoutMs: 10_000 });
    assert.deepEqual(event, { guest: false, reason: 'host-qmp-quit' });
    assert.deepEqual(await disconnected, { reason: 'QEMU closed the connection', requested: false });
    assert.equal(qmp.runstate, 'idle');
    assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
  });
});

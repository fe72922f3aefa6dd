// The accelerator probe with real QEMU: the probe guest works under TCG (so a KVM failure means KVM
// is broken, not the probe), detectHost gives a consistent, cached verdict, forcing is honoured, and
// a QEMU that hangs is killed at the timeout.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHangarError } from '../../src-vmm/base/errors.js';
import { decodeHostFactsCache, HOST_FACTS_FILE } from '../../src-vmm/qemu/hostFacts.js';
import { detectHost, runProbe } from '../../src-vmm/qemu/probe.node.js';
import { PROBE_MARKER_LONG_MODE, PROBE_MARKER_OK } from '../../src-vmm/qemu/probeGuest.js';

/** The environment without any HANGAR_ACCEL the caller may have set. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('HANGAR_ACCEL' in extra)) delete env.HANGAR_ACCEL;
  return env;
}

/** True once the process is gone (a zombie counts as gone: it runs nothing). */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function probeTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('hangar-probe-'));
}

describe('accelerator probe and host facts (real QEMU)', () => {
  let work: string;
  const dirs: string[] = [];
  const newDir = (name: string) => {
    const d = mkdtempSync(join(work, `${name}-`));
    dirs.push(d);
    return d;
  };
  /** A stand-in for qemu-system-x86_64: a shell script. */
  const fakeQemu = (name: string, body: string) => {
    const d = newDir(name);
    const p = join(d, 'qemu-system-x86_64');
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return { path: p, dir: d };
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'hangar-probetest-'));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('the probe guest boots under TCG and prints both markers', async (t) => {
    const leftoversBefore = probeTempDirs();
    const r = await runProbe('tcg');
    t.diagnostic(`TCG probe: ${r.outcome} in ${r.elapsedMs} ms (long mode at ${r.longModeMs} ms, work ${r.workMs} ms)`);
    assert.equal(r.outcome, 'ok', `${r.detail}\nstderr: ${r.stderrTail.join('\n')}`);
    assert.equal(r.serial, PROBE_MARKER_LONG_MODE + PROBE_MARKER_OK);
    assert.ok(r.longModeMs !== undefined && r.workMs !== undefined);
    assert.match(r.detail, /^the probe guest reached 64-bit mode in .* and ran its test work in /);
    assert.deepEqual(r.argv.slice(0, 2), ['-accel', 'tcg']);
    assert.deepEqual(probeTempDirs(), leftoversBefore, 'the temporary disk image is removed');
  });

  test('detectHost gives a consistent report and caches it', async (t) => {
    const cacheDir = newDir('cache');
    const log: string[] = [];
    const r = await detectHost({ cacheDir, env: cleanEnv(), log: (l) => log.push(l) });
    t.diagnostic(`first detectHost: kvm ${r.kvm.device}/${r.kvm.probe} (${r.kvm.probeMs ?? '-'} ms): ${r.kvm.detail ?? ''}`);
    t.diagnostic(`accelerator ${r.accelerator}: ${r.accelReason}`);

    assert.match(r.qemuVersion, /^\d+\.\d+\.\d+/);
    assert.ok(existsSync(r.qemuBinary) && existsSync(r.qemuImgBinary));
    assert.equal(r.bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    assert.ok(!Number.isNaN(Date.parse(r.probedAt)));
    if (r.ovmf) assert.ok(existsSync(r.ovmf.code) && existsSync(r.ovmf.vars), JSON.stringify(r.ovmf));
    if (r.kvm.device === 'present') {
      assert.ok(['ok', 'failed', 'timeout'].includes(r.kvm.probe), r.kvm.probe);
      assert.ok(r.kvm.probeMs !== undefined, 'the probe reports how long it ran');
      assert.ok(log.some((l) => l.includes('running the KVM probe')));
    } else {
      assert.equal(r.kvm.probe, 'skipped');
    }
    if (r.kvm.probe === 'ok') {
      assert.equal(r.accelerator, 'kvm');
    } else {
      assert.equal(r.accelerator, 'tcg');
      assert.match(r.accelReason, /using TCG \(software emulation, slower\)|^TCG/);
      if (r.kvm.detail) assert.ok(r.accelReason.includes(r.kvm.detail), r.accelReason);
    }
    const cached = readFileSync(join(cacheDir, HOST_FACTS_FILE), 'utf8');
    // The helpers guest integration needs (virtiofsd, swtpm, the Secure Boot firmware) are looked for at
    // every start, not cached: a package installed since the probe counts at once.
    const { virtiofsd: _virtiofsd, swtpm: _swtpm, ovmfSecureBoot: _secureBoot, ...probed } = r;
    assert.ok(r.swtpm && r.virtiofsd && r.ovmfSecureBoot !== undefined, 'the report has them');
    assert.deepEqual(decodeHostFactsCache(cached, { bootId: r.bootId, qemuBinary: r.qemuBinary, qemuVersion: r.qemuVersion, kvmDevice: r.kvm.device }), probed);

    // Second call: from the cache, without a probe.
    const log2: string[] = [];
    const again = await detectHost({ cacheDir, env: cleanEnv(), log: (l) => log2.push(l) });
    assert.deepEqual(again, r);
    assert.ok(!log2.some((l) => l.includes('running the KVM probe')), log2.join('\n'));
    assert.ok(log2.some((l) => l.includes('using the verdict cached at')), log2.join('\n'));
    // The log above is the proof that no probe ran: the cached call costs no probe boot.

    // Forcing uses the cached facts for everything but the decision, and leaves the cache alone.
    const forcedTcg = await detectHost({ cacheDir, env: cleanEnv(), force: 'tcg', forcedBy: '--accel tcg' });
    assert.equal(forcedTcg.accelerator, 'tcg');
    assert.equal(forcedTcg.accelReason, 'TCG (software emulation, slower), forced by --accel tcg');
    assert.deepEqual(forcedTcg.kvm, r.kvm);
    const forcedKvm = await detectHost({ cacheDir, env: cleanEnv({ HANGAR_ACCEL: 'kvm' }) });
    if (r.kvm.device === 'present') {
      assert.equal(forcedKvm.accelerator, 'kvm');
      assert.match(forcedKvm.accelReason, /^KVM, forced by HANGAR_ACCEL=kvm/);
    } else {
      assert.equal(forcedKvm.accelerator, 'tcg');
      assert.match(forcedKvm.accelReason, /^HANGAR_ACCEL=kvm cannot be honoured/);
    }
    assert.equal(readFileSync(join(cacheDir, HOST_FACTS_FILE), 'utf8'), cached, 'a forced verdict is not cached');
  });

  test('HANGAR_ACCEL=tcg skips the probe and caches nothing', async () => {
    const cacheDir = newDir('forced');
    const log: string[] = [];
    const r = await detectHost({ cacheDir, env: cleanEnv({ HANGAR_ACCEL: 'tcg' }), log: (l) => log.push(l) });
    assert.equal(r.accelerator, 'tcg');
    assert.equal(r.accelReason, 'TCG (software emulation, slower), forced by HANGAR_ACCEL=tcg');
    assert.equal(r.kvm.probe, 'skipped');
    assert.ok(!log.some((l) => l.includes('running the KVM probe')));
    if (r.kvm.device === 'present') assert.ok(!existsSync(join(cacheDir, HOST_FACTS_FILE)), 'an incomplete verdict is not cached');
  });

  test('a bad HANGAR_ACCEL is refused', async () => {
    await assert.rejects(
      detectHost({ cacheDir: newDir('bad-env'), env: cleanEnv({ HANGAR_ACCEL: 'fast' }) }),
      (e: unknown) => isHangarError(e, 'INVALID_INPUT') && /HANGAR_ACCEL must be kvm, tcg or auto/.test(e.message),
    );
  });

  test('without /dev/kvm: TCG, no probe, and the verdict is cached', async () => {
    const cacheDir = newDir('no-kvm');
    const r = await detectHost({ cacheDir, env: cleanEnv(), kvmDevicePath: join(work, 'no-such-kvm') });
    assert.deepEqual(r.kvm, { device: 'absent', probe: 'skipped' });
    assert.equal(r.accelerator, 'tcg');
    assert.equal(r.accelReason, 'TCG (software emulation, slower): /dev/kvm does not exist, so this host offers no KVM');
    assert.ok(existsSync(join(cacheDir, HOST_FACTS_FILE)));
  });

  test('QEMU missing: QEMU_FAILED saying what to install', async () => {
    const expectMissing = (e: unknown) =>
      isHangarError(e, 'QEMU_FAILED') && e.message === 'QEMU is not installed: install the qemu-system-x86 and qemu-utils packages';
    await assert.rejects(detectHost({ cacheDir: newDir('no-qemu'), env: cleanEnv({ PATH: join(work, 'empty-bin') }) }), expectMissing);
    await assert.rejects(detectHost({ cacheDir: newDir('no-qemu'), env: cleanEnv(), qemuBinary: join(work, 'nope', 'qemu-system-x86_64') }), expectMissing);
    await assert.rejects(runProbe('tcg', { qemuBinary: join(work, 'nope', 'qemu-system-x86_64') }), expectMissing);
  });

  test('a QEMU that hangs is killed at the timeout, with everything it started', async (t) => {
    const fake = fakeQemu('hang', `echo $$ > "$(dirname "$0")/pids"\ntrap '' TERM INT HUP\necho 'hanging on purpose' >&2\nsleep 1000 &\necho $! >> "$(dirname "$0")/pids"\nwait`);
    const r = await runProbe('kvm', { qemuBinary: fake.path, timeoutMs: 1_500 });
    t.diagnostic(`hanging fake QEMU: ${r.outcome} after ${r.elapsedMs} ms`);
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.detail, "no final marker from the probe guest within 1.5 s (it never reached 64-bit mode); qemu said 'hanging on purpose'");
    assert.equal(r.exit?.signal ?? 'SIGKILL', 'SIGKILL');
    const pids = readFileSync(join(fake.dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(isGone(pid), `process ${pid} still runs`);
  });

  test('a guest that reaches long mode but crawls fails at the work limit', async () => {
    const fake = fakeQemu('slow', `printf 'HANGAR-PROBE-LM\\n'\nexec sleep 1000`);
    const r = await runProbe('kvm', { qemuBinary: fake.path, timeoutMs: 10_000, workLimitMs: 500 });
    assert.equal(r.outcome, 'failed');
    assert.match(r.detail, /^the probe guest reached 64-bit mode in .* but its test work did not finish within 500 ms .*: KVM emulates instructions/);
    assert.ok(r.longModeMs !== undefined && r.workMs === undefined);
    // Ended by the work limit, not by the 10 s overall timeout (whose outcome would be 'timeout').
    assert.notEqual(r.outcome, 'timeout');
  });

  test('a QEMU that aborts: failed, with the assertion as the reason', async () => {
    const fake = fakeQemu(
      'abort',
      `echo "qemu-system-x86_64: ../target/i386/kvm/kvm.c:3029: kvm_buf_set_msrs: Assertion \\\`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2\nkill -ABRT $$`,
    );
    const r = await runProbe('kvm', { qemuBinary: fake.path, timeoutMs: 5_000 });
    assert.equal(r.outcome, 'failed');
    assert.equal(r.detail, "qemu aborted with 'kvm_buf_set_msrs: Assertion failed'");
    assert.deepEqual(r.exit, { code: null, signal: 'SIGABRT' });
  });

  test('a QEMU that exits with an error: failed, with its message', async () => {
    const fake = fakeQemu('exit1', `echo "qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied" >&2\nexit 1`);
    const r = await runProbe('kvm', { qemuBinary: fake.path });
    assert.equal(r.outcome, 'failed');
    assert.equal(r.detail, "qemu exited with code 1: qemu said '-accel kvm: failed to initialize kvm: Permission denied'");
  });

  test('cancelling kills QEMU at once', async () => {
    const fake = fakeQemu('cancel', `echo $$ > "$(dirname "$0")/pids"\nexec sleep 1000`);
    const ac = new AbortController();
    const p = runProbe('kvm', { qemuBinary: fake.path, timeoutMs: 10_000, signal: ac.signal });
    const pidFile = join(fake.dir, 'pids');
    // Cancel once the fake QEMU runs (it writes its pid first thing).
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await assert.rejects(p, (e: unknown) => isHangarError(e, 'CANCELLED'));
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(isGone(pid), `process ${pid} still runs`);
  });
});

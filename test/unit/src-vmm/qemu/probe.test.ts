import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import {
  decideAccelerator,
  decodeHostFactsCache,
  encodeHostFactsCache,
  OVMF_CANDIDATES,
  parseAccelChoice,
  parseQemuVersion,
  pickOvmf,
  summarizeQemuStderr,
  type HostFactsKey,
  type HostFactsReport,
  type KvmDeviceState,
  type ProbeOutcome,
} from '../../../../src-vmm/qemu/hostFacts.js';
import { PROBE_GUEST_BASE64, PROBE_MARKER_LONG_MODE, PROBE_MARKER_OK, probeGuestSector } from '../../../../src-vmm/qemu/probeGuest.js';
import { probeArgv } from '../../../../src-vmm/qemu/probe.node.js';
import { repoRoot } from '../../../helpers/paths.js';

const TCG = 'TCG (software emulation, slower)';

describe('the probe guest boot sector', () => {
  const sector = probeGuestSector();

  test('is 512 bytes ending in the 0x55 0xAA boot signature', () => {
    assert.equal(sector.length, 512);
    assert.equal(sector[510], 0x55);
    assert.equal(sector[511], 0xaa);
    assert.equal(sector[0], 0xfa, 'starts with cli');
  });

  test('carries both serial markers', () => {
    const text = Buffer.from(sector).toString('latin1');
    assert.ok(text.includes(PROBE_MARKER_LONG_MODE), 'long-mode marker');
    assert.ok(text.includes(PROBE_MARKER_OK), 'final marker');
    assert.equal(PROBE_MARKER_OK, 'HANGAR-PROBE-OK\n');
  });

  test('each call returns a fresh copy', () => {
    const a = probeGuestSector();
    a[0] = 0;
    assert.equal(probeGuestSector()[0], 0xfa);
  });

  test('rebuilding probe.S with binutils gives the committed bytes', () => {
    assert.equal(spawnSync('as', ['--version']).status, 0, 'binutils (as) is needed: .ci/setup installs it');
    const r = spawnSync('bash', [join(repoRoot, 'test', 'fixtures', 'probe-guest', 'build.sh')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), PROBE_GUEST_BASE64, 'probeGuest.ts is stale: paste the output of build.sh into PROBE_GUEST_BASE64');
  });
});

describe('probeArgv', () => {
  test('kvm runs -cpu host; tcg keeps the default model; both are hardened and cannot reboot', () => {
    const kvm = probeArgv('kvm', '/tmp/p.img');
    assert.deepEqual(kvm.slice(0, 4), ['-accel', 'kvm', '-cpu', 'host']);
    const tcg = probeArgv('tcg', '/tmp/p.img');
    assert.deepEqual(tcg.slice(0, 2), ['-accel', 'tcg']);
    assert.ok(!tcg.includes('-cpu'));
    for (const a of [kvm, tcg]) {
      for (const flag of ['-nodefaults', '-no-user-config', '-no-reboot']) assert.ok(a.includes(flag), flag);
      assert.equal(a[a.indexOf('-machine') + 1], 'pc');
      assert.equal(a[a.indexOf('-serial') + 1], 'stdio');
      assert.equal(a[a.indexOf('-drive') + 1], 'file=/tmp/p.img,format=raw,if=ide');
    }
  });

  test('commas in the image path are escaped', () => {
    const a = probeArgv('tcg', '/tmp/a,b/p.img');
    assert.equal(a[a.indexOf('-drive') + 1], 'file=/tmp/a,,b/p.img,format=raw,if=ide');
  });
});

describe('parseQemuVersion', () => {
  test('Debian build', () => {
    const text = 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n';
    assert.deepEqual(parseQemuVersion(text), { version: '7.2.22', major: 7, minor: 2, micro: 22, packageInfo: 'Debian 1:7.2+dfsg-7+deb12u18+b3' });
  });

  test('plain, git and qemu-img builds', () => {
    assert.deepEqual(parseQemuVersion('QEMU emulator version 6.2.0\n'), { version: '6.2.0', major: 6, minor: 2, micro: 0 });
    assert.deepEqual(parseQemuVersion('QEMU emulator version 9.0.50 (v9.0.0-1388-g80e8f06021-dirty)'), {
      version: '9.0.50',
      major: 9,
      minor: 0,
      micro: 50,
      packageInfo: 'v9.0.0-1388-g80e8f06021-dirty',
    });
    assert.equal(parseQemuVersion('qemu-img version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)')?.version, '8.2.2');
    assert.equal(parseQemuVersion('QEMU emulator version 10.1')?.version, '10.1.0');
  });

  test('anything else is null', () => {
    for (const t of ['', 'bash: qemu-system-x86_64: command not found', 'QEMU emulator version x.y', 'version 7.2.0']) {
      assert.equal(parseQemuVersion(t), null, t);
    }
  });
});

describe('parseAccelChoice', () => {
  test('kvm, tcg, and none', () => {
    assert.equal(parseAccelChoice('kvm'), 'kvm');
    assert.equal(parseAccelChoice(' TCG '), 'tcg');
    assert.equal(parseAccelChoice(undefined), undefined);
    assert.equal(parseAccelChoice(''), undefined);
    assert.equal(parseAccelChoice('auto'), undefined);
  });

  test('anything else is refused, naming its source', () => {
    assert.throws(
      () => parseAccelChoice('hvf'),
      (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && e.message === "HANGAR_ACCEL must be kvm, tcg or auto, not 'hvf'",
    );
    assert.throws(() => parseAccelChoice('x', '--accel'), /^HangarError: --accel must be/);
  });
});

describe('decideAccelerator', () => {
  const decide = (device: KvmDeviceState, probe: ProbeOutcome, extra: { probeDetail?: string; force?: 'kvm' | 'tcg'; forcedBy?: string } = {}) =>
    decideAccelerator({ device, probe, ...extra });

  test('automatic: KVM only when the device opens and the probe passed', () => {
    const ok = decide('present', 'ok', { probeDetail: 'the probe guest reached 64-bit mode in 180 ms and ran its test work in 9 ms' });
    assert.equal(ok.accelerator, 'kvm');
    assert.equal(ok.reason, 'KVM: the probe guest booted and ran at hardware speed (the probe guest reached 64-bit mode in 180 ms and ran its test work in 9 ms)');
  });

  test('automatic: a failed probe gives TCG with the reason', () => {
    const d = decide('present', 'failed', { probeDetail: "qemu aborted with 'kvm_buf_set_msrs: Assertion failed'" });
    assert.deepEqual(d, {
      accelerator: 'tcg',
      reason: `KVM probe failed: qemu aborted with 'kvm_buf_set_msrs: Assertion failed'; using ${TCG}`,
    });
    assert.equal(decide('present', 'failed').reason, `KVM probe failed; using ${TCG}`);
  });

  test('automatic: a timed-out or skipped probe gives TCG', () => {
    assert.deepEqual(decide('present', 'timeout', { probeDetail: 'no final marker within 12.0 s' }), {
      accelerator: 'tcg',
      reason: `KVM probe timed out: no final marker within 12.0 s; using ${TCG}`,
    });
    assert.deepEqual(decide('present', 'skipped'), { accelerator: 'tcg', reason: `KVM was not probed, so it is not trusted; using ${TCG}` });
  });

  test('automatic: no device or no access gives TCG and says what to do', () => {
    assert.deepEqual(decide('absent', 'skipped'), { accelerator: 'tcg', reason: `${TCG}: /dev/kvm does not exist, so this host offers no KVM` });
    const na = decide('no-access', 'skipped');
    assert.equal(na.accelerator, 'tcg');
    assert.match(na.reason, /cannot open it read-write \(add the user to the kvm group\)$/);
  });

  test('forced TCG wins over everything, and says who forced it', () => {
    for (const device of ['absent', 'no-access', 'present'] as const) {
      assert.deepEqual(decide(device, device === 'present' ? 'ok' : 'skipped', { force: 'tcg', forcedBy: 'HANGAR_ACCEL=tcg' }), {
        accelerator: 'tcg',
        reason: `${TCG}, forced by HANGAR_ACCEL=tcg`,
      });
    }
    assert.equal(decide('present', 'ok', { force: 'tcg' }).reason, `${TCG}, forced by force=tcg`);
  });

  test('forced KVM overrides the probe verdict', () => {
    const by = { force: 'kvm' as const, forcedBy: '--accel kvm' };
    assert.deepEqual(decide('present', 'ok', by), { accelerator: 'kvm', reason: 'KVM, forced by --accel kvm (the KVM probe passed too)' });
    assert.deepEqual(decide('present', 'skipped', by), { accelerator: 'kvm', reason: 'KVM, forced by --accel kvm (KVM was not probed)' });
    assert.deepEqual(decide('present', 'failed', { ...by, probeDetail: 'too slow' }), {
      accelerator: 'kvm',
      reason: 'KVM, forced by --accel kvm, although the KVM probe failed: too slow; guests may hang or run slowly',
    });
    assert.deepEqual(decide('present', 'timeout', by), {
      accelerator: 'kvm',
      reason: 'KVM, forced by --accel kvm, although the KVM probe timed out; guests may hang or run slowly',
    });
  });

  test('forced KVM cannot override a missing or closed device', () => {
    const by = { force: 'kvm' as const, forcedBy: 'HANGAR_ACCEL=kvm' };
    assert.deepEqual(decide('absent', 'skipped', by), {
      accelerator: 'tcg',
      reason: `HANGAR_ACCEL=kvm cannot be honoured: /dev/kvm does not exist, so this host offers no KVM; using ${TCG}`,
    });
    const na = decide('no-access', 'skipped', by);
    assert.equal(na.accelerator, 'tcg');
    assert.match(na.reason, /^HANGAR_ACCEL=kvm cannot be honoured: \/dev\/kvm exists but this user cannot open it/);
  });
});

describe('summarizeQemuStderr', () => {
  test('an assertion becomes "qemu aborted with …"', () => {
    const lines = [
      'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0',
      "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3029: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
    ];
    assert.equal(summarizeQemuStderr(lines), "qemu aborted with 'kvm_buf_set_msrs: Assertion failed'");
  });

  test('otherwise the last line that is not a warning, without the program name', () => {
    const lines = [
      "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]",
      'qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: Permission denied',
      'qemu-system-x86_64: warning: something after',
      '',
    ];
    assert.equal(summarizeQemuStderr(lines), "qemu said '-accel kvm: Could not access KVM kernel module: Permission denied'");
    assert.equal(summarizeQemuStderr(['/usr/bin/qemu-system-x86_64: failed to initialize kvm: No such file or directory']), "qemu said 'failed to initialize kvm: No such file or directory'");
  });

  test('warnings only: the last warning; nothing: undefined', () => {
    assert.equal(summarizeQemuStderr(['qemu-system-x86_64: warning: w1', 'qemu-system-x86_64: terminating on signal 15 from pid 1']), "qemu said 'terminating on signal 15 from pid 1'");
    assert.equal(summarizeQemuStderr(['qemu-system-x86_64: warning: w1']), "qemu said 'warning: w1'");
    assert.equal(summarizeQemuStderr([]), undefined);
    assert.equal(summarizeQemuStderr(['', '  ']), undefined);
  });
});

describe('pickOvmf', () => {
  const existing = (...paths: string[]) => (p: string) => paths.includes(p);

  test('the first complete pair wins (Debian 4M before 2M)', () => {
    const all = OVMF_CANDIDATES.flatMap((c) => [c.code, c.vars]);
    assert.deepEqual(pickOvmf(existing(...all)), { ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' } });
    assert.deepEqual(pickOvmf(existing('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd')), {
      ovmf: { code: '/usr/share/OVMF/OVMF_CODE.fd', vars: '/usr/share/OVMF/OVMF_VARS.fd' },
    });
    assert.deepEqual(pickOvmf(existing('/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd')), {
      ovmf: { code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd' },
    });
  });

  test('a combined image alone is noted, not used; nothing at all is null', () => {
    const r = pickOvmf(existing('/usr/share/qemu/OVMF.fd', '/usr/share/OVMF/OVMF_CODE_4M.fd'));
    assert.equal(r.ovmf, null);
    assert.match(r.note ?? '', /^only \/usr\/share\/qemu\/OVMF\.fd was found, a combined OVMF image/);
    assert.deepEqual(pickOvmf(existing()), { ovmf: null });
  });
});

describe('host facts cache', () => {
  const report: HostFactsReport = {
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    qemuImgBinary: '/usr/bin/qemu-img',
    qemuVersion: '7.2.22',
    accelerator: 'tcg',
    accelReason: `KVM probe failed: too slow; using ${TCG}`,
    kvm: { device: 'present', probe: 'failed', detail: 'too slow', probeMs: 5120 },
    ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
    bootId: 'c2965b64-be43-4258-af81-eded81f14dc5',
    probedAt: '2026-11-24T08:00:00.000Z',
  };
  const key: HostFactsKey = { bootId: report.bootId, qemuBinary: report.qemuBinary, qemuVersion: '7.2.22', kvmDevice: 'present' };

  test('round trip under the same key', () => {
    assert.deepEqual(decodeHostFactsCache(encodeHostFactsCache(report), key), report);
  });

  test('another boot, QEMU binary or version, or /dev/kvm state invalidates it', () => {
    const text = encodeHostFactsCache(report);
    assert.equal(decodeHostFactsCache(text, { ...key, bootId: 'other-boot' }), null);
    assert.equal(decodeHostFactsCache(text, { ...key, qemuBinary: '/opt/qemu/bin/qemu-system-x86_64' }), null);
    assert.equal(decodeHostFactsCache(text, { ...key, qemuVersion: '8.2.2' }), null);
    assert.equal(decodeHostFactsCache(text, { ...key, kvmDevice: 'no-access' }), null);
  });

  test('a damaged or foreign file is ignored, never thrown', () => {
    assert.equal(decodeHostFactsCache('', key), null);
    assert.equal(decodeHostFactsCache('{"cacheVersion":1,', key), null);
    assert.equal(decodeHostFactsCache('[]', key), null);
    assert.equal(decodeHostFactsCache(JSON.stringify({ cacheVersion: 2, report }), key), null);
    assert.equal(decodeHostFactsCache(JSON.stringify({ cacheVersion: 1, report: { ...report, accelerator: 'hvf' } }), key), null);
    assert.equal(decodeHostFactsCache(JSON.stringify({ cacheVersion: 1, report: { ...report, extra: true } }), key), null);
    const { kvm: _k, ...noKvm } = report;
    assert.equal(decodeHostFactsCache(JSON.stringify({ cacheVersion: 1, report: noKvm }), key), null);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, composeConfig, defaultsFor, hasSecureBoot, hasTpm, validateConfig, type VmConfig } from '../../../../src-vmm/model/index.js';
import { pickOvmfSecureBoot, pickSwtpm } from '../../../../src-vmm/qemu/hostFacts.js';
import { currentStateChanged } from '../../../../src-vmm/snapshots/currentState.js';

const ID = '11111111-2222-4333-8444-555555555555';
const composed = (o: Parameters<typeof composeConfig>[0]): VmConfig => {
  const r = composeConfig(o);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.value;
};

describe('TPM and Secure Boot in the model', () => {
  test('Windows 11 defaults to UEFI with Secure Boot and a TPM 2.0; others to neither', () => {
    const w = composed({ id: ID, name: 'w', osType: 'windows11' });
    assert.deepEqual(w.firmware, { type: 'uefi', secureBoot: true });
    assert.deepEqual(w.tpm, { version: '2.0' });
    assert.equal(w.system.chipset, 'q35');
    assert.deepEqual([defaultsFor('windows10').tpm, defaultsFor('linux').secureBoot], [false, false]);
    const l = composed({ id: ID, name: 'l', osType: 'linux', firmware: 'uefi' });
    assert.deepEqual(l.firmware, { type: 'uefi' });
    assert.equal(l.tpm, undefined);
    const off = composed({ id: ID, name: 'w', osType: 'windows11', tpm: false, secureBoot: false });
    assert.deepEqual([hasTpm(off), hasSecureBoot(off)], [false, false]);
    const on = composed({ id: ID, name: 'l', osType: 'linux', tpm: true, firmware: 'uefi', secureBoot: true });
    assert.deepEqual([hasTpm(on), hasSecureBoot(on)], [true, true]);
  });

  test('Secure Boot needs UEFI: asked with BIOS it is refused at firmware.secureBoot', () => {
    const r = composeConfig({ id: ID, name: 'n', osType: 'linux', firmware: 'bios', secureBoot: true });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues, [{ path: 'firmware.secureBoot', message: 'Secure Boot needs UEFI firmware' }]);
    // Windows 11 on BIOS, by the person's choice: its default Secure Boot does not come along.
    assert.deepEqual(composed({ id: ID, name: 'w', osType: 'windows11', firmware: 'bios' }).firmware, { type: 'bios' });
  });

  test('modify: on and off, a switch to BIOS takes Secure Boot along; an explicit on with BIOS is refused', () => {
    const w = composed({ id: ID, name: 'w', osType: 'windows11' });
    const bios = applyChange(w, { firmware: 'bios' });
    assert.ok(bios.ok);
    assert.deepEqual(bios.value.firmware, { type: 'bios' });
    assert.ok(hasTpm(bios.value), 'the TPM stays');
    const bad = applyChange(w, { firmware: 'bios', secureBoot: true });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.issues.map((i) => i.path), ['firmware.secureBoot']);
    const noTpm = applyChange(w, { tpm: false });
    assert.ok(noTpm.ok && noTpm.value.tpm === undefined && hasSecureBoot(noTpm.value));
    const l = composed({ id: ID, name: 'l', osType: 'linux', firmware: 'uefi' });
    const sb = applyChange(l, { secureBoot: true, tpm: true });
    assert.ok(sb.ok && hasSecureBoot(sb.value) && hasTpm(sb.value));
    assert.ok(validateConfig({ ...l, tpm: { version: '1.2' } }).ok === false, 'only TPM 2.0');
  });

  test('the host facts: swtpm and the Secure Boot firmware pair, looked for', () => {
    assert.deepEqual(pickSwtpm((p) => p === '/usr/bin/swtpm'), { binary: '/usr/bin/swtpm' });
    assert.deepEqual(pickSwtpm(() => false), { binary: null, reason: 'swtpm is not installed (Debian: the swtpm package)' });
    const debian = (p: string) => p.startsWith('/usr/share/OVMF/') && p.includes('_4M.ms.');
    assert.deepEqual(pickOvmfSecureBoot(debian), { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' });
    assert.equal(pickOvmfSecureBoot((p) => p.endsWith('OVMF_CODE_4M.ms.fd')), null, 'the code without its variables is not enough');
  });

  test("a TPM whose state differs from the snapshot's is a change a restore would lose", () => {
    const base = { active: false, savedState: 'none' as const, settingsDiffer: false, nvramDiffers: false, disksUntouched: true };
    assert.equal(currentStateChanged(base), false);
    assert.equal(currentStateChanged({ ...base, tpmDiffers: false }), false);
    assert.equal(currentStateChanged({ ...base, tpmDiffers: true }), true);
  });
});

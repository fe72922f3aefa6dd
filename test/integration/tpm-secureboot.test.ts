// TPM 2.0 (swtpm) and Secure Boot end to end, with the test guest's UEFI disk (Debian's signed shim,
// GRUB and kernel) and tpm2-tools from its tools disc: the guest sees a TPM 2.0 and reports Secure Boot
// on, a value it stores in the TPM survives a snapshot restore, with Secure Boot off it reports it off,
// and a clone's TPM state is its own. Bad input (Secure Boot with BIOS) is refused and changes nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_TOOLS } from '../fixtures/guest.node.js';

/** The NV index the guest stores its value in (owner-defined range). */
const NV = '0x1500016';
const nvRead = `tpm2_nvread ${NV} -C o -s 16 | tr -d '\\0'`;
const nvWrite = (value: string) => `printf %-16s ${value} > /tmp/v && tpm2_nvwrite ${NV} -C o -i /tmp/v`;

/** The TPM state files of a folder (swtpm's lock and temporary files left out), name → bytes. */
function tpmFiles(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => !n.startsWith('.') && !n.startsWith('TMP')).map((n) => [n, readFileSync(join(dir, n))]));
}

describe('TPM 2.0 and Secure Boot', () => {
  const { home, cleanup } = tempHome();
  const { h, ok } = cliIn(home);
  const guest = fixtureGuest();
  const files = join(home, 'files');
  const sbOf = async (vm: string) => {
    const serial = (await ok('serial', vm)).stdout;
    return [...serial.matchAll(/TESTGUEST EFI secureboot=(\w+)/g)].map((m) => m[1]);
  };
  const agent = (vm: string) => waitUntil(`the agent of ${vm}`, async () => ((await ok('show', vm, '--json')).json.guest.agent === 'connected' ? true : undefined), 120_000, 1_000);

  before(() => mkdirSync(files));
  after(cleanup);

  test('--secure-boot on with BIOS firmware, and other bad values, are refused in one line and change nothing', async () => {
    for (const [args, message] of [
      [['--firmware', 'bios', '--secure-boot', 'on'], /firmware\.secureBoot: Secure Boot needs UEFI firmware/],
      [['--secure-boot', 'on'], /Secure Boot needs UEFI firmware/],
      [['--tpm', 'yes'], /--tpm takes on or off, not 'yes'/],
      [['--secure-boot', '1'], /--secure-boot takes on or off/],
    ] as [string[], RegExp][]) {
      const r = await h('create', '--name', 'bad', '--os', 'linux', '--disk', 'none', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    assert.deepEqual((await ok('list', '--json')).json.vms, []);
    await ok('create', '--name', 'bios', '--os', 'linux', '--disk', 'none');
    const before = (await ok('show', 'bios', '--json')).json;
    const r = await h('modify', 'bios', '--secure-boot', 'on');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Secure Boot needs UEFI firmware/);
    assert.deepEqual((await ok('show', 'bios', '--json')).json, before);
    // Windows 11 gets UEFI, Secure Boot and a TPM by default.
    const w = (await ok('create', '--name', 'win11', '--os', 'windows11', '--disk', 'none', '--json')).json;
    assert.deepEqual([w.firmware, w.secureBoot, w.tpm], ['uefi', true, true]);
    await ok('delete', 'win11');
    await ok('delete', 'bios');
  });

  test('Secure Boot on: the guest says so and sees a TPM 2.0 whose value survives a restore; off: it says off; a clone has its own TPM', async () => {
    const disk = join(files, 'uefi.qcow2');
    copyFileSync(guest.uefiDisk, disk);
    const created = await ok('create', '--name', 'sb', '--os', 'linux', '--memory', '384', '--nic', 'none', '--firmware', 'uefi', '--secure-boot', 'on', '--tpm', 'on', '--disk-image', disk, '--iso', guest.tools, '--json');
    assert.deepEqual([created.json.secureBoot, created.json.tpm], [true, true]);
    const folder: string = created.json.folder;
    await ok('start', 'sb', '--wait-serial', GUEST_TOOLS, '--timeout', '400');
    assert.deepEqual(await sbOf('sb'), ['1'], 'booted through the signed shim, GRUB and kernel with Secure Boot on');
    await agent('sb');

    // A TPM 2.0, and a value stored in its NV memory.
    const cap = await ok('exec', 'sb', '--', 'tpm2_getcap', 'properties-fixed');
    assert.match(cap.stdout, /TPM2_PT_FAMILY_INDICATOR:\s+raw: 0x322E3000\s+value: "2\.0"/);
    await ok('exec', 'sb', '--', 'sh', '-c', `tpm2_nvdefine ${NV} -C o -s 16 -a "ownerread|ownerwrite" && ${nvWrite('first-value')}`);
    assert.equal((await ok('exec', 'sb', '--', 'sh', '-c', nvRead)).stdout.trim(), 'first-value');

    // A live snapshot, then a new value; restoring the snapshot brings the first one back.
    const s = await ok('snapshot', 'take', 'sb', '--name', 'S', '--json');
    assert.equal(s.json.live, true);
    await ok('exec', 'sb', '--', 'sh', '-c', nvWrite('second-value'));
    assert.equal((await ok('exec', 'sb', '--', 'sh', '-c', nvRead)).stdout.trim(), 'second-value');
    await ok('stop', 'sb', '--force');
    const changed = (await ok('snapshot', 'list', 'sb', '--json')).json;
    assert.equal(changed.currentStateChanged, true, 'the TPM holds what the snapshot does not');
    await ok('snapshot', 'restore', 'sb', 'S');
    assert.deepEqual(tpmFiles(join(folder, 'tpm')), tpmFiles(join(folder, 'snapshots', `${s.json.id}.tpm`)), "the TPM's files are the snapshot's again");
    await ok('start', 'sb');
    await agent('sb');
    assert.equal((await ok('exec', 'sb', '--', 'sh', '-c', nvRead)).stdout.trim(), 'first-value', 'the value stored before the snapshot is back');
    await ok('stop', 'sb', '--force');

    // An export says what it cannot carry.
    const exported = await ok('export', 'sb', '-o', join(files, 'sb.ova'), '--json');
    assert.ok(exported.json.warnings.some((w: string) => /has a TPM 2\.0: its state .* is not part of an appliance/.test(w)));
    assert.ok(exported.json.warnings.some((w: string) => /boots with Secure Boot/.test(w)));

    // Secure Boot off: the same disk boots (shim works without it) and the guest says off.
    const off = await ok('modify', 'sb', '--secure-boot', 'off', '--json');
    assert.equal(off.json.secureBoot, false);
    await ok('start', 'sb', '--wait-serial', GUEST_TOOLS, '--timeout', '400');
    assert.deepEqual((await sbOf('sb')).at(-1), '0', 'with Secure Boot off, the guest reports it off');
    await agent('sb');
    assert.equal((await ok('exec', 'sb', '--', 'sh', '-c', nvRead)).stdout.trim(), 'first-value', 'the TPM is unchanged by the firmware setting');
    await ok('stop', 'sb', '--force');

    // Clones: each gets a copy of the TPM state, never the source's own files.
    const source = tpmFiles(join(folder, 'tpm'));
    const full = (await ok('clone', 'sb', '--name', 'sb-full', '--json')).json;
    const linked = (await ok('clone', 'sb', '--name', 'sb-linked', '--linked', '--json')).json;
    for (const c of [full, linked]) {
      assert.equal(c.tpm, true);
      assert.notEqual(c.folder, folder);
      assert.deepEqual(tpmFiles(join(c.folder, 'tpm')), source, `${c.name} starts with a copy of the TPM`);
    }
    // The full clone runs (booted directly, BIOS: quicker than UEFI) and changes its TPM; the source's stays.
    await ok('modify', 'sb-full', '--firmware', 'bios', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0,115200 quiet');
    await ok('start', 'sb-full', '--wait-serial', GUEST_TOOLS, '--timeout', '300');
    await agent('sb-full');
    assert.equal((await ok('exec', 'sb-full', '--', 'sh', '-c', nvRead)).stdout.trim(), 'first-value', "the clone's TPM holds the copied value");
    await ok('exec', 'sb-full', '--', 'sh', '-c', nvWrite('clone-value'));
    assert.equal((await ok('exec', 'sb-full', '--', 'sh', '-c', nvRead)).stdout.trim(), 'clone-value');
    await ok('stop', 'sb-full', '--force');
    assert.notDeepEqual(tpmFiles(join(full.folder, 'tpm')), source, "the clone's TPM changed");
    assert.deepEqual(tpmFiles(join(folder, 'tpm')), source, "the source's TPM did not");
    assert.deepEqual(tpmFiles(join(linked.folder, 'tpm')), source, "nor the linked clone's");
    assert.ok(!existsSync(join(folder, 'run', 'swtpm.sock')), 'no swtpm outlives its VM');

  });
});

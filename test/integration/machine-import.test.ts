// Opening VirtualBox and VMware machines directly, end to end through `hangar import` as CLI.md
// writes it: a .vbox whose current state is a differencing VDI over its snapshot's base, and a .vmx
// whose current state is a delta VMDK over a split (twoGbMaxExtentSparse) base, both made by a script
// from the formats' published structure (test/fixtures/machines.node.ts). --dry-run writes nothing;
// the imports boot, and the file written into the current state's layer only (after the snapshot) is
// there in the guest. Hostile, missing and malformed input: one line, nothing changed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliIn, tempHome } from '../helpers/cli.node.js';
import { guestShell } from '../helpers/guestShell.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { GUEST_DISK, GUEST_DISK_MOUNT } from '../fixtures/guest.node.js';
import { buildVboxMachine, buildVmxMachine, vmxText, type BuiltMachine } from '../fixtures/machines.node.js';
import { createQemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { openMachinePackage } from '../../src-main/appliances/machinePackage.node.js';
import { convertChain } from '../../src-main/appliances/machineDisks.node.js';

describe('importing VirtualBox and VMware machines (hangar import FILE.vbox|FILE.vmx)', () => {
  const { home, cleanup } = tempHome('hangar-machine-import-');
  const work = join(testOutputDir, 'machine-import');
  const { h, ok } = cliIn(home);
  const homeFiles = () => {
    const root = join(home, 'VMs');
    // (a stopped VM's host process tidies its run folder on its own time: not the import's doing)
    return existsSync(root) ? readdirSync(root, { recursive: true }).map(String).filter((f) => !/\/run(\/|$)/.test(f)).sort() : [];
  };
  /** Every file of a machine folder with its digest: the import reads them and must not change them. */
  const folderDigest = (dir: string) =>
    readdirSync(dir, { recursive: true })
      .map(String)
      .sort()
      .map((f) => {
        const p = join(dir, f);
        try {
          return `${f}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
        } catch {
          return `${f}/`;
        }
      });
  let vbox: BuiltMachine;
  let vmx: BuiltMachine;
  const ids: Record<string, string> = {};

  before(() => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    vbox = buildVboxMachine(work, 'vbox guest', 'MARKER written after the VirtualBox snapshot');
    vmx = buildVmxMachine(work, 'vmware guest', 'MARKER written after the VMware snapshot');
  });
  after(async () => {
    await h('shutdown', '--force');
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('--dry-run --json prints the mapped machine, with the snapshot warning, and writes nothing', async () => {
    for (const [m, bus, nic, disk] of [
      [vbox, 'sata', 'e1000', /^Snapshots\/\{[0-9a-f-]{36}\}\.vdi$/],
      [vmx, 'scsi', 'e1000', /^disk-000001\.vmdk$/],
    ] as const) {
      const source = folderDigest(m.dir);
      const dry = (await ok('import', m.path, '--dry-run', '--json')).json;
      assert.equal(dry.machines.length, 1);
      const d = dry.machines[0];
      assert.equal(d.name, m.name);
      assert.equal(d.id, undefined);
      assert.equal(d.cpus, 1);
      assert.equal(d.memoryMiB, 256);
      assert.equal(d.firmware, 'bios');
      assert.equal(d.disks.length, 1);
      assert.equal(d.disks[0].bus, bus);
      assert.equal(d.disks[0].capacityBytes, 64 << 20);
      assert.match(d.disks[0].sourceFile, disk);
      assert.deepEqual(
        d.nics.map((n: { model: string }) => n.model),
        [nic],
      );
      assert.ok(
        d.warnings.some((w: string) => /^The machine has a snapshot in (VirtualBox|VMware) \('before the marker'\); Hangar imports its current state.*flattened/.test(w)),
        d.warnings.join(' | '),
      );
      assert.ok(d.warnings.some((w: string) => /sound card/.test(w)));
      assert.deepEqual(homeFiles(), []);
      assert.deepEqual(folderDigest(m.dir), source);
    }
    assert.deepEqual((await ok('list', '--json')).json.vms, []);
  });

  test('both import (the current state converted to one qcow2 each) and boot; the file written after the snapshot is there', async () => {
    const source = [folderDigest(vbox.dir), folderDigest(vmx.dir)];
    const a = (await ok('import', vbox.path, '--json')).json.machines[0];
    const b = (await ok('import', vmx.path, '--name', 'from vmware', '--json')).json.machines[0];
    assert.equal(a.name, vbox.name);
    assert.equal(b.name, 'from vmware');
    ids.vbox = a.id;
    ids.vmx = b.id;
    assert.deepEqual([folderDigest(vbox.dir), folderDigest(vmx.dir)], source, 'the machines imported from are not changed');
    for (const id of [a.id, b.id]) {
      const shown = (await ok('show', id, '--json')).json;
      assert.equal(shown.disks.length, 1);
      assert.deepEqual(shown.disks[0].chain, [shown.disks[0].path], 'one standalone image: the chain is flattened');
      const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', shown.disks[0].path], { encoding: 'utf8' })) as { format: string; 'virtual-size': number };
      assert.equal(info.format, 'qcow2');
      assert.equal(info['virtual-size'], 64 << 20);
    }

    // One boot each, side by side: the guest mounts its disk and reads the marker only the top layer held.
    await Promise.all([a.id, b.id].map((id) => ok('start', id, '--wait-serial', GUEST_DISK, '--timeout', '240')));
    const sh = guestShell(home);
    for (const [id, m] of [
      [a.id, vbox],
      [b.id, vmx],
    ] as const) {
      const r = await sh(id, `cat ${GUEST_DISK_MOUNT}/MARKER.TXT`, 90_000);
      assert.equal(r.status, 0, r.output);
      assert.equal(r.output.trim(), m.marker);
    }
    await Promise.all([a.id, b.id].map((id) => ok('stop', id, '--force')));
  });

  test('a conversion cancelled while it runs leaves nothing: no qcow2, no staging file, for either kind of chain', async () => {
    const qemuImg = createQemuImg();
    for (const m of [vbox, vmx]) {
      const { chains } = await openMachinePackage(m.path);
      const chain = [...chains.values()][0]!;
      const out = join(work, `cancel-${chain.method}`);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(join(out, 'disks'), { recursive: true });
      const abort = new AbortController();
      let reported = 0;
      await assert.rejects(
        convertChain(chain, join(out, 'disks', 'disk0.qcow2'), qemuImg, 'test', abort.signal, (f) => {
          reported++;
          if (f > 0) abort.abort();
        }),
        (e: unknown) => e instanceof HangarError && e.code === 'CANCELLED',
      );
      assert.ok(reported > 0, 'it was running');
      assert.deepEqual(readdirSync(join(out, 'disks')), [], chain.method);
    }
  });

  test('hostile paths, missing disks and malformed files: one line, exit 2, nothing changed', async () => {
    const bad = join(work, 'bad');
    mkdirSync(bad, { recursive: true });
    const secret = join(work, 'outside.vdi');
    writeFileSync(secret, readFileSync(join(vbox.dir, 'vbox guest.vdi')));
    const vboxText = readFileSync(vbox.path, 'utf8');
    const baseLocation = 'location="vbox guest.vdi"';
    assert.ok(vboxText.includes(baseLocation));
    const machine = (name: string, files: Record<string, string | Buffer>, link?: [string, string]) => {
      const dir = join(bad, name);
      mkdirSync(join(dir, 'Snapshots'), { recursive: true });
      for (const [f, data] of Object.entries(files)) writeFileSync(join(dir, f), data);
      if (link) symlinkSync(link[1], join(dir, link[0]));
      return dir;
    };
    const child = readdirSync(join(vbox.dir, 'Snapshots'))[0]!;
    const childBytes = readFileSync(join(vbox.dir, 'Snapshots', child));
    const vboxWith = (location: string) => vboxText.replace(baseLocation, `location="${location}"`);
    const cases: [string, RegExp][] = [
      [join(machine('dotdot', { 'm.vbox': vboxWith('../../outside.vdi'), [`Snapshots/${child}`]: childBytes }), 'm.vbox'), /outside the machine's folder/],
      [join(machine('absolute', { 'm.vbox': vboxWith('/etc/passwd'), [`Snapshots/${child}`]: childBytes }), 'm.vbox'), /'\/etc\/passwd', outside the machine's folder/],
      [join(machine('symlink', { 'm.vbox': vboxWith('base.vdi'), [`Snapshots/${child}`]: childBytes }, ['base.vdi', secret]), 'm.vbox'), /'base\.vdi' is a symbolic link/],
      [join(machine('missing', { 'm.vbox': vboxWith('gone.vdi'), [`Snapshots/${child}`]: childBytes }), 'm.vbox'), /'gone\.vdi', which does not exist/],
      [join(machine('malformed-xml', { 'm.vbox': vboxText.slice(0, 400) }), 'm.vbox'), /is not well-formed XML/],
      [join(machine('malformed-vmx', { 'm.vmx': 'config.version = "8"\nscsi0:0.present = TRUE\nscsi0:0.fileName = "d.vmdk\n' }), 'm.vmx'), /closing quote/],
      [join(machine('vmx-escape', { 'm.vmx': vmxText({ name: 'x', disk: '../../vbox guest/vbox guest.vdi' }) }), 'm.vmx'), /outside the machine's folder/],
      // a delta whose parent hint leads out of the folder
      [
        join(
          machine('vmx-hint', {
            'm.vmx': vmxText({ name: 'x', disk: 'd.vmdk' }),
            'd.vmdk': '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=87654321\ncreateType="monolithicFlat"\nparentFileNameHint="/etc/shadow"\nRW 2048 FLAT "d-flat.vmdk" 0\n',
            'd-flat.vmdk': Buffer.alloc(2048 * 512),
          }),
          'm.vmx',
        ),
        /parentFileNameHint\) is '\/etc\/shadow', outside the machine's folder/,
      ],
      // a split descriptor whose extent is a host file
      [
        join(machine('vmx-extent', { 'm.vmx': vmxText({ name: 'x', disk: 'd.vmdk' }), 'd.vmdk': '# Disk DescriptorFile\nversion=1\ncreateType="twoGbMaxExtentFlat"\nRW 8 FLAT "/etc/passwd" 0\n' }), 'm.vmx'),
        /its extent is '\/etc\/passwd', outside the machine's folder/,
      ],
    ];
    const before = homeFiles();
    const vms = (await ok('list', '--json')).json.vms;
    for (const [file, message] of cases) {
      for (const extra of [['--dry-run'], []]) {
        const r = await h('import', file, ...extra);
        assert.equal(r.code, 2, `${file}: ${r.stderr}`);
        assert.match(r.stderr, message, file);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.equal(r.stdout, '');
      }
    }
    assert.deepEqual(homeFiles(), before);
    assert.deepEqual((await ok('list', '--json')).json.vms, vms);
  });
});

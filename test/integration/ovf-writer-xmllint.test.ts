// Descriptors from the OVF writer, checked by libxml2's own parser (xmllint): every profile and OVF
// version, one machine and a collection, names full of markup characters and Unicode. A broken
// document is checked too, so a silent xmllint cannot pass the test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, type DiskBus, type NicModel, type OpticalBus, type VmConfig } from '../../src-vmm/model/index.js';
import { writeDescriptor, type ExportMachine, type ExportProfile } from '../../src-main/appliances/writer.js';

const XMLLINT = '/usr/bin/xmllint';

function config(n: number, name: string, osType: string, chipset: 'pc' | 'q35', disks: DiskBus[], opticals: OpticalBus[], nics: NicModel[]): VmConfig {
  const r = validateConfig({
    schemaVersion: 1,
    id: `5a1f0c3e-2b4d-4e6f-8a9b-${n.toString(16).padStart(12, '0')}`,
    name,
    osType,
    description: `Exported by a test: <${name}> & "friends"\nsecond line`,
    system: { chipset, cpus: 2, memoryMiB: 2048, accel: 'auto' },
    firmware: { type: chipset === 'q35' ? 'uefi' : 'bios' },
    disks: disks.map((bus, i) => ({ id: `disk${i}`, bus, path: `/vms/${n}/disk${i}.qcow2`, format: 'qcow2', readOnly: false })),
    opticals: opticals.map((bus, i) => ({ id: `cd${i}`, bus, path: i === 0 ? '/isos/a&b.iso' : null })),
    nics: nics.map((model, i) => ({ id: `net${i}`, model, mac: `0a:48:47:00:0${n}:0${i}`, forwards: [] })),
    display: { vga: 'std', vnc: true },
    serial: { enabled: true },
    features: { nested: false },
    boot: { order: ['disk', 'optical'] },
  });
  assert.ok(r.ok, 'test config is valid');
  return r.value;
}

function machine(c: VmConfig): ExportMachine {
  return {
    config: c,
    disks: c.disks.map((d, i) => ({ diskId: d.id, href: `${c.id.slice(-4)}-disk${i + 1}.vmdk`, sizeBytes: 123_456 + i, capacityBytes: (i + 8) * 2 ** 30, populatedBytes: 65_536 })),
    product: { product: `${c.name} appliance`, vendor: 'Hangar & Co <test>', version: '1.0 "rc"', productUrl: 'https://example.com/?p=1&q=2', vendorUrl: 'https://example.com/' },
    eula: 'Use at your own risk.\n\n§1 ¡Ünïcødé! <no markup> & no entities &amp;',
  };
}

const machines = [
  machine(config(1, `Web & DB <"prod"> 'eu'`, 'linux', 'q35', ['virtio', 'scsi', 'sata', 'nvme'], ['sata', 'scsi'], ['virtio', 'e1000e', 'vmxnet3'])),
  machine(config(2, 'Ünïcødé 名前 🚀', 'windows7', 'pc', ['ide', 'sata'], ['ide'], ['e1000', 'rtl8139', 'pcnet'])),
  machine(config(3, ']]> <!-- not a comment -->', 'openbsd', 'pc', [], ['ide'], [])),
];

describe('xmllint reads every descriptor the writer makes', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-ovf-writer-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('xmllint is installed and refuses a broken document', () => {
    const broken = join(dir, 'broken.ovf');
    writeFileSync(broken, '<?xml version="1.0"?>\n<Envelope><Name>a & b</Name></Envelope>\n');
    const r = spawnSync(XMLLINT, ['--noout', '--nonet', broken], { encoding: 'utf8' });
    assert.equal(r.error, undefined, `cannot run ${XMLLINT}: ${String(r.error)}`);
    assert.notEqual(r.status, 0, 'xmllint accepted a document with a bare ampersand');
    assert.match(r.stderr, /broken\.ovf:2/);
  });

  test('every profile, OVF 1.0 and 2.0, one machine and a collection', () => {
    const files: string[] = [];
    for (const profile of ['virtualbox', 'vmware', 'kvm'] as ExportProfile[]) {
      for (const ovfVersion of ['1.0', '2.0'] as const) {
        machines.forEach((m, i) => {
          const file = join(dir, `${profile}-${ovfVersion}-vm${i + 1}.ovf`);
          writeFileSync(file, writeDescriptor({ ovfVersion, profile, machines: [m] }).xml);
          files.push(file);
        });
        const file = join(dir, `${profile}-${ovfVersion}-collection.ovf`);
        writeFileSync(file, writeDescriptor({ ovfVersion, profile, machines, collectionName: 'Three <odd> & "named" VMs' }).xml);
        files.push(file);
      }
    }
    assert.equal(files.length, 24);
    for (const file of files) {
      const r = spawnSync(XMLLINT, ['--noout', '--nonet', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${file}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${file}: ${r.stderr}`);
    }
    // The names come back as written: an XPath string() is the parsed text, not the escapes.
    machines.forEach((m, i) => {
      const xpath = `string((//*[local-name()='VirtualSystem'])[${i + 1}]/*[local-name()='Name'])`;
      const r = spawnSync(XMLLINT, ['--nonet', '--xpath', xpath, join(dir, 'vmware-1.0-collection.ovf')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), m.config.name);
    });
  });
});

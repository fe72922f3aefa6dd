// OVF/OVA import end to end through `hangar import`: an appliance in each producer's flavour (made from
// the fixture guest, archived by GNU tar) imports and boots to the guest's marker; --dry-run writes
// nothing; edits are honoured; hostile and broken packages are refused with one clear line and leave
// nothing behind; a cancelled import leaves nothing either.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli, tempHome, waitUntil, cliPath, withLogsOnFailure } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { GUEST_READY, fixtureGuest } from '../fixtures/guest.node.js';
import { buildAppliance, fixtureVmdk, manifestText, tarUp, vmwareOvf, xenCollectionOvf, type ApplianceFlavour, type DigestName } from '../fixtures/appliances.node.js';

describe('OVF/OVA import', () => {
  const { home, cleanup } = tempHome('hangar-import-');
  const work = join(testOutputDir, 'ovf-import');
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** Everything under the home's VMs folder, to prove a refused import wrote nothing. */
  const homeFiles = () => {
    const root = join(home, 'VMs');
    if (!existsSync(root)) return [];
    return readdirSync(root, { recursive: true }).map(String).sort();
  };
  const vmNames = async () => ((await ok('list', '--json')).json.vms as { name: string }[]).map((v) => v.name).sort();
  /**
   * A test that boots guests. When it fails, the VMs it left are powered off and unregistered, so
   * that the tests after it start from an empty list; their files stay, and the error ends with the
   * home's logs (owner, hosts, QEMU, serial).
   */
  const booting = (body: () => Promise<void>) => () =>
    withLogsOnFailure(home, async () => {
      try {
        await body();
      } catch (e) {
        const left = (await h('list', '--json')).json?.vms as { id: string }[] | undefined;
        for (const { id } of left ?? []) {
          await h('stop', id, '--force');
          await h('delete', id, '--keep-files');
        }
        throw e;
      }
    });

  before(() => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
  });
  after(async () => {
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  const flavours: { flavour: ApplianceFlavour; digest: DigestName | null; bus: string; nic: string; sourceNic: RegExp }[] = [
    { flavour: 'virtualbox', digest: 'sha1', bus: 'sata', nic: 'e1000', sourceNic: /E1000/ },
    { flavour: 'vmware', digest: 'sha256', bus: 'scsi', nic: 'vmxnet3', sourceNic: /VmxNet3/i },
    { flavour: 'ovf2', digest: 'sha512', bus: 'sata', nic: 'virtio', sourceNic: /virtio/i },
    { flavour: 'gzip', digest: 'sha256', bus: 'scsi', nic: 'vmxnet3', sourceNic: /VmxNet3/i },
    { flavour: 'chunked', digest: 'sha256', bus: 'scsi', nic: 'vmxnet3', sourceNic: /VmxNet3/i },
    { flavour: 'ovirt', digest: null, bus: 'virtio', nic: 'virtio', sourceNic: /3|virtio/i },
  ];

  for (const f of flavours) {
    test(`${f.flavour} appliance${f.digest ? ` with a ${f.digest.toUpperCase()} manifest` : ''}: dry run, import, boot to the marker`, booting(async () => {
      const app = buildAppliance(f.flavour, join(work, f.flavour), { digestAlgorithm: f.digest, name: `${f.flavour} guest` });
      const before = homeFiles();

      const dry = (await ok('import', app.path, '--dry-run', '--json')).json;
      assert.equal(dry.machines.length, 1);
      const m = dry.machines[0];
      assert.equal(m.name, `${f.flavour} guest`);
      assert.equal(m.id, undefined, 'a dry run has no id');
      assert.equal(m.memoryMiB, 256);
      assert.equal(m.osType, 'linux');
      assert.equal(m.disks.length, 1);
      assert.equal(m.disks[0].bus, f.bus);
      assert.ok(m.disks[0].sourceFile, 'the disk comes from a file of the package');
      assert.equal(m.nics.length, 1);
      assert.equal(m.nics[0].model, f.nic);
      assert.match(m.nics[0].sourceModel, f.sourceNic);
      assert.ok(Array.isArray(m.warnings));
      if (!f.digest) assert.ok(m.warnings.some((w: string) => /manifest/i.test(w)), 'an appliance without a manifest is flagged');
      assert.deepEqual(homeFiles(), before, '--dry-run writes nothing');
      assert.deepEqual(await vmNames(), []);

      const imported = (await ok('import', app.path, '--json')).json;
      const vm = imported.machines[0];
      assert.match(vm.id, /^[0-9a-f-]{36}$/);
      const shown = (await ok('show', vm.id, '--json')).json;
      assert.equal(shown.disks.length, 1);
      assert.equal(shown.disks[0].bus, f.bus);
      assert.match(shown.disks[0].path, new RegExp(`^${home}/VMs/${vm.id}/disks/.*\\.qcow2$`));
      assert.equal(shown.disks[0].virtualSizeBytes, 64 << 20);
      const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', shown.disks[0].path], { encoding: 'utf8' }));
      assert.equal(info.format, 'qcow2');
      assert.equal(info['backing-filename'], undefined);
      // Sparse: the 64 MiB disk holds ~20 MiB of data; zeros stay unallocated.
      assert.ok(info['actual-size'] < 40 << 20, `sparse output (${info['actual-size']} bytes allocated)`);
      assert.equal(shown.nics[0].model, f.nic);
      assert.doesNotMatch(readdirSync(join(home, 'VMs', vm.id, 'disks')).join(' '), /staging|partial/);

      await ok('start', vm.id, '--wait-serial', GUEST_READY, '--timeout', '300');
      await ok('stop', vm.id, '--force');
      await ok('delete', vm.id);
    }));
  }

  test('a XenServer-style collection with VHD, VHDX and raw disks imports every machine, and all of them boot', booting(async () => {
    const dir = join(work, 'xen');
    mkdirSync(dir, { recursive: true });
    const disk = fixtureGuest().disk;
    const forms = [
      { name: 'xen-vhd', guid: '5b1c4a0e-0c9e-4b8a-9f5e-3c2d1b0a9f01', href: '5b1c4a0e-0c9e-4b8a-9f5e-3c2d1b0a9f01.vhd', args: ['-O', 'vpc', '-o', 'subformat=dynamic'], format: 'http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx' },
      { name: 'xen-vhdx', guid: '5b1c4a0e-0c9e-4b8a-9f5e-3c2d1b0a9f02', href: '5b1c4a0e-0c9e-4b8a-9f5e-3c2d1b0a9f02.vhdx', args: ['-O', 'vhdx'], format: '' },
      { name: 'xen-raw', guid: '5b1c4a0e-0c9e-4b8a-9f5e-3c2d1b0a9f03', href: '5b1c4a0e-0c9e-4b8a-9f5e-3c2d1b0a9f03.img', args: ['-O', 'raw'], format: '' },
    ];
    const machines = forms.map((f) => {
      execFileSync('qemu-img', ['convert', '-f', 'qcow2', ...f.args, disk, join(dir, f.href)]);
      return { name: f.name, guid: f.guid, href: f.href, size: readFileSync(join(dir, f.href)).length, capacity: 64 << 20, format: f.format, memoryMiB: 160 };
    });
    writeFileSync(join(dir, 'stack.ovf'), xenCollectionOvf('stack', machines));
    const files = ['stack.ovf', ...forms.map((f) => f.href)];
    writeFileSync(join(dir, 'stack.mf'), manifestText('sha256', files.map((name) => ({ name, data: readFileSync(join(dir, name)) }))));
    tarUp(dir, join(dir, 'stack.ova'), ['stack.ovf', 'stack.mf', ...forms.map((f) => f.href)], 'pax');

    const dry = (await ok('import', join(dir, 'stack.ova'), '--dry-run', '--json')).json;
    assert.deepEqual(dry.machines.map((m: { name: string }) => m.name), forms.map((f) => f.name));
    for (const m of dry.machines) assert.deepEqual([m.memoryMiB, m.disks.length, m.disks[0].bus], [160, 1, 'ide']);
    const imported = (await ok('import', join(dir, 'stack.ova'), '--json')).json.machines as { id: string; name: string }[];
    assert.equal(imported.length, 3);
    for (const m of imported) {
      const shown = (await ok('show', m.id, '--json')).json;
      // VHD rounds a size up to its cylinder/head/sector geometry: at most a few hundred KiB more.
      const size = shown.disks[0].virtualSizeBytes as number;
      assert.ok(size >= 64 << 20 && size < (64 << 20) + (1 << 20), `${m.name}: the disk's size survives its format (${size})`);
    }
    await Promise.all(imported.map((m) => ok('start', m.id, '--wait-serial', GUEST_READY, '--timeout', '400')));
    for (const m of imported) {
      await ok('stop', m.id, '--force');
      await ok('delete', m.id);
    }

    // All or nothing: when the last machine's disk is damaged, the first two do not stay either.
    const last = forms[2]!.href;
    const bytes = readFileSync(join(dir, last));
    bytes[bytes.length - 100]! ^= 0xff;
    writeFileSync(join(dir, last), bytes);
    tarUp(dir, join(dir, 'damaged.ova'), ['stack.ovf', 'stack.mf', ...forms.map((f) => f.href)], 'pax');
    const before = homeFiles();
    const r = await h('import', join(dir, 'damaged.ova'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${last.replace(/\./g, '\\.')} does not match its SHA-256 digest`));
    assert.deepEqual(await vmNames(), []);
    assert.deepEqual(homeFiles(), before);
    rmSync(dir, { recursive: true, force: true });
  }));

  test('a signed appliance: the certificate is reported (signer, signature, trust) and does not block the import', async () => {
    const app = buildAppliance('vmware', join(work, 'signed'), { digestAlgorithm: 'sha256', name: 'signed' });
    const dir = app.dir;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '30', '-subj', '/CN=Hangar Test Vendor/O=Example'], { stdio: 'ignore' });
    const sign = (mf: string) => execFileSync('openssl', ['dgst', '-sha256', '-sign', join(dir, 'key.pem'), '-hex', mf], { encoding: 'utf8' }).trim().split('= ').pop()!;
    const writeCert = (hex: string) => writeFileSync(join(dir, 'signed.cert'), `SHA256(signed.mf)= ${hex}\n${readFileSync(join(dir, 'cert.pem'), 'utf8')}`);
    writeCert(sign(join(dir, 'signed.mf')));
    tarUp(dir, app.path, ['signed.ovf', 'signed.mf', 'signed.cert', 'signed-disk1.vmdk'], 'ustar');
    const good = (await ok('import', app.path, '--dry-run', '--json')).json;
    assert.match(good.certificate.subject, /Hangar Test Vendor/);
    assert.deepEqual([good.certificate.signatureValid, good.certificate.selfSigned, good.certificate.trustedBySystem], [true, true, false]);
    assert.ok(good.warnings.some((w: string) => /signed by .*Hangar Test Vendor.*does not trust/.test(w)), good.warnings.join(' | '));

    // A signature over other bytes: reported, and the import still goes ahead (a .cert never blocks).
    writeFileSync(join(dir, 'other.txt'), 'not the manifest');
    writeCert(sign(join(dir, 'other.txt')));
    tarUp(dir, app.path, ['signed.ovf', 'signed.mf', 'signed.cert', 'signed-disk1.vmdk'], 'ustar');
    const bad = (await ok('import', app.path, '--json')).json;
    assert.ok(bad.warnings.some((w: string) => /does not match the manifest/.test(w)), bad.warnings.join(' | '));
    await ok('delete', bad.machines[0].id);
  });

  test('edits from the command line are honoured, and a second import of one appliance gets a new name', async () => {
    const app = buildAppliance('virtualbox', join(work, 'edits'), { digestAlgorithm: 'sha256', name: 'edit me' });
    const a = (await ok('import', app.path, '--name', 'edited', '--cpus', '2', '--memory', '320', '--json')).json.machines[0];
    assert.deepEqual([a.name, a.cpus, a.memoryMiB], ['edited', 2, 320]);
    const shown = (await ok('show', 'edited', '--json')).json;
    assert.deepEqual([shown.cpus, shown.memoryMiB], [2, 320]);
    const b = (await ok('import', app.path, '--json')).json.machines[0];
    const c = (await ok('import', app.path, '--dry-run', '--json')).json.machines[0];
    assert.equal(b.name, 'edit me');
    assert.equal(c.name, 'edit me (2)', 'a taken name gets a number');
    assert.ok(c.warnings.some((w: string) => /exists already/.test(w)));
    for (const n of ['edited', 'edit me']) await ok('delete', n);
    // Bad edits are usage errors and change nothing.
    const before = homeFiles();
    const bad = await h('import', app.path, '--memory', '1', '--json');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /memory must be at least/);
    const badName = await h('import', app.path, '--name', 'a/b');
    assert.equal(badName.code, 2, badName.stderr);
    assert.deepEqual(homeFiles(), before);
  });

  test('hostile and broken packages are refused with one clear line, and nothing is written', async () => {
    const dir = join(work, 'hostile');
    mkdirSync(dir, { recursive: true });
    const vmdk = readFileSync(fixtureVmdk(dir));
    const ovf = (href: string, size: number) => Buffer.from(vmwareOvf('hostile', { href, size, capacityMiB: 64 }));
    const put = (name: string, data: Buffer | string) => writeFileSync(join(dir, name), data);
    put('disk.vmdk', vmdk);
    put('good.ovf', ovf('disk.vmdk', vmdk.length));

    const cases: { what: string; make: () => string; message: RegExp }[] = [
      {
        what: 'a member that climbs out with ..',
        make: () => {
          const out = join(dir, 'traversal.ova');
          execFileSync('tar', ['--format=pax', '-P', '--transform=s,^evil,../evil,', '-C', dir, '-cf', out, 'good.ovf', 'evil']);
          return out;
        },
        message: /\.\./,
      },
      {
        what: 'an absolute member path',
        make: () => {
          const out = join(dir, 'absolute.ova');
          execFileSync('tar', ['--format=ustar', '-P', '-cf', out, '-C', dir, 'good.ovf', join(dir, 'disk.vmdk')]);
          return out;
        },
        message: /absolute/i,
      },
      {
        what: 'a symbolic link member',
        make: () => {
          const sub = join(dir, 'sym');
          mkdirSync(sub, { recursive: true });
          writeFileSync(join(sub, 'x.ovf'), ovf('disk.vmdk', vmdk.length));
          symlinkSync('/etc/passwd', join(sub, 'disk.vmdk'));
          const out = join(dir, 'symlink.ova');
          tarUp(sub, out, ['x.ovf', 'disk.vmdk'], 'ustar');
          return out;
        },
        message: /link/i,
      },
      {
        what: 'an XXE descriptor',
        make: () => {
          const sub = join(dir, 'xxe');
          mkdirSync(sub, { recursive: true });
          writeFileSync(join(sub, 'x.ovf'), `<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><Name>&x;</Name></Envelope>`);
          const out = join(dir, 'xxe.ova');
          tarUp(sub, out, ['x.ovf'], 'ustar');
          return out;
        },
        message: /DOCTYPE|document type/i,
      },
      {
        what: 'a billion-laughs descriptor',
        make: () => {
          const p = join(dir, 'lol.ovf');
          const ents = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
          writeFileSync(p, `<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY l0 "lol">${ents}]><Envelope>&l9;</Envelope>`);
          return p;
        },
        message: /DOCTYPE|document type/i,
      },
      {
        what: 'a disk that does not match its digest',
        make: () => {
          const sub = join(dir, 'digest');
          mkdirSync(sub, { recursive: true });
          const bad = Buffer.from(vmdk);
          bad[Math.floor(bad.length / 2)]! ^= 0xff;
          writeFileSync(join(sub, 'disk.vmdk'), bad);
          writeFileSync(join(sub, 'x.ovf'), ovf('disk.vmdk', bad.length));
          // The manifest holds the digests of the good files.
          writeFileSync(join(sub, 'x.mf'), manifestText('sha256', [{ name: 'x.ovf', data: readFileSync(join(sub, 'x.ovf')) }, { name: 'disk.vmdk', data: vmdk }]));
          const out = join(dir, 'digest.ova');
          tarUp(sub, out, ['x.ovf', 'x.mf', 'disk.vmdk'], 'ustar');
          return out;
        },
        message: /disk\.vmdk does not match its SHA-256 digest/,
      },
      {
        what: 'a truncated VMDK',
        make: () => {
          const sub = join(dir, 'trunc');
          mkdirSync(sub, { recursive: true });
          const cut = vmdk.subarray(0, Math.floor(vmdk.length / 3));
          writeFileSync(join(sub, 'disk.vmdk'), cut);
          writeFileSync(join(sub, 'x.ovf'), ovf('disk.vmdk', cut.length));
          const out = join(dir, 'trunc.ova');
          tarUp(sub, out, ['x.ovf', 'disk.vmdk'], 'ustar');
          return out;
        },
        message: /disk\.vmdk cannot be read as a disk image/,
      },
      {
        what: 'a truncated archive (the member is shorter than its header says)',
        make: () => {
          const out = join(dir, 'cut.ova');
          tarUp(dir, out, ['good.ovf', 'disk.vmdk'], 'ustar');
          truncateSync(out, 4096 + Math.floor(vmdk.length / 2));
          return out;
        },
        message: /truncated/i,
      },
      {
        what: 'a descriptor that references a missing file',
        make: () => {
          const sub = join(dir, 'missing');
          mkdirSync(sub, { recursive: true });
          writeFileSync(join(sub, 'x.ovf'), ovf('nowhere.vmdk', 1000));
          const out = join(dir, 'missing.ova');
          tarUp(sub, out, ['x.ovf'], 'ustar');
          return out;
        },
        message: /nowhere\.vmdk, which is not in the package/,
      },
      {
        what: 'a file that is XML but not OVF',
        make: () => {
          const p = join(dir, 'page.ovf');
          writeFileSync(p, '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>hello</body></html>');
          return p;
        },
        message: /not an OVF descriptor/,
      },
      {
        what: 'a file that is neither tar nor XML',
        make: () => {
          const p = join(dir, 'noise.ova');
          writeFileSync(p, Buffer.alloc(3000, 0x41));
          return p;
        },
        message: /not an OVA|not a tar|no tar header/i,
      },
      {
        what: 'an empty file',
        make: () => {
          const p = join(dir, 'empty.ova');
          writeFileSync(p, '');
          return p;
        },
        message: /is empty/,
      },
      {
        what: 'a whole .ova compressed with gzip',
        make: () => {
          const plain = join(dir, 'plain.ova');
          tarUp(dir, plain, ['good.ovf', 'disk.vmdk'], 'ustar');
          const p = join(dir, 'zipped.ova');
          writeFileSync(p, gzipSync(readFileSync(plain)));
          return p;
        },
        message: /gzip/i,
      },
      {
        what: 'a qcow2 disk that is based on a host file',
        make: () => {
          const sub = join(dir, 'backing');
          mkdirSync(sub, { recursive: true });
          execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', fixtureGuest().disk, '-F', 'qcow2', join(sub, 'disk.vmdk')]);
          writeFileSync(join(sub, 'x.ovf'), ovf('disk.vmdk', readFileSync(join(sub, 'disk.vmdk')).length));
          const out = join(dir, 'backing.ova');
          tarUp(sub, out, ['x.ovf', 'disk.vmdk'], 'ustar');
          return out;
        },
        message: /based on another image|self-contained/,
      },
      {
        what: 'a VMDK descriptor pointing at a host file',
        make: () => {
          const sub = join(dir, 'extent');
          mkdirSync(sub, { recursive: true });
          writeFileSync(join(sub, 'disk.vmdk'), '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 2048 FLAT "/etc/passwd" 0\n');
          writeFileSync(join(sub, 'x.ovf'), ovf('disk.vmdk', readFileSync(join(sub, 'disk.vmdk')).length));
          const out = join(dir, 'extent.ova');
          tarUp(sub, out, ['x.ovf', 'disk.vmdk'], 'ustar');
          return out;
        },
        message: /extent|separate/i,
      },
    ];

    writeFileSync(join(dir, 'evil'), 'x');
    const before = homeFiles();
    for (const c of cases) {
      const file = c.make();
      const r = await h('import', file);
      assert.notEqual(r.code, 0, `${c.what}: must be refused`);
      assert.ok(r.code === 1 || r.code === 2, `${c.what}: exit code ${r.code}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${c.what}: one line on stderr, got ${r.stderr}`);
      assert.match(r.stderr, c.message, `${c.what}: ${r.stderr}`);
      assert.deepEqual(homeFiles(), before, `${c.what}: nothing written`);
      // The same refusal without writing anything in --dry-run, where the check can happen then.
    }
    assert.deepEqual(await vmNames(), []);
  });

  test('a cancelled import leaves no VM and no files', async () => {
    const dir = join(work, 'cancel');
    mkdirSync(dir, { recursive: true });
    // A disk big enough that the conversion is still running when Ctrl-C arrives.
    const big = join(dir, 'big.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, '3G']);
    assert.equal(spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 1536M', big]).status, 0);
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', big, join(dir, 'big.vmdk')]);
    rmSync(big);
    writeFileSync(join(dir, 'big.ovf'), vmwareOvf('big', { href: 'big.vmdk', size: readFileSync(join(dir, 'big.vmdk')).length, capacityMiB: 3072 }));
    tarUp(dir, join(dir, 'big.ova'), ['big.ovf', 'big.vmdk'], 'gnu');
    rmSync(join(dir, 'big.vmdk'));
    const before = homeFiles();
    const child = spawn(process.execPath, [cliPath, 'import', join(dir, 'big.ova')], { env: { ...process.env, HANGAR_HOME: home } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
    await waitUntil('the import to start', async () => {
      const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; state: string; progress: number }[];
      return tasks.some((t) => t.kind === 'vm.import' && t.state === 'running') ? true : undefined;
    }, 60_000, 50);
    child.kill('SIGINT');
    assert.equal(await exited, 1, err);
    assert.match(err, /cancel/);
    assert.deepEqual(await vmNames(), []);
    assert.deepEqual(homeFiles(), before, 'no folder or partial file was left behind');
    rmSync(dir, { recursive: true, force: true });
  });
});

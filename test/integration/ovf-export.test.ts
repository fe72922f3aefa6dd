// OVF/OVA export end to end through `hangar export`: a running VM exported from a consistent point in
// time, the archive's order and digests, the descriptor well-formed for xmllint, the disks
// streamOptimized VMDKs of the right size; the round trip (delete, import, boot, find the file written
// before the export); several VMs in one .ova; the .ovf folder form from a snapshot; bad requests and
// a cancelled export leave nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { GUEST_DISK, GUEST_READY, fixtureGuest } from '../fixtures/guest.node.js';

/** The mode a new file of this user's gets (the owner the CLI starts inherits this umask). */
function usualMode(): number {
  const umask = process.umask(0o022);
  process.umask(umask);
  return 0o666 & ~umask;
}

describe('OVF/OVA export', () => {
  const { home, cleanup } = tempHome('hangar-export-');
  const out = join(testOutputDir, 'ovf-export');
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const send = async (vm: string, command: string, expect: RegExp) => {
    const before = (await h('serial', vm)).stdout.length;
    await ok('send', vm, command);
    return waitUntil(`'${expect}' after '${command}' in ${vm}`, async () => (await h('serial', vm)).stdout.slice(before).match(expect) ?? undefined, 60_000);
  };
  const members = (ova: string) => execFileSync('tar', ['tf', ova], { encoding: 'utf8' }).trim().split('\n');
  const member = (ova: string, name: string) => execFileSync('tar', ['-xOf', ova, name], { maxBuffer: 1 << 30 });
  const newVm = async (name: string, extra: string[] = []) => {
    const disk = join(home, `${name}.qcow2`);
    copyFileSync(fixtureGuest().disk, disk);
    return (await ok('create', '--name', name, '--disk-image', disk, '--memory', '192', '--nic', 'e1000', ...extra, '--json')).json;
  };

  before(() => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
  });
  after(async () => {
    await cleanup();
    rmSync(out, { recursive: true, force: true });
  });

  test('a running VM exports from a temporary snapshot; order, digests, descriptor and disks check out; the round trip boots with the data', async () => {
    await newVm('exp-src');
    await ok('start', 'exp-src', '--wait-serial', GUEST_DISK, '--timeout', '300');
    await send('exp-src', 'echo exported-data-42 > /mnt/disk/before-export; sync; echo w1', /w1/);
    const ova = join(out, 'exp-src.ova');
    const r = (await ok('export', 'exp-src', '-o', ova, '--product', 'Hangar test appliance', '--vendor', 'Hangar', '--product-version', '1.2', '--json')).json;
    assert.deepEqual([r.file, r.manifest, r.machines], [ova, 'sha256', ['exp-src']]);
    assert.equal(r.sizeBytes, Number(execFileSync('stat', ['-c', '%s', ova], { encoding: 'utf8' })));
    assert.equal(statSync(ova).mode & 0o777, usualMode(), "the appliance is the user's file: their umask's mode, not Hangar's private 0600");
    assert.ok(r.warnings.some((w: string) => /temporary snapshot/.test(w)), r.warnings.join(' | '));
    // The disk was converted straight into the archive: no staged VMDK, no copy.
    const converts = readFileSync(join(home, 'owner.log'), 'utf8').split('\n').filter((l) => / qemu-img convert .*hangar-export-/.test(l));
    assert.equal(converts.length, 1, converts.join('\n'));
    assert.match(converts[0]!, / -n --target-is-zero .* json:\{"driver":"vmdk","file":\{"driver":"raw","offset":\d+,"file":\{"driver":"file","filename":"[^"]*\/exp-src\.ova"\}\}\}$/);
    // The VM runs on, and the temporary snapshot is gone.
    assert.equal((await ok('show', 'exp-src', '--json')).json.state, 'running');
    assert.deepEqual((await ok('snapshot', 'list', 'exp-src', '--json')).json.snapshots, []);
    await ok('stop', 'exp-src', '--force');

    // ustar, descriptor first, manifest second, then the disks.
    const names = members(ova);
    assert.deepEqual(names.slice(0, 2), ['exp-src.ovf', 'exp-src.mf']);
    assert.equal(names.length, 3);
    const header = execFileSync('head', ['-c', '512', ova]);
    assert.equal(header.subarray(257, 265).toString('latin1'), 'ustar\u000000', 'a POSIX ustar archive');
    // Every digest in the manifest matches its member.
    const mf = member(ova, 'exp-src.mf').toString('utf8').trim().split('\n');
    assert.equal(mf.length, 2);
    for (const line of mf) {
      const m = /^SHA256\((.+)\)= ([0-9a-f]{64})$/.exec(line);
      assert.ok(m, `manifest line ${line}`);
      assert.equal(createHash('sha256').update(member(ova, m[1]!)).digest('hex'), m[2], `${m[1]} matches its digest`);
    }
    // The descriptor is well-formed XML for xmllint, and names the product.
    const ovfPath = join(out, 'exp-src.ovf');
    execFileSync('sh', ['-c', `tar -xOf "${ova}" exp-src.ovf > "${ovfPath}"`]);
    assert.equal(spawnSync('xmllint', ['--noout', ovfPath]).status, 0, 'xmllint finds the descriptor well-formed');
    const xml = member(ova, 'exp-src.ovf').toString('utf8');
    assert.match(xml, /<(\w+:)?Product>Hangar test appliance<\/(\w+:)?Product>/);
    // The disk is a streamOptimized VMDK of the VM's size.
    const vmdk = join(out, names[2]!);
    execFileSync('sh', ['-c', `tar -xOf "${ova}" "${names[2]}" > "${vmdk}"`]);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', vmdk], { encoding: 'utf8' }));
    assert.equal(info.format, 'vmdk');
    assert.equal(info['format-specific'].data['create-type'], 'streamOptimized');
    assert.equal(info['virtual-size'], 64 << 20);

    // Round trip: the source goes, the appliance comes back and boots with the file written before.
    await ok('delete', 'exp-src');
    const back = (await ok('import', ova, '--json')).json.machines[0];
    assert.equal(back.name, 'exp-src');
    assert.deepEqual([back.memoryMiB, back.nics[0].model], [192, 'e1000']);
    await ok('start', 'exp-src', '--wait-serial', GUEST_DISK, '--timeout', '300');
    await send('exp-src', 'echo "got:$(cat /mnt/disk/before-export):e"', /got:exported-data-42:e/);
    await ok('stop', 'exp-src', '--force');
  });

  test('several VMs in one .ova import back as several VMs; VMware profile with SHA-1 and OVF 2.0', async () => {
    await newVm('multi-a');
    await newVm('multi-b', ['--os', 'linux-legacy']);
    const ova = join(out, 'multi.ova');
    const r = (await ok('export', 'multi-a', 'multi-b', '-o', ova, '--profile', 'vmware', '--manifest', 'sha1', '--ovf', '2.0', '--json')).json;
    assert.deepEqual(r.machines, ['multi-a', 'multi-b']);
    const names = members(ova);
    assert.deepEqual(names.slice(0, 2), ['multi.ovf', 'multi.mf']);
    assert.equal(names.length, 4);
    assert.match(member(ova, 'multi.mf').toString('utf8'), /^SHA1\(multi\.ovf\)= [0-9a-f]{40}$/m);
    const xml = member(ova, 'multi.ovf').toString('utf8');
    assert.match(xml, /VirtualSystemCollection/);
    assert.match(xml, /vmx-\d+/);
    assert.match(xml, /http:\/\/schemas\.dmtf\.org\/ovf\/envelope\/2/);
    for (const n of ['multi-a', 'multi-b']) await ok('delete', n);
    const back = (await ok('import', ova, '--json')).json.machines as { name: string; id: string }[];
    assert.deepEqual(back.map((m) => m.name), ['multi-a', 'multi-b']);
    await Promise.all(back.map((m) => ok('start', m.id, '--wait-serial', GUEST_READY, '--timeout', '400')));
    for (const m of back) {
      await ok('stop', m.id, '--force');
      await ok('delete', m.id);
    }
  });

  test('a snapshot exports as an .ovf folder; bad requests and a cancelled export leave nothing', async () => {
    await newVm('snap-src');
    await ok('snapshot', 'take', 'snap-src', '--name', 'golden');
    const folder = join(out, 'folder');
    mkdirSync(folder);
    const r = (await ok('export', 'snap-src', '-o', join(folder, 'golden.ovf'), '--snapshot', 'golden', '--profile', 'virtualbox', '--json')).json;
    assert.deepEqual(readdirSync(folder).sort(), ['golden.mf', 'golden.ovf', 'snap-src-disk1.vmdk']);
    for (const f of readdirSync(folder)) assert.equal(statSync(join(folder, f)).mode & 0o777, usualMode(), `${f}: the user's usual mode`);
    assert.deepEqual(r.files.map((f: string) => f.slice(folder.length + 1)).sort(), ['golden.mf', 'golden.ovf', 'snap-src-disk1.vmdk']);
    assert.match(readdirSync(folder).join(' '), /golden\.ovf/);
    const dry = (await ok('import', join(folder, 'golden.ovf'), '--dry-run', '--json')).json;
    assert.equal(dry.machines[0].name, 'snap-src (2)', 'the name is taken by the source: the import would number it');

    const before = readdirSync(out).sort();
    for (const [args, code, message] of [
      [['export', 'snap-src', '-o', join(out, 'exp-src.ova')], 1, /already exists/],
      [['export', 'snap-src', '-o', join(out, 'x.zip')], 2, /\.ova or \.ovf/],
      [['export', 'snap-src'], 2, /needs -o/],
      [['export', 'nope', '-o', join(out, 'x.ova')], 1, /no VM named/],
      [['export', 'snap-src', 'multi-a', '-o', join(out, 'x.ova'), '--snapshot', 'golden'], 2, /one VM/],
      [['export', 'snap-src', '-o', join(out, 'x.ova'), '--snapshot', 'nope'], 1, /no snapshot named/],
      [['export', 'snap-src', '-o', join(out, 'x.ova'), '--profile', 'hyperv'], 2, /--profile takes/],
      [['export', 'snap-src', '-o', join(out, 'nowhere', 'x.ova')], 1, /does not exist/],
    ] as [string[], number, RegExp][]) {
      const res = await h(...args);
      assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message, args.join(' '));
    }
    assert.deepEqual(readdirSync(out).sort(), before, 'refused exports wrote nothing');

    // Cancel: a disk of random data takes a while to compress into a streamOptimized VMDK.
    const raw = join(home, 'noise.raw');
    execFileSync('sh', ['-c', `head -c 400M /dev/urandom > "${raw}"`]);
    await ok('create', '--name', 'noisy', '--disk-image', raw, '--nic', 'none');
    const child = spawn(process.execPath, [cliPath, 'export', 'noisy', '-o', join(out, 'noisy.ova')], { env: { ...process.env, HANGAR_HOME: home } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((res) => child.on('close', (c) => res(c ?? -1)));
    await waitUntil('the export to start', async () => {
      const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; state: string }[];
      return tasks.some((t) => t.kind === 'appliance.export' && t.state === 'running') ? true : undefined;
    }, 60_000, 50);
    child.kill('SIGINT');
    assert.equal(await exited, 1, err);
    assert.match(err, /cancel/);
    assert.equal(existsSync(join(out, 'noisy.ova')), false);
    assert.deepEqual(readdirSync(out).sort(), before, 'no partial file or staging folder is left');
  });
});

// Disk images that name other files (issue 15, point 1). A qcow2 with an external data file, a qcow2
// based on a private file, and VMDK descriptors whose extents are other files would let the guest
// read (and, for a data file or a flat extent, write) any file the user can. `create --disk-image`
// and `modify --disk-image` refuse each with one line naming the file, exit 2, and change nothing:
// not the home, not the victim file. A protocol or json: name is refused even with --flatten.
// With --flatten, a user's own chain (an overlay on a base, a split VMDK) is copied into one new
// qcow2 that holds the same data and names no file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempHome, cliIn, type CliResult } from '../helpers/cli.node.js';

const MiB = 1 << 20;
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { encoding: 'utf8' });

describe('disk images that name other files', () => {
  const { home, cleanup } = tempHome('hangar-hostile-images-');
  const user = mkdtempSync(join(tmpdir(), 'hangar-hostile-images-user-'));
  const { h, ok } = cliIn(home);
  const victim = join(user, 'private', 'id_secret');
  const images = {
    dataFile: join(user, 'data-file.qcow2'),
    backing: join(user, 'backing.qcow2'),
    flatExtent: join(user, 'flat.vmdk'),
    sparseExtent: join(user, 'sparse-extent.vmdk'),
    jsonBacking: join(user, 'json-backing.qcow2'),
    nbdBacking: join(user, 'nbd-backing.qcow2'),
  };

  before(async () => {
    execFileSync('mkdir', ['-m', '700', join(user, 'private')]);
    writeFileSync(victim, Buffer.alloc(MiB, 'SECRET-KEY-MATERIAL\n'));
    chmodSync(victim, 0o600);
    // An external data file: made with a scratch file, then pointed at the victim (amend only
    // rewrites the name, so the victim is never touched while the attack image is built).
    qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${join(user, 'scratch.raw')},data_file_raw=on`, images.dataFile, '1M');
    qemuImg('amend', '-f', 'qcow2', '-o', `data_file=${victim}`, images.dataFile);
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', victim, '-F', 'raw', images.backing, '1M');
    writeFileSync(images.flatExtent, `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 2048 FLAT "${victim}" 0\n`);
    // A sparse extent elsewhere: a real hosted-sparse extent file (from a split VMDK), named by a
    // descriptor in another folder.
    const split = join(user, 'private', 'donor.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', split, '1M');
    writeFileSync(images.sparseExtent, `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\n\nRW 2048 SPARSE "${join(user, 'private', 'donor-s001.vmdk')}"\n`);
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', `json:${JSON.stringify({ driver: 'file', filename: victim })}`, '-F', 'raw', images.jsonBacking, '1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'nbd://127.0.0.1:1/export', '-F', 'raw', images.nbdBacking, '1M');
    await ok('create', '--name', 'target', '--disk', 'none', '--nic', 'none', '--memory', '128');
  });
  after(async () => {
    try {
      await cleanup();
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });

  const snapshot = async () => ({
    files: readdirSync(home, { recursive: true }).map(String).filter((f) => !f.endsWith('owner.log')).sort(),
    vms: (await ok('list', '--json')).json,
    target: (await ok('show', 'target', '--json')).json,
    victim: digest(victim),
  });
  const refused = (r: CliResult, what: string, message: RegExp) => {
    assert.equal(r.code, 2, `${what}: exit ${r.code}; stderr ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${what}: one line, not ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0]!, message, what);
  };

  test('create and modify refuse every image that names another file, saying which; nothing changes', async () => {
    const before = await snapshot();
    const cases: [string, string, RegExp][] = [
      ['a qcow2 with an external data file', images.dataFile, new RegExp(`reads data from other files: ${victim} \\(its external data file\\)`)],
      ['a qcow2 based on a private file', images.backing, new RegExp(`reads data from other files: ${victim} \\(its backing file\\)`)],
      ['a VMDK descriptor with a FLAT extent', images.flatExtent, new RegExp(`reads data from other files: ${victim} \\(a VMDK extent\\)`)],
      ['a VMDK descriptor with a SPARSE extent elsewhere', images.sparseExtent, /reads data from other files: .*donor-s001\.vmdk \(a VMDK extent\)/],
      ['a qcow2 based on a json: spec', images.jsonBacking, /names json:.* \(its backing file\), which is not a file on this computer/],
      ['a qcow2 based on an NBD export', images.nbdBacking, /names nbd:\/\/127\.0\.0\.1:1\/export \(its backing file\), which is not a file on this computer/],
    ];
    for (const [what, image, message] of cases) {
      refused(await h('create', '--name', 'intruder', '--nic', 'none', '--disk-image', image), `create: ${what}`, message);
      refused(await h('modify', 'target', '--disk-image', image), `modify: ${what}`, message);
    }
    // The CLI words its own remedy, and --json carries the issue as data for scripts.
    const r = await h('create', '--name', 'intruder', '--disk-image', images.backing, '--json');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /add --flatten$/m);
    const issue = r.json.error.issues[0];
    assert.equal(issue.path, 'disk.image');
    assert.equal(issue.code, 'IMAGE_READS_OTHER_FILES');
    assert.deepEqual(issue.data.references, [{ kind: 'backing file', target: victim }]);
    // A name that is not a file is never followed, not even to copy it.
    for (const image of [images.jsonBacking, images.nbdBacking]) {
      refused(await h('create', '--name', 'intruder', '--disk-image', image, '--flatten'), `--flatten ${image}`, /which is not a file on this computer: Hangar never follows such a name/);
    }
    assert.deepEqual(await snapshot(), before);
  });

  test('--flatten copies a user\'s own chain into one new image with the same data, naming no file', async () => {
    const base = join(user, 'base.qcow2');
    const overlay = join(user, 'overlay.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', base, '8M');
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 1M', base]);
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xa5 4M 1M', overlay]);
    const sums = { base: digest(base), overlay: digest(overlay) };
    const created = (await ok('create', '--name', 'flat', '--nic', 'none', '--memory', '128', '--disk-image', overlay, '--flatten', '--json')).json;
    const disk = created.disks[0];
    assert.ok(disk.path.startsWith(created.folder), `the copy is the VM's own: ${disk.path}`);
    assert.deepEqual(disk.chain, [disk.path], 'the copy names no other file');
    assert.equal(spawnSync('qemu-img', ['compare', '-q', overlay, disk.path]).status, 0, 'the copy holds what the chain holds');
    assert.deepEqual({ base: digest(base), overlay: digest(overlay) }, sums, 'the user\'s images are untouched');
    // A split VMDK (descriptor plus extent files beside it) is refused in place and copied with --flatten.
    const split = join(user, 'split.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', split, '4M');
    execFileSync('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x11 0 64k', split]);
    refused(await h('create', '--name', 'split', '--disk-image', split), 'split VMDK without --flatten', /split-s001\.vmdk \(a VMDK extent\)/);
    const fromSplit = (await ok('create', '--name', 'split', '--nic', 'none', '--disk-image', split, '--flatten', '--json')).json;
    assert.equal(spawnSync('qemu-img', ['compare', '-q', split, fromSplit.disks[0].path]).status, 0);
    // Flattening never reads a device or a FIFO, even when the chain names one.
    const fifo = join(user, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const onFifo = join(user, 'on-fifo.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', fifo, '-F', 'raw', onFifo, '1M');
    refused(await h('create', '--name', 'fifo', '--disk-image', onFifo, '--flatten'), 'a chain naming a FIFO', /fifo \(its backing file\) is not a regular file/);
    refused(await h('create', '--name', 'flat2', '--flatten'), '--flatten alone', /--flatten copies the image given with --disk-image/);
  });
});

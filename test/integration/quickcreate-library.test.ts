// The image library and quick create, without booting: the real CLI, owner, SQLite, qemu-img, xorriso,
// ssh-keygen and openssl on the Debian cloud image built by build-quickcreate.sh. Images are kept once,
// read-only, with their detected OS; a VM from a library image is an overlay made with one qemu-img call
// whatever the image's size (counted in the owner's log, not timed); the library refuses to let go of an
// image VMs are made from, naming them; bad input is one line, exit 2, and nothing is made.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { cliIn, tempHome } from '../helpers/cli.node.js';
import { quickCreateFixtures } from '../fixtures/quickcreate.node.js';

describe('image library and quick create (no boot)', () => {
  const { home, cleanup } = tempHome('hangar-qclib-');
  const { h, ok } = cliIn(home);
  const fx = quickCreateFixtures();
  const work = join(home, 'work');
  const ownerLog = () => (existsSync(join(home, 'owner.log')) ? readFileSync(join(home, 'owner.log'), 'utf8') : '');
  const vmDirs = () => (existsSync(join(home, 'VMs')) ? readdirSync(join(home, 'VMs')) : []);
  const libraryFiles = () => (existsSync(join(home, 'library')) ? readdirSync(join(home, 'library')) : []);
  /** qemu-img invocations the owner logged while `fn` ran */
  const qemuImgCalls = async (fn: () => Promise<unknown>) => {
    const before = ownerLog().length;
    await fn();
    return ownerLog()
      .slice(before)
      .split('\n')
      .map((l) => / qemu-img (\S+) (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[1] !== undefined && !/^(info|measure)$/.test(m[1]) && !/^ended \(/.test(m[2] ?? ''))
      .map((m) => `${m[1]} ${m[2]}`);
  };
  /** bytes a file takes on disk */
  const allocated = (path: string) => statSync(path).blocks * 512;

  before(() => {
    execFileSync('mkdir', ['-p', work]);
  });
  after(async () => {
    await cleanup();
  });

  test('a cloud image is kept once, read-only, with its detected OS; the same image again is refused', async () => {
    const r = await ok('image', 'add', fx.cloudImage, '--name', 'debian', '--json');
    const img = r.json;
    // CLI.md's fields (image list items), and more
    for (const k of ['id', 'name', 'path', 'format', 'virtualSizeBytes', 'osType', 'vms']) assert.ok(k in img, `field ${k}`);
    assert.equal(img.name, 'debian');
    assert.equal(img.format, 'qcow2');
    assert.equal(img.osType, 'linux');
    assert.equal(img.osName, 'Debian 12', 'detected from the image: its os-release, found in libosinfo\'s database');
    assert.equal(img.osinfoId, 'http://debian.org/debian/12');
    assert.ok(img.path.startsWith(join(home, 'library') + '/'));
    assert.equal(statSync(img.path).mode & 0o777, 0o400, 'read-only, private to the user');
    assert.equal(statSync(join(home, 'library')).mode & 0o777, 0o700);
    assert.equal(execFileSync('qemu-img', ['compare', '-U', fx.cloudImage, img.path]).toString().trim(), 'Images are identical.');

    const again = await h('image', 'add', fx.cloudImage, '--name', 'debian-again');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already, as 'debian'/);
    const sameName = await h('image', 'add', fx.media.debian, '--name', 'DEBIAN');
    assert.equal(sameName.code, 1);
    assert.match(sameName.stderr, /already has an image named 'debian'/);
    assert.equal(libraryFiles().length, 1, 'nothing else kept');
    const list = (await ok('image', 'list', '--json')).json;
    assert.deepEqual(list.images.map((i: { name: string }) => i.name), ['debian']);
  });

  test('a VM from a library image is an overlay made by one qemu-img call, whatever the image size; a second one too', async () => {
    // A much bigger image (512 GiB virtual) in the library: creation does the same work.
    const big = join(work, 'big.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, '512G']);
    await ok('image', 'add', big, '--name', 'big');

    const calls1 = await qemuImgCalls(() => ok('create', '--name', 'vm1', '--image', 'debian', '--disk', '4G', '--json'));
    const calls2 = await qemuImgCalls(() => ok('create', '--name', 'vm2', '--image', 'debian'));
    const calls3 = await qemuImgCalls(() => ok('create', '--name', 'vm3', '--image', 'big', '--disk', '600G'));
    for (const calls of [calls1, calls2, calls3]) {
      assert.equal(calls.length, 1, `one qemu-img call writes: ${calls.join(' | ')}`);
      assert.match(calls[0]!, /^create .*-f qcow2 .*-b \S+\/library\/\S+\.qcow2 -F qcow2/);
    }
    const vm1 = (await ok('show', 'vm1', '--json')).json;
    const vm3 = (await ok('show', 'vm3', '--json')).json;
    const lib = (await ok('image', 'list', '--json')).json.images as { name: string; path: string; vms: string[] }[];
    assert.deepEqual(vm1.disks[0].chain, [vm1.disks[0].path, lib.find((i) => i.name === 'debian')!.path]);
    assert.equal(vm1.disks[0].virtualSizeBytes, 4 * 2 ** 30, 'grown to the size asked');
    assert.equal(vm3.disks[0].virtualSizeBytes, 600 * 2 ** 30);
    assert.deepEqual(vm1.baseImage && vm1.baseImage.name, 'debian');
    assert.equal(vm1.linkedTo, null, 'a library image is not a clone source');
    // What the VM's folder got: a few hundred KiB for the overlay, a seed, keys; never the image.
    for (const vm of [vm1, vm3]) {
      assert.ok(allocated(vm.disks[0].path) < 1 << 20, `${vm.name}'s overlay takes ${allocated(vm.disks[0].path)} bytes`);
      const du = Number(execFileSync('du', ['-s', '-B1', vm.folder]).toString().split('\t')[0]);
      assert.ok(du < 4 << 20, `${vm.name}'s folder takes ${du} bytes`);
    }
    // The seed and the keys: private, in the VM's folder; the SSH forward on loopback.
    assert.equal(vm1.cloudInit.user.length > 0, true);
    assert.equal(vm1.cloudInit.hostname, 'vm1');
    assert.ok(vm1.cloudInit.sshPort > 0);
    assert.deepEqual(vm1.nics[0].forwards, [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: vm1.cloudInit.sshPort, guestPort: 22 }]);
    assert.notEqual((await ok('show', 'vm2', '--json')).json.cloudInit.sshPort, vm1.cloudInit.sshPort, 'each VM its own port');
    for (const f of ['ssh/id_ed25519', 'ssh/known_hosts', 'cloud-init/seed.iso']) assert.equal(statSync(join(vm1.folder, f)).mode & 0o077, 0, `${f} is private`);
    assert.equal(existsSync(join(vm1.folder, 'ssh', 'host_ed25519')), false, "the guest's private host key is only in its seed");
    assert.equal(vm1.state, 'stopped', 'nothing starts until asked');
    assert.deepEqual(lib.find((i) => i.name === 'debian')!.vms, ['vm1', 'vm2']);
  });

  test('an image VMs are made from cannot be removed (the VMs are named); it can once they are gone', async () => {
    const r = await h('image', 'remove', 'debian');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /image 'debian' cannot be removed: the VMs 'vm1', 'vm2' are made from it/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const lib = (await ok('image', 'list', '--json')).json.images as { name: string; path: string }[];
    const debianPath = lib.find((i) => i.name === 'debian')!.path;
    assert.ok(existsSync(debianPath));
    // Deleting one VM is not enough; a snapshot of the other still counts.
    await ok('delete', 'vm1');
    await ok('snapshot', 'take', 'vm2', '--name', 's1');
    const still = await h('image', 'remove', 'debian');
    assert.equal(still.code, 1);
    assert.match(still.stderr, /the VM 'vm2' is made from it/);
    // promote makes vm2 standalone (its disks take in the image's data): the image can go.
    await ok('delete', 'vm3');
    await ok('image', 'remove', 'big');
    await ok('promote', 'vm2');
    assert.equal((await ok('show', 'vm2', '--json')).json.baseImage, null);
    await ok('image', 'remove', 'debian');
    assert.equal(existsSync(debianPath), false);
    assert.deepEqual((await ok('image', 'list', '--json')).json.images, []);
    await ok('delete', 'vm2');
  });

  test('an ISO in the library: detected, in a new VM\'s drive, kept while a VM has it', async () => {
    const iso = (await ok('image', 'add', fx.media.debian, '--json')).json;
    assert.equal(iso.kind, 'iso');
    assert.equal(iso.name, 'debian-12-netinst');
    assert.equal(iso.osName, 'Debian 12');
    const vm = (await ok('create', '--name', 'from-iso', '--image', 'debian-12-netinst', '--json')).json;
    assert.deepEqual(vm.opticals.map((o: { path: string }) => o.path), [iso.path]);
    assert.equal(vm.osType, 'linux');
    // a library file given by path is refused: it is Hangar's
    const byPath = await h('create', '--name', 'x', '--iso', iso.path);
    assert.equal(byPath.code, 2);
    assert.match(byPath.stderr, /image library/);
    const r = await h('image', 'remove', iso.id);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /'from-iso' is made from it/);
    await ok('delete', 'from-iso');
    await ok('image', 'remove', iso.id);
  });

  test('an image that reads other files is refused, or flattened on request; a file image is added on the way', async () => {
    const base = join(work, 'base.qcow2');
    const top = join(work, 'top.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M']);
    execFileSync('qemu-io', ['-c', 'write -P 7 0 1M', base]);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', top]);
    const r = await h('image', 'add', top, '--json');
    assert.equal(r.code, 2);
    assert.equal(r.json.error.issues[0].code, 'IMAGE_READS_OTHER_FILES');
    assert.match(r.stderr, /reads data from other files: .*base\.qcow2 \(its backing file\): .*--flatten/);
    assert.deepEqual(libraryFiles(), []);
    const flat = (await ok('image', 'add', top, '--flatten', '--json')).json;
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', flat.path]).toString());
    assert.equal(info['backing-filename'], undefined, 'the kept image names no other file');
    // create --image FILE adds the file to the library first (named after it), then makes the overlay
    const plain = join(work, 'plain.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', plain, '32M']);
    const vm = (await ok('create', '--name', 'from-file', '--image', plain, '--json')).json;
    assert.equal(vm.baseImage.name, 'plain');
    // the same file again: the library has it already, so no second copy
    await ok('create', '--name', 'from-file-2', '--image', plain);
    assert.deepEqual(((await ok('image', 'list', '--json')).json.images as { name: string }[]).map((i) => i.name).sort(), ['plain', 'top']);
    await ok('delete', 'from-file');
    await ok('delete', 'from-file-2');
  });

  test("a card's network is kept: the SSH port goes on the first card that can forward one", async () => {
    // Networks are only defined here (nothing on the host changes until a VM on one starts).
    await ok('network', 'create', 'qc-lab', '--mode', 'nat', '--subnet', '10.91.0.0/24');
    await ok('network', 'create', 'qc-iso', '--mode', 'internal');
    const onInternal = (await ok('create', '--name', 'on-internal', '--image', 'top', '--nic', 'virtio,network=qc-iso', '--nic', 'e1000', '--json')).json;
    assert.equal(onInternal.nics[0].network, 'qc-iso');
    assert.deepEqual(onInternal.nics[0].forwards, [], 'an internal network cannot forward');
    assert.equal(onInternal.nics[1].network ?? null, null);
    assert.equal(onInternal.nics[1].model, 'e1000');
    assert.deepEqual(onInternal.nics[1].forwards, [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: onInternal.cloudInit.sshPort, guestPort: 22 }]);
    const onNat = (await ok('create', '--name', 'on-nat', '--image', 'top', '--nic', 'virtio,network=qc-lab', '--json')).json;
    assert.equal(onNat.nics[0].network, 'qc-lab');
    assert.deepEqual(onNat.nics[0].forwards, [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: onNat.cloudInit.sshPort, guestPort: 22 }]);
    await ok('delete', 'on-internal');
    await ok('delete', 'on-nat');
  });

  test('a clone of a cloud VM has its own key, known host, seed and SSH port, and keeps them when the source goes', async () => {
    const src = (await ok('create', '--name', 'cl-src', '--image', 'top', '--json')).json;
    const full = (await ok('clone', 'cl-src', '--name', 'cl-full', '--json')).json;
    const linked = (await ok('clone', 'cl-src', '--name', 'cl-linked', '--linked', '--json')).json;
    const ports = [src, full, linked].map((v) => v.cloudInit.sshPort as number);
    assert.equal(new Set(ports).size, 3, `each its own SSH port: ${ports.join(', ')}`);
    for (const vm of [full, linked]) {
      assert.equal(vm.cloudInit.user, src.cloudInit.user);
      assert.equal(vm.cloudInit.identityFile, join(vm.folder, 'ssh', 'id_ed25519'));
      assert.deepEqual(vm.nics[0].forwards, [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: vm.cloudInit.sshPort, guestPort: 22 }]);
      assert.ok(vm.opticals.some((o: { path: string | null }) => o.path === join(vm.folder, 'cloud-init', 'seed.iso')), 'the seed in its own folder, in a drive');
      for (const f of ['ssh/id_ed25519', 'ssh/known_hosts', 'cloud-init/seed.iso']) {
        assert.deepEqual(readFileSync(join(vm.folder, f)), readFileSync(join(src.folder, f)), `${f} is the source's`);
        assert.equal(statSync(join(vm.folder, f)).mode & 0o077, 0, `${f} is private`);
      }
    }
    await ok('delete', 'cl-linked');
    await ok('delete', 'cl-src');
    const after = (await ok('show', 'cl-full', '--json')).json;
    assert.ok(existsSync(after.cloudInit.identityFile), "the full clone's key outlives the source");
    await ok('delete', 'cl-full');
  });

  test('bad input: one line, exit 2, nothing made', async () => {
    const vmsBefore = vmDirs().length;
    const filesBefore = libraryFiles().length;
    const imagesBefore = (await ok('image', 'list', '--json')).json.images.length;
    const text = join(work, 'notes.qcow2');
    writeFileSync(text, 'this is not a disk image\n'.repeat(100));
    const pub = join(work, 'id_test.pub');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'id_test')]);
    const badKey = join(work, 'bad.pub');
    writeFileSync(badKey, 'ssh-ed25519 not-a-key me@here\n');
    const privKey = join(work, 'id_test');
    const yaml = join(work, 'bad.yaml');
    writeFileSync(yaml, '#cloud-config\nusers:\n  - name: x\n   groups: sudo\n');
    const notCloud = join(work, 'script.sh');
    writeFileSync(notCloud, '#!/bin/sh\necho hi\n');
    chmodSync(privKey, 0o600);
    const cases: [string[], RegExp][] = [
      [['image', 'add', text], /is not a disk image/],
      [['image', 'add', join(work, 'missing.qcow2')], /does not exist/],
      [['create', '--name', 'b1', '--image', text], /is not a disk image/],
      [['create', '--name', 'b2', '--image', 'no-such-image'], /no image named or with id 'no-such-image'/],
      [['create', '--name', 'b3', '--image', 'top', '--ssh-key', join(work, 'nope.pub')], /SSH key file .*nope\.pub does not exist/],
      [['create', '--name', 'b4', '--image', 'top', '--ssh-key', badKey], /is not a valid ssh-ed25519 key/],
      [['create', '--name', 'b5', '--image', 'top', '--ssh-key', privKey], /is a private key/],
      [['create', '--name', 'b6', '--image', 'top', '--password', 'secret'], /password needs the account|--password needs --user/],
      [['create', '--name', 'b7', '--image', 'top', '--user-data', yaml], /user-data is not valid YAML: line 4/],
      [['create', '--name', 'b8', '--image', 'top', '--user-data', notCloud], /is a script, not cloud-config/],
      [['create', '--name', 'b9', '--image', 'top', '--user', 'Root!'], /Linux account name/],
      [['create', '--name', 'b10', '--image', 'top', '--user', 'root'], /an account the system has already/],
      [['create', '--name', 'b11', '--image', 'top', '--hostname', 'bad_host'], /hostname must be/],
      [['create', '--name', 'b12', '--image', 'top', '--disk', '1M'], /cannot be smaller than the image/],
      [['create', '--name', 'b13', '--user', 'alice'], /--user is for a VM made from a cloud image/],
      [['create', '--name', 'b14', '--image', 'top', '--user-data', join(work, 'nope.yaml')], /--user-data: cannot read/],
      [['create', '--name', 'b15', '--image', 'top', '--nic', 'none'], /needs a network card/],
      [['create', '--name', 'b16', '--image', 'top', '--nic', 'virtio,network=no-such-net'], /no network named or with id 'no-such-net'/],
      [['create', '--name', 'b17', '--image', 'top', '--nic', 'virtio,network=qc-iso'], /needs a card that can forward a port/],
    ];
    for (const [args, message] of cases) {
      const r = await h(...args);
      assert.equal(r.code, 2, `hangar ${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
      assert.match(r.stderr, message, `hangar ${args.join(' ')}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    // the password refusal carries its code for the interface
    const coded = await h('create', '--name', 'b6', '--image', 'top', '--password', 'secret', '--json');
    assert.equal(coded.json.error.issues[0].path, 'cloudInit.password');
    assert.equal(coded.json.error.issues[0].code, 'PASSWORD_NEEDS_USER');
    assert.equal(vmDirs().length, vmsBefore, 'no VM folder left');
    assert.equal(libraryFiles().length, filesBefore, 'no library file left');
    assert.equal((await ok('image', 'list', '--json')).json.images.length, imagesBefore);
    assert.deepEqual((await ok('list', '--json')).json.vms, []);
    void pub;
  });
});

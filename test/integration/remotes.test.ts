// Remotes (issue 22), for real: Debian's libvirtd started by the test with its own configuration and
// state (test/helpers/libvirtd.node.ts), reached as qemu:///system?socket=… and as qemu+ssh:// through
// an sshd of the test's own on 127.0.0.1. One busybox test guest is a libvirt domain on that daemon:
// list, start, its serial console, a snapshot with the running state and a revert checked inside the
// guest, ACPI stop; a dropped connection (the daemon killed and started again); bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempHome, waitUntil, type CliResult } from '../helpers/cli.node.js';
import { guestShell } from '../helpers/guestShell.node.js';
import { startLibvirtd, testDomainXml, type LibvirtDaemon } from '../helpers/libvirtd.node.js';
import { startSshd, type TestSshd } from '../helpers/sshd.node.js';
import { fixturesDir } from '../helpers/paths.js';

const DOMAIN = 'rg';

describe('remotes: libvirt hosts through virsh', () => {
  const { home, cleanup } = tempHome('hangar-remotes-');
  let lv: LibvirtDaemon;
  let sshd: TestSshd;
  const h = (...args: string[]) => runCli(home, args, { timeoutMs: 240_000 });
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return r;
  };
  const refused = (r: CliResult, code: number, message: RegExp) => {
    assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  };
  const sh = guestShell(home);
  const remoteState = async (name: string) => ((await ok('remote', 'list', '--json')).json.remotes as { name: string; state: string }[]).find((r) => r.name === name)?.state;

  before(async () => {
    lv = await startLibvirtd();
    sshd = await startSshd();
    const disk = join(lv.poolDir, `${DOMAIN}.qcow2`);
    copyFileSync(join(fixturesDir, 'test-disk.qcow2'), disk);
    await lv.virsh(['pool-refresh', lv.pool]);
    const xml = join(lv.dir, 'rg.xml');
    (await import('node:fs')).writeFileSync(xml, testDomainXml(DOMAIN, disk));
    await lv.virsh(['define', xml]);
  });
  after(async () => {
    await cleanup();
    await sshd?.stop();
    await lv?.stop();
  });

  test('bad input: unknown scheme, unreachable host, a taken name: one line, nothing saved', async () => {
    refused(await h('remote', 'add', 'x', 'vbox://host/system'), 2, /unknown URI scheme 'vbox'/);
    refused(await h('remote', 'add', 'bad name', lv.uri), 2, /remote name/);
    refused(await h('remote', 'add', 'x', 'qemu+tcp://127.0.0.1:1/system'), 1, /cannot connect to qemu\+tcp:\/\/127\.0\.0\.1:1\/system/);
    assert.deepEqual((await ok('remote', 'list', '--json')).json.remotes, []);
  });

  test('add over the unix socket and over ssh: connected, with libvirt\'s version', async () => {
    const added = (await ok('remote', 'add', 'lab', lv.uri, '--json')).json;
    assert.equal(added.state, 'connected');
    assert.match(added.libvirtVersion, /^\d+\.\d+\.\d+$/);
    refused(await h('remote', 'add', 'LAB', lv.uri), 1, /exists already/);
    const sshUri = `qemu+ssh://root@127.0.0.1:${sshd.port}/system?socket=${lv.socket}&command=${sshd.command}`;
    const viaSsh = (await ok('remote', 'add', 'far', sshUri, '--json')).json;
    assert.equal(viaSsh.state, 'connected');
    assert.equal(viaSsh.libvirtVersion, added.libvirtVersion);
    const listed = (await ok('remote', 'list', '--json')).json.remotes.map((r: { name: string }) => r.name);
    assert.deepEqual(listed, ['lab', 'far']);
  });

  test('list, start, serial console, snapshot take and revert checked inside the guest, ACPI stop', async () => {
    const domains = (await ok('list', '--remote', 'lab', '--json')).json.domains;
    assert.deepEqual(domains.map((d: { name: string; state: string }) => [d.name, d.state]), [[DOMAIN, 'shut off']]);
    assert.equal((await ok('start', `lab/${DOMAIN}`, '--json')).json.state, 'running');
    // the console was attached as the domain started: the guest's boot marker is in it
    await waitUntil('the guest to boot', async () => (/TESTGUEST READY/.test((await ok('serial', `lab/${DOMAIN}`)).stdout) ? true : undefined), 120_000, 1000);
    assert.equal((await sh(`lab/${DOMAIN}`, 'echo before > /tmp/mark; cat /tmp/mark')).output.trim(), 'before');
    // the snapshot holds the running state (memory included, so /tmp in RAM too)
    const snap = (await ok('snapshot', 'take', `lab/${DOMAIN}`, '--name', 'one', '--json')).json;
    assert.equal(snap.name, 'one');
    assert.equal(snap.state, 'running');
    // through ssh: the same domain, its snapshots, its console
    const list = (await ok('snapshot', 'list', `far/${DOMAIN}`, '--json')).json.snapshots;
    assert.deepEqual(list.map((s: { name: string; current: boolean }) => [s.name, s.current]), [['one', true]]);
    assert.equal((await sh(`far/${DOMAIN}`, 'echo after > /tmp/mark; cat /tmp/mark')).output.trim(), 'after');
    assert.equal((await ok('snapshot', 'restore', `far/${DOMAIN}`, 'one', '--json')).json.state, 'running');
    // typed at once after the revert, on the remote that reverted: the keys reach the reverted guest
    assert.equal((await sh(`far/${DOMAIN}`, 'cat /tmp/mark')).output.trim(), 'before');
    assert.equal((await sh(`lab/${DOMAIN}`, 'cat /tmp/mark')).output.trim(), 'before');
    // ACPI: the guest powers off, and the lifecycle event ends the wait
    assert.equal((await ok('stop', `far/${DOMAIN}`, '--json')).json.state, 'shut off');
    assert.equal((await lv.virsh(['domstate', DOMAIN])).trim(), 'shut off');
    await ok('snapshot', 'take', `lab/${DOMAIN}`, '--name', 'two');
    const tree = (await ok('snapshot', 'list', `lab/${DOMAIN}`)).stdout;
    assert.match(tree, /^one .*\n {2}two {2}\(shutoff.*<- current/m);
    await ok('snapshot', 'delete', `lab/${DOMAIN}`, 'two');
    assert.deepEqual((await ok('snapshot', 'list', `lab/${DOMAIN}`, '--json')).json.snapshots.map((x: { name: string }) => x.name), ['one']);
    // forced off, pause and resume
    await ok('start', `lab/${DOMAIN}`);
    assert.equal((await ok('pause', `lab/${DOMAIN}`, '--json')).json.state, 'paused');
    assert.equal((await ok('resume', `lab/${DOMAIN}`, '--json')).json.state, 'running');
    assert.equal((await ok('stop', `lab/${DOMAIN}`, '--force', '--json')).json.state, 'shut off');
  });

  test('send a Hangar VM with two snapshots to the host, boot it there, fetch it back and boot it again', async () => {
    const copy = join(lv.dir, 'ship-src.qcow2');
    copyFileSync(join(fixturesDir, 'test-disk.qcow2'), copy);
    const vm = (await ok('create', '--name', 'shipme', '--disk-image', copy, '--memory', '256', '--nic', 'virtio', '--accel', 'tcg', '--json')).json;
    const mac = vm.nics[0].mac as string;
    await ok('snapshot', 'take', 'shipme', '--name', 'first');
    await ok('snapshot', 'take', 'shipme', '--name', 'second');
    // data written after both snapshots, so it is only in the top image of the disk's chain: the last
    // 4 KiB of the disk become 'Z's (outside the boot partition's files)
    const top = (await ok('show', 'shipme', '--json')).json.disks[0];
    assert.equal(top.chain.length, 3, `a chain of three images: ${JSON.stringify(top.chain)}`);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x5a ${64 * 1024 * 1024 - 4096} 4096`, top.path]);
    const readMark = `dd if=/dev/vda bs=512 skip=131064 count=8 2>/dev/null | tr -d Z | wc -c`;

    // a pool too small: one line, nothing on the host
    refused(await h('send', 'shipme', '--to', 'lab', '--pool', lv.tinyPool), 1, /pool 'hangar-tiny' on remote 'lab' has \d+ bytes free/);
    assert.doesNotMatch(await lv.virsh(['vol-list', lv.tinyPool]), /shipme/);
    assert.doesNotMatch(await lv.virsh(['list', '--all', '--name']), /shipme/);

    const sent = (await ok('send', 'shipme', '--to', 'lab', '--pool', lv.pool, '--json')).json;
    assert.equal(sent.domain, 'shipme');
    assert.equal(sent.volumes.length, 1);
    assert.match(sent.volumes[0].sha256, /^[0-9a-f]{64}$/);
    const xml = await lv.virsh(['dumpxml', 'shipme']);
    assert.match(xml, new RegExp(`<mac address='${mac}'/>`));
    assert.match(xml, /<model type='virtio'\/>/);
    // libvirt keeps the firmware's retry after a boot that found nothing, as Hangar starts the VM
    assert.match(xml, /<bios rebootTimeout='5000'\/>/);
    // the original stays, with its snapshots
    assert.equal((await ok('snapshot', 'list', 'shipme', '--json')).json.snapshots.length, 2);
    // the name is taken on the host now: one line, nothing changes there
    const volsBefore = await lv.virsh(['vol-list', lv.pool]);
    assert.match(volsBefore, /shipme-disk0\.qcow2/);
    refused(await h('send', 'shipme', '--to', 'lab', '--pool', lv.pool), 1, /a domain named 'shipme' exists on remote 'lab'/);
    assert.equal(await lv.virsh(['vol-list', lv.pool]), volsBefore);

    // it boots there, with the data written here
    await ok('start', 'lab/shipme');
    await waitUntil('the sent VM to boot on the host', async () => (/TESTGUEST READY/.test((await ok('serial', 'lab/shipme')).stdout) ? true : undefined), 120_000, 1000);
    assert.equal((await sh('lab/shipme', readMark)).output.trim(), '0');
    await ok('stop', 'lab/shipme', '--force');

    // and back: a new Hangar VM (a MAC of its own, since shipme still has the host's), booting with the data
    refused(await h('fetch', 'lab/shipme'), 1, /a VM named 'shipme' already exists/);
    const back = (await ok('fetch', 'lab/shipme', '--name', 'back', '--json')).json;
    const shown = (await ok('show', 'back', '--json')).json;
    assert.equal(shown.id, back.id);
    assert.equal(shown.disks.length, 1);
    assert.notEqual(shown.nics[0].mac, mac);
    assert.match(await lv.virsh(['list', '--all', '--name']), /shipme/);
    await ok('modify', 'back', '--accel', 'tcg');
    await ok('start', 'back', '--wait-serial', 'TESTGUEST READY', '--timeout', '120');
    assert.equal((await sh('back', readMark)).output.trim(), '0');
    await ok('stop', 'back', '--force');
  });

  test('a dropped connection: disconnected, then connected again; nothing local is affected', async () => {
    await lv.kill();
    await waitUntil('the remote to show disconnected', async () => ((await remoteState('lab')) === 'disconnected' ? true : undefined), 30_000, 300);
    const line = (await ok('remote', 'list')).stdout.split('\n').find((l) => l.startsWith('lab '));
    assert.match(line ?? '', /disconnected/);
    refused(await h('start', `lab/${DOMAIN}`), 1, /remote 'lab' is disconnected/);
    assert.deepEqual((await ok('list', '--json')).json.vms.map((v: { name: string; state: string }) => [v.name, v.state]).sort(), [['back', 'stopped'], ['shipme', 'stopped']]);
    await lv.restart();
    await waitUntil('the remote to reconnect', async () => ((await remoteState('lab')) === 'connected' && (await remoteState('far')) === 'connected' ? true : undefined), 60_000, 500);
    assert.equal((await ok('list', '--remote', 'lab', '--json')).json.domains[0].name, DOMAIN);
  });

  test('bad references: an unknown remote, a domain that does not exist; remove leaves the host alone', async () => {
    refused(await h('start', 'lab/nosuch'), 1, /nosuch/);
    refused(await h('list', '--remote', 'nosuch'), 1, /no remote named 'nosuch'/);
    await ok('remote', 'remove', 'far');
    assert.deepEqual((await ok('remote', 'list', '--json')).json.remotes.map((r: { name: string }) => r.name), ['lab']);
    assert.ok(existsSync(join(lv.poolDir, `${DOMAIN}.qcow2`)));
    assert.match(await lv.virsh(['list', '--all', '--name']), new RegExp(DOMAIN));
  });
});

// OS detection and unattended installation, for real: `hangar detect` on installer ISOs made with the
// identifiers and layout of real media (checked against libosinfo's own osinfo-detect), on the project's
// tiny guest ISO (unknown) and on the Debian cloud image (its os-release); then Debian's netboot installer
// started with the answer file libosinfo's install script makes, in its initrd, observed on the serial
// console passing its first screens (language, keyboard, network, hostname, mirror) without input, as a
// task with progress; the archive is out of reach, and the task names the question the installer then waits at.
// The end of an installation (powered off after the finishing screen: media ejected) with the tiny guest
// standing in for the installer. A complete installation is in the benchmarks (it takes the better part of an hour
// under TCG). The owner and its VM run in a network namespace of the test's own, so the installer's
// look at the archive mirror goes nowhere: no test traffic leaves this machine.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome, waitUntil } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { repoRoot, fixturesDir } from '../helpers/paths.js';
import { quickCreateFixtures } from '../fixtures/quickcreate.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

/** Console text without terminal codes, runs of blanks squeezed. */
const plain = (s: string) =>
  s
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/\s+/g, ' ');

describe('OS detection and unattended installation', () => {
  const { home, cleanup } = tempHome('hangar-qcinst-');
  const ns = TestNetns.create('hgqcinst');
  const { h, ok } = ns.cli(home);
  const fx = quickCreateFixtures();

  after(async () => {
    await h('shutdown', '--force');
    await ns.destroy();
    await cleanup();
  });

  test("the fixtures are cached by their inputs: a second build does nothing", () => {
    const r = spawnSync('bash', [join(repoRoot, 'test', 'fixtures', 'build-quickcreate.sh')], { encoding: 'utf8', env: { ...process.env, HANGAR_FIXTURES: fixturesDir } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /cloud image is fresh/);
    assert.match(r.stdout, /media are fresh/);
  });

  test('detect names the installer ISOs as libosinfo does, maps them to OS types, and says unknown for the tiny guest', async () => {
    const expected: [string, { osType: string; osinfoId: string; name: string; version: string; unattended: boolean }, string][] = [
      [fx.media.debian, { osType: 'linux', osinfoId: 'http://debian.org/debian/12', name: 'Debian 12', version: '12', unattended: true }, 'Debian 12'],
      [fx.media.ubuntu, { osType: 'linux', osinfoId: 'http://ubuntu.com/ubuntu/22.04', name: 'Ubuntu 22.04 LTS', version: '22.04', unattended: true }, 'Ubuntu 22.04 LTS'],
      [fx.media.fedora, { osType: 'linux', osinfoId: 'http://fedoraproject.org/fedora/37', name: 'Fedora Linux 37', version: '37', unattended: true }, 'Fedora Server 37'],
      [fx.media.windows11, { osType: 'windows11', osinfoId: 'http://microsoft.com/win/11', name: 'Microsoft Windows 11', version: '11.0', unattended: false }, 'Microsoft Windows 11'],
    ];
    for (const [file, want, toolName] of expected) {
      const r = await ok('detect', file, '--json');
      assert.deepEqual({ osType: r.json.osType, osinfoId: r.json.osinfoId, name: r.json.name, version: r.json.version, unattended: r.json.unattended }, want, file);
      // libosinfo's own tool, on the same database and supplement, agrees
      const tool = execFileSync('osinfo-detect', [file], { encoding: 'utf8', env: { ...process.env, OSINFO_USER_DIR: join(repoRoot, 'resources', 'osinfo') } });
      assert.match(tool, new RegExp(`installer for OS '${toolName} \\(x86_64\\)'`), tool);
    }
    assert.match((await ok('detect', fx.media.windows11, '--json')).json.unattendedUnavailable, /no install script for Microsoft Windows 11/);
    const tiny = await ok('detect', fixtureGuest().iso, '--json');
    assert.equal(tiny.json, 'unknown');
    assert.match((await ok('detect', fixtureGuest().iso)).stdout, /^unknown: libosinfo's database does not know this media/);
    const disk = await ok('detect', fx.cloudImage, '--json');
    assert.deepEqual([disk.json.osType, disk.json.osinfoId, disk.json.name, disk.json.unattended], ['linux', 'http://debian.org/debian/12', 'Debian 12', false]);
    const bad = await h('detect', '/etc/hostname');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a disk image/);
  });

  test('unattended installation is refused in one line for media it is not available for; nothing is made', async () => {
    const cases: [string[], RegExp][] = [
      [['--iso', fixtureGuest().iso, '--user', 'alice', '--password', 'x'], /unattended installation is not available for .*test\.iso: libosinfo's database does not know this media: create the VM without --unattended/],
      [['--iso', fx.media.windows11, '--user', 'alice', '--password', 'x'], /unattended installation is not available for .*windows-11\.iso: libosinfo has no install script for Microsoft Windows 11/],
      [['--iso', fx.media.debian, '--user', 'alice'], /--unattended needs --user USER and --password PASSWORD/],
      [['--iso', fx.media.debian, '--password', 'x'], /--password needs --user/],
      [['--iso', fx.media.debian, '--user', 'alice', '--password', 'x', '--timezone', 'Not a zone'], /timezone must be a zone/],
      [['--user', 'alice', '--password', 'x'], /--unattended installs from installer media/],
    ];
    for (const [args, message] of cases) {
      const r = await h('create', '--name', 'nope', '--unattended', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    assert.deepEqual((await ok('list', '--json')).json.vms, []);
    assert.deepEqual(existsSync(join(home, 'VMs')) ? readdirSync(join(home, 'VMs')) : [], []);
  });

  test("Debian's netboot installer starts with the generated answer file and passes its first screens without input", async () => {
    const vm = (await ok('create', '--name', 'deb', '--iso', fx.media.debian, '--unattended', '--user', 'alice', '--password', 'pass word 1', '--hostname', 'deb-inst', '--timezone', 'Europe/Paris', '--disk', '8G', '--json')).json;
    assert.equal(vm.install.osName, 'Debian 12');
    assert.equal(vm.boot.kernel, join(vm.folder, 'install', 'vmlinuz'));
    assert.match(vm.boot.append, /^keyboard-configuration\/xkb-keymap=us debconf\/priority=critical console=ttyS0/);
    assert.deepEqual(vm.opticals.map((o: { path: string }) => o.path), [fx.media.debian]);
    // The answer file is in the installer's initrd (an appended archive): libosinfo's preseed with Hangar's end.
    const initrd = execFileSync('sh', ['-c', 'zcat "$1" | tail -c 65536 | strings', 'sh', vm.boot.initrd], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.match(initrd, /preseed\.cfg/);
    assert.match(initrd, /d-i netcfg\/get_hostname string deb-inst/);
    assert.match(initrd, /d-i time\/zone select Europe\/Paris/);
    assert.match(initrd, /d-i passwd\/user-fullname string alice/);
    assert.match(initrd, /d-i debian-installer\/exit\/poweroff boolean true/);
    assert.equal(statMode(vm.boot.initrd), 0o600, 'the initrd holds a password: private');
    assert.ok(!readFileSync(join(home, 'owner.log'), 'utf8').includes('pass word 1'), 'the password is in no log');

    await ok('start', 'deb');
    const serial = async () => plain((await ok('serial', 'deb')).stdout);
    // The screens the answer file answers come and go by themselves: the locale, country and keyboard
    // (asked before the network without an answer file), network detection and DHCP, the hostname and
    // domain, the mirror; the installer then checks the mirror.
    const seen = await waitUntil('the installer checking the archive mirror', async () => ((await serial()).includes('Checking the Debian archive mirror') ? serial() : undefined), 1_500_000, 5000);
    for (const screen of ['Detecting network hardware', 'Configuring the network with DHCP', 'Checking the Debian archive mirror']) assert.ok(seen.includes(screen), `saw '${screen}'`);
    const beforeMirror = seen.slice(0, seen.indexOf('Checking the Debian archive mirror'));
    // A question d-i asks has a priority mark in its title ([!!] high, [!] medium, [.] low): none came.
    assert.doesNotMatch(beforeMirror, /\[!!?\]|\[\.\] /, 'no question was asked');
    // The installation is a task with progress and a phase.
    const task = await waitUntil('the installation task', async () => {
      const t = (await ok('tasks', '--json')).json.tasks.find((x: { kind: string; state: string }) => x.kind === 'vm.install' && x.state === 'running');
      return t && t.progress > 0 ? t : undefined;
    });
    assert.equal(task.vm, 'deb');
    assert.match(task.phase, /configuring the network|detecting hardware|checking the archive mirror|waiting at a question/);
    // No archive answers in the namespace: the installer stops at a question (the mirror), and the task
    // says so, naming the question it shows, instead of showing progress while nothing goes on.
    const waiting = await waitUntil(
      "the task naming the installer's question",
      async () => {
        const t = (await ok('tasks', '--json')).json.tasks.find((x: { kind: string; state: string }) => x.kind === 'vm.install' && x.state === 'running');
        return t && /^waiting at a question of the installer/.test(t.phase) ? t : undefined;
      },
      900_000,
      5000,
    );
    const question = /^waiting at a question of the installer \(answer it on the console\): ([^:]+)/.exec(waiting.phase)![1]!;
    assert.ok((await serial()).includes(`] ${question}`), `the console shows the question '${question}'`);
    assert.match(readFileSync(join(home, 'owner.log'), 'utf8'), /the installer shows a question and waits/);

    // Stopped before it finished: the task says so, the media and installer stay for the next start.
    await ok('stop', 'deb', '--force');
    const failed = await waitUntil('the installation task to end', async () => (await ok('tasks', '--json')).json.tasks.find((x: { kind: string; state: string }) => x.kind === 'vm.install' && x.state !== 'running'));
    assert.equal(failed.state, 'failed');
    assert.match(failed.error, /ended before it finished .*the media stays in/);
    const after = (await ok('show', 'deb', '--json')).json;
    assert.ok(after.install);
    assert.deepEqual(after.opticals.map((o: { path: string }) => o.path), [fx.media.debian]);
  });

  test('when the installer has finished and powered the machine off, the task succeeds and the media is ejected', async () => {
    // The end of an installation, for real but short: a VM made for Debian's unattended installation
    // whose installer is stood in for by the tiny test guest (its kernel and initramfs in the installer's
    // place), which shows the installer's last screen and powers off as debian-installer does.
    const vm = (await ok('create', '--name', 'fin', '--iso', fx.media.debian, '--unattended', '--user', 'alice', '--password', 'x', '--disk', '1G', '--json')).json;
    copyFileSync(fixtureGuest().kernel, vm.boot.kernel);
    copyFileSync(fixtureGuest().initrd, vm.boot.initrd);
    await ok('start', 'fin', '--wait-serial', 'testguest#', '--timeout', '600');
    await ok('send', 'fin', 'echo Finishing the installation; sleep 1; poweroff -f');
    const task = await waitUntil(
      'the installation task to end',
      async () => (await ok('tasks', '--json')).json.tasks.find((x: { kind: string; vm: string; state: string }) => x.kind === 'vm.install' && x.vm === 'fin' && x.state !== 'running'),
      300_000,
    );
    assert.equal(task.state, 'succeeded', task.error);
    assert.equal(task.phase, 'ejecting the installer media');
    const after = (await ok('show', 'fin', '--json')).json;
    assert.equal(after.install, null, 'the installation is done');
    assert.equal(after.boot.kernel ?? null, null);
    assert.deepEqual(after.opticals.map((o: { path: string | null }) => o.path), [null], 'the installer media is ejected');
    assert.ok(!existsSync(join(vm.folder, 'install')), "the installer's kernel and initrd (with the answer file) are gone");
    assert.match(readFileSync(join(home, 'owner.log'), 'utf8'), /installation finished: media ejected/);
  });
});

function statMode(path: string): number {
  return statSync(path).mode & 0o777;
}

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { debianQuestion, finishAnswerFile, InstallerProgress, installerCommandLine, plainConsoleText } from '../../../../src-main/quickcreate/installers.js';
import { defaultUser, hostnameFor } from '../../../../src-main/quickcreate/names.js';
import { libraryNameProblem, suggestedLibraryName } from '../../../../src-main/library/names.js';

describe('unattended installers', () => {
  test('the answer file powers the machine off at the end instead of rebooting', () => {
    assert.match(finishAnswerFile('preseed', 'd-i foo/bar string x'), /\nd-i debian-installer\/exit\/poweroff boolean true\n$/);
    assert.match(finishAnswerFile('preseed', 'ubiquity ubiquity/success_command string x\n', { distro: 'ubuntu' }), /ubiquity ubiquity\/poweroff boolean true\n$/);
    const debian = finishAnswerFile('preseed', 'd-i foo/bar string x\n', { distro: 'debian', codename: 'bookworm' });
    assert.match(debian, /\nd-i mirror\/suite string bookworm\n/);
    assert.match(debian, /\nd-i mirror\/http\/hostname string deb\.debian\.org\n/);
    assert.doesNotMatch(finishAnswerFile('preseed', 'd-i mirror/http/hostname string my.mirror\n', { distro: 'debian', codename: 'bookworm' }), /deb\.debian\.org/);
    const ks = finishAnswerFile('kickstart', 'lang en_US\nreboot\n%packages\n%end\n');
    assert.match(ks, /^lang en_US\npoweroff\n%packages/);
    assert.match(finishAnswerFile('kickstart', 'lang en_US\n'), /\npoweroff\n$/);
  });

  test("the command line is the one libosinfo's script templates give, with the serial console", () => {
    const s = { language: 'en_US', keyboard: 'us', hostname: 'h', version: '12', distro: 'debian' };
    assert.equal(installerCommandLine('preseed', 'preseed.cfg', s), 'keyboard-configuration/xkb-keymap=us debconf/priority=critical console=ttyS0,115200n8');
    assert.match(installerCommandLine('kickstart', 'fedora.ks', { ...s, distro: 'fedora', version: '37' }), /^inst\.ks=file:\/fedora\.ks inst\.text console=ttyS0/);
    assert.match(installerCommandLine('kickstart', 'fedora.ks', { ...s, distro: 'fedora', version: '30' }), /^ks=file:\/fedora\.ks/);
    assert.match(installerCommandLine('preseed', 'preseed.cfg', { ...s, distro: 'ubuntu' }), /^file=\/preseed\.cfg .* automatic-ubiquity /);
  });

  test("progress follows the installer's screens on the serial console, through terminal codes and split chunks", () => {
    const p = new InstallerProgress('preseed');
    assert.equal(plainConsoleText('\x1b[1;1H\x1b[0;37;44mLoading\x1b(B additional'), '  Loading additional');
    assert.equal(p.push('\x1b[2J\x1b[10;4HDetecting netw'), undefined);
    assert.equal(p.push('ork hardware\x1b[0m')?.phase, 'detecting hardware');
    assert.equal(p.push('Installing the base system')?.fraction, 0.25);
    // going back (a screen seen again) does not move progress back
    assert.equal(p.push('Configuring the network'), undefined);
    assert.equal(p.current?.text, 'Installing the base system');
    assert.equal(p.finished, false);
    p.push('Finishing the installation');
    assert.equal(p.finished, true);
  });

  test("the netboot installer's order: the network, the mirror, then its components from the mirror", () => {
    const p = new InstallerProgress('preseed');
    assert.equal(p.push('Configuring the network with DHCP')?.phase, 'configuring the network');
    assert.equal(p.push('Checking the Debian archive mirror')?.phase, 'checking the archive mirror');
    const loading = p.push('Loading additional components');
    assert.equal(loading?.phase, 'loading the installer');
    assert.ok(loading.fraction > 0.06);
  });

  // What debian-installer 12 (netboot, newt in GNU screen on ttyS0) drew when the archive answered 404
  // for its first component (a benchmark run's serial log, unchanged).
  const DOWNLOAD_FAILED =
    '                              \u001b[24;79H \b\u001b[4h \u001b[4l\u001b[2;1H\u001b[5;3H\u001b[0m\u001b(0\u001b[30m\u001b[47mlqqqqqqqqqqqqqqqqqu\u001b[0m\u001b(B\u001b[30m\u001b[47m \u001b[31m[!!] Download installer components\u001b[30m \u001b(0tqqqqqqqqqqqqqqqqqqk\u001b[6;3Hx\u001b[0m\u001b(B\u001b[30m\u001b[47m                                                                         \u001b(0x\u001b[0m\u001b(B\u001b[1m\u001b[37m\u001b[40m \u001b[7;3H\u001b[0m\u001b(0\u001b[30m\u001b[47mx\u001b[0m\u001b(B\u001b[30m\u001b[47m The installer failed to download a file from the mirror. This may be    \u001b(0x\u001b[0m\u001b(B\u001b[1m\u001b[37m\u001b[40m \u001b[8;3H\u001b[0m\u001b(0\u001b[30m\u001b[47mx\u001b[0m\u001b(B\u001b[30m\u001b[47m a problem with your network, or with the mirror. You can choose to      \u001b(0x\u001b[0m\u001b(B\u001b[1m\u001b[37m\u001b[40m \u001b[9;3H\u001b[0m\u001b(0\u001b[30m\u001b[47mx\u001b[0m\u001b(B\u001b[30m\u001b[47m retry the download, select a different mirror, or cancel and choose     \u001b(0x\u001b[0m\u001b(B\u001b[1m\u001b[37m\u001b[40m \u001b[10;3H\u001b[0m\u001b(0\u001b[30m\u001b[47mx\u001b[0m\u001b(B\u001b[30m\u001b[47m another installation method.                       ';

  test('a question the installer shows (and waits at) is read from the console: its title and first sentence', () => {
    const p = new InstallerProgress('preseed');
    p.push('Loading additional components Retrieving apt-mirror-setup');
    assert.equal(p.question, undefined);
    // split anywhere, as the console's chunks come
    p.push(DOWNLOAD_FAILED.slice(0, 400));
    p.push(DOWNLOAD_FAILED.slice(400));
    assert.equal(p.question, 'Download installer components: The installer failed to download a file from the mirror.');
    assert.equal(p.current?.text, 'Loading additional components', 'a question does not move progress');
    // the installer goes on (answered on the console): the next screen clears it
    p.push('Installing the base system');
    assert.equal(p.question, undefined);
    // a chunk that ends inside an escape sequence: its tail is not read as the title's text
    const q = new InstallerProgress('preseed');
    for (const ch of '\x1b[0;30;47mlqqqu [!!] Choose a mirror of the Debian archive\x1b[30m tqqqk\x1b(0 x Please select a mirror. x\x1b(B') q.push(ch);
    assert.equal(q.question, 'Choose a mirror of the Debian archive: Please select a mirror.', 'one character a chunk');
    for (const cut of ['\x1b[0;30;47mlqqqu [!!] Choose a mirror of the Debian archive\x1b[', '30m tqqqk x Please select a mirror. x']) q.push(cut);
    assert.equal(q.question, 'Choose a mirror of the Debian archive: Please select a mirror.', 'cut after the CSI');
    // the medium and low marks, and a title without text yet
    assert.equal(debianQuestion('lqqqu [!] Partition disks tqqqk x x'), 'Partition disks');
    assert.equal(debianQuestion('lqqqu [.] Choose language tqqqk x Choose the language to be used. x'), 'Choose language: Choose the language to be used.');
    // screens without a priority mark are progress, not questions; an installer without marks (anaconda) never has one
    assert.equal(debianQuestion(plainConsoleText('lqqqu Configuring the network with DHCP tqqqk x This may take some time. x').replace(/\s+/g, ' ')), undefined);
    const ks = new InstallerProgress('kickstart');
    ks.push(DOWNLOAD_FAILED);
    assert.equal(ks.question, undefined);
  });

  test('hostnames and default accounts', () => {
    assert.equal(hostnameFor('My Web Server #2'), 'my-web-server-2');
    assert.equal(hostnameFor('---'), 'vm');
    assert.equal(hostnameFor('x'.repeat(80)).length, 63);
    assert.equal(defaultUser('alice'), 'alice');
    assert.equal(defaultUser('root'), 'hangar');
    assert.equal(defaultUser('Jean Dupont'), 'hangar');
  });

  test('library image names', () => {
    assert.equal(suggestedLibraryName('/x/debian-12-genericcloud-amd64.qcow2'), 'debian-12-genericcloud-amd64');
    assert.equal(suggestedLibraryName('/x/image.raw.xz'), 'image');
    assert.equal(libraryNameProblem('debian'), null);
    assert.match(libraryNameProblem('a/b')!, /'\/'/);
    assert.match(libraryNameProblem('-x')!, /'-'/);
    assert.match(libraryNameProblem(' ')!, /empty/);
    assert.match(libraryNameProblem('a\u202eb')!, /control/);
  });
});

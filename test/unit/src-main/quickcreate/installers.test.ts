import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { finishAnswerFile, InstallerProgress, installerCommandLine, plainConsoleText } from '../../../../src-main/quickcreate/installers.js';
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

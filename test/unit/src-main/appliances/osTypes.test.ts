import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getOsType } from '../../../../src-vmm/model/index.js';
import { osFromCimId, osFromOvirt, osFromText, osFromVirtualBox, osFromVmware, type OsGuess } from '../../../../src-main/appliances/osTypes.js';

const id = (g: OsGuess | null) => g?.osType ?? null;

describe('osFromCimId', () => {
  test('every id from 0 to 120 maps to a catalogue entry', () => {
    for (let i = 0; i <= 120; i++) {
      const g = osFromCimId(i);
      assert.ok(g, `CIM id ${i}`);
      assert.ok(getOsType(g.osType), `CIM id ${i} → ${g.osType}`);
      assert.ok(g.label.length > 0);
    }
  });

  test('families', () => {
    assert.equal(id(osFromCimId(101)), 'linux');
    assert.equal(id(osFromCimId(94)), 'linux');
    assert.equal(id(osFromCimId(97)), 'linux-legacy');
    assert.equal(id(osFromCimId(98)), 'linux-legacy');
    assert.equal(id(osFromCimId(120)), 'windows10');
    assert.equal(id(osFromCimId(112)), 'windows10');
    assert.equal(id(osFromCimId(105)), 'windows7');
    assert.equal(id(osFromCimId(103)), 'windows7');
    assert.equal(id(osFromCimId(73)), 'windows7');
    assert.equal(id(osFromCimId(67)), 'other'); // Windows XP: no AHCI driver, no catalogue entry
    assert.equal(id(osFromCimId(42)), 'freebsd');
    assert.equal(id(osFromCimId(78)), 'freebsd');
    assert.equal(id(osFromCimId(65)), 'openbsd');
    assert.equal(id(osFromCimId(104)), 'other');
  });

  test('generic ids are not specific, so a better hint can win', () => {
    for (const i of [0, 1, 36, 79, 101, 102]) assert.equal(osFromCimId(i)!.specific, false, `CIM id ${i}`);
    for (const i of [67, 97, 105, 120]) assert.equal(osFromCimId(i)!.specific, true, `CIM id ${i}`);
  });

  test('ids outside the table and non-integers are unknown', () => {
    assert.equal(osFromCimId(121), null);
    assert.equal(osFromCimId(9999), null);
    assert.equal(osFromCimId(-1), null);
    assert.equal(osFromCimId(1.5), null);
  });
});

describe('osFromVirtualBox', () => {
  const cases: [string, string][] = [
    ['Ubuntu_64', 'linux'],
    ['Ubuntu', 'linux'],
    ['Ubuntu22_LTS_64', 'linux'],
    ['Debian', 'linux'],
    ['Debian_64', 'linux'],
    ['Debian12_64', 'linux'],
    ['Debian31', 'linux-legacy'],
    ['Debian4', 'linux-legacy'],
    ['RedHat_64', 'linux'],
    ['RedHat4', 'linux-legacy'],
    ['RedHat9_64', 'linux'],
    ['Oracle_64', 'linux'],
    ['Oracle5_64', 'linux'],
    ['Fedora_64', 'linux'],
    ['OpenSUSE_Leap_64', 'linux'],
    ['ArchLinux_64', 'linux'],
    ['Gentoo_64', 'linux'],
    ['Linux26_64', 'linux'],
    ['Linux24', 'linux-legacy'],
    ['Linux22', 'linux-legacy'],
    ['Linux_64', 'linux'],
    ['Windows11_64', 'windows11'],
    ['Windows10_64', 'windows10'],
    ['Windows10', 'windows10'],
    ['Windows81_64', 'windows10'],
    ['Windows8', 'windows10'],
    ['Windows2012_64', 'windows10'],
    ['Windows2016_64', 'windows10'],
    ['Windows2019_64', 'windows10'],
    ['Windows2022_64', 'windows10'],
    ['Windows7', 'windows7'],
    ['Windows7_64', 'windows7'],
    ['WindowsVista_64', 'windows7'],
    ['Windows2008_64', 'windows7'],
    ['WindowsXP', 'other'],
    ['Windows2003_64', 'other'],
    ['Windows2000', 'other'],
    ['WindowsNT4', 'other'],
    ['Windows98', 'other'],
    ['Windows31', 'other'],
    ['WindowsNT_64', 'windows10'],
    ['FreeBSD_64', 'freebsd'],
    ['OpenBSD_64', 'openbsd'],
    ['NetBSD_64', 'other'],
    ['Solaris11_64', 'other'],
    ['MacOS_64', 'other'],
    ['OS2Warp45', 'other'],
    ['DOS', 'other'],
    ['Other', 'other'],
    ['Other_64', 'other'],
  ];
  for (const [name, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(id(osFromVirtualBox(name)), expected));
  }

  test('Other is not specific; a named guest is', () => {
    assert.equal(osFromVirtualBox('Other_64')!.specific, false);
    assert.equal(osFromVirtualBox('Ubuntu_64')!.specific, true);
    assert.match(osFromVirtualBox('Ubuntu_64')!.label, /Ubuntu 64-bit/);
  });

  test('ARM guests say so', () => {
    assert.equal(osFromVirtualBox('Ubuntu_arm64')!.foreignArch, 'ARM');
    assert.equal(osFromVirtualBox('Ubuntu_64')!.foreignArch, null);
  });

  test('nonsense is unknown', () => {
    assert.equal(osFromVirtualBox(''), null);
    assert.equal(osFromVirtualBox('Zorglub_64'), null);
  });
});

describe('osFromVmware', () => {
  const cases: [string, string][] = [
    ['windows9_64Guest', 'windows10'],
    ['windows9Guest', 'windows10'],
    ['windows11_64Guest', 'windows11'],
    ['windows12_64Guest', 'windows11'],
    ['windows9Server64Guest', 'windows10'],
    ['windows2019srv_64Guest', 'windows10'],
    ['windows2019srvNext_64Guest', 'windows10'],
    ['windows2022srvNext_64Guest', 'windows10'],
    ['windows8Server64Guest', 'windows10'],
    ['windows8_64Guest', 'windows10'],
    ['windows7Server64Guest', 'windows7'],
    ['windows7Guest', 'windows7'],
    ['windows7_64Guest', 'windows7'],
    ['winLonghorn64Guest', 'windows7'],
    ['winVista64Guest', 'windows7'],
    ['winNetEnterpriseGuest', 'other'],
    ['winNetStandard64Guest', 'other'],
    ['winXPProGuest', 'other'],
    ['win2000AdvServGuest', 'other'],
    ['dosGuest', 'other'],
    ['ubuntu64Guest', 'linux'],
    ['ubuntuGuest', 'linux'],
    ['debian11_64Guest', 'linux'],
    ['debian4Guest', 'linux-legacy'],
    ['otherLinux64Guest', 'linux'],
    ['otherLinuxGuest', 'linux'],
    ['other3xLinux64Guest', 'linux'],
    ['other5xLinux64Guest', 'linux'],
    ['other24xLinuxGuest', 'linux-legacy'],
    ['centos7_64Guest', 'linux'],
    ['centos64Guest', 'linux'],
    ['rhel8_64Guest', 'linux'],
    ['rhel10_64Guest', 'linux'],
    ['rhel4Guest', 'linux-legacy'],
    ['rhel3_64Guest', 'linux-legacy'],
    ['redhatGuest', 'linux-legacy'],
    ['sles15_64Guest', 'linux'],
    ['sles10_64Guest', 'linux-legacy'],
    ['oracleLinux9_64Guest', 'linux'],
    ['vmwarePhoton64Guest', 'linux'],
    ['amazonlinux2_64Guest', 'linux'],
    ['rockylinux_64Guest', 'linux'],
    ['freebsd13_64Guest', 'freebsd'],
    ['freebsd64Guest', 'freebsd'],
    ['vmkernel8Guest', 'other'],
    ['solaris11_64Guest', 'other'],
    ['darwin20_64Guest', 'other'],
    ['otherGuest', 'other'],
    ['otherGuest64', 'other'],
  ];
  for (const [name, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(id(osFromVmware(name)), expected));
  }

  test('labels and specificity', () => {
    assert.equal(osFromVmware('windows9_64Guest')!.label, 'Windows 10 64-bit');
    assert.equal(osFromVmware('vmkernel8Guest')!.label, 'VMware ESXi');
    assert.equal(osFromVmware('otherGuest')!.specific, false);
    assert.equal(osFromVmware('otherLinux64Guest')!.specific, false);
    assert.equal(osFromVmware('ubuntu64Guest')!.specific, true);
  });

  test('ARM guest ids say so', () => {
    assert.equal(osFromVmware('arm-ubuntu64Guest')!.foreignArch, 'ARM');
    assert.equal(id(osFromVmware('arm-ubuntu64Guest')), 'linux');
  });
});

describe('osFromOvirt', () => {
  const cases: [string, string][] = [
    ['27', 'windows10'],
    ['26', 'windows10'],
    ['12', 'windows7'],
    ['17', 'windows7'],
    ['1', 'other'],
    ['5', 'linux'],
    ['33', 'linux'],
    ['24', 'linux'],
    ['9', 'linux-legacy'],
    ['1500', 'freebsd'],
    ['1256', 'linux'],
    ['rhel_8x64', 'linux'],
    ['rhel_7x64', 'linux'],
    ['rhel_3', 'linux-legacy'],
    ['rhel_4x64', 'linux-legacy'],
    ['rhel_6x64', 'linux'],
    ['windows_10x64', 'windows10'],
    ['windows_11', 'windows11'],
    ['windows_2019x64', 'windows10'],
    ['windows_2008R2x64', 'windows7'],
    ['windows_7x64', 'windows7'],
    ['windows_xp', 'other'],
    ['windows_2003x64', 'other'],
    ['other_linux', 'linux'],
    ['other', 'other'],
    ['sles_11', 'linux'],
    ['ubuntu_14_04', 'linux'],
    ['debian_7', 'linux'],
    ['freebsdx64', 'freebsd'],
    ['rhcos_x64', 'linux'],
    ['RHEL6x64', 'linux'],
    ['OtherLinux', 'linux'],
    ['REHL3', 'linux-legacy'],
    ['Windows2008R2x64', 'windows7'],
  ];
  for (const [name, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(id(osFromOvirt(name)), expected));
  }

  test('POWER and s390x guests say so', () => {
    assert.equal(osFromOvirt('1002')!.foreignArch, 'POWER');
    assert.equal(osFromOvirt('rhel_7_s390x')!.foreignArch, 'IBM Z (s390x)');
    assert.equal(osFromOvirt('27')!.foreignArch, null);
  });

  test('unknown numbers are unknown; generic names are not specific', () => {
    assert.equal(osFromOvirt('4242'), null);
    assert.equal(osFromOvirt('other_linux')!.specific, false);
    assert.equal(osFromOvirt('0')!.specific, false);
  });
});

describe('osFromText', () => {
  const cases: [string, string][] = [
    ['Microsoft Windows Server 2016 (64-bit)', 'windows10'],
    ['Microsoft Windows Server 2008 R2 (64-bit)', 'windows7'],
    ['Microsoft Windows 10 (64-bit)', 'windows10'],
    ['Microsoft Windows 11 (64-bit)', 'windows11'],
    ['Microsoft Windows XP Professional (32-bit)', 'other'],
    ['Ubuntu Linux (64-bit)', 'linux'],
    ['Debian GNU/Linux 12 (bookworm)', 'linux'],
    ['Red Hat Enterprise Linux 4 (64-bit)', 'linux-legacy'],
    ['Red Hat Enterprise Linux 8 (64-bit)', 'linux'],
    ['Red Hat Enterprise Linux 4.x', 'linux-legacy'],
    ['CentOS 4/5/6 (32-bit)', 'linux'],
    ['CentOS 4/5 or later (64-bit)', 'linux'],
    ['SUSE Linux Enterprise 10 (64-bit)', 'linux-legacy'],
    ['SUSE Linux Enterprise 11 (64-bit)', 'linux'],
    ['Other 2.4.x Linux (32-bit)', 'linux-legacy'],
    ['Linux 2.4.x', 'linux-legacy'],
    ['Other 3.x or later Linux (64-bit)', 'linux'],
    ['FreeBSD 13 (64-bit)', 'freebsd'],
    ['Photon OS', 'linux'],
    ['VMware ESXi 8.0 or later', 'other'],
    ['Oracle Solaris 11 (64-bit)', 'other'],
    ['Apple macOS 13 (64-bit)', 'other'],
    ['Other (32-bit)', 'other'],
  ];
  for (const [text, expected] of cases) {
    test(`${text} → ${expected}`, () => assert.equal(id(osFromText(text)), expected));
  }

  test('text that names no OS is unknown', () => {
    assert.equal(osFromText('XenOVF Created Export'), null);
    assert.equal(osFromText('The kind of installed guest operating system'), null);
    assert.equal(osFromText(''), null);
  });

  test('long text is read only at its start', () => {
    // What follows the first few kilobytes cannot change the answer: it is never read.
    assert.equal(osFromText(`Ubuntu ${'a'.repeat(5_000_000)} Windows 11`)?.osType, 'linux');
    assert.equal(osFromText(`${'win '.repeat(1_000_000)}`)?.osType, 'windows10');
    assert.equal(osFromText(`${'a'.repeat(5_000_000)} Ubuntu`), null);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { identifyMedia, parseOsinfoFile, scriptsFor, type IsoFacts } from '../../../../src-main/quickcreate/osinfoDb.js';
import { hangarOsType, unattendedPlan } from '../../../../src-main/quickcreate/osMapping.js';
import { linuxPartitions, osinfoForRelease, parseOsRelease } from '../../../../src-main/quickcreate/diskOs.js';

// Entries in libosinfo's own shape (abridged from osinfo-db 20221130).
const DB = `<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://debian.org/debian/11">
    <short-id>debian11</short-id>
    <name>Debian 11</name><name xml:lang="fi">Debian 11 fi</name>
    <version>11</version><family>linux</family><distro>debian</distro><release-date>2021-08-14</release-date>
    <resources arch="all"><minimum><ram>1073741824</ram></minimum><recommended><storage>21474836480</storage></recommended></resources>
    <media arch="x86_64"><iso><volume-id>Debian 11.\\d+.\\d+ amd64 n</volume-id></iso><kernel>install.amd/vmlinuz</kernel><initrd>install.amd/initrd.gz</initrd></media>
    <media arch="i686"><iso><volume-id>Debian 11.\\d+.\\d+ i386 n</volume-id></iso></media>
    <installer><script id="http://debian.org/debian/preseed/jeos"/><script id="http://debian.org/debian/preseed/desktop"/></installer>
  </os>
  <os id="http://ubuntu.com/ubuntu/22.04">
    <short-id>ubuntu22.04</short-id><name>Ubuntu 22.04 LTS</name><version>22.04</version><family>linux</family><distro>ubuntu</distro>
    <media arch="x86_64" live="true"><iso><volume-id>Ubuntu 22.04(.\\d\\+?)?(.\\d\\+?)? LTS amd64</volume-id></iso><kernel>casper/vmlinuz</kernel><initrd>casper/initrd</initrd>
      <installer><script id="http://ubuntu.com/ubuntu/preseed/desktop"/></installer></media>
    <media arch="x86_64" live="true" installer-script="false"><iso><volume-id>Ubuntu-Server 22.04(.\\d\\+?)?(.\\d\\+?)? LTS amd64</volume-id></iso><kernel>casper/vmlinuz</kernel><initrd>casper/initrd</initrd></media>
    <installer><script id="http://ubuntu.com/ubuntu/preseed/jeos"/></installer>
  </os>
  <os id="http://microsoft.com/win/11">
    <short-id>win11</short-id><name>Microsoft Windows 11</name><version>10.0</version><family>winnt</family><distro>win</distro>
    <media arch="x86_64"><iso><volume-id>^(J_)?(CCSN?A|C?CCOMA)_X64FREE?_</volume-id><publisher-id>MICROSOFT CORPORATION</publisher-id></iso></media>
  </os>
  <os id="http://example.org/nothing"><short-id>nothing</short-id><name>No identifiers</name><family>linux</family><media arch="x86_64"><kernel>k</kernel></media></os>
</libosinfo>`;

const iso = (volumeId: string, o: Partial<IsoFacts> = {}): IsoFacts => ({ volumeId, systemId: 'LINUX', publisherId: '', applicationId: '', volumeSizeBytes: 1 << 30, bootable: true, ...o });

describe("libosinfo's database", () => {
  const db = parseOsinfoFile(DB, 'test');

  test('entries are read with their untranslated names, media, scripts and resources', () => {
    const debian = db[0]!;
    assert.equal(debian.name, 'Debian 11');
    assert.deepEqual(debian.shortIds, ['debian11']);
    assert.equal(debian.minRamBytes, 1 << 30);
    assert.equal(debian.media[0]!.kernel, 'install.amd/vmlinuz');
    assert.deepEqual(debian.scripts, ['http://debian.org/debian/preseed/jeos', 'http://debian.org/debian/preseed/desktop']);
  });

  test('media are recognised by their identifiers as libosinfo does; bootable media only', () => {
    assert.equal(identifyMedia(db, iso('Debian 11.7.0 amd64 n'))?.os.shortIds[0], 'debian11');
    assert.equal(identifyMedia(db, iso('Debian 11.7.0 amd64 n', { bootable: false })), null);
    assert.equal(identifyMedia(db, iso('Debian 12.5.0 amd64 n')), null);
    assert.equal(identifyMedia(db, iso('Ubuntu 22.04.1 LTS amd64'))?.media.live, true);
    assert.equal(identifyMedia(db, iso('Ubuntu-Server 22.04.3 LTS amd64'))?.media.installerScript, false);
    assert.equal(identifyMedia(db, iso('CCCOMA_X64FRE_EN-US_DV9', { publisherId: 'MICROSOFT CORPORATION' }))?.os.shortIds[0], 'win11');
    assert.equal(identifyMedia(db, iso('CCCOMA_X64FRE_EN-US_DV9', { publisherId: 'SOMEONE ELSE' })), null, 'every identifier the entry gives must match');
    assert.equal(identifyMedia(db, iso('TESTGUEST')), null);
  });

  test('OS types and unattended plans follow what libosinfo knows', () => {
    const [debian, ubuntu, win11] = db;
    assert.equal(hangarOsType(debian!), 'linux');
    assert.equal(hangarOsType({ ...debian!, releaseDate: '2005-06-06' }), 'linux-legacy');
    assert.equal(hangarOsType(win11!), 'windows11');
    assert.equal(hangarOsType({ family: 'winnt', distro: 'win', version: '6.1', shortIds: ['win7'] }), 'windows7');
    assert.equal(hangarOsType({ family: 'freebsd', distro: 'freebsd', version: '13', shortIds: ['freebsd13.0'] }), 'freebsd');
    assert.deepEqual(unattendedPlan(debian!, debian!.media[0]!), { script: 'http://debian.org/debian/preseed/jeos', profile: 'jeos', format: 'preseed', fileName: 'preseed.cfg' });
    // the desktop media's own script wins over the OS's
    assert.deepEqual(scriptsFor(ubuntu!, ubuntu!.media[0]!), ['http://ubuntu.com/ubuntu/preseed/desktop']);
    assert.match((unattendedPlan(ubuntu!, ubuntu!.media[1]!) as { unavailable: string }).unavailable, /cannot be installed with an install script/);
    assert.match((unattendedPlan(win11!, win11!.media[0]!) as { unavailable: string }).unavailable, /has no install script for Microsoft Windows 11/);
    assert.match((unattendedPlan(debian!, debian!.media[1]!) as { unavailable: string }).unavailable, /kernel and initrd/);
  });

  test("an installed Linux is named by its os-release and found in the database", () => {
    const release = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\n# c\n');
    assert.equal(release.PRETTY_NAME, 'Debian GNU/Linux 11 (bullseye)');
    assert.equal(osinfoForRelease(release, db)?.id, 'http://debian.org/debian/11');
    assert.equal(osinfoForRelease({ ID: 'ubuntu', VERSION_ID: '22.04' }, db)?.name, 'Ubuntu 22.04 LTS');
    assert.equal(osinfoForRelease({ ID: 'arch' }, db), null);
  });

  test('Linux partitions are found in MBR and GPT tables, biggest first', () => {
    const mbr = Buffer.alloc(34 * 512);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    const entry = (i: number, type: number, start: number, sectors: number) => {
      const e = 446 + i * 16;
      mbr[e + 4] = type;
      mbr.writeUInt32LE(start, e + 8);
      mbr.writeUInt32LE(sectors, e + 12);
    };
    entry(0, 0x06, 2048, 196608);
    entry(1, 0x83, 198656, 3995648);
    assert.deepEqual(linuxPartitions(mbr, 2 ** 31), [{ offset: 198656 * 512, size: 3995648 * 512 }]);
    assert.deepEqual(linuxPartitions(Buffer.alloc(2048), 1 << 20), [], 'no table and no file system: nothing to read');
    const bare = Buffer.alloc(2048);
    bare.writeUInt16LE(0xef53, 1080);
    assert.deepEqual(linuxPartitions(bare, 1 << 20), [{ offset: 0, size: 1 << 20 }], 'no table: an ext4 file system from the start');
    const gpt = Buffer.alloc(34 * 512);
    gpt[510] = 0x55;
    gpt[511] = 0xaa;
    gpt[446 + 4] = 0xee;
    gpt.write('EFI PART', 512, 'latin1');
    gpt.writeBigUInt64LE(2n, 512 + 72);
    gpt.writeUInt32LE(128, 512 + 80);
    gpt.writeUInt32LE(128, 512 + 84);
    // entry 0: the Linux root type 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, LBA 2048..4095
    Buffer.from('e3bc684fcde8b14d96e7fbcaf984b709', 'hex').copy(gpt, 1024);
    gpt.writeBigUInt64LE(2048n, 1024 + 32);
    gpt.writeBigUInt64LE(4095n, 1024 + 40);
    assert.deepEqual(linuxPartitions(gpt, 8 << 20), [{ offset: 2048 * 512, size: 2048 * 512 }]);
  });
});

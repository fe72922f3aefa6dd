import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  desktopEntryValue,
  entryMimeTypes,
  escapeDesktopString,
  execArg,
  expandExec,
  installedEntry,
  isOnPath,
  LAUNCHER_MARK,
  launcherDir,
  launcherScript,
  parseExec,
  shellQuote,
  withoutDefaultApp,
  xdgDirs,
} from '../../../../src-main/desktop/integration.js';

const template = `[Desktop Entry]
Type=Application
Name=Hangar
Exec=hangar open %f
Icon=hangar
MimeType=application/ovf;application/x-virtualbox-ovf;

[Desktop Action extra]
Exec=hangar list
`;

describe('the desktop entry set-up installs', () => {
  test('its command runs the launcher by its full path; TryExec names it; the rest is the template', () => {
    const out = installedEntry(template, '/home/u/.local/bin/hangar');
    assert.equal(desktopEntryValue(out, 'Exec'), '/home/u/.local/bin/hangar open %f');
    assert.equal(desktopEntryValue(out, 'TryExec'), '/home/u/.local/bin/hangar');
    assert.equal(desktopEntryValue(out, 'Name'), 'Hangar');
    assert.deepEqual(entryMimeTypes(out), ['application/ovf', 'application/x-virtualbox-ovf']);
    // another group's Exec is not the entry's
    assert.match(out, /\[Desktop Action extra\]\nExec=hangar list\n$/);
  });

  test('a launcher path with reserved characters is quoted as the specification says, and reads back', () => {
    const paths = ['/home/Jo Doe/.local/bin/hangar', '/opt/100%/hangar', '/x/a"b$c`d\\e/hangar', "/x/it's/hangar"];
    for (const p of paths) {
      const out = installedEntry(template, p);
      const words = parseExec(desktopEntryValue(out, 'Exec')!);
      assert.deepEqual(expandExec(words, '/tmp/my file.ova'), [p, 'open', '/tmp/my file.ova'], p);
    }
    assert.equal(execArg('/home/Jo Doe/hangar'), '"/home/Jo Doe/hangar"');
    assert.equal(execArg('/opt/100%/hangar'), '/opt/100%%/hangar');
    assert.equal(execArg('/x/a"b$c'), '"/x/a\\"b\\$c"');
    assert.equal(escapeDesktopString('"/x\\y"'), '"/x\\\\y"');
    assert.throws(() => execArg('/x/a\nb'), /line break/);
  });

  test('an entry that does not run hangar is refused', () => {
    assert.throws(() => installedEntry(template.replace('Exec=hangar open %f', 'Exec=rm %f'), '/b/hangar'), /should run hangar, not rm/);
    assert.throws(() => installedEntry('[Desktop Entry]\nName=x\n', '/b/hangar'), /no Exec key/);
  });

  test('field codes: %f and friends become the file, %% a percent sign, others go', () => {
    assert.deepEqual(expandExec(['app', '%f'], '/a b.ova'), ['app', '/a b.ova']);
    assert.deepEqual(expandExec(['app', '%U', '%i', '--x=50%%'], '/a.ova'), ['app', '/a.ova', '--x=50%']);
    assert.throws(() => parseExec('"unterminated'), /unterminated quote/);
  });
});

describe('the launcher', () => {
  test('a shell script that runs this checkout with this Node, marked as set-up\'s own', () => {
    const s = launcherScript('/usr/bin/node', "/home/Jo's/hangar/dist/src-main/cli/main.node.js");
    assert.match(s, /^#!\/bin\/sh\n/);
    assert.ok(s.includes(LAUNCHER_MARK));
    assert.ok(s.endsWith(`exec '/usr/bin/node' '/home/Jo'\\''s/hangar/dist/src-main/cli/main.node.js' "$@"\n`));
    assert.match(s, /^unset NODE_EXTRA_CA_CERTS\nexec /m);
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  });

  test('its folder: $HANGAR_BIN_DIR, /usr/local/bin for root, ~/.local/bin for anyone else', () => {
    assert.equal(launcherDir({ env: {}, uid: 1000, userHome: '/home/u' }), '/home/u/.local/bin');
    assert.equal(launcherDir({ env: {}, uid: 0, userHome: '/root' }), '/usr/local/bin');
    assert.equal(launcherDir({ env: { HANGAR_BIN_DIR: '/opt/bin' }, uid: 0, userHome: '/root' }), '/opt/bin');
  });

  test('whether a folder is on the PATH', () => {
    assert.equal(isOnPath('/home/u/.local/bin', '/usr/bin:/home/u/.local/bin/:/bin'), true);
    assert.equal(isOnPath('/home/u/.local/bin', '/usr/bin:/home/u/.local/binx'), false);
    assert.equal(isOnPath('/usr/local/bin', undefined), false);
  });
});

describe('XDG folders and mimeapps.list', () => {
  test('the base directory defaults', () => {
    assert.deepEqual(xdgDirs({}, '/home/u'), { dataHome: '/home/u/.local/share', configHome: '/home/u/.config' });
    assert.deepEqual(xdgDirs({ XDG_DATA_HOME: '/d', XDG_CONFIG_HOME: '/c' }, '/home/u'), { dataHome: '/d', configHome: '/c' });
  });

  test('taking Hangar out of the defaults leaves everything else', () => {
    const list = '[Default Applications]\napplication/ovf=hangar.desktop\ntext/plain=gedit.desktop\nimage/png=hangar.desktop;eog.desktop;\n\n[Added Associations]\napplication/ovf=hangar.desktop;\n';
    assert.equal(withoutDefaultApp(list, 'hangar.desktop'), '[Default Applications]\ntext/plain=gedit.desktop\nimage/png=eog.desktop;\n\n[Added Associations]\napplication/ovf=hangar.desktop;\n');
    assert.equal(withoutDefaultApp('[Default Applications]\ntext/plain=gedit.desktop\n', 'hangar.desktop'), '[Default Applications]\ntext/plain=gedit.desktop\n');
  });
});

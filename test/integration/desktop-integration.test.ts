// Set-up's desktop integration with the desktop's real tools (Debian's xdg-utils, shared-mime-info,
// desktop-file-utils, gio), in temporary HOME and XDG folders: the `hangar` launcher, the desktop entry,
// the MIME database answering Hangar for real appliances, running again, and taking it all back.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAppliance, type BuiltAppliance } from '../fixtures/appliances.node.js';
import { runDesktopSetup, tempDesktopEnv, xdgMime, type DesktopEnv } from '../helpers/desktopEnv.node.js';
import { repoRoot } from '../helpers/paths.js';
import { desktopEntryValue, parseExec } from '../../src-main/desktop/integration.js';

const DESKTOPS = ['GNOME', 'X-Generic'] as const;

describe('desktop integration (set-up, in temporary XDG folders)', () => {
  let d: DesktopEnv;
  let ova: BuiltAppliance;
  let ovf: BuiltAppliance;
  const entryPath = () => join(d.dataHome, 'applications', 'hangar.desktop');
  const launcher = () => join(d.binDir, 'hangar');
  const snapshot = () => [entryPath(), launcher(), join(d.configHome, 'mimeapps.list'), join(d.dataHome, 'mime', 'packages', 'hangar-mime.xml')].map((f) => readFileSync(f, 'utf8'));

  before(() => {
    d = tempDesktopEnv();
    ova = buildAppliance('virtualbox', join(d.root, 'files', 'ova'), { name: 'desk ova' });
    ovf = buildAppliance('ovf2', join(d.root, 'files', 'ovf'), { name: 'desk ovf' });
  });
  after(() => d?.cleanup());

  test('before set-up, the desktop does not send appliances to Hangar', () => {
    for (const de of DESKTOPS) {
      assert.equal(xdgMime(d.env, de, ['query', 'filetype', ova.path]), 'application/ovf', `${de}: shared-mime-info knows .ova`);
      assert.equal(xdgMime(d.env, de, ['query', 'filetype', ovf.path]), 'application/xml', `${de}: an .ovf is only XML`);
      assert.notEqual(xdgMime(d.env, de, ['query', 'default', 'application/ovf']), 'hangar.desktop');
    }
  });

  test('set-up installs the launcher and registers the entry, and says where', () => {
    const r = runDesktopSetup({ ...d.env, PATH: `${d.binDir}:${d.env.PATH}` });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^setup: hangar command: ${launcher()} \\(installed; ${d.binDir} is on your PATH\\)$`, 'm'));
    assert.match(r.stdout, /^setup: double-click on \.ova\/\.ovf\/\.vbox\/\.vmx: opens in Hangar \(registered: .*hangar\.desktop, default for application\/ovf, application\/x-virtualbox-ova, application\/x-virtualbox-ovf, application\/x-virtualbox-vbox, application\/x-vmware-vm\)$/m);
    assert.equal(statSync(launcher()).mode & 0o777, 0o755);
    // what a user types runs the one-file bundle that the build makes (npm run build:cli), not the modules
    assert.match(readFileSync(launcher(), 'utf8'), new RegExp(`'${join(repoRoot, 'dist', 'src-main', 'cli-bundle', 'hangar.node.mjs')}' "\\$@"\n$`));
    assert.equal(execFileSync(launcher(), ['version'], { encoding: 'utf8' }).trim(), `hangar ${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}`);
    // the launcher passes arguments through untouched, and the CLI's exit status back
    const bad = spawnSync(launcher(), ['open', join(d.root, 'no such file.ova')], { encoding: 'utf8', env: { ...d.env, HANGAR_HOME: join(d.root, 'hangar-home') } });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, `hangar: ${join(d.root, 'no such file.ova')} does not exist\n`);
  });

  test("the launcher leaves NODE_EXTRA_CA_CERTS out of Hangar's processes (Node reads it at every start; Hangar opens no TLS connection)", () => {
    const env = { ...d.env, NODE_EXTRA_CA_CERTS: join(d.root, 'no such ca.pem'), HANGAR_HOME: join(d.root, 'ca-home') };
    const control = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env });
    assert.match(control.stderr, /Ignoring extra certs/, 'Node reads the file at its start: its warning is what this test looks for');
    try {
      // list starts a headless owner of this home, which starts from the launcher's environment
      const listed = spawnSync(launcher(), ['list', '--json'], { encoding: 'utf8', env, timeout: 120_000 });
      assert.equal(listed.status, 0, listed.stderr);
      assert.deepEqual(JSON.parse(listed.stdout), { vms: [] });
      assert.doesNotMatch(listed.stderr, /extra certs/);
      const ownerLog = readFileSync(join(env.HANGAR_HOME, 'owner.log'), 'utf8');
      assert.match(ownerLog, /owner pid=\d+/, 'the owner started and logged');
      assert.doesNotMatch(ownerLog, /extra certs/);
    } finally {
      spawnSync(launcher(), ['shutdown'], { env, timeout: 60_000 });
    }
  });

  test('the installed entry is valid and runs `<launcher> open %f`', () => {
    execFileSync('desktop-file-validate', [entryPath()]);
    const text = readFileSync(entryPath(), 'utf8');
    assert.deepEqual(parseExec(desktopEntryValue(text, 'Exec')!), [launcher(), 'open', '%f']);
    assert.equal(desktopEntryValue(text, 'TryExec'), launcher());
    assert.ok(existsSync(join(d.dataHome, 'icons', 'hicolor', '512x512', 'apps', 'hangar.png')), 'the icon is installed');
  });

  test('the MIME database answers Hangar for a real .ova and .ovf, as GNOME and other desktops ask it', () => {
    for (const de of DESKTOPS) {
      const ovaType = xdgMime(d.env, de, ['query', 'filetype', ova.path]);
      const ovfType = xdgMime(d.env, de, ['query', 'filetype', ovf.path]);
      assert.equal(ovaType, 'application/ovf', de);
      assert.equal(ovfType, 'application/x-virtualbox-ovf', de);
      for (const t of [ovaType, ovfType, 'application/x-virtualbox-ova']) assert.equal(xdgMime(d.env, de, ['query', 'default', t]), 'hangar.desktop', `${de}: ${t}`);
      // VirtualBox and VMware machines open in Hangar too
      for (const [name, text, type] of [['m.vbox', '<?xml version="1.0"?>\n<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux"/>\n', 'application/x-virtualbox-vbox'], ['m.vmx', '.encoding = "UTF-8"\nconfig.version = "8"\n', 'application/x-vmware-vm']]) {
        const path = join(d.root, name!);
        writeFileSync(path, text!);
        assert.equal(xdgMime(d.env, de, ['query', 'filetype', path]), type, `${de}: ${name}`);
        assert.equal(xdgMime(d.env, de, ['query', 'default', type!]), 'hangar.desktop', `${de}: ${type}`);
      }
    }
    // GIO (what GNOME's file manager uses) picks the same application
    const gio = execFileSync('gio', ['mime', 'application/ovf'], { env: d.env, encoding: 'utf8' });
    assert.match(gio, /Default application for “application\/ovf”: hangar\.desktop|Default application for "application\/ovf": hangar\.desktop/);
  });

  test('running set-up again changes nothing and says so', () => {
    const before = snapshot();
    const r = runDesktopSetup(d.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\(already installed; .* is not on your PATH: add it/);
    assert.match(r.stdout, /opens in Hangar \(already registered:/);
    assert.deepEqual(snapshot(), before);
  });

  test('a hangar of another program in the launcher folder is left alone', () => {
    const other = tempDesktopEnv('hangar-desktop-foreign-');
    try {
      mkdirSync(other.binDir, { recursive: true });
      writeFileSync(join(other.binDir, 'hangar'), '#!/bin/sh\necho another hangar\n', { mode: 0o755 });
      const r = runDesktopSetup(other.env);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /belongs to another program; left alone, and \.ova\/\.ovf\/\.vbox\/\.vmx not registered/);
      assert.equal(readFileSync(join(other.binDir, 'hangar'), 'utf8'), '#!/bin/sh\necho another hangar\n');
      assert.equal(existsSync(join(other.dataHome, 'applications', 'hangar.desktop')), false);
    } finally {
      other.cleanup();
    }
  });

  test('a bad argument changes nothing', () => {
    const before = snapshot();
    const r = runDesktopSetup(d.env, ['--frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "setup: unknown argument '--frobnicate' (usage: setup.node.js [--uninstall])\n");
    assert.deepEqual(snapshot(), before);
  });

  test('--uninstall takes it all back', () => {
    writeFileSync(join(d.configHome, 'mimeapps.list'), `${readFileSync(join(d.configHome, 'mimeapps.list'), 'utf8')}text/plain=gedit.desktop\n`);
    const r = runDesktopSetup(d.env, ['--uninstall']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(existsSync(launcher()), false);
    assert.equal(existsSync(entryPath()), false);
    assert.doesNotMatch(readFileSync(join(d.configHome, 'mimeapps.list'), 'utf8'), /hangar\.desktop/);
    assert.match(readFileSync(join(d.configHome, 'mimeapps.list'), 'utf8'), /^text\/plain=gedit\.desktop$/m);
    for (const de of DESKTOPS) {
      assert.equal(xdgMime(d.env, de, ['query', 'filetype', ovf.path]), 'application/xml', de);
      assert.notEqual(xdgMime(d.env, de, ['query', 'default', 'application/ovf']), 'hangar.desktop', de);
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { desktopAppVerdict, openFileKind, openRefusal, openRoute, type DesktopAppVerdict } from '../../../../src-main/desktop/open.js';
import { parseArgs } from '../../../../src-main/cli/args.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { fileArgFromArgv } from '../../../../src-main/electron/policy.js';

const file = { isFile: true };
const usable: DesktopAppVerdict = { usable: true, binary: '/opt/electron' };
const unusable: DesktopAppVerdict = { usable: false, why: 'the desktop app (Electron) is not installed here' };

describe('hangar open: the files it takes', () => {
  test('appliances, whatever the case of the extension', () => {
    for (const p of ['/a/b.ova', '/a/b.OVF', '/a/my appliance.Ova']) assert.deepEqual(openFileKind(p), { kind: 'appliance' });
    assert.equal(openRefusal('/a/b.ova', file), null);
  });

  test('VirtualBox and VMware machines (.vbox, .vmx) go to the import review too', () => {
    assert.deepEqual(openFileKind('/a/m.vbox'), { kind: 'machine' });
    assert.deepEqual(openFileKind('/a/m.VMX'), { kind: 'machine' });
    assert.equal(openRefusal('/a/m.vbox', file), null);
    assert.equal(openRefusal('/a/m.vmx', null), '/a/m.vmx does not exist');
  });

  test('anything else, a missing file and a folder are refused in one line', () => {
    assert.equal(openRefusal('/a/disk.iso', file), "hangar open takes an .ova or .ovf appliance or a VirtualBox (.vbox) or VMware (.vmx) machine, not 'disk.iso'");
    assert.equal(openRefusal('/a/ova', file), "hangar open takes an .ova or .ovf appliance or a VirtualBox (.vbox) or VMware (.vmx) machine, not 'ova'");
    assert.equal(openRefusal('/a/gone.ova', null), '/a/gone.ova does not exist');
    assert.equal(openRefusal('/a/dir.ovf', { isFile: false }), '/a/dir.ovf is not a file');
  });

  test('the command line: one FILE, --json', () => {
    assert.deepEqual(parseArgs(['open', 'a.ova', '--json']), { command: 'open', args: ['a.ova'], flags: { json: true } });
    assert.throws(() => parseArgs(['open']), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && /'open' needs FILE/.test(e.message));
    assert.throws(() => parseArgs(['open', 'a.ova', 'b.ova']), /unexpected argument 'b.ova'/);
    assert.equal(parseArgs(['serve', '--open']).flags.open, true);
  });
});

describe('hangar open: whether the desktop app can be used', () => {
  const base = { electronBinary: '/opt/electron', env: { DISPLAY: ':0' }, platform: 'linux', uid: 1000 };

  test('installed, a desktop session, an ordinary user: yes', () => {
    assert.deepEqual(desktopAppVerdict(base), { usable: true, binary: '/opt/electron' });
    assert.equal(desktopAppVerdict({ ...base, env: { WAYLAND_DISPLAY: 'wayland-0' } }).usable, true);
    assert.equal(desktopAppVerdict({ ...base, env: {}, platform: 'darwin' }).usable, true);
  });

  test('otherwise no, with the reason', () => {
    assert.deepEqual(desktopAppVerdict({ ...base, electronBinary: null }), unusable);
    assert.match((desktopAppVerdict({ ...base, env: {} }) as { why: string }).why, /no desktop session/);
    assert.match((desktopAppVerdict({ ...base, uid: 0 }) as { why: string }).why, /does not run as root/);
  });
});

describe('hangar open: handing the file to the desktop app', () => {
  test('the app finds the file in the command line hangar open starts it with (`<electron> <app folder> FILE`)', () => {
    assert.equal(fileArgFromArgv(['/home/u/hangar/', '/tmp/my appliance.ova'], '/'), '/tmp/my appliance.ova');
    // a second instance's command line reaches the running app with Chromium's switches added
    assert.equal(fileArgFromArgv(['/home/u/hangar/', '--allow-file-access-from-files', '/tmp/x.OVF'], '/home/u'), '/tmp/x.OVF');
    assert.equal(fileArgFromArgv(['/home/u/hangar/'], '/'), null);
  });
});

describe('hangar open: where the review comes up', () => {
  const served = 'http://127.0.0.1:4000/?token=abc';

  test('nothing runs: the desktop app if it can run, else web mode is started', () => {
    assert.deepEqual(openRoute({ owner: null, servedUrl: null, desktop: usable }), { via: 'desktop', binary: '/opt/electron' });
    assert.deepEqual(openRoute({ owner: null, servedUrl: null, desktop: unusable }), { via: 'start-web' });
  });

  test('a headless owner hands over like to any serve: same as nothing running', () => {
    assert.deepEqual(openRoute({ owner: { kind: 'headless owner', pid: 5 }, servedUrl: null, desktop: unusable }), { via: 'start-web' });
    assert.deepEqual(openRoute({ owner: { kind: 'headless owner', pid: 5 }, servedUrl: null, desktop: usable }), { via: 'desktop', binary: '/opt/electron' });
  });

  test('a running hangar serve is reused, even where the desktop app could run', () => {
    assert.deepEqual(openRoute({ owner: { kind: 'hangar serve', pid: 7 }, servedUrl: served, desktop: usable }), { via: 'web', servedUrl: served });
    assert.deepEqual(openRoute({ owner: { kind: 'hangar serve', pid: 7 }, servedUrl: null, desktop: unusable }), { via: 'wait-for-serve' });
  });

  test('a running desktop app gets the file; when it cannot be reached from here, the refusal says what to do', () => {
    assert.deepEqual(openRoute({ owner: { kind: 'the desktop app', pid: 9 }, servedUrl: null, desktop: usable }), { via: 'desktop', binary: '/opt/electron' });
    const r = openRoute({ owner: { kind: 'the desktop app', pid: 9 }, servedUrl: null, desktop: { usable: false, why: 'there is no desktop session here' } });
    assert.equal(r.via, 'refuse');
    assert.match((r as { message: string }).message, /^the desktop app \(pid 9\) owns this home, but there is no desktop session here: open the file from its File menu$/);
  });
});

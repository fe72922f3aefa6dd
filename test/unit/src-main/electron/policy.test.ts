import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP_ENTRY_URL,
  appFilePath,
  appResponseHeaders,
  appSchemePrivileges,
  dialogFilters,
  displayArguments,
  fileArgFromArgv,
  isAllowedNavigation,
  isAllowedPermission,
  isTrustedSender,
  mainWindowOptions,
  menuSpec,
  parsePickFileRequest,
  quitActionFor,
  quitChoice,
  quitFailureMessage,
  rendererCsp,
  type FrameRef,
  type MenuItemSpec,
} from '../../../../src-main/electron/policy.js';

describe('window options', () => {
  test('the page is sealed: isolated, sandboxed, no Node anywhere, no webview', () => {
    const o = mainWindowOptions('/app/preload.electron.cjs');
    const w = o.webPreferences;
    assert.equal(w.preload, '/app/preload.electron.cjs');
    assert.equal(w.contextIsolation, true);
    assert.equal(w.sandbox, true);
    assert.equal(w.nodeIntegration, false);
    assert.equal(w.nodeIntegrationInWorker, false);
    assert.equal(w.nodeIntegrationInSubFrames, false);
    assert.equal(w.webviewTag, false);
    assert.equal(w.webSecurity, true);
    assert.equal(w.allowRunningInsecureContent, false);
    assert.equal(w.spellcheck, false);
    assert.equal(w.devTools, false, 'devtools are off unless asked for');
    assert.equal(o.show, false);
  });

  test('devtools and the display switches are passed through, and nothing else changes', () => {
    const args = displayArguments(40123, 'tok_en-1');
    const o = mainWindowOptions('/p.cjs', { devTools: true, additionalArguments: args });
    assert.equal(o.webPreferences.devTools, true);
    assert.deepEqual(o.webPreferences.additionalArguments, ['--hangar-display-port=40123', '--hangar-display-token=tok_en-1']);
    assert.equal(o.webPreferences.sandbox, true);
    assert.equal(o.webPreferences.contextIsolation, true);
  });

  test('a display token that could break out of its switch is refused', () => {
    assert.throws(() => displayArguments(1, 'a b'), RangeError);
    assert.throws(() => displayArguments(1, 'x --no-sandbox'), RangeError);
  });

  test('the app scheme is standard and secure, and does not bypass the CSP', () => {
    assert.equal(appSchemePrivileges.scheme, 'app');
    assert.equal(appSchemePrivileges.privileges.standard, true);
    assert.equal(appSchemePrivileges.privileges.secure, true);
    assert.equal('bypassCSP' in appSchemePrivileges.privileges, false);
  });
});

describe('content security policy', () => {
  const csp = rendererCsp(40123);
  const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));

  test('scripts come from the app only: no eval, no inline script', () => {
    assert.equal(directive('script-src'), "script-src 'self'");
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.equal(directive('default-src'), "default-src 'self'");
  });

  test('the page may connect to the local VNC socket of this run, and nowhere else', () => {
    assert.equal(directive('connect-src'), "connect-src 'self' ws://127.0.0.1:40123");
    assert.doesNotMatch(csp, /\*/);
    assert.doesNotMatch(csp, /https?:/);
  });

  test('no plugins, frames, workers, base or form tricks', () => {
    for (const d of ["object-src 'none'", "frame-src 'none'", "worker-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(d), d);
    }
  });

  test('a port that is not a port is refused', () => {
    assert.throws(() => rendererCsp(0), RangeError);
    assert.throws(() => rendererCsp(70000), RangeError);
    assert.throws(() => rendererCsp(1.5), RangeError);
  });

  test('every app:// response carries the CSP and its content type', () => {
    const h = appResponseHeaders('/r/assets/index.js', 5900);
    assert.equal(h['Content-Security-Policy'], rendererCsp(5900));
    assert.equal(h['Content-Type'], 'text/javascript; charset=utf-8');
    assert.equal(h['X-Content-Type-Options'], 'nosniff');
    assert.equal(appResponseHeaders('/r/x.unknown', 5900)['Content-Type'], 'application/octet-stream');
  });
});

describe('navigation', () => {
  test('the app’s own pages are allowed', () => {
    assert.equal(isAllowedNavigation(APP_ENTRY_URL), true);
    assert.equal(isAllowedNavigation('app://hangar/index.html'), true);
    assert.equal(isAllowedNavigation('app://hangar/'), true);
    assert.equal(isAllowedNavigation('app://hangar/vms/1?tab=display#x'), true);
  });

  test('anything else is denied', () => {
    for (const url of [
      'https://evil.example/',
      'http://127.0.0.1:8080/',
      'file:///etc/passwd',
      'app://other/index.html',
      'app://hangar.evil/index.html',
      'app://hangar@evil/index.html',
      'app://user:pw@hangar/index.html',
      'app://hangar:8080/index.html',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'about:blank',
      'not a url',
      '',
    ]) {
      assert.equal(isAllowedNavigation(url), false, url);
    }
  });
});

describe('sender check', () => {
  const main: FrameRef = { url: 'app://hangar/index.html', processId: 4, routingId: 1 };
  const window = { webContentsId: 7, mainFrame: main };

  test('accepts the main frame of our window showing the app', () => {
    assert.equal(isTrustedSender({ webContentsId: 7, frame: { ...main } }, window), true);
    assert.equal(isTrustedSender({ webContentsId: 7, frame: { ...main, url: 'app://hangar/vms/3' } }, { ...window, mainFrame: { ...main, url: 'app://hangar/vms/3' } }), true);
  });

  test('rejects a subframe, even one showing the app', () => {
    assert.equal(isTrustedSender({ webContentsId: 7, frame: { url: 'app://hangar/index.html', processId: 4, routingId: 2 } }, window), false);
    assert.equal(isTrustedSender({ webContentsId: 7, frame: { url: 'app://hangar/index.html', processId: 5, routingId: 1 } }, window), false);
  });

  test('rejects another origin in the main frame', () => {
    const evil: FrameRef = { url: 'https://evil.example/', processId: 4, routingId: 1 };
    assert.equal(isTrustedSender({ webContentsId: 7, frame: evil }, { webContentsId: 7, mainFrame: evil }), false);
    const file: FrameRef = { url: 'file:///tmp/x.html', processId: 4, routingId: 1 };
    assert.equal(isTrustedSender({ webContentsId: 7, frame: file }, { webContentsId: 7, mainFrame: file }), false);
  });

  test('rejects another window, a destroyed frame, or no window at all', () => {
    assert.equal(isTrustedSender({ webContentsId: 8, frame: main }, window), false);
    assert.equal(isTrustedSender({ webContentsId: 7, frame: null }, window), false);
    assert.equal(isTrustedSender({ webContentsId: 7, frame: main }, { webContentsId: 7, mainFrame: null }), false);
    assert.equal(isTrustedSender({ webContentsId: 7, frame: main }, null), false);
  });

  test('permissions: only clipboard writes', () => {
    assert.equal(isAllowedPermission('clipboard-sanitized-write'), true);
    for (const p of ['media', 'notifications', 'geolocation', 'openExternal', 'clipboard-read', 'fileSystem']) assert.equal(isAllowedPermission(p), false, p);
  });
});

describe('quitting with VMs running', () => {
  test('nothing to ask when no VM runs', () => {
    assert.equal(quitChoice([]), null);
  });

  test('the question offers keep, save, power off and cancel, each with its action', () => {
    const q = quitChoice(['web', 'db'])!;
    assert.deepEqual(q.options.buttons, ['Keep running in the background', 'Save their state', 'Power them off', 'Cancel']);
    assert.match(q.options.message, /2 virtual machines are running/);
    assert.match(q.options.detail, /web, db/);
    assert.equal(q.options.defaultId, 0, 'the default never stops a VM');
    assert.equal(q.options.buttons[q.options.cancelId], 'Cancel');
    assert.deepEqual([0, 1, 2, 3].map((i) => quitActionFor(q, i)), ['keep', 'save', 'poweroff', 'cancel']);
  });

  test('an unexpected answer cancels (never powers off)', () => {
    const q = quitChoice(['a'])!;
    assert.match(q.options.message, /A virtual machine is running/);
    assert.equal(quitActionFor(q, 4), 'cancel');
    assert.equal(quitActionFor(q, -1), 'cancel');
  });

  test('a long list is cut short', () => {
    const q = quitChoice(Array.from({ length: 13 }, (_, i) => `vm${i}`))!;
    assert.match(q.options.detail, /vm9, and 3 more/);
    assert.doesNotMatch(q.options.detail, /vm10/);
  });

  test('failures are reported in one line', () => {
    assert.equal(
      quitFailureMessage('save', [{ name: 'web', message: 'no disk space' }]),
      'Hangar could not save web (no disk space). Hangar stays open.',
    );
    assert.match(quitFailureMessage('poweroff', [{ name: 'a', message: 'x' }, { name: 'b', message: 'y' }]), /could not power off a \(x\); b \(y\)/);
  });
});

describe('appliance files on the command line', () => {
  test('finds an .ova or .ovf argument, made absolute', () => {
    assert.equal(fileArgFromArgv(['.', '/home/u/web.ova'], '/tmp'), '/home/u/web.ova');
    assert.equal(fileArgFromArgv(['appliance.OVF'], '/home/u/Downloads'), '/home/u/Downloads/appliance.OVF');
    assert.equal(fileArgFromArgv(['--enable-logging', 'a/b.ova'], '/w'), '/w/a/b.ova');
    assert.equal(fileArgFromArgv(['file:///home/u/My%20VM.ova'], '/'), '/home/u/My VM.ova');
  });

  test('ignores switches, other files and other URLs', () => {
    assert.equal(fileArgFromArgv([], '/'), null);
    assert.equal(fileArgFromArgv(['.', '--open=/x.ova', '/x.iso', 'readme.ova.txt'], '/'), null);
    assert.equal(fileArgFromArgv(['https://example.com/x.ova'], '/'), null);
  });

  test('takes the first one', () => {
    assert.equal(fileArgFromArgv(['/a.ovf', '/b.ova'], '/'), '/a.ovf');
  });
});

describe('serving app://hangar/', () => {
  const root = '/srv/renderer';

  test('maps app URLs to files of the renderer folder', () => {
    assert.equal(appFilePath('app://hangar/', root), '/srv/renderer/index.html');
    assert.equal(appFilePath('app://hangar/index.html', root), '/srv/renderer/index.html');
    assert.equal(appFilePath('app://hangar/assets/index-1.js?v=2', root), '/srv/renderer/assets/index-1.js');
  });

  test('nothing outside the folder, nothing of another host', () => {
    // the URL parser resolves encoded dot segments itself: what is left stays inside the folder
    assert.equal(appFilePath('app://hangar/%2e%2e/%2e%2e/etc/passwd', root), '/srv/renderer/etc/passwd');
    assert.equal(appFilePath('app://hangar/..%2f..%2fetc/passwd', root), null);
    assert.equal(appFilePath('app://hangar/a%00b', root), null);
    assert.equal(appFilePath('app://hangar/%E0%A4%A', root), null);
    assert.equal(appFilePath('app://other/index.html', root), null);
    assert.equal(appFilePath('file:///etc/passwd', root), null);
  });
});

describe('native file dialogs', () => {
  test('a well-formed request is accepted', () => {
    assert.deepEqual(parsePickFileRequest({ title: 'Choose an ISO', filter: 'iso' }), { title: 'Choose an ISO', filter: 'iso' });
    assert.deepEqual(parsePickFileRequest({ title: 'Disk', filter: 'disk', defaultPath: '/home/u' }), { title: 'Disk', filter: 'disk', defaultPath: '/home/u' });
    assert.deepEqual(parsePickFileRequest({ title: 'Any' }), { title: 'Any', filter: 'all' });
  });

  test('anything else is refused', () => {
    for (const raw of [
      null,
      'x',
      [],
      { filter: 'iso' },
      { title: 'x', filter: 'exe' },
      { title: 'x', filter: 'iso', defaultPath: 'relative/path' },
      { title: 'x', filter: 'iso', defaultPath: '/a\0b' },
      { title: 'x', filter: 'iso', properties: ['openDirectory'] },
      { title: 'x'.repeat(201) },
    ]) {
      assert.equal(parsePickFileRequest(raw), null, JSON.stringify(raw));
    }
  });

  test('filters name the image types and always offer all files', () => {
    assert.deepEqual(dialogFilters('iso')[0], { name: 'Disc images', extensions: ['iso', 'img'] });
    assert.ok(dialogFilters('disk')[0]!.extensions.includes('qcow2'));
    assert.ok(dialogFilters('disk')[0]!.extensions.includes('vmdk'));
    for (const f of ['all', 'iso', 'disk', 'kernel'] as const) {
      assert.deepEqual(dialogFilters(f).at(-1), { name: 'All files', extensions: ['*'] });
    }
  });
});

describe('menu', () => {
  const flat = (items: MenuItemSpec[]): MenuItemSpec[] => items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);

  test('File has New VM and Quit; Help has About', () => {
    const m = menuSpec({ packaged: true, platform: 'linux' });
    const file = m.find((i) => i.label === 'File')!;
    assert.equal(file.submenu![0]!.command, 'newVm');
    assert.equal(file.submenu![1]!.command, 'importAppliance');
    assert.ok(file.submenu!.some((i) => i.role === 'quit'));
    assert.ok(flat(m).some((i) => i.command === 'about'));
    assert.ok(flat(m).some((i) => i.role === 'reload'));
  });

  test('devtools only when not packaged', () => {
    assert.equal(flat(menuSpec({ packaged: true, platform: 'linux' })).some((i) => i.role === 'toggleDevTools'), false);
    assert.equal(flat(menuSpec({ packaged: false, platform: 'linux' })).some((i) => i.role === 'toggleDevTools'), true);
  });

  test('on macOS the app menu comes first and holds Quit', () => {
    const m = menuSpec({ packaged: true, platform: 'darwin' });
    assert.equal(m[0]!.role, 'appMenu');
    assert.equal(m.find((i) => i.label === 'File')!.submenu!.some((i) => i.role === 'quit'), false);
  });
});

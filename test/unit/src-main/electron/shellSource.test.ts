// The Electron main process cannot run here, so these checks read its source: the policy functions
// must be what reaches Electron, so that the window's hardening cannot be bypassed by an edit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../helpers/paths.js';

const dir = join(repoRoot, 'src-main', 'electron');
const main = readFileSync(join(dir, 'main.electron.ts'), 'utf8');
const preload = readFileSync(join(dir, 'preload.electron.cts'), 'utf8');
const count = (re: RegExp) => [...main.matchAll(re)].length;

describe('Electron shell source', () => {
  test('every BrowserWindow is built from mainWindowOptions(...)', () => {
    const all = count(/new BrowserWindow\s*\(/g);
    const viaPolicy = count(/new BrowserWindow\s*\(\s*mainWindowOptions\s*\(/g);
    assert.ok(all >= 1, 'main.electron.ts creates the window');
    assert.equal(viaPolicy, all);
  });

  test('main sets no webPreferences of its own', () => {
    assert.doesNotMatch(main, /webPreferences|nodeIntegration|contextIsolation|sandbox\s*:/);
  });

  test('every IPC handler runs the sender check first', () => {
    const handlers = count(/ipcMain\.(on|handle|once|handleOnce)\s*\(/g);
    const checked = count(/ipcMain\.(on|handle)\s*\(\s*[A-Z_]+\s*,\s*(async\s*)?\(e\b[^)]*\)\s*=>\s*\{\s*if \(!trusted\(e\)\)/g);
    assert.ok(handlers >= 2);
    assert.equal(checked, handlers);
    assert.match(main, /isTrustedSender\(/);
    assert.match(main, /isWire\(m\)/);
  });

  test('navigation and new windows are denied', () => {
    assert.match(main, /'will-navigate', denyForeign/);
    assert.match(main, /isAllowedNavigation\(e\.url\)/);
    assert.ok(count(/setWindowOpenHandler\(\(\) => \(\{ action: 'deny' \}\)\)/g) >= 1);
    assert.match(main, /'will-attach-webview', \(ev\) => ev\.preventDefault\(\)/);
  });

  test('single instance, the privileged scheme, and the owner kind', () => {
    assert.match(main, /requestSingleInstanceLock\(\)/);
    assert.match(main, /registerSchemesAsPrivileged\(\[appSchemePrivileges\]\)/);
    assert.match(main, /kind: 'the desktop app'/);
    assert.match(main, /takeOverHome\(home, 'the desktop app'\)/);
  });

  test('the preload imports electron only, and exposes one object', () => {
    const imports = [...preload.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    assert.deepEqual(imports, ['electron']);
    assert.equal([...preload.matchAll(/exposeInMainWorld\(/g)].length, 1);
  });
});

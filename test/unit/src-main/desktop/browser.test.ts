import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserCommands, browserVarCommands, canOpenBrowser, hasDesktopSession, redirectPage } from '../../../../src-main/desktop/browser.js';

const page = 'file:///home/u/.local/share/hangar/web/open-1.html';

describe('opening the browser', () => {
  test('$BROWSER: commands separated by colons, the address appended or put in place of %s, no shell', () => {
    assert.deepEqual(browserVarCommands('firefox', page), [['firefox', page]]);
    assert.deepEqual(browserVarCommands('chromium --new-window:firefox', page), [['chromium', '--new-window', page], ['firefox', page]]);
    assert.deepEqual(browserVarCommands('my-browser --url=%s --x', page), [['my-browser', `--url=${page}`, '--x']]);
    assert.deepEqual(browserVarCommands('echo 100%% %s', page), [['echo', '100%', page]]);
    assert.deepEqual(browserVarCommands('echo 100%%', page), [['echo', '100%', page]]);
    assert.deepEqual(browserVarCommands(' : ::', page), []);
    // shell syntax stays text: one argument each, nothing run
    assert.deepEqual(browserVarCommands('sh -c "rm -rf ~"', page), [['sh', '-c', '"rm', '-rf', '~"', page]]);
  });

  test('a desktop session is a display on Linux; macOS and Windows always have one', () => {
    assert.equal(hasDesktopSession({}, 'linux'), false);
    assert.equal(hasDesktopSession({ DISPLAY: ':1' }, 'linux'), true);
    assert.equal(hasDesktopSession({ WAYLAND_DISPLAY: 'wayland-0' }, 'freebsd'), true);
    assert.equal(hasDesktopSession({}, 'darwin'), true);
  });

  test('$BROWSER first, then the desktop opener; nothing without either', () => {
    assert.deepEqual(browserCommands(page, {}, 'linux'), []);
    assert.deepEqual(browserCommands(page, { DISPLAY: ':0' }, 'linux'), [['xdg-open', page]]);
    assert.deepEqual(browserCommands(page, { DISPLAY: ':0', BROWSER: 'w3m' }, 'linux'), [['w3m', page], ['xdg-open', page]]);
    assert.deepEqual(browserCommands(page, { BROWSER: 'w3m' }, 'linux'), [['w3m', page]]);
    assert.deepEqual(browserCommands(page, {}, 'darwin'), [['open', page]]);
    assert.equal(canOpenBrowser({}, 'linux'), false);
    assert.equal(canOpenBrowser({ BROWSER: ' : ' }, 'linux'), false);
    assert.equal(canOpenBrowser({ BROWSER: 'firefox' }, 'linux'), true);
  });

  test('the hand-over page forwards to the address, escaped', () => {
    const url = 'http://127.0.0.1:5/?token=a-b_c#import=%2Ftmp%2Fa%22%3Cb.ova';
    const html = redirectPage(url);
    assert.match(html, /<meta http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:5\/\?token=a-b_c#import=%2Ftmp%2Fa%22%3Cb\.ova">/);
    assert.ok(html.includes(`<a href="${url}">`));
    const hostile = redirectPage('http://x/?token=t#"><script>alert(1)</script>');
    assert.doesNotMatch(hostile, /<script>/);
    assert.match(hostile, /&#34;&#62;&#60;script&#62;/);
  });
});

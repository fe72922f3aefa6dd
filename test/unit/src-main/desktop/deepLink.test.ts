import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashWithoutImport, importPathFromHash, importUrl } from '../../../../src-main/desktop/deepLink.js';

describe('the link hangar open makes', () => {
  test('the served address with the file after #import=, read back by the page', () => {
    const url = importUrl('http://127.0.0.1:4100/?token=Ab-_9', '/srv/my appliance#1 & more.ova');
    assert.equal(url, 'http://127.0.0.1:4100/?token=Ab-_9#import=%2Fsrv%2Fmy%20appliance%231%20%26%20more.ova');
    const u = new URL(url);
    assert.equal(u.searchParams.get('token'), 'Ab-_9');
    assert.equal(importPathFromHash(u.hash), '/srv/my appliance#1 & more.ova');
    assert.equal(hashWithoutImport(u.hash), '');
  });

  test('an address that already has a fragment loses it', () => {
    assert.equal(importUrl('http://127.0.0.1:1/?token=t#vm=3', '/a.ova'), 'http://127.0.0.1:1/?token=t#import=%2Fa.ova');
  });
});

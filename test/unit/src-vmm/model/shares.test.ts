import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, composeConfig, defaultShareTag, fstabLine, mountCommand, validateConfig, type VmConfig } from '../../../../src-vmm/model/index.js';
import { sampleConfig } from '../../../helpers/sampleConfig.js';

const ID = '11111111-2222-4333-8444-555555555555';

describe('shared folders in the model', () => {
  test("a share's default tag is its folder's name, made fit for a tag", () => {
    assert.equal(defaultShareTag('/home/ada/src'), 'src');
    assert.equal(defaultShareTag('/home/ada/src/'), 'src');
    assert.equal(defaultShareTag('/home/ada/My Documents'), 'My-Documents');
    assert.equal(defaultShareTag('/srv/.hidden'), 'hidden');
    assert.equal(defaultShareTag('/srv/ünïcode'), 'n-code');
    assert.equal(defaultShareTag('/srv/日本語'), 'share', 'nothing usable is left');
    assert.equal(defaultShareTag('/'), 'share');
    assert.equal(defaultShareTag(`/x/${'a'.repeat(40)}`), 'a'.repeat(31));
  });

  test('tags, paths and modes are checked; a tag is used once per VM', () => {
    const issues = (shares: unknown) => {
      const r = validateConfig({ ...sampleConfig(), shares });
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    assert.deepEqual(issues([{ tag: 'a', hostPath: '/x', readOnly: false, mode: 'virtiofs' }]), []);
    assert.deepEqual(issues([{ tag: '-a', hostPath: 'rel', readOnly: false, mode: 'nfs' }]), [
      "shares[0].tag: share tag must be 1 to 31 letters, digits, '.', '_' or '-', starting with a letter or digit",
      'shares[0].hostPath: must be an absolute path',
      "shares[0].mode: share mode must be 'virtiofs' or '9p'",
    ]);
    assert.deepEqual(
      issues([
        { tag: 'a', hostPath: '/x', readOnly: false, mode: 'virtiofs' },
        { tag: 'a', hostPath: '/y', readOnly: true, mode: '9p' },
      ]),
      ["shares[1].tag: share tag 'a' is used by more than one shared folder"],
    );
    assert.ok(validateConfig(sampleConfig()).ok, 'a config without the section (saved before it existed) is valid');
  });

  test('create fills tags and modes; modify adds and removes by tag', () => {
    const r = composeConfig({ id: ID, name: 'n', shares: [{ hostPath: '/home/u/code' }, { hostPath: '/srv/ro', tag: 'data', readOnly: true, mode: '9p' }], shareMode: 'virtiofs' });
    assert.ok(r.ok);
    assert.deepEqual(r.value.shares, [
      { tag: 'code', hostPath: '/home/u/code', readOnly: false, mode: 'virtiofs' },
      { tag: 'data', hostPath: '/srv/ro', readOnly: true, mode: '9p' },
    ]);
    const c: VmConfig = r.value;
    const changed = applyChange(c, { removeShares: ['code'], addShares: [{ hostPath: '/a/b' }], shareMode: '9p' });
    assert.ok(changed.ok);
    assert.deepEqual(changed.value.shares?.map((s) => [s.tag, s.mode]), [['data', '9p'], ['b', '9p']]);
    assert.deepEqual(c.shares?.length, 2, 'the given config is left as it was');
    const unknown = applyChange(c, { removeShares: ['nope'] });
    assert.ok(!unknown.ok);
    assert.deepEqual(unknown.issues, [{ path: 'removeShares[0]', message: "there is no shared folder tagged 'nope'" }]);
    const dup = applyChange(c, { addShares: [{ hostPath: '/other/code' }] });
    assert.ok(!dup.ok);
    assert.deepEqual(dup.issues.map((i) => i.path), ['shares[2].tag']);
    const none = composeConfig({ id: ID, name: 'n' });
    assert.ok(none.ok && none.value.shares === undefined, 'no shares: no section');
  });

  test('the mount commands the details view shows', () => {
    assert.equal(mountCommand({ tag: 'src', mode: 'virtiofs', readOnly: false }), 'mount -t virtiofs src /mnt/src');
    assert.equal(mountCommand({ tag: 'src', mode: 'virtiofs', readOnly: true }), 'mount -t virtiofs -o ro src /mnt/src');
    assert.equal(mountCommand({ tag: 'd', mode: '9p', readOnly: true }), 'mount -t 9p -o trans=virtio,version=9p2000.L,ro d /mnt/d');
    assert.equal(fstabLine({ tag: 'd', mode: '9p', readOnly: false }), 'd /mnt/d 9p trans=virtio,version=9p2000.L,rw,nofail 0 0');
  });
});

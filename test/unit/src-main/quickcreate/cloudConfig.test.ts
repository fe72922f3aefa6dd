import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedFiles, userDataProblem, base64Utf8, SSHD_DROP_IN } from '../../../../src-main/quickcreate/cloudConfig.js';
import { parseYaml } from '../../../../src-main/quickcreate/yaml.js';

const hostKey = { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n-----END OPENSSH PRIVATE KEY-----\n', publicKey: 'ssh-ed25519 AAAAHOST host\n' };

describe('cloud-init seed', () => {
  test("Hangar's own cloud-config: the account with its key, sudo, the host key, no password login", () => {
    const f = seedFiles({ instanceId: 'vm-1', hostname: 'web-1', user: 'alice', authorizedKeys: ['ssh-ed25519 AAAAkey a@b'], hostKey });
    assert.deepEqual(parseYaml(f['meta-data']), { 'instance-id': 'vm-1', 'local-hostname': 'web-1' });
    assert.ok(f['user-data'].startsWith('#cloud-config\n'));
    const doc = parseYaml(f['user-data']) as Record<string, unknown>;
    assert.equal(doc.hostname, 'web-1');
    const [u] = doc.users as Record<string, unknown>[];
    assert.equal(u!.name, 'alice');
    assert.deepEqual(u!.ssh_authorized_keys, ['ssh-ed25519 AAAAkey a@b']);
    assert.equal(u!.lock_passwd, true);
    assert.equal(u!.passwd, undefined);
    assert.equal(doc.ssh_pwauth, undefined, 'no ssh_pwauth: it restarts sshd in a late stage');
    assert.deepEqual(doc.write_files, [{ path: SSHD_DROP_IN, owner: 'root:root', permissions: '0644', content: '# Written by Hangar at the first boot\nPasswordAuthentication no\n' }]);
    assert.deepEqual(doc.ssh_keys, { ed25519_private: hostKey.privateKey, ed25519_public: 'ssh-ed25519 AAAAHOST host' });
    assert.equal(userDataProblem(f['user-data']), null, "Hangar's own user-data passes its own check");
  });

  test("the locale is C.UTF-8 (glibc always has it), unless the person's cloud-config names one", () => {
    const plain = parseYaml(seedFiles({ instanceId: 'i', hostname: 'h', user: 'bob', authorizedKeys: [], hostKey })['user-data']) as Record<string, unknown>;
    assert.equal(plain.locale, 'C.UTF-8');
    const withOwn = seedFiles({ instanceId: 'i', hostname: 'h', user: 'bob', authorizedKeys: [], hostKey, userData: '#cloud-config\nlocale: fr_FR.UTF-8\n', boundary: 'B' });
    const hangarPart = Buffer.from(withOwn['user-data'].split('--B')[1]!.split('\n\n')[1]!, 'base64').toString('utf8');
    assert.equal((parseYaml(hangarPart) as Record<string, unknown>).locale, undefined, "Hangar's part leaves the locale to the person's");
    const withoutLocale = seedFiles({ instanceId: 'i', hostname: 'h', user: 'bob', authorizedKeys: [], hostKey, userData: '#cloud-config\nruncmd: [true]\n', boundary: 'B' });
    assert.match(Buffer.from(withoutLocale['user-data'].split('--B')[1]!.split('\n\n')[1]!, 'base64').toString('utf8'), /"locale": "C\.UTF-8"/);
  });

  test('a password goes in as its hash and allows password logins', () => {
    const f = seedFiles({ instanceId: 'i', hostname: 'h', user: 'bob', authorizedKeys: [], passwordHash: '$6$salt$hash', hostKey });
    const doc = parseYaml(f['user-data']) as { users: Record<string, unknown>[]; write_files: { path: string; content: string }[] };
    assert.equal(doc.users[0]!.passwd, '$6$salt$hash');
    assert.equal(doc.users[0]!.lock_passwd, false);
    assert.equal(doc.write_files[0]!.path, SSHD_DROP_IN);
    assert.match(doc.write_files[0]!.content, /^PasswordAuthentication yes$/m);
    assert.ok(!f['user-data'].includes('s3cret'));
  });

  test("a person's user-data becomes the second part of a MIME message, merged into Hangar's", () => {
    const mine = '#cloud-config\nruncmd:\n  - touch /tmp/é\n';
    const f = seedFiles({ instanceId: 'i', hostname: 'h', user: 'bob', authorizedKeys: [], hostKey, userData: mine, boundary: 'BOUNDARY' });
    const text = f['user-data'];
    assert.match(text, /^Content-Type: multipart\/mixed; boundary="BOUNDARY"/);
    const parts = text.split('--BOUNDARY').slice(1, -1);
    assert.equal(parts.length, 2);
    assert.match(parts[1]!, /Merge-Type: list\(append\)\+dict\(no_replace,recurse_list\)\+str\(\)/);
    const b64 = parts[1]!.split('\n\n')[1]!.replace(/\s/g, '');
    assert.equal(Buffer.from(b64, 'base64').toString('utf8'), mine);
    assert.equal(base64Utf8(mine), Buffer.from(mine, 'utf8').toString('base64'));
    assert.ok(text.endsWith('--BOUNDARY--\n'));
  });

  test('user-data that is not cloud-config cloud-init can read is refused, saying why', () => {
    assert.equal(userDataProblem('#cloud-config\npackages: [git]\n'), null);
    assert.equal(userDataProblem('#cloud-config\n'), null);
    assert.match(userDataProblem('packages: [git]\n')!, /first line must be #cloud-config/);
    assert.match(userDataProblem('#!/bin/sh\necho hi\n')!, /is a script/);
    assert.match(userDataProblem('#cloud-config\npackages: [git\n')!, /not valid YAML: line 2/);
    assert.match(userDataProblem('#cloud-config\n- a\n- b\n')!, /must be a mapping/);
    assert.match(userDataProblem('#cloud-config\nruncmd: echo hi\n')!, /'runcmd' must be a list/);
    assert.match(userDataProblem('#cloud-config\nusers:\n\t- name: x\n')!, /tab/);
  });
});

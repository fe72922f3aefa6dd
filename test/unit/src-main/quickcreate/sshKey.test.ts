import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePublicKey } from '../../../../src-main/quickcreate/sshKey.js';

// A real ed25519 public key (made with ssh-keygen for this test; its private half was thrown away).
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDAHNNwqGBPhA+t6YT2+XFUhzjLGpdHMMFRiicFDmsns alice@desk';

describe('OpenSSH public keys', () => {
  test('a key line is read with its comment; blank lines and comments around it are fine', () => {
    const r = parsePublicKey(`# my key\n\n${ED25519}\n`);
    assert.ok(r.ok);
    assert.equal(r.key.type, 'ssh-ed25519');
    assert.equal(r.key.comment, 'alice@desk');
    assert.equal(r.key.line, ED25519);
  });

  test('what cannot let anyone log in is refused, saying why', () => {
    const problem = (text: string) => {
      const r = parsePublicKey(text);
      assert.equal(r.ok, false, text);
      return r.ok ? '' : r.problem;
    };
    assert.match(problem(''), /empty/);
    assert.match(problem('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n'), /private key/);
    assert.match(problem('hello world'), /not an OpenSSH public key/);
    assert.match(problem('ssh-ed25519 not!base64'), /not base64/);
    // the blob of an RSA key under the ed25519 name
    assert.match(problem('ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQC7'), /damaged or belongs to another key type|not base64/);
    assert.match(problem(`${ED25519}\n${ED25519}\n`), /2 lines/);
    assert.match(problem('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDAHNNwq'), /wrong length|not base64/);
  });
});

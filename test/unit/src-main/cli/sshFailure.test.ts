import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransientSshFailure } from '../../../../src-main/cli/sshFailure.js';

test("ssh's messages for a server still coming up are transient", () => {
  for (const stderr of [
    'kex_exchange_identification: read: Connection reset by peer\r\nConnection reset by 127.0.0.1 port 40111\r\n',
    'kex_exchange_identification: Connection closed by remote host\r\nConnection closed by 127.0.0.1 port 40111\r\n',
    'Connection timed out during banner exchange\r\nConnection to 127.0.0.1 port 40111 timed out\r\n',
    'ssh: connect to host 127.0.0.1 port 40111: Connection refused\r\n',
    'Connection closed by 127.0.0.1 port 40111\r\n',
  ]) {
    assert.equal(isTransientSshFailure(stderr), true, stderr);
  }
});

test('a refused login or a changed host key is an answer: not transient', () => {
  for (const stderr of [
    'alice@127.0.0.1: Permission denied (publickey).\r\n',
    'Received disconnect from 127.0.0.1 port 40111:2: Too many authentication failures\r\nDisconnected from 127.0.0.1 port 40111\r\n',
    '@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nHost key verification failed.\r\n',
    // a refusal, then the connection closing: the refusal decides
    'alice@127.0.0.1: Permission denied (publickey).\r\nConnection closed by 127.0.0.1 port 40111\r\n',
    '',
    'ssh: Could not resolve hostname nowhere: Name or service not known\r\n',
  ]) {
    assert.equal(isTransientSshFailure(stderr), false, stderr);
  }
});

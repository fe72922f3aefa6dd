import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTarget, parseTarget, shellWord } from '../../../../src-main/migration/target.js';
import { remoteCommand, sshBaseArgs } from '../../../../src-main/migration/link.node.js';

describe('migration targets', () => {
  test('home:/PATH and ssh://[user@]host[:port][/HOME] are read', () => {
    assert.deepEqual(parseTarget('home:/srv/hangar/'), { kind: 'home', home: '/srv/hangar' });
    assert.deepEqual(parseTarget('ssh://box'), { kind: 'ssh', host: 'box' });
    assert.deepEqual(parseTarget('ssh://ann@box.example.org:2222'), { kind: 'ssh', host: 'box.example.org', user: 'ann', port: 2222 });
    assert.deepEqual(parseTarget('ssh://127.0.0.1:22/tmp/h'), { kind: 'ssh', host: '127.0.0.1', port: 22, home: '/tmp/h' });
    assert.deepEqual(parseTarget('ssh://[::1]'), { kind: 'ssh', host: '[::1]' });
    for (const t of ['home:/srv/hangar', 'ssh://ann@box:2222/data/h']) assert.equal(describeTarget(parseTarget(t)), t);
  });

  test('anything else is refused as invalid input, on the target field', () => {
    for (const [t, says] of [
      ['box', /not a migration target/],
      ['home:rel', /absolute path/],
      ['ssh://-oProxyCommand=sh', /not a host name/],
      ['ssh://a b', /not a host name/],
      ['ssh://box:99999', /not a port number/],
      ['ssh://$(id)@box', /not a user name/],
      ['ssh://box/', /not a home folder/],
    ] as const) {
      assert.throws(() => parseTarget(t), (e: { code: string; message: string; details: { issues: { path: string }[] } }) => {
        assert.equal(e.code, 'INVALID_INPUT');
        assert.match(e.message, says);
        assert.equal(e.details.issues[0]!.path, 'target');
        return true;
      });
    }
  });

  test('ssh gets an argument array; the remote command is quoted for the remote shell', () => {
    const t = parseTarget("ssh://ann@box:2222/home/ann/my 'vms'");
    assert.ok(t.kind === 'ssh');
    assert.deepEqual(sshBaseArgs(t, { HANGAR_SSH_CONFIG: '/c' }), ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3', '-F', '/c', '-p', '2222', '-l', 'ann']);
    assert.equal(remoteCommand(t, {}), `env HANGAR_HOME='/home/ann/my '\\''vms'\\''' hangar __stdio`);
    assert.equal(remoteCommand(parseTarget('ssh://box') as Extract<ReturnType<typeof parseTarget>, { kind: 'ssh' }>, { HANGAR_REMOTE_HANGAR: '/usr/bin/node /opt/h/main.js' }), '/usr/bin/node /opt/h/main.js __stdio');
    assert.equal(shellWord('$(rm -rf ~)'), `'$(rm -rf ~)'`);
  });
});

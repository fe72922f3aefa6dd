// An sshd of the test's own on 127.0.0.1: its host key, one authorized client key, its config and pid
// file in a temporary folder. `command` is an ssh wrapper that uses the test's client config (key,
// known_hosts with the host key: the host is really verified), for libvirt's `command=` URI parameter.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './cli.node.js';

export interface TestSshd {
  port: number;
  dir: string;
  /** an executable that runs ssh with the test's client configuration */
  command: string;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'sshd-'));
  const key = (name: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  };
  const hostPub = key('host_key');
  const clientPub = key('client_key');
  writeFileSync(join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub.split(' ').slice(0, 2).join(' ')}\n`);
  writeFileSync(
    join(dir, 'ssh_config'),
    ['Host *', `  IdentityFile ${join(dir, 'client_key')}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, '  GlobalKnownHostsFile /dev/null', '  StrictHostKeyChecking yes', '  BatchMode yes', ''].join('\n'),
  );
  const command = join(dir, 'ssh');
  writeFileSync(command, `#!/bin/sh\nexec ssh -F '${join(dir, 'ssh_config')}' "$@"\n`);
  chmodSync(command, 0o755);
  // sshd insists on its privilege separation folder
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await waitUntil('sshd to listen', () => {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${err}`);
    return /Server listening/.test(err) ? true : undefined;
  }, 15_000, 100);
  return {
    port,
    dir,
    command,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise<void>((r) => child.once('exit', () => r()));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

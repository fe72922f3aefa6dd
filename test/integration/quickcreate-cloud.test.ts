// Cloud-init end to end: the Debian cloud image built from Debian packages is added to the library, two
// VMs are made from it (one with a key generated here and the person's own user-data, one with a
// password and a key Hangar makes), both boot at once under QEMU, and `hangar ssh` (the system's ssh
// client) reaches each through its forwarded loopback port: the hostnames, accounts, keys and user-data
// are the ones given, the disk grew to the size asked, and the guest's host key is the one Hangar gave it.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliIn, runCli, tempHome, withLogsOnFailure } from '../helpers/cli.node.js';
import { quickCreateFixtures } from '../fixtures/quickcreate.node.js';

describe('cloud-init and hangar ssh (two Debian cloud VMs at once)', () => {
  const { home, cleanup } = tempHome('hangar-qccloud-');
  const { h, ok } = cliIn(home);
  const fx = quickCreateFixtures();
  const work = join(home, 'work');
  const ssh = (vm: string, ...command: string[]) => runCli(home, ['ssh', vm, '--wait', '900', '--', ...command], { timeoutMs: 960_000 });

  after(async () => {
    await cleanup();
  });

  test('create --image with a generated key and user-data; ssh prints the hostname; the account, key and user-data are the ones given', () =>
    withLogsOnFailure(home, async () => {
      mkdirSync(work, { recursive: true });
      const key = join(work, 'id_alice');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@test', '-f', key]);
      const userData = join(work, 'user-data.yaml');
      writeFileSync(
        userData,
        ['#cloud-config', 'write_files:', '  - path: /etc/hangar-test', '    content: |', '      made by the user-data', 'runcmd:', '  - [ sh, -c, "echo ran > /var/tmp/runcmd" ]', ''].join('\n'),
      );
      await ok('image', 'add', fx.cloudImage, '--name', 'debian');
      const a = (await ok('create', '--name', 'vm-a', '--image', 'debian', '--user', 'alice', '--ssh-key', `${key}.pub`, '--hostname', 'alpha-host', '--user-data', userData, '--disk', '4G', '--memory', '1024', '--json')).json;
      const b = (await ok('create', '--name', 'vm-b', '--image', 'debian', '--user', 'bob', '--password', 'correct horse', '--hostname', 'beta-host', '--memory', '1024', '--json')).json;
      assert.equal(a.cloudInit.identityFile, key, "hangar ssh uses the private key beside the .pub given");
      assert.equal(b.cloudInit.identityFile, join(b.folder, 'ssh', 'id_ed25519'), 'without a key, Hangar makes one for the VM');
      assert.ok(!readFileSync(join(home, 'owner.log'), 'utf8').includes('correct horse'), 'the password is in no log');

      await Promise.all([ok('start', 'vm-a'), ok('start', 'vm-b')]);
      // --wait returns once a login gets through and cloud-init has finished the boot.
      const [ha, hb] = await Promise.all([ssh('vm-a', 'cat /etc/hostname; cloud-init status'), ssh('vm-b', 'cat /etc/hostname; cloud-init status')]);
      assert.equal(ha.code, 0, ha.stderr);
      assert.deepEqual(ha.stdout.trim().split('\n'), ['alpha-host', 'status: done']);
      assert.equal(hb.code, 0, hb.stderr);
      assert.deepEqual(hb.stdout.trim().split('\n'), ['beta-host', 'status: done']);
      // Both answered while both run.
      const states = (await ok('list', '--json')).json.vms.map((v: { name: string; state: string }) => `${v.name}:${v.state}`);
      assert.deepEqual(states.sort(), ['vm-a:running', 'vm-b:running']);

      // SSH answers before cloud-init's last stage (runcmd) has run: wait for it. Hangar's cloud-config and the
      // person's, merged, pass cloud-init's schema and every module runs without an error.
      const status = await ssh('vm-a', 'cloud-init status --wait --long; sudo cloud-init schema --system');
      assert.equal(status.code, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /^status: done$/m);
      assert.match(status.stdout, /Valid cloud-config: system userdata/);
      const facts = await ssh('vm-a', 'id -un; cat ~/.ssh/authorized_keys; cat /etc/hangar-test; cat /var/tmp/runcmd; df -B1 --output=size / | tail -1; sudo -n true && echo sudo-ok');
      assert.equal(facts.code, 0, facts.stderr);
      const [user, authorized, fromUserData, ran, size, sudo] = facts.stdout.trim().split('\n');
      assert.equal(user, 'alice');
      assert.equal(authorized, readFileSync(`${key}.pub`, 'utf8').trim(), 'exactly the key given');
      assert.equal(fromUserData, 'made by the user-data');
      assert.equal(ran, 'ran');
      assert.ok(Number(size) > 3.5 * 2 ** 30, `the root file system grew to the disk's 4 GiB: ${size} bytes`);
      assert.equal(sudo, 'sudo-ok');

      // The key given is what logs in (the system's ssh, without Hangar), and another key is refused.
      const port = a.cloudInit.sshPort;
      const direct = (identity: string) =>
        spawnSync('ssh', ['-p', String(port), '-i', identity, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(a.folder, 'ssh', 'known_hosts')}`, '-o', `HostKeyAlias=hangar-${a.id}`, '-o', 'StrictHostKeyChecking=yes', 'alice@127.0.0.1', 'true'], { encoding: 'utf8', timeout: 300_000 });
      const given = direct(key);
      assert.equal(given.status, 0, given.stderr);
      const other = join(work, 'id_other');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const refused = direct(other);
      assert.equal(refused.status, 255);
      assert.match(refused.stderr, /Permission denied/);

      // Password logins: off where there is no password, on where there is one. They are set before sshd first
      // starts, so cloud-init never restarted it under a guest that already answered.
      const sshdFacts = 'sudo -n sshd -T | grep ^passwordauthentication; sudo -n journalctl -b -u ssh.service -o cat | grep -c "Server listening on 0.0.0.0 port 22"';
      const [pa, pb] = await Promise.all([ssh('vm-a', sshdFacts), ssh('vm-b', sshdFacts)]);
      assert.deepEqual(pa.stdout.trim().split('\n'), ['passwordauthentication no', '1'], pa.stdout + pa.stderr);
      assert.deepEqual(pb.stdout.trim().split('\n'), ['passwordauthentication yes', '1'], pb.stdout + pb.stderr);

      // vm-b: its password is set (as a SHA-512 hash), its account is bob.
      const shadow = await ssh('vm-b', 'id -un; sudo -n grep ^bob: /etc/shadow | cut -d: -f2 | cut -c1-3');
      assert.equal(shadow.code, 0, shadow.stderr);
      assert.deepEqual(shadow.stdout.trim().split('\n'), ['bob', '$6$']);
      // A command's status comes back through hangar ssh.
      assert.equal((await h('ssh', 'vm-b', '--', 'exit', '3')).code, 3);

      // The guest shuts down on the ACPI power button; ssh to a stopped VM is refused in one line.
      await Promise.all([ok('stop', 'vm-a', '--timeout', '300'), ok('stop', 'vm-b', '--timeout', '300')]);
      const stopped = await h('ssh', 'vm-a', '--', 'true');
      assert.equal(stopped.code, 1);
      assert.match(stopped.stderr, /VM 'vm-a' is stopped: start it first/);
    }));
});

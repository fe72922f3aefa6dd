// The files a VM made from a cloud image needs, written into its private folder: a key pair for
// `hangar ssh` (when the person gives no key), the guest's SSH host key and its known_hosts line, the
// password's hash, and the NoCloud seed (an ISO labelled cidata, made by xorriso: cloud-init finds it
// by its label). Private keys and the seed are 0600 in a 0700 folder; the password never reaches a
// command line or a log (openssl reads it on stdin).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { seedFiles, type SeedRequest } from './cloudConfig.js';
import { runTool } from './tools.node.js';

export interface KeyPair {
  privateKeyFile: string;
  publicKey: string;
}

/** A new ed25519 key pair in `dir` (`name` and `name.pub`), private to the user. */
export async function generateKeyPair(dir: string, name: string, comment: string, o: { signal?: AbortSignal } = {}): Promise<KeyPair> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  await runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { ...o, timeoutMs: 60_000, what: 'ssh-keygen' });
  chmodSync(file, 0o600);
  chmodSync(`${file}.pub`, 0o600);
  return { privateKeyFile: file, publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** crypt(3) SHA-512 ($6$) of a password, as /etc/shadow holds it: openssl reads the password on stdin. */
export async function hashPassword(password: string, o: { signal?: AbortSignal } = {}): Promise<string> {
  const r = await runTool('openssl', ['passwd', '-6', '-stdin'], { ...o, input: `${password}\n`, timeoutMs: 30_000, what: 'openssl passwd' });
  const hash = r.stdout.toString('utf8').trim();
  if (!/^\$6\$[^$]+\$[./0-9A-Za-z]+$/.test(hash)) throw new HangarError('INTERNAL', 'openssl passwd -6 did not print a SHA-512 crypt hash');
  return hash;
}

/** Writes the seed ISO at `file` (cidata: user-data and meta-data at its root). */
export async function writeSeed(file: string, req: SeedRequest, o: { signal?: AbortSignal; log?: (line: string) => void } = {}): Promise<void> {
  const files = seedFiles(req);
  const dir = mkdtempSync(`${file}.parts-`);
  try {
    chmodSync(dir, 0o700);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    // -V cidata is the NoCloud label; Joliet and Rock Ridge names keep 'user-data' as it is.
    await runTool('xorriso', ['-as', 'mkisofs', '-quiet', '-o', file, '-V', 'cidata', '-J', '-r', '-input-charset', 'utf-8', join(dir, 'user-data'), join(dir, 'meta-data')], {
      ...o,
      timeoutMs: 120_000,
      what: 'xorriso (the cloud-init seed)',
    });
    chmodSync(file, 0o600);
  } catch (e) {
    rmSync(file, { force: true });
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A free loopback port for a VM's SSH forward: none of `vms` forwards it. */
export function freeSshPort(vms: readonly { config: { nics: readonly { forwards: readonly { hostPort: number }[] }[] } }[]): Promise<number> {
  const taken = new Set<number>();
  for (const vm of vms) for (const n of vm.config.nics) for (const f of n.forwards) taken.add(f.hostPort);
  return freeLoopbackPort(taken);
}

/**
 * A TCP port on 127.0.0.1 that is free now and not in `taken` (ports other VMs forward): the kernel
 * picks it. Another program could take it before the VM starts; start then says so.
 */
export async function freeLoopbackPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !taken.has(port)) return port;
  }
  throw new HangarError('IO_ERROR', 'no free TCP port on 127.0.0.1 for the SSH forward');
}

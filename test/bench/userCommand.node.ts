// The command a user types: `hangar`, as set-up puts it on the PATH (the same launcher, written by the
// same function, into a folder of the bench's own), run by name through the PATH. Benchmarks time it
// from the moment the command is typed, so the launcher's shell and Node's start count as Hangar's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { installLauncher } from '../../src-main/desktop/install.node.js';
import { repoRoot } from '../helpers/paths.js';

export interface UserCommand {
  /** the environment with the launcher's folder first on the PATH: spawn('hangar', …, { env }) */
  env: NodeJS.ProcessEnv;
  /** runs `hangar ARGS` by name in `home`; resolves with the wall time and the output, rejects when it fails */
  run(home: string, args: string[]): Promise<{ ms: number; stdout: string; stderr: string }>;
  dispose(): void;
}

export function userCommand(): UserCommand {
  const binDir = mkdtempSync(join(tmpdir(), 'hangar-bench-bin-'));
  const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };
  const l = installLauncher({ repoRoot, nodePath: process.execPath, binDir, userHome: homedir(), env });
  if (l.state === 'foreign') throw new Error(`${l.path} is not Hangar's launcher`);
  return {
    env,
    run: (home, args) => timed('hangar', args, { ...env, HANGAR_HOME: home }),
    dispose: () => rmSync(binDir, { recursive: true, force: true }),
  };
}

/** Runs a command to its end; throws with its stderr when it fails. Returns the wall time in ms and its output. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.trim()}`));
    });
  });
}

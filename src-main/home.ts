// Where a Hangar home keeps things (pure: paths only).
import { join } from 'node:path';

export interface HomeEnv {
  HANGAR_HOME?: string;
  XDG_DATA_HOME?: string;
  APPDATA?: string;
}

/** $HANGAR_HOME, else the platform's data folder. */
export function resolveHome(env: HomeEnv, platform: string, userHome: string): string {
  if (env.HANGAR_HOME) return env.HANGAR_HOME;
  if (platform === 'darwin') return join(userHome, 'Library', 'Application Support', 'Hangar');
  if (platform === 'win32') return join(env.APPDATA ?? join(userHome, 'AppData', 'Roaming'), 'Hangar');
  return join(env.XDG_DATA_HOME ?? join(userHome, '.local', 'share'), 'hangar');
}

export function homePaths(home: string) {
  return {
    home,
    inventory: join(home, 'inventory.sqlite'),
    ownerSocket: join(home, 'owner.sock'),
    ownerLock: join(home, 'owner.lock'),
    ownerLog: join(home, 'owner.log'),
    vmsDir: join(home, 'VMs'),
    cacheDir: join(home, 'cache'),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;

export function vmPaths(home: string, vmId: string) {
  const dir = join(home, 'VMs', vmId);
  const run = join(dir, 'run');
  const logs = join(dir, 'logs');
  const state = join(dir, 'state');
  return {
    dir,
    disks: join(dir, 'disks'),
    snapshots: join(dir, 'snapshots'),
    state,
    logs,
    run,
    hostSocket: join(run, 'host.sock'),
    qmpSocket: join(run, 'qmp.sock'),
    serialSocket: join(run, 'serial.sock'),
    vncSocket: join(run, 'vnc.sock'),
    agentSocket: join(run, 'qga.sock'),
    pidFile: join(run, 'qemu.pid'),
    statusFile: join(run, 'status.json'),
    hostSpec: join(run, 'host-spec.json'),
    screenshot: join(run, 'screen.png'),
    qemuLog: join(logs, 'qemu.log'),
    hostLog: join(logs, 'vmm-host.log'),
    serialLog: join(logs, 'serial.log'),
    helpersLog: join(logs, 'helpers.log'),
    nvram: join(dir, 'nvram.fd'),
    tpmState: join(dir, 'tpm'),
    tpmLog: join(logs, 'swtpm.log'),
    savedState: join(state, 'saved.vmstate'),
  };
}
export type VmPaths = ReturnType<typeof vmPaths>;

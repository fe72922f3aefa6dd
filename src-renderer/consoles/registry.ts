// The per-connection console registry, reachable without loading xterm.js: the main window tells it
// about deleted VMs, and the Console view (a lazily loaded chunk) fills it.
import type { ApiConnection } from '../api/apiConnection.js';

export interface ConsoleRegistry {
  /** drops the terminal of a VM that no longer exists */
  forget(vmId: string): void;
}

const registries = new WeakMap<ApiConnection, ConsoleRegistry>();

export function registryOf<R extends ConsoleRegistry>(api: ApiConnection, create: () => R): R {
  let r = registries.get(api);
  if (!r) registries.set(api, (r = create()));
  return r as R;
}

export function forgetConsole(api: ApiConnection, vmId: string): void {
  registries.get(api)?.forget(vmId);
}

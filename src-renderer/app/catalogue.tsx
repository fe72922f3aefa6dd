// What the owner says about itself, fetched once per connection and shared: the OS catalogue
// (`os.list`) and the host's facts (`host.info`: accelerator, CPUs, memory, the user's folders).
import { createContext, useContext, type ReactNode } from 'react';
import { useApiQuery } from '../api/hooks.js';
import type { ApiOutput, OsTypeInfo } from '../api/apiTypes.js';

export type HostInfo = ApiOutput<'host.info'>;

const CatalogueContext = createContext<readonly OsTypeInfo[]>([]);
const HostContext = createContext<HostInfo | null>(null);

export function CatalogueProvider({ children }: { children: ReactNode }) {
  const q = useApiQuery('os.list', {}, []);
  const host = useApiQuery('host.info', {}, []);
  return (
    <CatalogueContext.Provider value={q.data?.osTypes ?? []}>
      <HostContext.Provider value={host.data ?? null}>{children}</HostContext.Provider>
    </CatalogueContext.Provider>
  );
}

export function useOsTypes(): readonly OsTypeInfo[] {
  return useContext(CatalogueContext);
}

/** The host's facts; null until they arrive. */
export function useHostInfo(): HostInfo | null {
  return useContext(HostContext);
}

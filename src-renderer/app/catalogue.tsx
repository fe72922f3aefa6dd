// The OS catalogue (`os.list`), fetched once per connection and shared.
import { createContext, useContext, type ReactNode } from 'react';
import { useApiQuery } from '../api/hooks.js';
import type { OsTypeInfo } from '../api/apiTypes.js';

const CatalogueContext = createContext<readonly OsTypeInfo[]>([]);

export function CatalogueProvider({ children }: { children: ReactNode }) {
  const q = useApiQuery('os.list', {}, []);
  return <CatalogueContext.Provider value={q.data?.osTypes ?? []}>{children}</CatalogueContext.Provider>;
}

export function useOsTypes(): readonly OsTypeInfo[] {
  return useContext(CatalogueContext);
}

// Search over VMs (pure): every word of the query must occur (case-insensitively) in the VM's name,
// one of its tags, its OS (id or label) or its notes. `tag:WORD` asks for a tag that is exactly WORD.
// Used by `vm.list` (the CLI's --search) and by the interface's search box, so both find the same VMs.
export interface Searchable {
  name: string;
  tags: readonly string[];
  osType: string;
  notes: string;
}

export interface ParsedQuery {
  words: string[];
  tags: string[];
}

export function parseQuery(query: string): ParsedQuery {
  const words: string[] = [];
  const tags: string[] = [];
  for (const w of query.toLowerCase().split(/\s+/u)) {
    if (w === '') continue;
    if (w.startsWith('tag:') && w.length > 4) tags.push(w.slice(4));
    else words.push(w);
  }
  return { words, tags };
}

export const isEmptyQuery = (q: ParsedQuery) => q.words.length === 0 && q.tags.length === 0;

/** Whether a VM matches; `osLabel` gives the OS's name as people read it (the catalogue's label); `also`, more words to look in. */
export function matches(vm: Searchable, q: ParsedQuery, osLabel: (osType: string) => string = (o) => o, also: readonly string[] = []): boolean {
  if (isEmptyQuery(q)) return true;
  const tags = vm.tags.map((t) => t.toLowerCase());
  if (!q.tags.every((t) => tags.includes(t))) return false;
  if (q.words.length === 0) return true;
  const hay = [vm.name.toLowerCase(), ...tags, vm.osType.toLowerCase(), osLabel(vm.osType).toLowerCase(), vm.notes.toLowerCase(), ...also.map((a) => a.toLowerCase())];
  return q.words.every((w) => hay.some((h) => h.includes(w)));
}

export function search<T extends Searchable>(vms: readonly T[], query: string, osLabel?: (osType: string) => string): T[] {
  const q = parseQuery(query);
  if (isEmptyQuery(q)) return [...vms];
  return vms.filter((vm) => matches(vm, q, osLabel));
}

// A call asked for many times in a row runs once they settle (after `ms` of quiet, at most every
// 4 × ms while they keep coming): a burst of `inventory.changed` events reloads the VM list once.
import { useEffect, useMemo, useRef } from 'react';

export function useCoalesced(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const timers = useRef<{ quiet?: ReturnType<typeof setTimeout>; first?: number }>({});
  useEffect(() => () => clearTimeout(timers.current.quiet), []);
  return useMemo(
    () => () => {
      const t = timers.current;
      const now = Date.now();
      t.first ??= now;
      clearTimeout(t.quiet);
      const wait = Math.max(0, Math.min(ms, t.first + 4 * ms - now));
      t.quiet = setTimeout(() => {
        t.first = undefined;
        latest.current();
      }, wait);
    },
    [ms],
  );
}

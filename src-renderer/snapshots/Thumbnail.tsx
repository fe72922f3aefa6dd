// Screen thumbnails of live snapshots, fetched with `snapshot.thumbnail` only when their row scrolls
// into view, and kept for the session (a snapshot's thumbnail never changes: ids are not reused).
import { useTheme } from '@mui/material/styles';
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/hooks.js';
import type { ApiConnection } from '../api/apiConnection.js';

const MAX_CACHED = 400;
/** `vmId/snapshotId` → data URL, or null when the owner has none */
const cache = new Map<string, Promise<string | null>>();

function load(api: ApiConnection, vmId: string, snapshotId: string): Promise<string | null> {
  const key = `${vmId}/${snapshotId}`;
  const hit = cache.get(key);
  if (hit) {
    // most recently used last
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const p = api.call('snapshot.thumbnail', { ref: vmId, snapshot: snapshotId }).then(
    (r) => `data:image/png;base64,${r.png}`,
    () => {
      cache.delete(key); // a later look may succeed (connection back, file written)
      return null;
    },
  );
  cache.set(key, p);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return p;
}

// One observer for all thumbnails.
const watchers = new Map<Element, () => void>();
let observer: IntersectionObserver | null = null;
function watch(el: Element, onVisible: () => void): () => void {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const cb = watchers.get(e.target);
        observer?.unobserve(e.target);
        watchers.delete(e.target);
        cb?.();
      }
    },
    { rootMargin: '200px 0px' },
  );
  watchers.set(el, onVisible);
  observer.observe(el);
  return () => {
    watchers.delete(el);
    observer?.unobserve(el);
  };
}

/** The screen of a live snapshot at `width` (4:3); an empty frame until it has loaded. */
export function SnapshotThumbnail({ vmId, snapshotId, name, width }: { vmId: string; snapshotId: string; name: string; width: number }) {
  const api = useApi();
  const theme = useTheme();
  const ref = useRef<HTMLDivElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let alive = true;
    setSrc(null);
    const stop = watch(el, () => {
      void load(api, vmId, snapshotId).then((url) => alive && setSrc(url));
    });
    return () => {
      alive = false;
      stop();
    };
  }, [api, vmId, snapshotId]);
  return (
    <div
      ref={ref}
      style={{
        width,
        height: Math.round((width * 3) / 4),
        flexShrink: 0,
        borderRadius: 3,
        overflow: 'hidden',
        background: theme.palette.action.hover,
        border: `1px solid ${theme.palette.divider}`,
        boxSizing: 'content-box',
      }}
    >
      {src && <img src={src} alt={`Screen of “${name}”`} style={{ width: '100%', height: '100%', objectFit: 'cover', display: 'block' }} />}
    </div>
  );
}

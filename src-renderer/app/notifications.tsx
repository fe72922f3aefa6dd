// Messages about actions that have no place of their own (toolbar buttons): a Snackbar with an
// Alert that carries the API's message. A notice may have a key (e.g. one per VM): a newer notice
// with the same key replaces it, and `dismiss(key)` takes it away, so a notice about a VM never
// outlives what happened to the VM next.
import { Alert, Snackbar } from '@mui/material';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { withUiAdvice } from '../api/advice.js';

export interface Notice {
  severity: 'error' | 'warning' | 'info' | 'success';
  message: string;
  /** notices with the same key replace each other; dismiss(key) removes them */
  key?: string;
}

interface Notifier {
  notify: (n: Notice) => void;
  /** shows a thrown value in the API's words */
  notifyError: (e: unknown, prefix?: string, key?: string) => void;
  /** removes the notices with this key, the one on screen too */
  dismiss: (key: string) => void;
}

const NotifyContext = createContext<Notifier | null>(null);

type Queued = Notice & { id: number };
let nextId = 1;

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [queue, setQueue] = useState<Queued[]>([]);
  const [open, setOpen] = useState(true);
  const current = queue[0];
  const notify = useCallback((n: Notice) => {
    setQueue((q) => {
      const item = { ...n, id: nextId++ };
      if (n.key === undefined) return [...q, item];
      // the one on screen with the same key is replaced at once; queued ones go
      if (q[0]?.key === n.key) return [item, ...q.slice(1).filter((x) => x.key !== n.key)];
      return [...q.filter((x) => x.key !== n.key), item];
    });
    setOpen(true);
  }, []);
  const dismiss = useCallback((key: string) => {
    setQueue((q) => (q.some((x) => x.key === key) ? q.filter((x) => x.key !== key) : q));
  }, []);
  const notifyError = useCallback(
    (e: unknown, prefix?: string, key?: string) => {
      const he = toHangarError(e);
      if (he.code === 'CANCELLED') return;
      const message = withUiAdvice(he);
      notify({ severity: 'error', message: prefix ? `${prefix}: ${message}` : message, ...(key ? { key } : {}) });
    },
    [notify],
  );
  const value = useMemo(() => ({ notify, notifyError, dismiss }), [notify, notifyError, dismiss]);
  const close = (_: unknown, reason?: string) => {
    if (reason === 'clickaway') return;
    setOpen(false);
  };
  return (
    <NotifyContext.Provider value={value}>
      {children}
      <Snackbar
        key={current?.id}
        open={open && current !== undefined}
        autoHideDuration={current?.severity === 'error' ? 10_000 : 6000}
        onClose={close}
        slotProps={{
          transition: {
            onExited: () => {
              setQueue((q) => (q[0] && q[0].id === current?.id ? q.slice(1) : q));
              setOpen(true);
            },
          },
        }}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}
      >
        <Alert data-testid="notification" severity={current?.severity ?? 'info'} variant="filled" onClose={() => setOpen(false)} sx={{ maxWidth: 640 }}>
          {current?.message}
        </Alert>
      </Snackbar>
    </NotifyContext.Provider>
  );
}

export function useNotify(): Notifier {
  const n = useContext(NotifyContext);
  if (!n) throw new Error('useNotify needs a NotificationsProvider');
  return n;
}

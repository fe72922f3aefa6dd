// Messages about actions that have no place of their own (toolbar buttons): a Snackbar with an
// Alert that carries the API's message.
import { Alert, Snackbar } from '@mui/material';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';

export interface Notice {
  severity: 'error' | 'warning' | 'info' | 'success';
  message: string;
}

interface Notifier {
  notify: (n: Notice) => void;
  /** shows a thrown value in the API's words */
  notifyError: (e: unknown, prefix?: string) => void;
}

const NotifyContext = createContext<Notifier | null>(null);

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [queue, setQueue] = useState<(Notice & { key: number })[]>([]);
  const [open, setOpen] = useState(true);
  const notify = useCallback((n: Notice) => {
    setQueue((q) => [...q, { ...n, key: Date.now() + Math.random() }]);
    setOpen(true);
  }, []);
  const notifyError = useCallback(
    (e: unknown, prefix?: string) => {
      const he = toHangarError(e);
      if (he.code === 'CANCELLED') return;
      notify({ severity: 'error', message: prefix ? `${prefix}: ${he.message}` : he.message });
    },
    [notify],
  );
  const value = useMemo(() => ({ notify, notifyError }), [notify, notifyError]);
  const current = queue[0];
  const close = (_: unknown, reason?: string) => {
    if (reason === 'clickaway') return;
    setOpen(false);
  };
  return (
    <NotifyContext.Provider value={value}>
      {children}
      <Snackbar
        key={current?.key}
        open={open && current !== undefined}
        autoHideDuration={current?.severity === 'error' ? 10_000 : 5000}
        onClose={close}
        slotProps={{ transition: { onExited: () => setQueue((q) => q.slice(1)) } }}
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

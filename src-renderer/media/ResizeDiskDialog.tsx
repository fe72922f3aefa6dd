// Grow a disk: its new size or how much to add, checked as the owner checks it (a shrink is refused
// before it is sent); while the VM runs, QEMU grows it at once. What the owner says about snapshots
// and the guest's partitions is shown afterwards.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from '@mui/material';
import { useId, useState } from 'react';
import { useApi } from '../api/hooks.js';
import { formatSize } from '../../src-vmm/storage/size.js';
import { parseSizeRequest, planResize } from '../../src-vmm/storage/resize.js';

export interface ResizeTarget {
  vmRef: string;
  vm: string;
  disk: string;
  bus: string;
  currentBytes: number;
  running: boolean;
  snapshots: string[];
}

/** The new size's problem, or the plan's size, for the field's helper text (pure, as the owner decides). */
export function resizePreview(t: ResizeTarget, text: string): { ok: true; toBytes: number } | { ok: false; message: string } {
  const parsed = parseSizeRequest(text);
  if (!parsed.ok) return parsed;
  try {
    return { ok: true, toBytes: planResize({ disk: t.disk, vm: t.vm, currentBytes: t.currentBytes, request: parsed.request, running: t.running, bus: t.bus, snapshots: t.snapshots }).toBytes };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

export function ResizeDiskDialog({ target, onClose, onResized }: { target: ResizeTarget | null; onClose: () => void; onResized?: () => void }) {
  return target ? <ResizeBody target={target} onClose={onClose} onResized={onResized} /> : null;
}

function ResizeBody({ target, onClose, onResized }: { target: ResizeTarget; onClose: () => void; onResized?: (() => void) | undefined }) {
  const titleId = useId();
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ toBytes: number; notes: string[]; online: boolean } | null>(null);
  const preview = text.trim() === '' ? null : resizePreview(target, text);
  const submit = async () => {
    const parsed = parseSizeRequest(text);
    if (!parsed.ok || !preview?.ok) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.call('disk.resize', { ref: target.vmRef, disk: target.disk, ...parsed.request });
      setDone({ toBytes: r.toBytes, notes: r.notes, online: r.online });
      onResized?.();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="sm" fullWidth>
      <DialogTitle id={titleId}>
        Resize {target.disk} of “{target.vm}”
      </DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2}>
          <Typography variant="body2">
            Now {formatSize(target.currentBytes)}. Disks only grow{target.running ? '; the running guest sees the new size at once' : ''}.
          </Typography>
          {target.snapshots.length > 0 && (
            <Alert severity="info">
              The new size applies to the current state. {target.snapshots.length === 1 ? `Snapshot “${target.snapshots[0]}” keeps its size` : `Its ${target.snapshots.length} snapshots keep their sizes`}, and restoring one brings that size back.
            </Alert>
          )}
          {done ? (
            <Alert severity="success" role="status">
              {target.disk} is now {formatSize(done.toBytes)}
              {done.online ? ' (grown while the VM runs)' : ''}. {done.notes.filter((n) => !/snapshot/.test(n)).join('. ')}.
            </Alert>
          ) : (
            <TextField
              label="New size"
              value={text}
              autoFocus
              onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') void submit();
              }}
              error={preview !== null && !preview.ok}
              helperText={preview === null ? 'Such as 20G, or +5G to add 5 GiB' : preview.ok ? `${formatSize(target.currentBytes)} → ${formatSize(preview.toBytes)}` : preview.message}
            />
          )}
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{done ? 'Close' : 'Cancel'}</Button>
        {!done && (
          <Button variant="contained" onClick={() => void submit()} disabled={busy || !preview?.ok}>
            Resize
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}

// The Snapshots tab of a remote domain: libvirt's snapshots (`remote.snapshotList`) drawn by the same
// tree as a local VM's (snapshotTree.ts, SnapshotTree.tsx), "Current state" under libvirt's current
// snapshot; Take, Restore and Delete through the owner's remote snapshot API. The tree follows
// `remote.changed` events for the domain.
import AddAPhotoIcon from '@mui/icons-material/AddAPhoto';
import DeleteIcon from '@mui/icons-material/Delete';
import HistoryIcon from '@mui/icons-material/History';
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, LinearProgress, Stack, TextField, Typography } from '@mui/material';
import { useId, useMemo, useState, type ReactNode } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { useApi, useApiQuery, useEvent } from '../api/hooks.js';
import { buildSnapshotTree, CURRENT_STATE_ID, flattenSnapshotTree, formatAge, rowDescription } from '../snapshots/snapshotTree.js';
import { SnapshotTree } from '../snapshots/SnapshotTree.js';
import { asSnapshotList, remoteSnapshotName } from './remoteModel.js';

type Dialogs = { kind: 'take' } | { kind: 'restore' | 'delete'; name: string } | null;

export function RemoteSnapshotsView({ remoteRef, running, connected }: { remoteRef: string; running: boolean; connected: boolean }) {
  const api = useApi();
  const q = useApiQuery('remote.snapshotList', connected ? { ref: remoteRef } : null, [remoteRef, connected]);
  const { reload } = q;
  const [remote, domain] = [remoteRef.slice(0, remoteRef.indexOf('/')), remoteRef.slice(remoteRef.indexOf('/') + 1)];
  useEvent('remote.changed', (e) => e.remote === remote && (e.domain === undefined || e.domain === domain) && reload());
  const tree = useMemo(() => (q.data ? buildSnapshotTree(asSnapshotList(q.data)) : null), [q.data]);
  const [selected, setSelected] = useState<string>(CURRENT_STATE_ID);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(() => (tree ? flattenSnapshotTree(tree, collapsed) : []), [tree, collapsed]);
  const now = Date.now();
  const ages = new Map(rows.filter((r) => r.item).map((r) => [r.id, formatAge(r.item!.createdAt, now)]));
  const descriptions = new Map(tree ? rows.map((r) => [r.id, rowDescription(r, tree, now)]) : []);
  const row = rows.find((r) => r.id === selected) ?? null;
  const snapshot = row?.kind === 'snapshot' ? row.name : null;

  const [dialog, setDialog] = useState<Dialogs>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const nameIssue = remoteSnapshotName(name, q.data?.snapshots.map((s) => s.name) ?? []);
  const run = async (what: () => Promise<unknown>, select?: string) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      setDialog(null);
      if (select) setSelected(select);
    } catch (e) {
      setError(toHangarError(e).message);
    } finally {
      setBusy(false);
      reload();
    }
  };
  const openTake = () => {
    const taken = new Set(q.data?.snapshots.map((s) => s.name) ?? []);
    let n = taken.size + 1;
    while (taken.has(`snapshot-${n}`)) n++;
    setName(`snapshot-${n}`);
    setError(null);
    setDialog({ kind: 'take' });
  };
  const offline = connected ? null : 'The host is disconnected';

  return (
    <Stack sx={{ height: '100%', minHeight: 0 }}>
      <Stack direction="row" role="toolbar" aria-label="Snapshot actions" spacing={0.5} sx={{ px: 2, py: 1, alignItems: 'center', borderBottom: 1, borderColor: 'divider' }}>
        <Button variant="contained" size="small" startIcon={<AddAPhotoIcon />} disabled={offline !== null} onClick={openTake}>
          Take snapshot
        </Button>
        <Button size="small" startIcon={<HistoryIcon />} disabled={offline !== null || snapshot === null} onClick={() => snapshot && (setError(null), setDialog({ kind: 'restore', name: snapshot }))}>
          Restore
        </Button>
        <Button size="small" startIcon={<DeleteIcon />} disabled={offline !== null || snapshot === null} onClick={() => snapshot && (setError(null), setDialog({ kind: 'delete', name: snapshot }))}>
          Delete
        </Button>
        <Box sx={{ flex: 1 }} />
        <Typography variant="caption" color="text.secondary">
          libvirt snapshots on {remote}
        </Typography>
      </Stack>
      <Box sx={{ height: 4 }}>{(q.loading || busy) && <LinearProgress aria-label="Working on the snapshots" />}</Box>
      {offline && (
        <Alert severity="warning" sx={{ m: 2 }}>
          {offline}: its snapshots show when it is back.
        </Alert>
      )}
      {q.error && connected && (
        <Alert severity="error" sx={{ m: 2 }}>
          {q.error.message}
        </Alert>
      )}
      {error && dialog === null && (
        <Alert severity="error" role="alert" sx={{ m: 2 }} onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      {tree && connected && (
        <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', containerType: 'inline-size', containerName: 'snapshots' }}>
          <SnapshotTree
            vmId={remoteRef}
            rows={rows}
            selected={selected}
            currentStateChanged={false}
            ages={ages}
            descriptions={descriptions}
            fill={tree.items.size > 0}
            onSelect={setSelected}
            onToggle={(id, expand) =>
              setCollapsed((c) => {
                const n = new Set(c);
                if (expand) n.delete(id);
                else n.add(id);
                return n;
              })
            }
            onKeyAction={(action, r) => r.kind === 'snapshot' && action !== 'edit' && setDialog({ kind: action, name: r.name })}
            onContextMenu={(r) => setSelected(r.id)}
          />
          {tree.items.size === 0 && (
            <Typography variant="body2" color="text.secondary" sx={{ px: 3, py: 2, maxWidth: 560 }}>
              No snapshots yet. libvirt keeps them inside the domain's qcow2 disks (with its memory while it runs).
            </Typography>
          )}
        </Box>
      )}
      <SnapshotDialog
        open={dialog?.kind === 'take'}
        title={`Take a snapshot of “${remoteRef}”`}
        text={running ? 'libvirt saves the memory with the disks: restoring it brings the domain back running at this moment.' : 'libvirt freezes the disks as they are now.'}
        busy={busy}
        error={error}
        confirm="Take snapshot"
        confirmDisabled={nameIssue !== null}
        onClose={() => setDialog(null)}
        onConfirm={() => void run(() => api.call('remote.snapshotTake', { ref: remoteRef, name, description: '' }), name)}
      >
        <TextField autoFocus fullWidth label="Name" value={name} onChange={(e) => setName(e.target.value)} error={nameIssue !== null} helperText={nameIssue ?? ' '} disabled={busy} />
      </SnapshotDialog>
      <SnapshotDialog
        open={dialog?.kind === 'restore' || dialog?.kind === 'delete'}
        title={`${dialog?.kind === 'restore' ? 'Restore' : 'Delete'} snapshot “${dialog && dialog.kind !== 'take' ? dialog.name : ''}”?`}
        text={dialog?.kind === 'restore' ? `The domain goes back to this snapshot: what changed in “${remoteRef}” since is lost.` : 'libvirt deletes the snapshot; the domain’s current state stays as it is.'}
        busy={busy}
        error={error}
        confirm={dialog?.kind === 'restore' ? 'Restore' : 'Delete'}
        danger={dialog?.kind === 'delete'}
        onClose={() => setDialog(null)}
        onConfirm={() => {
          if (!dialog || dialog.kind === 'take') return;
          const snapshot = dialog.name;
          void run(() => (dialog.kind === 'restore' ? api.call('remote.snapshotRevert', { ref: remoteRef, snapshot }) : api.call('remote.snapshotDelete', { ref: remoteRef, snapshot })), CURRENT_STATE_ID);
        }}
      />
    </Stack>
  );
}

/** A dialog that asks, then shows the owner at work (and its error) until the call ends. */
function SnapshotDialog(props: {
  open: boolean;
  title: string;
  text: string;
  busy: boolean;
  error: string | null;
  confirm: string;
  confirmDisabled?: boolean;
  danger?: boolean;
  onClose: () => void;
  onConfirm: () => void;
  children?: ReactNode;
}) {
  const titleId = useId();
  const { busy, error } = props;
  return (
    <Dialog open={props.open} onClose={busy ? undefined : props.onClose} aria-labelledby={titleId} maxWidth="sm" fullWidth>
      <DialogTitle id={titleId}>{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2" sx={{ mb: props.children ? 2 : 0 }}>
          {props.text}
        </DialogContentText>
        {props.children}
        {busy && <LinearProgress sx={{ mt: 1 }} aria-label="Working on the snapshot" />}
        {error && (
          <Alert severity="error" sx={{ mt: 1 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button variant="contained" color={props.danger ? 'error' : 'primary'} disabled={busy || props.confirmDisabled === true} onClick={props.onConfirm}>
          {props.confirm}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

// "Restore snapshot?": when the current state holds changes no snapshot has, it offers to take a
// snapshot of them first, as VirtualBox does. Both steps show progress with Cancel; errors stay in
// the dialog in the API's words.
import { Alert, Box, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, FormControlLabel, TextField } from '@mui/material';
import { useEffect, useState } from 'react';
import { useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import { formatDateTime } from '../components/format.js';
import { nextSnapshotName, snapshotNameIssue, type SnapshotItem } from './snapshotTree.js';
import { TaskError, TaskProgress } from './parts.js';

export function RestoreSnapshotDialog({
  open,
  vm,
  snapshot,
  snapshots,
  currentStateChanged,
  onClose,
  onRestored,
}: {
  open: boolean;
  vm: VmSummary;
  snapshot: SnapshotItem | null;
  snapshots: readonly SnapshotItem[];
  currentStateChanged: boolean;
  onClose: () => void;
  onRestored: (taken: SnapshotItem | null) => void;
}) {
  const take = useTask('snapshot.take');
  const restore = useTask('snapshot.restore');
  const { reset: resetTake } = take;
  const { reset: resetRestore } = restore;
  const [takeFirst, setTakeFirst] = useState(true);
  const [name, setName] = useState('');
  useEffect(() => {
    if (!open) return;
    resetTake();
    resetRestore();
    setTakeFirst(true);
    setName(nextSnapshotName(snapshots));
    // the name is proposed when the dialog opens
  }, [open, resetTake, resetRestore]);

  if (!snapshot) return null;
  const offer = currentStateChanged;
  const issue = offer && takeFirst ? snapshotNameIssue(name, vm.name, snapshots) : null;
  const running = take.running || restore.running;

  const confirm = async () => {
    if (issue) return;
    let taken: SnapshotItem | null = null;
    if (offer && takeFirst) {
      taken = (await take.run({ ref: vm.id, name, description: '' })) ?? null;
      if (!taken) return;
    }
    const r = await restore.run({ ref: vm.id, snapshot: snapshot.id });
    if (r) {
      onRestored(taken);
      onClose();
    }
  };

  return (
    <Dialog open={open} onClose={running ? undefined : onClose} aria-labelledby="restore-snapshot-title" maxWidth="sm" fullWidth>
      <DialogTitle id="restore-snapshot-title">Restore snapshot “{snapshot.name}”?</DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2">
          “{vm.name}” goes back to {formatDateTime(snapshot.createdAt)}:{' '}
          {snapshot.live ? 'its disks and its running state. Start it to resume where it was running.' : 'its disks as they were then. The VM is off afterwards.'}
        </DialogContentText>
        {offer && (
          <Box sx={{ mt: 2 }}>
            <Alert severity="warning" variant="outlined" role="status">
              The current state has changes that no snapshot holds. Restoring discards them unless you take a snapshot first.
            </Alert>
            <FormControlLabel
              sx={{ mt: 1 }}
              control={<Checkbox checked={takeFirst} onChange={(e) => setTakeFirst(e.target.checked)} disabled={running} />}
              label="Take a snapshot first"
            />
            {takeFirst && (
              <TextField
                label="Snapshot name"
                size="small"
                value={name}
                onChange={(e) => setName(e.target.value)}
                error={issue !== null}
                helperText={issue ?? 'The snapshot keeps the current state.'}
                disabled={running}
                fullWidth
                sx={{ mt: 1 }}
              />
            )}
          </Box>
        )}
        {take.running && <TaskProgress label="Taking a snapshot of the current state" progress={take.progress} />}
        {restore.running && <TaskProgress label="Restoring" progress={restore.progress} />}
        <TaskError error={take.error} cancelled="Taking the snapshot was cancelled; nothing was restored." />
        <TaskError error={restore.error} cancelled="Restoring was cancelled; the VM is as it was." />
      </DialogContent>
      <DialogActions>
        <Button onClick={running ? (take.running ? take.cancel : restore.cancel) : onClose}>{running ? 'Cancel restore' : 'Cancel'}</Button>
        <Button variant="contained" onClick={() => void confirm()} disabled={running || issue !== null} autoFocus>
          Restore
        </Button>
      </DialogActions>
    </Dialog>
  );
}

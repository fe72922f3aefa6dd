// "Delete snapshot?": what deleting costs (`snapshot.deletePlan`: data to merge, free space needed
// and available, time), refused with the clone names while linked clones depend on it; the merge
// runs with progress and Cancel.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, LinearProgress } from '@mui/material';
import { useEffect } from 'react';
import { useApiQuery, useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import { planFigures, type SnapshotItem } from './snapshotTree.js';
import { formatBytes } from '../components/size.js';
import { Figures, TaskError, TaskProgress } from './parts.js';

export function DeleteSnapshotDialog({
  open,
  vm,
  snapshot,
  onClose,
  onDeleted,
}: {
  open: boolean;
  vm: VmSummary;
  snapshot: SnapshotItem | null;
  onClose: () => void;
  onDeleted: (s: SnapshotItem) => void;
}) {
  const task = useTask('snapshot.delete');
  const { reset } = task;
  const plan = useApiQuery('snapshot.deletePlan', open && snapshot ? { ref: vm.id, snapshot: snapshot.id } : null, [open, vm.id, snapshot?.id]);
  useEffect(() => {
    if (open) reset();
  }, [open, reset]);
  if (!snapshot) return null;

  const current = plan.data && plan.data.snapshot.id === snapshot.id ? plan.data : undefined;
  const figures = current ? planFigures(current) : null;
  const confirm = async () => {
    const ok = await task.run({ ref: vm.id, snapshot: snapshot.id });
    if (ok !== undefined) {
      onDeleted(snapshot);
      onClose();
    }
  };

  return (
    <Dialog open={open} onClose={task.running ? undefined : onClose} aria-labelledby="delete-snapshot-title" maxWidth="sm" fullWidth>
      <DialogTitle id="delete-snapshot-title">Delete snapshot “{snapshot.name}”?</DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2" sx={{ mb: 2 }}>
          {current && current.children === 0
            ? 'The snapshot goes away; nothing else is lost. Nothing is based on it, so its images are simply removed.'
            : 'The snapshot goes away; nothing else is lost. Its data is merged into the images based on it (later snapshots and the current state), so they stay complete. Cancelling leaves every image whole and keeps the snapshot.'}
        </DialogContentText>
        <Box sx={{ minHeight: 4 }}>{plan.loading && !current && <LinearProgress aria-label="Working out what deleting costs" />}</Box>
        {plan.error && <Alert severity="error">{plan.error.message}</Alert>}
        {figures && current && (
          <>
            <Figures label="What deleting costs" rows={figures.rows} />
            {figures.shortOfSpace && (
              <Alert severity="warning" role="status" sx={{ mt: 2 }}>
                The disk may be too full: merging needs {formatBytes(current.freeBytesNeeded)} and {formatBytes(current.freeBytesAvailable)} is free.
              </Alert>
            )}
            {figures.blocked && (
              <Alert severity="error" sx={{ mt: 2 }}>
                {figures.blocked} Delete or promote {current.blockedBy.length === 1 ? 'that clone' : 'those clones'} first.
              </Alert>
            )}
          </>
        )}
        {task.running && <TaskProgress label="Deleting the snapshot" progress={task.progress} />}
        <TaskError error={task.error} cancelled="Deleting was cancelled; the snapshot and every image are as they were." />
      </DialogContent>
      <DialogActions>
        <Button onClick={task.running ? task.cancel : onClose}>{task.running ? 'Cancel delete' : 'Cancel'}</Button>
        <Button color="error" variant="contained" onClick={() => void confirm()} disabled={task.running || !figures || figures.blocked !== null}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}

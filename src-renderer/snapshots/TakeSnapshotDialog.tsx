// "Take a snapshot": name (proposed "Snapshot N") and description; progress with Cancel while the
// owner works, the API's error in the dialog.
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, Stack, TextField } from '@mui/material';
import { useEffect, useState, type FocusEvent } from 'react';
import { useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import { nextSnapshotName, snapshotNameIssue, type SnapshotItem } from './snapshotTree.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { TaskError, TaskProgress } from './parts.js';

export function TakeSnapshotDialog({
  open,
  vm,
  snapshots,
  onClose,
  onTaken,
}: {
  open: boolean;
  vm: VmSummary;
  snapshots: readonly SnapshotItem[];
  onClose: () => void;
  onTaken: (s: SnapshotItem) => void;
}) {
  const task = useTask('snapshot.take');
  const { reset } = task;
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (!open) return;
    reset();
    setName(nextSnapshotName(snapshots));
    setDescription('');
    setTouched(false);
    // the name is proposed when the dialog opens, not each time the list changes
  }, [open, reset]);

  const issue = snapshotNameIssue(name, vm.name, snapshots);
  const submit = async () => {
    setTouched(true);
    if (issue) return;
    const s = await task.run({ ref: vm.id, name, description });
    if (s) {
      onTaken(s);
      onClose();
    }
  };
  const running = isActive(vm.state);
  const how = running
    ? 'The VM keeps running. Its memory is saved with the disks, so restoring this snapshot brings it back running at this moment.'
    : vm.state === 'saved'
      ? 'The disks are frozen as they are now, and the saved state is kept with them.'
      : 'The disks are frozen as they are now; the VM goes on from there.';

  return (
    <Dialog open={open} onClose={task.running ? undefined : onClose} aria-labelledby="take-snapshot-title" maxWidth="sm" fullWidth>
      <DialogTitle id="take-snapshot-title">Take a snapshot of “{vm.name}”</DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2" sx={{ mb: 2 }}>
          {how}
        </DialogContentText>
        <Stack
          spacing={2}
          component="form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <TextField
            label="Name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setTouched(true);
            }}
            error={touched && issue !== null}
            helperText={touched && issue ? issue : ' '}
            disabled={task.running}
            autoFocus
            fullWidth
            slotProps={{ htmlInput: { 'aria-label': 'Name', onFocus: (e: FocusEvent<HTMLInputElement>) => e.target.select() } }}
          />
          <TextField
            label="Description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            disabled={task.running}
            multiline
            minRows={3}
            maxRows={8}
            fullWidth
            slotProps={{ htmlInput: { maxLength: 4096 } }}
          />
          <button type="submit" hidden />
        </Stack>
        {task.running && <TaskProgress label="Taking the snapshot" progress={task.progress} />}
        <TaskError error={task.error} cancelled="Taking the snapshot was cancelled; nothing was changed." />
      </DialogContent>
      <DialogActions>
        <Button onClick={task.running ? task.cancel : onClose}>{task.running ? 'Cancel snapshot' : 'Cancel'}</Button>
        <Button variant="contained" onClick={() => void submit()} disabled={task.running || (touched && issue !== null)}>
          Take
        </Button>
      </DialogActions>
    </Dialog>
  );
}

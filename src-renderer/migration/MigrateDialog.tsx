// "Migrate…": moves a running VM to another Hangar while it runs (vm.migrate). The target is another
// home on this machine (home:/PATH) or a Hangar reached through SSH; --copy-storage as a switch. The
// task shows its progress here and in the Tasks panel, and can be cancelled from either.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, FormControlLabel, LinearProgress, Switch, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { useOnline, useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import { issueFor } from '../components/fields.js';
import { placeServerError } from '../api/serverIssues.js';

export function MigrateDialog({ vm, open, onClose, onMigrated }: { vm: VmSummary | null; open: boolean; onClose: () => void; onMigrated: (id: string) => void }) {
  const [target, setTarget] = useState('');
  const [copyStorage, setCopyStorage] = useState(false);
  const task = useTask('vm.migrate');
  const online = useOnline();
  const { reset } = task;
  useEffect(() => {
    if (open) reset();
  }, [open, reset]);
  if (!vm) return null;
  const placed = task.error ? placeServerError(task.error, (path) => (path === 'target' ? 'target' : undefined)) : undefined;
  const targetIssue = placed ? issueFor(placed.fields, 'target') : undefined;
  const go = async () => {
    const r = await task.run({ ref: vm.id, target: target.trim(), copyStorage });
    if (r) {
      onMigrated(r.id);
      onClose();
    }
  };
  return (
    <Dialog open={open} onClose={task.running ? undefined : onClose} aria-labelledby="migrate-vm-title" maxWidth="sm" fullWidth>
      <DialogTitle id="migrate-vm-title">Migrate “{vm.name}”</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The machine moves to another Hangar while it runs: its memory is copied while the guest works, which stops only for the last moment. It then runs there and is gone from here.
        </DialogContentText>
        <TextField
          label="Target"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          placeholder="ssh://user@host or home:/path/to/home"
          helperText={targetIssue ?? 'Another Hangar through SSH (your keys), or another home on this machine'}
          error={targetIssue !== undefined}
          fullWidth
          margin="normal"
          disabled={task.running}
          autoFocus
        />
        <FormControlLabel
          control={<Switch checked={copyStorage} onChange={(e) => setCopyStorage(e.target.checked)} disabled={task.running} />}
          label="Copy the disks to the target (without it, the target must see them at the same paths)"
        />
        {task.running && (
          <Box sx={{ mt: 2 }}>
            <LinearProgress variant={task.progress && task.progress.fraction > 0 ? 'determinate' : 'indeterminate'} value={Math.round((task.progress?.fraction ?? 0) * 100)} aria-label="Migrating the virtual machine" />
            <Typography variant="caption" color="text.secondary" role="status">
              {task.progress?.message ?? 'Migrating…'}
            </Typography>
          </Box>
        )}
        {task.error && !targetIssue && (
          <Alert severity={task.error.code === 'CANCELLED' ? 'info' : 'error'} sx={{ mt: 2 }} role="status">
            {placed?.general.join(' ') ?? task.error.message}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={task.running ? task.cancel : onClose}>{task.running ? 'Cancel migration' : 'Cancel'}</Button>
        <Button variant="contained" onClick={() => void go()} disabled={task.running || !online || target.trim() === '' || vm.state !== 'running'}>
          Migrate
        </Button>
      </DialogActions>
    </Dialog>
  );
}

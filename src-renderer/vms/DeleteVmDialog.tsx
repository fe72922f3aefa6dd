// "Delete VM?" with the choice to keep the files. What stands in the way is said before the button
// is pressed: linked clones based on the VM (from the details), with the choice to keep only the
// images they need. The API's error, if any, stays in the dialog.
import { Alert, AlertTitle, Box, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, FormControlLabel, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { useApiQuery, useOnline, useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';

export function DeleteVmDialog({ vm, open, onClose, onDeleted }: { vm: VmSummary | null; open: boolean; onClose: () => void; onDeleted: (id: string) => void }) {
  const [keepFiles, setKeepFiles] = useState(false);
  const [keepShared, setKeepShared] = useState(false);
  const task = useTask('vm.delete');
  const online = useOnline();
  const { reset } = task;
  const details = useApiQuery('vm.show', open && vm ? { ref: vm.id } : null, [open, vm?.id]);
  useEffect(() => {
    if (open) {
      setKeepFiles(false);
      setKeepShared(false);
      reset();
    }
  }, [open, reset]);
  if (!vm) return null;
  const d = details.data?.id === vm.id ? details.data : undefined;
  const dependents = d?.dependents ?? [];
  const blocked = dependents.length > 0 && !keepShared;
  const confirm = async () => {
    const r = await task.run({ ref: vm.id, keepFiles, keepShared: dependents.length > 0 && keepShared });
    if (r) {
      onDeleted(r.id);
      onClose();
    }
  };
  return (
    <Dialog open={open} onClose={task.running ? undefined : onClose} aria-labelledby="delete-vm-title" maxWidth="sm" fullWidth>
      <DialogTitle id="delete-vm-title">Delete “{vm.name}”?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The virtual machine is removed from Hangar. Unless you keep them, its folder and the disk images Hangar created are deleted too. Images it used in place stay where they are.
        </DialogContentText>
        {dependents.length > 0 && (
          <Alert severity="warning" sx={{ mt: 2 }} role="note" aria-label="Linked clones">
            <AlertTitle>{dependents.length === 1 ? 'A linked clone is based on this VM' : `${dependents.length} linked clones are based on this VM`}</AlertTitle>
            <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
              {dependents.map((c) => (
                <Typography component="li" variant="body2" key={c.vmId}>
                  “{c.vmName}”{c.snapshotName === null ? '' : ` on snapshot “${c.snapshotName}”`}
                </Typography>
              ))}
            </Box>
            <Typography variant="body2" sx={{ mt: 1 }}>
              Their disks need images of this VM. Delete or promote them first, or keep those images: they stay on disk, owned by no VM, until no clone needs them.
            </Typography>
          </Alert>
        )}
        {dependents.length > 0 && (
          <FormControlLabel
            control={<Checkbox checked={keepShared} onChange={(e) => setKeepShared(e.target.checked)} />}
            label="Keep the images the clones need"
            sx={{ mt: 1, display: 'flex' }}
          />
        )}
        <FormControlLabel control={<Checkbox checked={keepFiles} onChange={(e) => setKeepFiles(e.target.checked)} />} label="Keep the VM's files" sx={{ mt: dependents.length ? 0 : 1, display: 'flex' }} />
        {task.error && (
          <Alert severity="error" sx={{ mt: 1 }}>
            {task.error.message}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={task.running}>
          Cancel
        </Button>
        <Button color="error" variant="contained" onClick={() => void confirm()} disabled={task.running || blocked || !online || (open && !d && !details.error)}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}

// "Delete VM?" with the choice to keep the files; the API's error stays in the dialog.
import { Alert, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, FormControlLabel } from '@mui/material';
import { useEffect, useState } from 'react';
import { useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';

export function DeleteVmDialog({ vm, open, onClose, onDeleted }: { vm: VmSummary | null; open: boolean; onClose: () => void; onDeleted: (id: string) => void }) {
  const [keepFiles, setKeepFiles] = useState(false);
  const task = useTask('vm.delete');
  const { reset } = task;
  useEffect(() => {
    if (open) {
      setKeepFiles(false);
      reset();
    }
  }, [open, reset]);
  if (!vm) return null;
  const confirm = async () => {
    const r = await task.run({ ref: vm.id, keepFiles });
    if (r) {
      onDeleted(r.id);
      onClose();
    }
  };
  return (
    <Dialog open={open} onClose={task.running ? undefined : onClose} aria-labelledby="delete-vm-title" maxWidth="xs" fullWidth>
      <DialogTitle id="delete-vm-title">Delete “{vm.name}”?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The virtual machine is removed from Hangar. Unless you keep them, its folder and the disk images Hangar created are deleted too. Images it used in place stay where they are.
        </DialogContentText>
        <FormControlLabel control={<Checkbox checked={keepFiles} onChange={(e) => setKeepFiles(e.target.checked)} />} label="Keep the VM's files" sx={{ mt: 1 }} />
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
        <Button color="error" variant="contained" onClick={() => void confirm()} disabled={task.running}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}

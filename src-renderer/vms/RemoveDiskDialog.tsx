// "Remove disk0?": takes a disk out of a stopped VM (`vm.removeDisk`). An image Hangar made may be
// deleted with it (the default) or kept in the VM's folder; an image used in place is the user's and
// always stays where it is.
import { Alert, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, FormControlLabel, Typography } from '@mui/material';
import { useEffect, useId, useState } from 'react';
import { useOnline, useTask } from '../api/hooks.js';
import type { VmDetails } from '../api/apiTypes.js';
import { formatDiskSize } from '../components/format.js';

type Disk = VmDetails['disks'][number];

export function RemoveDiskDialog({ vm, disk, onClose, onRemoved }: { vm: { id: string; name: string }; disk: Disk | null; onClose: () => void; onRemoved: () => void }) {
  const titleId = useId();
  const [deleteImage, setDeleteImage] = useState(true);
  const task = useTask('vm.removeDisk');
  const online = useOnline();
  const { reset } = task;
  useEffect(() => {
    if (disk) {
      setDeleteImage(true);
      reset();
    }
  }, [disk, reset]);
  if (!disk) return null;
  const inPlace = disk.inPlace ?? false;
  const remove = async () => {
    const r = await task.run({ ref: vm.id, diskId: disk.id, deleteImage: !inPlace && deleteImage });
    if (r) {
      onRemoved();
      onClose();
    }
  };
  return (
    <Dialog open onClose={task.running ? undefined : onClose} aria-labelledby={titleId} maxWidth="sm" fullWidth>
      <DialogTitle id={titleId}>
        Remove {disk.id} from “{vm.name}”?
      </DialogTitle>
      <DialogContent>
        <DialogContentText>The guest no longer sees this disk ({formatDiskSize(disk.virtualSizeBytes, disk.actualSizeBytes)}, {disk.bus.toUpperCase()}).</DialogContentText>
        <Typography variant="body2" sx={{ mt: 1, fontFamily: 'ui-monospace, monospace', fontSize: '0.8rem', overflowWrap: 'anywhere' }}>
          {disk.path}
        </Typography>
        {inPlace ? (
          <Alert severity="info" sx={{ mt: 2 }}>
            This image is yours, used in place: Hangar never deletes it. It stays where it is.
          </Alert>
        ) : (
          <>
            <FormControlLabel control={<Checkbox checked={deleteImage} onChange={(e) => setDeleteImage(e.target.checked)} />} label="Delete the image file" sx={{ mt: 1.5, display: 'flex' }} />
            <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
              {deleteImage ? 'Hangar made this image; its data is lost.' : "Kept, the file stays in the VM's folder (shown above) until the VM is deleted."}
            </Typography>
          </>
        )}
        {task.error && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {task.error.message}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={task.running}>
          Cancel
        </Button>
        <Button color="error" variant="contained" onClick={() => void remove()} disabled={task.running || !online}>
          Remove disk
        </Button>
      </DialogActions>
    </Dialog>
  );
}

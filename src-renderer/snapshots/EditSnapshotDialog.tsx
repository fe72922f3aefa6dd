// "Edit snapshot": its name and description (sends only what changed).
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from '@mui/material';
import { useEffect, useState } from 'react';
import { useApi } from '../api/hooks.js';
import { HangarError, toHangarError } from '../../src-vmm/base/errors.js';
import type { VmSummary } from '../api/apiTypes.js';
import { snapshotNameIssue, type SnapshotItem } from './snapshotTree.js';
import { TaskError } from './parts.js';

export function EditSnapshotDialog({
  open,
  vm,
  snapshot,
  snapshots,
  onClose,
  onSaved,
}: {
  open: boolean;
  vm: VmSummary;
  snapshot: SnapshotItem | null;
  snapshots: readonly SnapshotItem[];
  onClose: () => void;
  onSaved: (s: SnapshotItem) => void;
}) {
  const api = useApi();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<HangarError | null>(null);
  useEffect(() => {
    if (!open || !snapshot) return;
    setName(snapshot.name);
    setDescription(snapshot.description);
    setError(null);
    setSaving(false);
    // filled when the dialog opens for a snapshot, not on every list refresh
  }, [open, snapshot?.id]);
  if (!snapshot) return null;

  const issue = snapshotNameIssue(name, vm.name, snapshots, snapshot.id);
  const changed = name !== snapshot.name || description !== snapshot.description;
  const save = async () => {
    if (issue || !changed) return;
    setSaving(true);
    setError(null);
    try {
      const s = await api.call('snapshot.edit', {
        ref: vm.id,
        snapshot: snapshot.id,
        ...(name !== snapshot.name ? { name } : {}),
        ...(description !== snapshot.description ? { description } : {}),
      });
      onSaved(s);
      onClose();
    } catch (e) {
      setError(toHangarError(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Dialog open={open} onClose={saving ? undefined : onClose} aria-labelledby="edit-snapshot-title" maxWidth="sm" fullWidth>
      <DialogTitle id="edit-snapshot-title">Edit snapshot “{snapshot.name}”</DialogTitle>
      <DialogContent>
        <Stack
          spacing={2}
          sx={{ pt: 1 }}
          component="form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <TextField
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={issue !== null}
            helperText={issue ?? ' '}
            disabled={saving}
            autoFocus
            fullWidth
          />
          <TextField
            label="Description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            disabled={saving}
            multiline
            minRows={3}
            maxRows={8}
            fullWidth
            slotProps={{ htmlInput: { maxLength: 4096 } }}
          />
          <button type="submit" hidden />
        </Stack>
        <TaskError error={error} cancelled="Cancelled." />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={saving}>
          Cancel
        </Button>
        <Button variant="contained" onClick={() => void save()} disabled={saving || issue !== null || !changed}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}

// "Move to group": a group path typed or picked from the groups that exist, checked by the same rule
// as the owner's (src-main/groups/rules.ts) before anything is sent.
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, TextField } from '@mui/material';
import { createContext, useEffect, useState } from 'react';
import { groupPathProblem, ROOT_GROUP } from '../../src-main/groups/rules.js';

export function GroupDialog({ open, names, groups, initial, onClose, onMove }: { open: boolean; names: string[]; groups: string[]; initial: string; onClose: () => void; onMove: (group: string) => void }) {
  const [path, setPath] = useState(initial);
  useEffect(() => {
    if (open) setPath(initial);
  }, [open, initial]);
  const problem = groupPathProblem(path.trim());
  const submit = () => {
    if (problem === null) onMove(path.trim());
  };
  const who = names.length === 1 ? `“${names[0]}”` : `${names.length} virtual machines`;
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="group-dialog-title" maxWidth="xs" fullWidth>
      <DialogTitle id="group-dialog-title">Move {who} to a group</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>A group is a path such as /lab/web; a new one is made by naming it. “/” takes the machines out of every group.</DialogContentText>
        <TextField
          autoFocus
          fullWidth
          label="Group"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          error={problem !== null && path !== ''}
          helperText={path !== '' && problem !== null ? problem : ' '}
          onKeyDown={(e) => {
            if (e.key === 'Enter') submit();
          }}
          // the browser's own suggestions (a datalist) of the groups that exist: no widget to ship
          slotProps={{ htmlInput: { list: 'hangar-groups', autoComplete: 'off' } }}
        />
        <datalist id="hangar-groups">
          {[ROOT_GROUP, ...groups].map((g) => (
            <option key={g} value={g} />
          ))}
        </datalist>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={submit} disabled={problem !== null}>
          Move
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** Every group path that holds a VM, with the groups above them, sorted. */
export function groupsOf(vms: readonly { group: string }[]): string[] {
  const out = new Set<string>();
  for (const v of vms) {
    if (v.group === ROOT_GROUP) continue;
    const names = v.group.slice(1).split('/');
    for (let i = 1; i <= names.length; i++) out.add(`/${names.slice(0, i).join('/')}`);
  }
  return [...out].sort();
}

/** The groups that exist (from the main window's list), for the group fields of dialogs below it. */
export const GroupsContext = createContext<string[]>([]);

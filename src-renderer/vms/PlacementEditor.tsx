// The group and tags of a VM in its Details: the group with "Move…", the tags as chips that can be
// removed, and a field to add one (checked by the owner's rule before it is sent).
import { Box, Button, Chip, Stack, TextField, Typography } from '@mui/material';
import { useContext, useState } from 'react';
import { useApi } from '../api/hooks.js';
import { useNotify } from '../app/notifications.js';
import { tagProblem } from '../../src-main/groups/rules.js';
import { GroupDialog, GroupsContext } from './GroupDialog.js';

export function PlacementEditor({ vm }: { vm: { id: string; name: string; group: string; tags: string[] } }) {
  const groups = useContext(GroupsContext);
  const api = useApi();
  const { notifyError } = useNotify();
  const [tag, setTag] = useState('');
  const [moving, setMoving] = useState(false);
  const problem = tag.trim() === '' ? null : tagProblem(tag.trim());
  const organize = async (change: { group?: string; addTags?: string[]; removeTags?: string[] }, what: string) => {
    try {
      await api.call('vm.organize', { refs: [vm.id], ...change });
      return true;
    } catch (e) {
      notifyError(e, `Cannot ${what} “${vm.name}”`);
      return false;
    }
  };
  const add = async () => {
    const t = tag.trim();
    if (t === '' || problem !== null) return;
    if (await organize({ addTags: [t] }, 'tag')) setTag('');
  };
  return (
    <Stack spacing={1} sx={{ mt: 1 }} aria-label="Group and tags" role="group">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" color="text.secondary" sx={{ width: 96, flexShrink: 0 }}>
          Group
        </Typography>
        <Typography variant="body2" sx={{ fontFamily: 'ui-monospace, monospace' }} data-testid="vm-group">
          {vm.group}
        </Typography>
        <Button size="small" onClick={() => setMoving(true)}>
          Move…
        </Button>
      </Stack>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
        <Typography variant="body2" color="text.secondary" sx={{ width: 96, flexShrink: 0, pt: 0.5 }}>
          Tags
        </Typography>
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, alignItems: 'center' }}>
          {vm.tags.map((t) => (
            <Chip key={t} label={t} size="small" onDelete={() => void organize({ removeTags: [t] }, 'untag')} />
          ))}
          <TextField
            size="small"
            variant="standard"
            placeholder="Add tag"
            value={tag}
            onChange={(e) => setTag(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') void add();
            }}
            error={problem !== null}
            helperText={problem ?? undefined}
            slotProps={{ htmlInput: { 'aria-label': 'Add tag', maxLength: 64 } }}
            sx={{ width: 140 }}
          />
        </Box>
      </Stack>
      <GroupDialog
        open={moving}
        names={[vm.name]}
        groups={groups}
        initial={vm.group}
        onClose={() => setMoving(false)}
        onMove={(group) => {
          setMoving(false);
          void organize({ group }, 'move');
        }}
      />
    </Stack>
  );
}

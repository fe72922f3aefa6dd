// Shared folders as rows to edit (the New VM wizard and Settings): the host folder, the tag the guest
// mounts (the folder's name unless given), read-only, and virtio-fs or 9p.
import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import { Box, Button, Checkbox, FormControlLabel, IconButton, MenuItem, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { SHARE_MODES, type ShareMode } from '../../src-vmm/model/shares.js';
import { MAX_SHARES } from '../../src-vmm/model/limits.js';
import { effectiveTag, mountCommand, newShare, type ShareDraft } from './guestIntegration.js';

export interface SharesEditorProps {
  shares: ShareDraft[];
  onChange: (shares: ShareDraft[]) => void;
  /** the error of a row's field ('shares.0.hostPath') */
  error: (field: string) => string | undefined;
  disabled?: boolean;
  /** the mode a new row starts with (9p where virtio-fs cannot run on the host) */
  defaultMode?: ShareMode;
}

const modeLabel = (m: ShareMode) => (m === 'virtiofs' ? 'virtio-fs' : '9p');

export function SharesEditor({ shares, onChange, error, disabled, defaultMode = 'virtiofs' }: SharesEditorProps) {
  const set = (i: number, patch: Partial<ShareDraft>) => onChange(shares.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  return (
    <Box role="group" aria-label="Shared folders">
      <Stack direction="row" sx={{ alignItems: 'center', mb: 1 }}>
        <Typography variant="subtitle2" component="h3" sx={{ flex: 1 }}>
          Shared folders
        </Typography>
        <Button size="small" startIcon={<AddIcon />} onClick={() => onChange([...shares, newShare(defaultMode)])} disabled={disabled || shares.length >= MAX_SHARES}>
          Add shared folder
        </Button>
      </Stack>
      {shares.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No shared folders. Add one to reach a folder of this computer from the guest (mounted by its tag).
        </Typography>
      ) : (
        <Stack spacing={1.5}>
          {shares.map((s, i) => {
            const tag = effectiveTag(s);
            return (
              <Box key={i} role="group" aria-label={`Shared folder ${i + 1}`} sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 1.5 }}>
                <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
                  <TextField
                    label="Host folder"
                    size="small"
                    fullWidth
                    value={s.hostPath}
                    placeholder="/home/you/Projects"
                    onChange={(e) => set(i, { hostPath: e.target.value })}
                    error={!!error(`shares.${i}.hostPath`)}
                    helperText={error(`shares.${i}.hostPath`) ?? ' '}
                    disabled={disabled || s.existing}
                    slotProps={{ htmlInput: { 'aria-label': `Host folder of shared folder ${i + 1}`, spellCheck: false } }}
                  />
                  <TextField
                    label="Tag"
                    size="small"
                    value={s.tag}
                    placeholder={tag || 'folder name'}
                    onChange={(e) => set(i, { tag: e.target.value })}
                    error={!!error(`shares.${i}.tag`)}
                    helperText={error(`shares.${i}.tag`) ?? ' '}
                    disabled={disabled || s.existing}
                    sx={{ width: 200, flexShrink: 0 }}
                    slotProps={{ htmlInput: { 'aria-label': `Tag of shared folder ${i + 1}`, spellCheck: false } }}
                  />
                  <Tooltip title="Remove">
                    <span>
                      <IconButton aria-label={`Remove shared folder ${i + 1}`} onClick={() => onChange(shares.filter((_, j) => j !== i))} disabled={disabled}>
                        <DeleteIcon fontSize="small" />
                      </IconButton>
                    </span>
                  </Tooltip>
                </Stack>
                <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
                  <FormControlLabel
                    control={<Checkbox checked={s.readOnly} onChange={(e) => set(i, { readOnly: e.target.checked })} disabled={disabled || s.existing} />}
                    label="Read-only"
                  />
                  <TextField
                    select
                    size="small"
                    label="Kind"
                    value={s.mode}
                    onChange={(e) => set(i, { mode: e.target.value as ShareMode })}
                    disabled={disabled || s.existing}
                    sx={{ width: 160 }}
                    slotProps={{ htmlInput: { 'aria-label': `Kind of shared folder ${i + 1}` } }}
                  >
                    {SHARE_MODES.map((m) => (
                      <MenuItem key={m.value} value={m.value} title={m.label}>
                        {modeLabel(m.value)}
                      </MenuItem>
                    ))}
                  </TextField>
                  {tag && (
                    <Typography variant="caption" color="text.secondary" sx={{ fontFamily: 'ui-monospace, monospace', overflowWrap: 'anywhere' }}>
                      In the guest: {mountCommand({ tag, mode: s.mode, readOnly: s.readOnly })}
                    </Typography>
                  )}
                </Stack>
              </Box>
            );
          })}
        </Stack>
      )}
    </Box>
  );
}

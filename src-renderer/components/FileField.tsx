// A path field with a Browse button: a native dialog in Electron (when the preload offers one),
// the `fs.list` dialog in web mode.
import { Button, Stack, TextField } from '@mui/material';
import { useState, type ReactNode } from 'react';
import { useApi } from '../api/hooks.js';
import type { FileFilter } from '../api/apiTypes.js';
import { FileDialog } from './FileDialog.js';

export interface FileFieldProps {
  label: string;
  value: string;
  onChange: (path: string) => void;
  filter: FileFilter;
  error?: string | undefined;
  helperText?: ReactNode;
  disabled?: boolean;
  placeholder?: string;
  autoFocus?: boolean;
  /** extra buttons after Browse (e.g. Eject) */
  actions?: ReactNode;
}

export function FileField({ label, value, onChange, filter, error, helperText, disabled, placeholder, autoFocus, actions }: FileFieldProps) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const browse = async () => {
    const pick = api.endpoint.pickFile;
    if (pick) {
      const p = await pick({ title: label, filter, ...(value ? { defaultPath: value } : {}) });
      if (p) onChange(p);
    } else setOpen(true);
  };
  return (
    <>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
        <TextField
          label={label}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          error={!!error}
          helperText={error ?? helperText ?? ' '}
          disabled={disabled}
          placeholder={placeholder}
          autoFocus={autoFocus}
          fullWidth
          size="small"
          spellCheck={false}
        />
        <Button variant="outlined" onClick={() => void browse()} disabled={disabled} aria-label={`Browse for ${label.toLowerCase()}`} sx={{ flexShrink: 0, height: 40 }}>
          Browse…
        </Button>
        {actions}
      </Stack>
      <FileDialog open={open} title={`Choose ${label.toLowerCase()}`} filter={filter} initialPath={value} onClose={() => setOpen(false)} onChoose={(p) => { onChange(p); setOpen(false); }} />
    </>
  );
}

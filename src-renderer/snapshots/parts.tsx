// Small pieces the snapshot dialogs share: a long call's progress, its outcome in the API's words,
// and label/value rows.
import { Alert, Box, LinearProgress, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import type { Progress } from '../../src-vmm/base/rpc.js';
import type { HangarError } from '../../src-vmm/base/errors.js';

/** The progress of a running call: a bar (indeterminate until the first fraction) and the phase. */
export function TaskProgress({ label, progress }: { label: string; progress: Progress | null }) {
  const fraction = progress?.fraction ?? 0;
  return (
    <Box sx={{ mt: 2 }}>
      <LinearProgress variant={fraction > 0 ? 'determinate' : 'indeterminate'} value={Math.round(fraction * 100)} aria-label={label} />
      <Typography variant="caption" color="text.secondary" role="status">
        {progress?.message ? `${label}: ${progress.message}` : `${label}…`}
      </Typography>
    </Box>
  );
}

/** A failed call in the API's words; a cancelled one as a quiet note. */
export function TaskError({ error, cancelled }: { error: HangarError | null; cancelled: string }) {
  if (!error) return null;
  if (error.code === 'CANCELLED')
    return (
      <Alert severity="info" role="status" sx={{ mt: 2 }}>
        {cancelled}
      </Alert>
    );
  return (
    <Alert severity="error" sx={{ mt: 2 }}>
      {error.message}
    </Alert>
  );
}

export function Figures({ rows, label }: { rows: [string, ReactNode][]; label: string }) {
  return (
    <Box component="dl" aria-label={label} sx={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 2, rowGap: 0.5, m: 0 }}>
      {rows.map(([k, v]) => (
        <Box key={k} sx={{ display: 'contents' }}>
          <Typography component="dt" variant="body2" color="text.secondary">
            {k}
          </Typography>
          <Typography component="dd" variant="body2" sx={{ m: 0, overflowWrap: 'anywhere' }}>
            {v}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}

// The Memory and CPUs fields of the New VM wizard and of Settings → System: each shows its error,
// or else the host-limit warning for its value (in the warning colour), or else its range.
import { Alert, Box, InputAdornment, TextField, type SxProps, type Theme } from '@mui/material';
import { MAX_CPUS, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from '../../src-vmm/model/limits.js';
import type { LimitAdvice } from './hostLimits.js';

type Field = 'cpus' | 'memoryMiB';

export function MemoryAndCpuFields(props: {
  values: { memoryMiB: string; cpus: string };
  onChange: (field: Field, value: string) => void;
  /** the field's error, if any (it wins over a warning) */
  error: (field: Field) => string | undefined;
  advice: readonly LimitAdvice[];
  disabled?: boolean;
  sx?: SxProps<Theme>;
}) {
  const { values, onChange, error, advice, disabled = false, sx } = props;
  const field = (name: Field, label: string, range: string, unit?: string) => {
    const problem = error(name);
    const warning = advice.find((a) => a.field === name)?.message;
    return (
      <TextField
        label={label}
        size="small"
        value={values[name]}
        onChange={(e) => onChange(name, e.target.value)}
        disabled={disabled}
        error={!!problem}
        helperText={problem ?? warning ?? range}
        slotProps={{
          htmlInput: { inputMode: 'numeric' },
          ...(unit ? { input: { endAdornment: <InputAdornment position="end">{unit}</InputAdornment> } } : {}),
          formHelperText: { sx: !problem && warning ? { color: 'warning.main' } : {} },
        }}
        {...(sx ? { sx } : {})}
      />
    );
  };
  return (
    <>
      {field('memoryMiB', 'Memory', `${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB} MiB`, 'MiB')}
      {field('cpus', 'CPUs', `1 to ${MAX_CPUS}`)}
    </>
  );
}

/** The host-limit warnings together, below the fields. */
export function LimitWarning({ advice }: { advice: readonly LimitAdvice[] }) {
  if (advice.length === 0) return null;
  return (
    <Alert severity="warning" role="note" aria-label="Beyond this host's limits">
      {advice.map((a) => (
        <Box key={a.field}>{a.message}</Box>
      ))}
    </Alert>
  );
}

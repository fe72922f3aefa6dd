// The Clone wizard (after VirtualBox's): name and MAC policy, full or linked, the source state (the
// current state or a snapshot of the VM's tree), a summary, then `vm.clone` with progress and cancel.
// The steps are the pure logic in clone.ts; a server error is shown on the step it is about.
// Other views (the Snapshots tab) open the wizard through `useOpenCloneWizard` (openClone.ts).
import { useWizardSteps } from '../components/useWizardSteps.js';
import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormLabel,
  LinearProgress,
  Radio,
  RadioGroup,
  Stack,
  Step,
  StepLabel,
  Stepper,
  Table,
  TableBody,
  TableCell,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useId, useMemo, useState } from 'react';
import { useApiQuery, useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import {
  CLONE_STEPS,
  cloneSummaryRows,
  firstInvalidCloneStep,
  initialCloneDraft,
  MAC_SENTENCES,
  sourceChoices,
  sourceNote,
  placeCloneError,
  toCloneInput,
  TYPE_SENTENCES,
  validateCloneStep,
  type CloneContext,
  type CloneDraft,
  type CloneType,
  type MacPolicy,
} from './clone.js';
import { issueFor } from '../components/fields.js';

export interface CloneWizardProps {
  /** the VM to clone; the wizard is closed while this is null */
  source: VmSummary | null;
  snapshotId?: string | null;
  existingNames: readonly string[];
  onClose: () => void;
  onCreated: (id: string) => void;
}

export function CloneWizard(props: CloneWizardProps) {
  return props.source ? <WizardBody {...props} source={props.source} /> : null;
}

function WizardBody({ source, snapshotId, existingNames, onClose, onCreated }: CloneWizardProps & { source: VmSummary }) {
  const titleId = useId();
  const snaps = useApiQuery('snapshot.list', { ref: source.id }, [source.id]);
  const ctx: CloneContext = useMemo(
    () => ({ source: { id: source.id, name: source.name, state: source.state }, existingNames, snapshots: snaps.data ?? null }),
    [source.id, source.name, source.state, existingNames, snaps.data],
  );
  const [draft, setDraft] = useState<CloneDraft>(() => initialCloneDraft(ctx.source, existingNames, snapshotId ?? null));
  const { step, setStep, attempted, isLast, back, next: nextIf, readyToSubmit } = useWizardSteps(CLONE_STEPS.length);
  const [serverError, setServerError] = useState<{ step: number; message: string } | null>(null);
  const clone = useTask('vm.clone');

  const issues = validateCloneStep(step, draft, ctx);
  const shown = (field: string) => (attempted.has(step) || field === 'name' ? issueFor(issues, field) : undefined);
  const set = <K extends keyof CloneDraft>(key: K, value: CloneDraft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setServerError(null);
  };
  const next = () => nextIf(issues);
  const submit = async () => {
    if (!readyToSubmit(firstInvalidCloneStep(draft, ctx))) return;
    setServerError(null);
    const out = await clone.run(toCloneInput(draft, source.id));
    if (out) {
      onCreated(out.id);
      onClose();
    }
  };
  useEffect(() => {
    if (clone.error && clone.error.code !== 'CANCELLED') {
      const placed = placeCloneError(clone.error);
      setServerError(placed);
      setStep(placed.step);
    }
  }, [clone.error]);

  const choices = useMemo(() => sourceChoices(snaps.data ?? null), [snaps.data]);
  const note = sourceNote(draft, ctx.source);
  const nameError = shown('name') ?? (serverError?.step === 0 ? serverError.message : undefined);
  const stepAlert = (message: string | undefined) =>
    message ? (
      <Alert severity="error" sx={{ mb: 2 }}>
        {message}
      </Alert>
    ) : null;

  return (
    <Dialog open onClose={clone.running ? undefined : onClose} aria-labelledby={titleId} maxWidth="md" fullWidth>
      <DialogTitle id={titleId}>Clone “{source.name}”</DialogTitle>
      <DialogContent dividers sx={{ minHeight: 380 }}>
        <Stepper activeStep={step} alternativeLabel sx={{ mb: 3 }}>
          {CLONE_STEPS.map((s, i) => (
            <Step key={s.key} completed={i < step}>
              <StepLabel error={serverError?.step === i}>{s.label}</StepLabel>
            </Step>
          ))}
        </Stepper>
        <Box role="group" aria-label={CLONE_STEPS[step]!.label} sx={{ maxWidth: 560, mx: 'auto' }}>
          {step === 0 && (
            <Stack spacing={2.5}>
              <Typography variant="body2" color="text.secondary">
                Choose a name for the new virtual machine. It gets the hardware of “{source.name}” and copies (or shares) its disks.
              </Typography>
              <TextField
                label="Name"
                value={draft.name}
                onChange={(e) => set('name', e.target.value)}
                error={!!nameError}
                helperText={nameError ?? ' '}
                autoFocus
                fullWidth
                size="small"
                onFocus={(e) => e.target.select()}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    next();
                  }
                }}
              />
              <FormControl>
                <FormLabel id={`${titleId}-mac`}>MAC addresses</FormLabel>
                <RadioGroup aria-labelledby={`${titleId}-mac`} value={draft.mac} onChange={(e) => set('mac', e.target.value as MacPolicy)}>
                  <Choice value="new" label="Generate new MAC addresses" sentence={MAC_SENTENCES.new} />
                  <Choice value="keep" label="Keep the MAC addresses" sentence={MAC_SENTENCES.keep} />
                </RadioGroup>
              </FormControl>
            </Stack>
          )}
          {step === 1 && (
            <Stack spacing={2}>
              {serverError?.step === 1 && stepAlert(serverError.message)}
              <FormControl>
                <FormLabel id={`${titleId}-type`}>Clone type</FormLabel>
                <RadioGroup aria-labelledby={`${titleId}-type`} value={draft.type} onChange={(e) => set('type', e.target.value as CloneType)}>
                  <Choice value="full" label="Full clone" sentence={TYPE_SENTENCES.full} />
                  <Choice value="linked" label="Linked clone" sentence={TYPE_SENTENCES.linked} />
                </RadioGroup>
              </FormControl>
            </Stack>
          )}
          {step === 2 && (
            <Stack spacing={1.5}>
              {stepAlert(shown('source') ?? (serverError?.step === 2 ? serverError.message : undefined))}
              <Typography variant="body2" color="text.secondary">
                {draft.type === 'linked'
                  ? 'A linked clone is based on a snapshot: choose one, or the current state (a snapshot of it is taken first).'
                  : 'Clone the VM as it is now, or as it was when a snapshot was taken.'}
              </Typography>
              {snaps.loading && !snaps.data && <LinearProgress aria-label="Loading snapshots" />}
              {snaps.error && <Alert severity="warning">The snapshots could not be listed: {snaps.error.message}</Alert>}
              <FormControl>
                <FormLabel id={`${titleId}-source`}>Source state</FormLabel>
                <RadioGroup
                  aria-labelledby={`${titleId}-source`}
                  value={draft.snapshotId ?? ''}
                  onChange={(e) => set('snapshotId', e.target.value === '' ? null : e.target.value)}
                  sx={{ maxHeight: 260, overflow: 'auto', flexWrap: 'nowrap', border: 1, borderColor: 'divider', borderRadius: 1, py: 0.5 }}
                >
                  {choices.map((c) => (
                    <Stack key={c.snapshotId ?? ''} direction="row" sx={{ alignItems: 'center', pl: 1 + (c.level - 1) * 2.5 }}>
                      <FormControlLabel value={c.snapshotId ?? ''} control={<Radio size="small" />} label={c.label} sx={{ mr: 1 }} />
                      {c.current && <Chip size="small" variant="outlined" label="current snapshot" aria-hidden />}
                    </Stack>
                  ))}
                </RadioGroup>
              </FormControl>
              {note && (
                <Alert severity="info" role="note">
                  {note}
                </Alert>
              )}
            </Stack>
          )}
          {step === 3 && (
            <Stack spacing={2}>
              {stepAlert(shown('') ?? (serverError?.step === 3 ? serverError.message : undefined))}
              <Table size="small" aria-label="Summary">
                <TableBody>
                  {cloneSummaryRows(draft, ctx).map((r) => (
                    <TableRow key={r.label}>
                      <TableCell component="th" scope="row" sx={{ color: 'text.secondary', width: 160, border: 0, verticalAlign: 'top' }}>
                        {r.label}
                      </TableCell>
                      <TableCell sx={{ border: 0, overflowWrap: 'anywhere' }}>{r.value}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              {clone.running && (
                <Box>
                  <LinearProgress
                    variant={clone.progress && clone.progress.fraction > 0 ? 'determinate' : 'indeterminate'}
                    value={Math.round((clone.progress?.fraction ?? 0) * 100)}
                    aria-label="Cloning the virtual machine"
                  />
                  <Typography variant="caption" color="text.secondary" role="status">
                    {clone.progress?.message ?? 'Cloning…'}
                  </Typography>
                </Box>
              )}
              {clone.error?.code === 'CANCELLED' && (
                <Alert severity="info" role="status">
                  Cloning was cancelled.
                </Alert>
              )}
            </Stack>
          )}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={clone.running ? clone.cancel : onClose}>{clone.running ? 'Cancel cloning' : 'Cancel'}</Button>
        <Box sx={{ flex: 1 }} />
        <Button
          onClick={back}
          disabled={step === 0 || clone.running}
        >
          Back
        </Button>
        {isLast ? (
          <Button variant="contained" onClick={() => void submit()} disabled={clone.running}>
            Clone
          </Button>
        ) : (
          <Button variant="contained" onClick={next}>
            Next
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}

function Choice({ value, label, sentence }: { value: string; label: string; sentence: string }) {
  return (
    <Box sx={{ mb: 1 }}>
      <FormControlLabel value={value} control={<Radio />} label={label} />
      <Typography variant="body2" color="text.secondary" sx={{ ml: 4, mt: -0.5 }}>
        {sentence}
      </Typography>
    </Box>
  );
}

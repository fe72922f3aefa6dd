// The New VM wizard: six steps over the pure step logic in newVm.ts, then `vm.create` with
// progress. A step with problems does not advance; the server's error is shown on the step it is about.
import { useWizardSteps } from '../components/useWizardSteps.js';
import {
  Alert,
  Box,
  Button,
  Dialog,
  Checkbox,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormLabel,
  InputAdornment,
  LinearProgress,
  MenuItem,
  Radio,
  RadioGroup,
  Stack,
  Step,
  StepLabel,
  Stepper,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useId, useMemo, useState } from 'react';
import { useTask } from '../api/hooks.js';
import { useOsTypes } from '../app/catalogue.js';
import { FileField } from '../components/FileField.js';
import { MAX_CPUS, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from '../../src-vmm/model/limits.js';
import { issueFor } from '../components/fields.js';
import { FIRMWARES } from '../../src-vmm/model/firmware.js';
import { SharesEditor } from './SharesEditor.js';
import {
  editDraft,
  firstInvalidStep,
  initialDraft,
  placeCreateError,
  type CreateErrorPlacement,
  summaryRows,
  toCreateInput,
  validateStep,
  withOsType,
  WIZARD_STEPS,
  type DiskMode,
  type NewVmDraft,
  type WizardContext,
} from './newVm.js';
import { formatBytes, parseSize } from '../components/size.js';

export interface NewVmWizardProps {
  open: boolean;
  existingNames: readonly string[];
  onClose: () => void;
  onCreated: (id: string) => void;
}

export function NewVmWizard(props: NewVmWizardProps) {
  return props.open ? <WizardBody {...props} /> : null;
}

function WizardBody({ existingNames, onClose, onCreated }: NewVmWizardProps) {
  const titleId = useId();
  const osTypes = useOsTypes();
  const ctx: WizardContext = useMemo(() => ({ osTypes, existingNames }), [osTypes, existingNames]);
  const [draft, setDraft] = useState<NewVmDraft>(() => initialDraft(osTypes));
  const { step, setStep, attempted, isLast, back, next: nextIf, readyToSubmit } = useWizardSteps(WIZARD_STEPS.length);
  const [dirty, setDirty] = useState<ReadonlySet<string>>(new Set());
  const [serverError, setServerError] = useState<CreateErrorPlacement | null>(null);
  const create = useTask('vm.create');

  // The catalogue may arrive after the dialog opened.
  useEffect(() => {
    if (osTypes.length && !osTypes.some((o) => o.id === draft.osType)) setDraft((d) => withOsType(d, initialDraft(osTypes).osType, osTypes));
  }, [osTypes, draft.osType]);

  const issues = validateStep(step, draft, ctx);
  const shown = (field: string) => (attempted.has(step) || dirty.has(field) ? issueFor(issues, field) : undefined) ?? (serverError ? issueFor(serverError.fields, field) : undefined);
  const set = <K extends keyof Omit<NewVmDraft, 'touched'>>(key: K, value: NewVmDraft[K]) => {
    setDraft((d) => editDraft(d, key, value));
    setDirty((s) => new Set(s).add(key));
    setServerError(null);
  };
  const next = () => nextIf(issues);
  const submit = async () => {
    if (!readyToSubmit(firstInvalidStep(draft, ctx))) return;
    setServerError(null);
    const out = await create.run(toCreateInput(draft));
    if (out) {
      onCreated(out.id);
      onClose();
    }
  };
  useEffect(() => {
    if (create.error && create.error.code !== 'CANCELLED') {
      const placed = placeCreateError(create.error, draft);
      setServerError(placed);
      setStep(placed.step);
    }
  }, [create.error]);

  const os = osTypes.find((o) => o.id === draft.osType);
  const size = parseSize(draft.diskSize);

  return (
    <Dialog open onClose={create.running ? undefined : onClose} aria-labelledby={titleId} maxWidth="md" fullWidth>
      <DialogTitle id={titleId}>New virtual machine</DialogTitle>
      <DialogContent dividers sx={{ minHeight: 380 }}>
        <Stepper activeStep={step} alternativeLabel sx={{ mb: 3 }}>
          {WIZARD_STEPS.map((s, i) => (
            <Step key={s.key} completed={i < step}>
              <StepLabel error={serverError?.step === i}>{s.label}</StepLabel>
            </Step>
          ))}
        </Stepper>
        {serverError && serverError.step === step && serverError.general.length > 0 && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {serverError.general.join(' ')}
          </Alert>
        )}
        <Box role="group" aria-label={WIZARD_STEPS[step]!.label} sx={{ maxWidth: 560, mx: 'auto' }}>
          {step === 0 && (
            <Stack spacing={2.5}>
              <Typography variant="body2" color="text.secondary">
                Choose a name for the virtual machine and the kind of operating system you will install. The OS type picks sensible hardware for it.
              </Typography>
              <TextField
                label="Name"
                value={draft.name}
                onChange={(e) => set('name', e.target.value)}
                error={!!shown('name')}
                helperText={shown('name') ?? ' '}
                autoFocus
                fullWidth
                size="small"
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    next();
                  }
                }}
              />
              <TextField
                select
                label="OS type"
                value={osTypes.some((o) => o.id === draft.osType) ? draft.osType : ''}
                onChange={(e) => {
                  setDraft((d) => withOsType(d, e.target.value, osTypes));
                  setServerError(null);
                }}
                error={!!shown('osType')}
                helperText={shown('osType') ?? (os ? `Defaults: ${os.defaults.cpus} CPUs, ${os.defaults.memoryMiB} MiB memory, ${os.defaults.diskGiB} GiB disk` : 'Loading the OS types…')}
                fullWidth
                size="small"
              >
                {osTypes.map((o) => (
                  <MenuItem key={o.id} value={o.id}>
                    {o.label}
                  </MenuItem>
                ))}
              </TextField>
            </Stack>
          )}
          {step === 1 && (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                Choose the installer ISO image the VM boots from. You can leave this empty and insert one later in Settings → Storage.
              </Typography>
              <FileField label="ISO image" value={draft.isoPath} onChange={(p) => set('isoPath', p)} filter="iso" error={shown('isoPath')} placeholder="/path/to/installer.iso" helperText="Optional" autoFocus />
            </Stack>
          )}
          {step === 2 && (
            <Stack spacing={2.5}>
              <Typography variant="body2" color="text.secondary">
                {os ? `Recommended for ${os.label}: ${os.defaults.memoryMiB} MiB and ${os.defaults.cpus} CPUs.` : 'Memory and processors of the VM.'}
              </Typography>
              <TextField
                label="Memory"
                value={draft.memoryMiB}
                onChange={(e) => set('memoryMiB', e.target.value)}
                error={!!shown('memoryMiB')}
                helperText={shown('memoryMiB') ?? `${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB} MiB`}
                size="small"
                autoFocus
                slotProps={{ htmlInput: { inputMode: 'numeric' }, input: { endAdornment: <InputAdornment position="end">MiB</InputAdornment> } }}
                sx={{ maxWidth: 260 }}
              />
              <TextField
                label="CPUs"
                value={draft.cpus}
                onChange={(e) => set('cpus', e.target.value)}
                error={!!shown('cpus')}
                helperText={shown('cpus') ?? `1 to ${MAX_CPUS}`}
                size="small"
                slotProps={{ htmlInput: { inputMode: 'numeric' } }}
                sx={{ maxWidth: 260 }}
              />
            </Stack>
          )}
          {step === 3 && (
            <Stack spacing={2}>
              <FormControl>
                <FormLabel id={`${titleId}-disk`}>Hard disk</FormLabel>
                <RadioGroup aria-labelledby={`${titleId}-disk`} value={draft.diskMode} onChange={(e) => set('diskMode', e.target.value as DiskMode)}>
                  <FormControlLabel value="new" control={<Radio />} label="Create a new disk" />
                  <FormControlLabel value="existing" control={<Radio />} label="Use an existing disk image" />
                  <FormControlLabel value="none" control={<Radio />} label="No disk" />
                </RadioGroup>
              </FormControl>
              {draft.diskMode === 'new' && (
                <TextField
                  label="Disk size"
                  value={draft.diskSize}
                  onChange={(e) => set('diskSize', e.target.value)}
                  error={!!shown('diskSize')}
                  helperText={shown('diskSize') ?? (size.ok ? `${formatBytes(size.bytes)}, allocated as the guest writes (qcow2). Units: K, M, G, T.` : ' ')}
                  size="small"
                  sx={{ maxWidth: 360 }}
                />
              )}
              {draft.diskMode === 'existing' && (
                <FileField
                  label="Disk image"
                  value={draft.diskImage}
                  onChange={(p) => set('diskImage', p)}
                  filter="disk"
                  error={shown('diskImage')}
                  helperText="qcow2 and raw images are used in place; other formats are converted to qcow2."
                />
              )}
              {draft.diskMode === 'existing' && (
                <FormControlLabel
                  control={<Checkbox checked={draft.flatten} onChange={(e) => set('flatten', e.target.checked)} />}
                  label="Copy the image into the VM's folder"
                  sx={{ mt: -1 }}
                />
              )}
            </Stack>
          )}
          {step === 4 && (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                How the guest works with this computer. {os ? `The defaults are ${os.label}'s.` : ''}
              </Typography>
              <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
                <TextField select label="Firmware" size="small" value={draft.firmware} onChange={(e) => set('firmware', e.target.value as NewVmDraft['firmware'])} sx={{ width: 200 }}>
                  {FIRMWARES.map((f) => (
                    <MenuItem key={f.value} value={f.value}>
                      {f.label}
                    </MenuItem>
                  ))}
                </TextField>
                <FormControlLabel
                  control={<Switch checked={draft.secureBoot} onChange={(e) => set('secureBoot', e.target.checked)} disabled={draft.firmware !== 'uefi'} />}
                  label="Secure Boot"
                />
                <FormControlLabel control={<Switch checked={draft.tpm} onChange={(e) => set('tpm', e.target.checked)} />} label="TPM 2.0" />
              </Stack>
              {shown('secureBoot') && <Alert severity="error">{shown('secureBoot')}</Alert>}
              <Box>
                <FormControlLabel control={<Switch checked={draft.clipboard} onChange={(e) => set('clipboard', e.target.checked)} />} label="Share the clipboard" />
                <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                  Text copied in the Display tab reaches the guest, and back, when the guest runs spice-vdagent. QEMU cannot save the running state of a VM that shares its clipboard: its snapshots hold its disks alone.
                </Typography>
              </Box>
              <SharesEditor shares={draft.shares} onChange={(v) => set('shares', v)} error={shown} />
            </Stack>
          )}
          {step === 5 && (
            <Stack spacing={2}>
              <Table size="small" aria-label="Summary">
                <TableBody>
                  {summaryRows(draft, ctx).map((r) => (
                    <TableRow key={r.label}>
                      <TableCell component="th" scope="row" sx={{ color: 'text.secondary', width: 180, border: 0 }}>
                        {r.label}
                      </TableCell>
                      <TableCell sx={{ border: 0, overflowWrap: 'anywhere' }}>{r.value}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              {create.running && (
                <Box>
                  <LinearProgress
                    variant={create.progress && create.progress.fraction > 0 ? 'determinate' : 'indeterminate'}
                    value={Math.round((create.progress?.fraction ?? 0) * 100)}
                    aria-label="Creating the virtual machine"
                  />
                  <Typography variant="caption" color="text.secondary">
                    {create.progress?.message ?? 'Creating…'}
                  </Typography>
                </Box>
              )}
              {create.error?.code === 'CANCELLED' && <Alert severity="info">Creation was cancelled.</Alert>}
            </Stack>
          )}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={create.running ? create.cancel : onClose}>{create.running ? 'Cancel creation' : 'Cancel'}</Button>
        <Box sx={{ flex: 1 }} />
        <Button onClick={back} disabled={step === 0 || create.running}>
          Back
        </Button>
        {isLast ? (
          <Button variant="contained" onClick={() => void submit()} disabled={create.running}>
            Create
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

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
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useApi, useApiQuery, useOnline, useTask } from '../api/hooks.js';
import { NETWORK_MODES } from '../../src-main/networks/model.js';
import { useHostInfo, useOsTypes } from '../app/catalogue.js';
import { countOf } from '../components/format.js';
import { hostLimitAdvice, hostLimitsLine, hostLimitsOf } from '../components/hostLimits.js';
import { focusStepStart } from '../components/wizardFocus.js';
import { FileField } from '../components/FileField.js';
import { LimitWarning, MemoryAndCpuFields } from '../components/MemoryAndCpuFields.js';
import { issueFor } from '../components/fields.js';
import { FIRMWARES } from '../../src-vmm/model/firmware.js';
import { SharesEditor } from './SharesEditor.js';
import {
  detectionText,
  editDraft,
  firstInvalidStep,
  NEW_KEY,
  stepLabels,
  withDetection,
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
  type VmSource,
  type WizardContext,
} from './newVm.js';
import { pathIssues } from '../components/fields.js';
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
  const networkList = useApiQuery('network.list', {}, []).data?.networks;
  const ctx: WizardContext = useMemo(() => ({ osTypes, existingNames, ...(networkList ? { networks: networkList } : {}) }), [osTypes, existingNames, networkList]);
  const [draft, setDraft] = useState<NewVmDraft>(() => initialDraft(osTypes));
  const { step, setStep, attempted, isLast, back, next: nextIf, readyToSubmit } = useWizardSteps(WIZARD_STEPS.length);
  const [dirty, setDirty] = useState<ReadonlySet<string>>(new Set());
  const [serverError, setServerError] = useState<CreateErrorPlacement | null>(null);
  const create = useTask('vm.create');
  const online = useOnline();
  const host = hostLimitsOf(useHostInfo());
  const advice = hostLimitAdvice(draft, host);
  const stepRef = useRef<HTMLDivElement>(null);
  const createRef = useRef<HTMLButtonElement>(null);
  // Each step starts with the focus on its first field (the summary: on Create), after Next or Back.
  const firstStep = useRef(true);
  useEffect(() => {
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    focusStepStart(stepRef.current, createRef.current);
  }, [step]);
  const api = useApi();
  const library = useApiQuery('image.list', {}, []);
  const sshKeys = useApiQuery('ssh.keys', {}, []);
  const cloudImages = (library.data?.images ?? []).filter((i) => i.kind === 'disk');
  const imageName = (ref: string) => cloudImages.find((i) => i.id === ref)?.name ?? ref;

  // A key from ~/.ssh is offered by default (the first, ed25519 first); a new key when there is none.
  useEffect(() => {
    const first = sshKeys.data?.keys[0];
    if (first && !dirty.has('sshKey')) setDraft((d) => (d.sshKey === NEW_KEY ? { ...d, sshKey: first.path } : d));
  }, [sshKeys.data]);
  // The first library image is the default cloud image.
  useEffect(() => {
    const first = cloudImages[0];
    if (first && !dirty.has('cloudImage')) setDraft((d) => (d.cloudImage === '' ? { ...d, cloudImage: first.id } : d));
  }, [library.data]);
  // An ISO picked is detected (libosinfo's database): its OS type and defaults fill in.
  useEffect(() => {
    const path = draft.isoPath.trim();
    if (draft.source !== 'media' || path === '' || pathIssues(path, 'an ISO image').length || draft.detected?.path === path) return;
    const ac = new AbortController();
    const timer = setTimeout(() => {
      api.call('os.detect', { path }, { signal: ac.signal }).then(
        (d) => setDraft((cur) => withDetection(cur, { path, known: d.known, name: d.name, osType: d.osType, unattended: d.unattended, unattendedUnavailable: d.unattendedUnavailable }, osTypes)),
        () => undefined,
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [draft.isoPath, draft.source, osTypes]);

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
  // Enter in a text field goes on, as a form's submit would (a select or button keeps its own Enter).
  // Only the step's own fields: React passes on the keys of a dialog opened from the step (the file
  // dialog's Folder field) although that dialog is elsewhere in the page.
  const onStepKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const t = e.target as HTMLElement;
    if (e.key !== 'Enter' || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey || t.tagName !== 'INPUT' || (t as HTMLInputElement).type === 'radio') return;
    if (!e.currentTarget.contains(t)) return;
    e.preventDefault();
    if (isLast) void submit();
    else next();
  };
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
  const labels = stepLabels(draft);
  const detection = draft.isoPath.trim() !== '' && draft.detected?.path === draft.isoPath.trim() ? draft.detected : null;

  return (
    <Dialog open onClose={create.running ? undefined : onClose} aria-labelledby={titleId} maxWidth="md" fullWidth>
      <DialogTitle id={titleId}>New virtual machine</DialogTitle>
      <DialogContent dividers sx={{ minHeight: 380 }}>
        <Stepper activeStep={step} alternativeLabel sx={{ mb: 3 }}>
          {WIZARD_STEPS.map((s, i) => (
            <Step key={s.key} completed={i < step}>
              <StepLabel error={serverError?.step === i}>{labels[i]}</StepLabel>
            </Step>
          ))}
        </Stepper>
        {serverError && serverError.step === step && serverError.general.length > 0 && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {serverError.general.join(' ')}
          </Alert>
        )}
        <Box role="group" aria-label={labels[step]} ref={stepRef} onKeyDown={onStepKeyDown} sx={{ maxWidth: 560, mx: 'auto' }}>
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
              />
              <FormControl>
                <FormLabel id={`${titleId}-source`}>Create from</FormLabel>
                <RadioGroup row aria-labelledby={`${titleId}-source`} value={draft.source} onChange={(e) => set('source', e.target.value as VmSource)}>
                  <FormControlLabel value="media" control={<Radio />} label="Installation media or a disk" />
                  <FormControlLabel value="cloud" control={<Radio />} label="A cloud image" />
                </RadioGroup>
              </FormControl>
              <TextField
                select
                label="OS type"
                value={osTypes.some((o) => o.id === draft.osType) ? draft.osType : ''}
                onChange={(e) => {
                  setDraft((d) => ({ ...withOsType(d, e.target.value, osTypes), touched: { ...d.touched, osType: true } }));
                  setServerError(null);
                }}
                error={!!shown('osType')}
                helperText={shown('osType') ?? (os ? `Defaults: ${countOf(os.defaults.cpus, 'CPU')}, ${os.defaults.memoryMiB} MiB memory, ${os.defaults.diskGiB} GiB disk` : 'Loading the OS types…')}
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
          {step === 1 && draft.source === 'media' && (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                Choose the installer ISO image the VM boots from. You can leave this empty and insert one later in Settings → Storage.
              </Typography>
              <FileField label="ISO image" value={draft.isoPath} onChange={(p) => set('isoPath', p)} filter="iso" error={shown('isoPath')} placeholder="/path/to/installer.iso" helperText="Optional" />
              {detection && (
                <Alert severity={detection.known ? 'success' : 'info'} aria-label="Detected operating system">
                  {detectionText(detection, osTypes, draft.osType)}
                </Alert>
              )}
              {detection?.known && (
                <FormControlLabel
                  control={<Checkbox checked={draft.unattended} disabled={!detection.unattended} onChange={(e) => set('unattended', e.target.checked)} />}
                  label={detection.unattended ? 'Install unattended (no questions; the media is ejected at the end)' : `Unattended installation is not available: ${detection.unattendedUnavailable ?? 'unknown media'}`}
                />
              )}
              {draft.unattended && (
                <Stack direction="row" spacing={2}>
                  <TextField label="User" value={draft.installUser} onChange={(e) => set('installUser', e.target.value)} error={!!shown('installUser')} helperText={shown('installUser') ?? 'The account the installer makes'} size="small" />
                  <TextField label="Password" type="password" value={draft.installPassword} onChange={(e) => set('installPassword', e.target.value)} error={!!shown('installPassword')} helperText={shown('installPassword') ?? ' '} size="small" />
                  <TextField label="Hostname" value={draft.hostname} onChange={(e) => set('hostname', e.target.value)} error={!!shown('hostname')} helperText={shown('hostname') ?? 'Default: from the name'} size="small" />
                </Stack>
              )}
            </Stack>
          )}
          {step === 1 && draft.source === 'cloud' && (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                A cloud image boots ready to use: cloud-init makes your account on the first boot, and the VM is reached with SSH on a port of this computer (hangar ssh).
              </Typography>
              <TextField
                select
                label="Cloud image"
                value={cloudImages.some((i) => i.id === draft.cloudImage) ? draft.cloudImage : draft.cloudImage.startsWith('/') ? 'file' : ''}
                onChange={(e) => set('cloudImage', e.target.value === 'file' ? '/' : e.target.value)}
                error={!!shown('cloudImage') && !draft.cloudImage.startsWith('/')}
                helperText={(!draft.cloudImage.startsWith('/') && shown('cloudImage')) || (cloudImages.length ? 'From the image library' : 'The image library is empty: choose an image file (it is added to the library)')}
                size="small"
              >
                {cloudImages.map((i) => (
                  <MenuItem key={i.id} value={i.id}>
                    {i.name}
                    {i.osName ? ` (${i.osName})` : ''}
                  </MenuItem>
                ))}
                <MenuItem value="file">Another image file…</MenuItem>
              </TextField>
              {draft.cloudImage.startsWith('/') && (
                <FileField label="Image file" value={draft.cloudImage} onChange={(p) => set('cloudImage', p)} filter="disk" error={shown('cloudImage')} helperText="A cloud image (qcow2 or raw): kept in the library, the VM's disk is an overlay on it" />
              )}
              <Stack direction="row" spacing={2}>
                <TextField label="User" value={draft.cloudUser} onChange={(e) => set('cloudUser', e.target.value)} error={!!shown('cloudUser')} helperText={shown('cloudUser') ?? 'Default: your login name'} size="small" />
                <TextField label="Hostname" value={draft.hostname} onChange={(e) => set('hostname', e.target.value)} error={!!shown('hostname')} helperText={shown('hostname') ?? 'Default: from the name'} size="small" />
              </Stack>
              <TextField
                select
                label="SSH key"
                value={draft.sshKey}
                onChange={(e) => set('sshKey', e.target.value)}
                error={!!shown('sshKey')}
                helperText={shown('sshKey') ?? 'hangar ssh logs in with the private key beside it'}
                size="small"
              >
                {(sshKeys.data?.keys ?? []).map((k) => (
                  <MenuItem key={k.path} value={k.path}>
                    {k.path} ({k.type}{k.comment ? `, ${k.comment}` : ''})
                  </MenuItem>
                ))}
                {draft.sshKey !== NEW_KEY && !(sshKeys.data?.keys ?? []).some((k) => k.path === draft.sshKey) && <MenuItem value={draft.sshKey}>{draft.sshKey}</MenuItem>}
                <MenuItem value={NEW_KEY}>Make a new key for this VM</MenuItem>
              </TextField>
              <TextField label="Password" type="password" value={draft.cloudPassword} onChange={(e) => set('cloudPassword', e.target.value)} error={!!shown('cloudPassword')} helperText={shown('cloudPassword') ?? 'Optional: also allows logging in on the console'} size="small" sx={{ maxWidth: 300 }} />
              <TextField
                label="User data"
                value={draft.userData}
                onChange={(e) => set('userData', e.target.value)}
                error={!!shown('userData')}
                helperText={shown('userData') ?? 'Optional: your own cloud-config (#cloud-config YAML), merged with Hangar\'s'}
                multiline
                minRows={3}
                maxRows={10}
                size="small"
                slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }}
              />
            </Stack>
          )}
          {step === 2 && (
            <Stack spacing={2.5}>
              <Typography variant="body2" color="text.secondary">
                {os ? `Recommended for ${os.label}: ${os.defaults.memoryMiB} MiB and ${countOf(os.defaults.cpus, 'CPU')}.` : 'Memory and processors of the VM.'} {host ? hostLimitsLine(host) : ''}
              </Typography>
              <MemoryAndCpuFields values={draft} onChange={set} error={shown} advice={advice} sx={{ maxWidth: 420 }} />
              <LimitWarning advice={advice} />
              <TextField
                select
                label="Network"
                value={draft.network}
                onChange={(e) => set('network', e.target.value)}
                error={!!shown('network')}
                helperText={shown('network') ?? 'Its network card: NAT of its own, or one of Hangar’s networks (Networks in the toolbar makes more).'}
                size="small"
                sx={{ maxWidth: 420 }}
              >
                <MenuItem value="">NAT (user mode, this VM only)</MenuItem>
                {(networkList ?? []).map((n) => (
                  <MenuItem key={n.id} value={n.id}>
                    {n.name} — {NETWORK_MODES.find((m) => m.value === n.mode)?.label ?? n.mode}
                  </MenuItem>
                ))}
              </TextField>
            </Stack>
          )}
          {step === 3 && draft.source === 'cloud' && (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                The VM's disk is an overlay on the cloud image (made at once, whatever the image's size); cloud-init grows its file system to the size chosen here.
              </Typography>
              <TextField
                label="Disk size"
                value={draft.diskSize}
                onChange={(e) => set('diskSize', e.target.value)}
                error={!!shown('diskSize')}
                helperText={shown('diskSize') ?? (size.ok ? `${formatBytes(size.bytes)}, allocated as the guest writes. Units: K, M, G, T.` : ' ')}
                size="small"
                sx={{ maxWidth: 360 }}
                autoFocus
              />
            </Stack>
          )}
          {step === 3 && draft.source === 'media' && (
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
                  {summaryRows(draft, { ...ctx, imageName }).map((r) => (
                    <TableRow key={r.label}>
                      <TableCell component="th" scope="row" sx={{ color: 'text.secondary', width: 180, border: 0 }}>
                        {r.label}
                      </TableCell>
                      <TableCell sx={{ border: 0, overflowWrap: 'anywhere' }}>{r.value}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              <LimitWarning advice={advice} />
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
          <Button variant="contained" ref={createRef} onClick={() => void submit()} disabled={create.running || !online}>
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

/** The host-limit warnings of a step (they do not block: the API takes such values, as VirtualBox does). */

// The Export Appliance dialog (after VirtualBox's "Export Virtual Appliance"): tick the VMs (for one,
// optionally a snapshot), choose the file, format, OVF version, profile and manifest, add the
// product information and license, then `appliance.export` with progress and cancel, and a summary.
// The rules are the pure logic in exportForm.ts; the owner's errors are shown in its words,
// on the step they are about.
import FolderIcon from '@mui/icons-material/Folder';
import InsertDriveFileIcon from '@mui/icons-material/InsertDriveFileOutlined';
import {
  Alert,
  AlertTitle,
  Box,
  Button,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormHelperText,
  FormLabel,
  LinearProgress,
  List,
  ListItem,
  ListItemButton,
  ListItemIcon,
  ListItemText,
  MenuItem,
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
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { PROFILE_NOTES } from '../../src-main/appliances/writer.js';
import { useApiQuery, useTask, type Query, type TaskHandle } from '../api/hooks.js';
import { useOsTypes } from '../app/catalogue.js';
import { OsIcon } from '../components/OsIcon.js';
import { FolderBar, rememberDir, useFolderBrowser } from '../components/FileDialog.js';
import type { ApiOutput, VmSummary } from '../api/apiTypes.js';
import { sourceChoices } from '../clones/clone.js';
import {
  chooseFormat,
  chosenVms,
  defaultFolder,
  effectiveFile,
  effectiveFormat,
  EXPORT_STEPS,
  exportSubject,
  FORMAT_CHOICES,
  firstInvalidExportStep,
  initialExportDraft,
  joinPath,
  LAST_EXPORT_KEY,
  MANIFEST_CHOICES,
  machineNotes,
  OVF_VERSIONS,
  PROFILE_CHOICES,
  profileLabel,
  progressSentence,
  resultRows,
  stepForExportError,
  stepIndex,
  toExportInput,
  toggleVm,
  validateExportStep,
  type ApplianceFormat,
  type ExportContext,
  type ExportDraft,
  type ExportProfile,
  type ManifestChoice,
  type OvfVersion,
  type ProductField,
} from './exportForm.js';
import { issueFor, type FieldIssue } from '../components/fields.js';
import { baseName, dirOf } from '../components/files.js';
import { localizeTimestamps, osFamily } from '../components/format.js';
import { formatBytes } from '../components/size.js';
import { stateLabel } from '../vms/vmState.js';
import { useWizardSteps } from '../components/useWizardSteps.js';

export interface ExportDialogProps {
  open: boolean;
  /** every VM, in the list's order */
  vms: readonly VmSummary[];
  /** the VMs ticked at first (the current one) */
  initialIds: readonly string[];
  onClose: () => void;
  /** an export is running (the dialog must not be replaced meanwhile) */
  onBusyChange?: (busy: boolean) => void;
}

export function ExportDialog(props: ExportDialogProps) {
  // Mounted only while open, so each opening starts fresh.
  return props.open ? <ExportBody {...props} /> : null;
}

function readLastExport(): string | null {
  try {
    return localStorage.getItem(LAST_EXPORT_KEY);
  } catch {
    return null;
  }
}

function rememberExport(file: string): void {
  try {
    localStorage.setItem(LAST_EXPORT_KEY, file);
  } catch {
    /* not remembered */
  }
}

const EXPORT_STEP = stepIndex('export');

function ExportBody({ vms, initialIds, onClose, onBusyChange }: ExportDialogProps) {
  const titleId = useId();
  const host = useApiQuery('host.info', {}, []);
  const [lastExport] = useState(readLastExport);
  const vmList = useMemo(() => vms.map((v) => ({ id: v.id, name: v.name, state: v.state })), [vms]);
  const ctx: ExportContext = useMemo(() => ({ vms: vmList, folder: defaultFolder(lastExport, host.data?.userFolders ?? null) }), [vmList, lastExport, host.data]);
  const [draft, setDraft] = useState<ExportDraft>(() => initialExportDraft(initialIds));
  const { step, setStep, attempted, back, next: nextIf, readyToSubmit } = useWizardSteps(EXPORT_STEPS.length);
  // An owner error, shown on the step it is about until the draft changes.
  const [serverError, setServerError] = useState<{ step: number; message: string } | null>(null);
  const task = useTask('appliance.export');
  useEffect(() => onBusyChange?.(task.running), [task.running, onBusyChange]);
  useEffect(() => () => onBusyChange?.(false), [onBusyChange]);

  const chosen = chosenVms(draft, ctx);
  const single = chosen.length === 1 ? chosen[0]! : null;
  const snaps = useApiQuery('snapshot.list', single ? { ref: single.id } : null, [single?.id]);
  const snapshotName = draft.snapshotId ? (snaps.data?.snapshots.find((s) => s.id === draft.snapshotId)?.name ?? null) : null;

  const issues = validateExportStep(step, draft, ctx);
  const shown = (field: string) => (attempted.has(step) ? issueFor(issues, field) : undefined);
  const update = (change: (d: ExportDraft) => ExportDraft) => {
    setDraft(change);
    setServerError(null);
  };
  const next = () => nextIf(issues);

  const start = async () => {
    if (!readyToSubmit(firstInvalidExportStep(draft, ctx))) return;
    setServerError(null);
    const input = toExportInput(draft, ctx);
    setStep(EXPORT_STEP);
    const out = await task.run(input);
    if (out) rememberExport(out.file);
  };
  const backFromExport = () => {
    const err = task.error;
    const target = err && err.code !== 'CANCELLED' ? (stepForExportError(err) ?? EXPORT_STEP - 1) : EXPORT_STEP - 1;
    if (err && err.code !== 'CANCELLED') setServerError({ step: target, message: err.message });
    task.reset();
    setStep(target);
  };

  const onExportStep = step === EXPORT_STEP;
  const failed = onExportStep && !!task.error && task.error.code !== 'CANCELLED';
  const stepAlert = (i: number) =>
    serverError?.step === i ? (
      <Alert severity="error" role="alert" sx={{ mb: 2 }}>
        {serverError.message}
      </Alert>
    ) : null;

  return (
    <Dialog
      open
      onClose={task.running ? undefined : onClose}
      aria-labelledby={titleId}
      maxWidth="md"
      fullWidth
      scroll="paper"
      // one height for every step, so the buttons stay where they are
      slotProps={{ paper: { sx: { height: 'min(740px, calc(100% - 64px))' } } }}
    >
      <DialogTitle id={titleId}>Export appliance</DialogTitle>
      <DialogContent dividers>
        <Stepper activeStep={step} alternativeLabel sx={{ mb: 3 }}>
          {EXPORT_STEPS.map((s, i) => (
            <Step key={s.key} completed={i < step || (onExportStep && !!task.result)}>
              <StepLabel error={(failed && i === EXPORT_STEP) || (serverError?.step === i && !onExportStep)}>{s.label}</StepLabel>
            </Step>
          ))}
        </Stepper>
        <Box role="group" aria-label={EXPORT_STEPS[step]!.label} sx={{ maxWidth: 760, mx: 'auto' }}>
          {step === stepIndex('machines') && (
            <>
              {stepAlert(step)}
              <MachinesStep
                vms={vms}
                draft={draft}
                ctx={ctx}
                error={shown('vms')}
                snapshots={single ? snaps : null}
                onToggle={(id, on) => update((d) => toggleVm(d, id, on))}
                onSnapshot={(id) => update((d) => ({ ...d, snapshotId: id }))}
              />
            </>
          )}
          {step === stepIndex('format') && (
            <FormatStep
              draft={draft}
              ctx={ctx}
              fileError={shown('file') ?? (serverError?.step === step ? serverError.message : undefined)}
              folderLoading={ctx.folder === null && host.loading}
              update={update}
              onEnter={next}
            />
          )}
          {step === stepIndex('appliance') && (
            <>
              {stepAlert(step)}
              <ApplianceStep draft={draft} many={chosen.length > 1} issues={attempted.has(step) ? issues : []} update={update} />
            </>
          )}
          {onExportStep && <ExportStep task={task} subject={exportSubject(chosen, snapshotName)} file={effectiveFile(draft, ctx)} draft={draft} />}
        </Box>
      </DialogContent>
      <DialogActions>
        {onExportStep ? (
          task.running ? (
            <Button onClick={task.cancel}>Cancel export</Button>
          ) : (
            <>
              {task.result ? null : <Button onClick={backFromExport}>Back</Button>}
              <Box sx={{ flex: 1 }} />
              <Button variant={task.result ? 'contained' : 'text'} onClick={onClose} autoFocus={!!task.result}>
                Close
              </Button>
            </>
          )
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Box sx={{ flex: 1 }} />
            <Button onClick={back} disabled={step === 0}>
              Back
            </Button>
            {step === EXPORT_STEP - 1 ? (
              <Button variant="contained" onClick={() => void start()}>
                Export
              </Button>
            ) : (
              <Button variant="contained" onClick={next}>
                Next
              </Button>
            )}
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}

// ---------------------------------------------------------------- step 1: the VMs

interface MachinesStepProps {
  vms: readonly VmSummary[];
  draft: ExportDraft;
  ctx: ExportContext;
  error: string | undefined;
  /** the snapshots of the one ticked VM; null when several (or none) are ticked */
  snapshots: Query<ApiOutput<'snapshot.list'>> | null;
  onToggle: (id: string, on: boolean) => void;
  onSnapshot: (id: string | null) => void;
}

function MachinesStep({ vms, draft, ctx, error, snapshots, onToggle, onSnapshot }: MachinesStepProps) {
  const osTypes = useOsTypes();
  const listId = useId();
  const stateId = useId();
  const chosen = chosenVms(draft, ctx);
  const choices = useMemo(() => (snapshots?.data ? sourceChoices(snapshots.data) : []), [snapshots?.data]);
  const notes = machineNotes(chosen, draft.snapshotId !== null);
  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        Choose the virtual machines to export. The appliance holds their settings and disks; snapshots and saved memory states are not part of it.
      </Typography>
      <Box>
        <Stack direction="row" sx={{ alignItems: 'baseline', mb: 0.5 }}>
          <Typography id={listId} variant="subtitle2" sx={{ flex: 1 }}>
            Virtual machines to export
          </Typography>
          <Typography variant="body2" color="text.secondary" role="status">
            {chosen.length} of {vms.length} chosen
          </Typography>
        </Stack>
        <Box
          role="group"
          aria-labelledby={listId}
          sx={{ maxHeight: 232, overflow: 'auto', border: 1, borderColor: error ? 'error.main' : 'divider', borderRadius: 1, py: 0.5 }}
        >
          {vms.map((vm) => (
            <VmRow key={vm.id} vm={vm} family={osFamily(vm.osType, osTypes)} osLabel={osTypes.find((o) => o.id === vm.osType)?.label ?? vm.osType} checked={draft.vmIds.includes(vm.id)} onChange={(on) => onToggle(vm.id, on)} />
          ))}
          {vms.length === 0 && (
            <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
              There are no virtual machines to export.
            </Typography>
          )}
        </Box>
        {error && (
          <FormHelperText error role="alert" sx={{ mx: 1.75 }}>
            {error}
          </FormHelperText>
        )}
      </Box>
      {notes.map((n) => (
        <Alert key={n} severity="info" role="note">
          {n}
        </Alert>
      ))}
      {snapshots && (snapshots.loading || snapshots.error || choices.length > 1) && (
        <FormControl>
          <FormLabel id={stateId} sx={{ mb: 0.5 }}>
            State to export
          </FormLabel>
          {snapshots.loading && !snapshots.data && <LinearProgress aria-label="Loading snapshots" />}
          {snapshots.error && <Alert severity="warning">The snapshots could not be listed: {snapshots.error.message}</Alert>}
          {choices.length > 1 && (
            <RadioGroup
              aria-labelledby={stateId}
              value={draft.snapshotId ?? ''}
              onChange={(e) => onSnapshot(e.target.value === '' ? null : e.target.value)}
              sx={{ maxHeight: 180, overflow: 'auto', flexWrap: 'nowrap', border: 1, borderColor: 'divider', borderRadius: 1, py: 0.5 }}
            >
              {choices.map((c) => (
                <Stack key={c.snapshotId ?? ''} direction="row" sx={{ alignItems: 'center', pl: 1 + (c.level - 1) * 2.5 }}>
                  <FormControlLabel value={c.snapshotId ?? ''} control={<Radio size="small" />} label={c.label} slotProps={{ typography: { variant: 'body2' } }} sx={{ mr: 1, my: -0.25 }} />
                  {c.current && <Chip size="small" variant="outlined" label="current snapshot" aria-hidden />}
                </Stack>
              ))}
            </RadioGroup>
          )}
        </FormControl>
      )}
    </Stack>
  );
}

function VmRow({ vm, family, osLabel, checked, onChange }: { vm: VmSummary; family: string; osLabel: string; checked: boolean; onChange: (on: boolean) => void }) {
  const nameId = useId();
  const detailId = useId();
  return (
    <Box
      component="label"
      sx={{ display: 'flex', alignItems: 'center', gap: 1.5, px: 1, py: 0.25, cursor: 'pointer', '&:hover': { bgcolor: 'action.hover' } }}
    >
      <Checkbox checked={checked} onChange={(e) => onChange(e.target.checked)} slotProps={{ input: { 'aria-labelledby': nameId, 'aria-describedby': detailId } }} />
      <OsIcon family={family} size={28} />
      <Box sx={{ minWidth: 0 }}>
        <Typography id={nameId} variant="body2" noWrap sx={{ fontWeight: 500 }}>
          {vm.name}
        </Typography>
        <Typography id={detailId} variant="caption" color="text.secondary" noWrap component="div">
          {stateLabel(vm.state)} · {osLabel}
        </Typography>
      </Box>
    </Box>
  );
}

// ---------------------------------------------------------------- step 2: format and file

interface FormatStepProps {
  draft: ExportDraft;
  ctx: ExportContext;
  fileError: string | undefined;
  folderLoading: boolean;
  update: (change: (d: ExportDraft) => ExportDraft) => void;
  onEnter: () => void;
}

function FormatStep({ draft, ctx, fileError, folderLoading, update, onEnter }: FormatStepProps) {
  const formatId = useId();
  const notesId = useId();
  const [browsing, setBrowsing] = useState(false);
  const file = effectiveFile(draft, ctx);
  const format = effectiveFormat(draft, ctx);
  const notes = PROFILE_NOTES[draft.profile];
  const sentence = FORMAT_CHOICES.find((f) => f.value === format)?.sentence ?? 'Choose a format: the file name ends in .ova or .ovf.';
  return (
    <Stack spacing={2.5}>
      <Box>
        <Typography id={formatId} variant="subtitle2" sx={{ mb: 0.75 }}>
          Format
        </Typography>
        <ToggleButtonGroup
          exclusive
          size="small"
          color="primary"
          value={format}
          onChange={(_, v: ApplianceFormat | null) => v && update((d) => chooseFormat(d, v))}
          aria-labelledby={formatId}
        >
          {FORMAT_CHOICES.map((f) => (
            <ToggleButton key={f.value} value={f.value} sx={{ textTransform: 'none', px: 2 }}>
              {f.label} (.{f.value})
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
        <Typography variant="body2" color="text.secondary" sx={{ mt: 0.75 }}>
          {sentence}
        </Typography>
      </Box>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
        <TextField
          label="File"
          value={file}
          onChange={(e) => update((d) => ({ ...d, file: e.target.value }))}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              onEnter();
            }
          }}
          error={!!fileError}
          helperText={fileError ?? (folderLoading ? 'Finding a folder…' : 'An existing file is never overwritten.')}
          placeholder="/path/to/appliance.ova"
          fullWidth
          size="small"
          spellCheck={false}
          autoFocus
        />
        <Button variant="outlined" onClick={() => setBrowsing(true)} aria-label="Browse for file" sx={{ flexShrink: 0, height: 40 }}>
          Browse…
        </Button>
      </Stack>
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', sm: '0.8fr 1.7fr 1fr' }, alignItems: 'start' }}>
        <TextField
          select
          label="OVF version"
          size="small"
          value={draft.ovfVersion}
          onChange={(e) => update((d) => ({ ...d, ovfVersion: e.target.value as OvfVersion }))}
          helperText={OVF_VERSIONS.find((v) => v.value === draft.ovfVersion)?.hint}
        >
          {OVF_VERSIONS.map((v) => (
            <MenuItem key={v.value} value={v.value}>
              {v.label}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          label="Profile"
          size="small"
          value={draft.profile}
          onChange={(e) => update((d) => ({ ...d, profile: e.target.value as ExportProfile }))}
          helperText="The importer the descriptor is written for"
        >
          {PROFILE_CHOICES.map((p) => (
            <MenuItem key={p.value} value={p.value}>
              {p.label}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          label="Manifest"
          size="small"
          value={draft.manifest}
          onChange={(e) => update((d) => ({ ...d, manifest: e.target.value as ManifestChoice }))}
          helperText={MANIFEST_CHOICES.find((m) => m.value === draft.manifest)?.hint}
          slotProps={{ select: { renderValue: (v) => MANIFEST_CHOICES.find((m) => m.value === v)?.label ?? String(v) } }}
        >
          {MANIFEST_CHOICES.map((m) => (
            <MenuItem key={m.value} value={m.value}>
              <ListItemText primary={m.label} secondary={m.hint} />
            </MenuItem>
          ))}
        </TextField>
      </Box>
      {notes.length > 0 && (
        <Box
          role="note"
          aria-labelledby={notesId}
          // scrolls by keyboard too
          tabIndex={0}
          sx={{ border: 1, borderColor: 'divider', borderRadius: 1, px: 2, py: 1.25, bgcolor: 'action.hover', maxHeight: 188, overflow: 'auto' }}
        >
          <Typography id={notesId} variant="subtitle2">
            What the {profileLabel(draft.profile)} profile writes
          </Typography>
          <Box component="ul" sx={{ m: 0, mt: 0.5, pl: 2.5, '& li + li': { mt: 0.25 } }}>
            {notes.map((n) => (
              <Typography key={n} component="li" variant="body2" color="text.secondary" sx={{ overflowWrap: 'anywhere' }}>
                {n}
              </Typography>
            ))}
          </Box>
        </Box>
      )}
      <SaveAsDialog
        open={browsing}
        initialPath={file}
        format={format ?? draft.format}
        onClose={() => setBrowsing(false)}
        onChoose={(p) => {
          update((d) => ({ ...d, file: p }));
          setBrowsing(false);
        }}
      />
    </Stack>
  );
}

// ---------------------------------------------------------------- step 3: appliance information

/** The product fields on a grid of six columns: how many each spans. */
const PRODUCT_FIELDS: readonly { field: ProductField; label: string; span: number; placeholder?: string }[] = [
  { field: 'product', label: 'Product', span: 4 },
  { field: 'version', label: 'Version', span: 2, placeholder: '1.0' },
  { field: 'vendor', label: 'Vendor', span: 6 },
  { field: 'productUrl', label: 'Product URL', span: 3, placeholder: 'https://' },
  { field: 'vendorUrl', label: 'Vendor URL', span: 3, placeholder: 'https://' },
];

function ApplianceStep({ draft, many, issues, update }: { draft: ExportDraft; many: boolean; issues: FieldIssue[]; update: FormatStepProps['update'] }) {
  const field = (f: (typeof PRODUCT_FIELDS)[number]) => {
    const err = issueFor(issues, f.field);
    return (
      <TextField
        key={f.field}
        label={f.label}
        size="small"
        value={draft.product[f.field]}
        onChange={(e) => update((d) => ({ ...d, product: { ...d.product, [f.field]: e.target.value } }))}
        error={!!err}
        helperText={err}
        placeholder={f.placeholder}
        fullWidth
        sx={{ gridColumn: { xs: 'auto', sm: `span ${f.span}` } }}
      />
    );
  };
  const eulaError = issueFor(issues, 'eula');
  return (
    <Stack spacing={2.5}>
      <Typography variant="body2" color="text.secondary">
        Optional. Importers show this information with the appliance{many ? '; every machine of it carries the same' : ''}. Leave the fields empty to write none.
      </Typography>
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', sm: 'repeat(6, 1fr)' }, alignItems: 'start' }}>{PRODUCT_FIELDS.map(field)}</Box>
      <TextField
        label="License"
        multiline
        minRows={5}
        maxRows={12}
        value={draft.eula}
        onChange={(e) => update((d) => ({ ...d, eula: e.target.value }))}
        error={!!eulaError}
        helperText={eulaError ?? 'People must accept this text before they can import the appliance.'}
        fullWidth
        slotProps={{ htmlInput: { spellCheck: true } }}
      />
    </Stack>
  );
}

// ---------------------------------------------------------------- step 4: export

function ExportStep({ task, subject, file, draft }: { task: TaskHandle<'appliance.export'>; subject: string; file: string; draft: ExportDraft }) {
  const fraction = task.progress?.fraction ?? 0;
  const result = task.result;
  const cancelled = task.error?.code === 'CANCELLED';
  if (result) {
    return (
      <Stack spacing={2}>
        <Alert severity="success" role="status">
          The appliance was exported and checked by reading it back.
        </Alert>
        <Table size="small" aria-label="Exported appliance">
          <TableBody>
            {resultRows(result, draft).map((r) => (
              <TableRow key={r.label}>
                <TableCell component="th" scope="row" sx={{ color: 'text.secondary', width: 140, verticalAlign: 'top', border: 0 }}>
                  {r.label}
                </TableCell>
                <TableCell sx={{ border: 0, overflowWrap: 'anywhere', ...(r.label === 'File' || r.label === 'Files' ? { fontFamily: 'monospace', fontSize: '0.8rem' } : {}) }}>{r.value}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        {result.warnings.length > 0 && (
          <Alert severity="warning" role="note">
            <AlertTitle>{result.warnings.length === 1 ? 'Warning' : 'Warnings'}</AlertTitle>
            <Box component="ul" aria-label="Export warnings" sx={{ m: 0, pl: 2.5 }}>
              {result.warnings.map((w) => (
                <Box component="li" key={w} sx={{ overflowWrap: 'anywhere' }}>
                  {localizeTimestamps(w)}
                </Box>
              ))}
            </Box>
          </Alert>
        )}
      </Stack>
    );
  }
  return (
    <Stack spacing={2}>
      <Typography variant="body1">
        {task.running || !task.error ? 'Exporting' : 'Export of'} {subject} to{' '}
        <Box component="span" sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>
          {file}
        </Box>
        .
      </Typography>
      {(task.running || !task.error) && (
        <Box>
          <LinearProgress variant={fraction > 0 ? 'determinate' : 'indeterminate'} value={Math.round(fraction * 100)} aria-label="Exporting the appliance" />
          <Stack direction="row" sx={{ mt: 0.5 }}>
            <Typography variant="body2" color="text.secondary" role="status" sx={{ flex: 1, overflowWrap: 'anywhere' }}>
              {progressSentence(task.progress?.message)}
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {Math.round(fraction * 100)} %
            </Typography>
          </Stack>
        </Box>
      )}
      {task.error &&
        (cancelled ? (
          <Alert severity="info" role="status">
            The export was cancelled. Nothing was written.
          </Alert>
        ) : (
          <Alert severity="error" role="alert">
            <AlertTitle>The appliance could not be exported</AlertTitle>
            <Box sx={{ overflowWrap: 'anywhere' }}>{task.error.message}</Box>
          </Alert>
        ))}
    </Stack>
  );
}

// ---------------------------------------------------------------- choosing where to save

interface SaveAsDialogProps {
  open: boolean;
  initialPath: string;
  format: ApplianceFormat;
  onClose: () => void;
  onChoose: (path: string) => void;
}

/** A save dialog over `fs.list`: folders to open, the appliances already there, and a file name. */
function SaveAsDialog(props: SaveAsDialogProps) {
  return props.open ? <SaveAsBody {...props} /> : null;
}

function SaveAsBody({ initialPath, format, onClose, onChoose }: SaveAsDialogProps) {
  const titleId = useId();
  const startDir = initialPath.startsWith('/') ? (initialPath.endsWith('/') ? initialPath.replace(/(.)\/+$/, '$1') : dirOf(initialPath)) : '/';
  const browser = useFolderBrowser(startDir, 'appliance');
  const { dir, q, go, entries } = browser;
  const [name, setName] = useState(() => (initialPath.startsWith('/') && !initialPath.endsWith('/') ? baseName(initialPath) : `appliance.${format}`));
  const folder = q.data?.path ?? dir;
  const trimmed = name.trim();
  const exists = entries.some((e) => e.kind === 'file' && e.name === trimmed);
  const nameProblem = trimmed === '' ? 'type a file name' : trimmed.includes('/') ? 'a file name has no “/”: open the folder above' : undefined;
  const choose = () => {
    if (nameProblem || q.error) return;
    rememberDir(folder);
    onChoose(joinPath(folder, trimmed));
  };

  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="sm" fullWidth>
      <DialogTitle id={titleId}>Save appliance as</DialogTitle>
      <DialogContent dividers sx={{ pt: 2 }}>
        <FolderBar browser={browser} />
        <List dense aria-label="Folder contents" data-folder={browser.q.data?.path} aria-busy={browser.q.loading} sx={{ height: 280, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }}>
          {entries.length === 0 && !q.loading && !q.error && (
            <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
              No folders or appliances here.
            </Typography>
          )}
          {entries.map((e) =>
            e.kind === 'dir' ? (
              <ListItem key={e.path} disablePadding>
                <ListItemButton aria-label={e.name} onClick={() => go(e.path)}>
                  <ListItemIcon sx={{ minWidth: 36 }}>
                    <FolderIcon fontSize="small" color="primary" />
                  </ListItemIcon>
                  <ListItemText primary={e.name} />
                </ListItemButton>
              </ListItem>
            ) : (
              <ListItem key={e.path} disablePadding>
                <ListItemButton aria-label={e.name} onClick={() => setName(e.name)} sx={{ color: 'text.secondary' }}>
                  <ListItemIcon sx={{ minWidth: 36 }}>
                    <InsertDriveFileIcon fontSize="small" />
                  </ListItemIcon>
                  <ListItemText primary={e.name} />
                  <Typography variant="caption" color="text.secondary">
                    {formatBytes(e.sizeBytes)}
                  </Typography>
                </ListItemButton>
              </ListItem>
            ),
          )}
        </List>
        <TextField
          label="File name"
          size="small"
          fullWidth
          sx={{ mt: 2 }}
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              choose();
            }
          }}
          error={!!nameProblem && name !== ''}
          helperText={nameProblem && name !== '' ? nameProblem : exists ? 'A file with this name is here already: the export will not overwrite it.' : <PathHint path={joinPath(folder, trimmed || '…')} />}
          slotProps={{ formHelperText: { sx: exists ? { color: 'warning.main' } : {} } }}
          spellCheck={false}
          autoFocus
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!!nameProblem || !!q.error || !q.data} onClick={choose}>
          Choose
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function PathHint({ path }: { path: string }): ReactNode {
  return (
    <Box component="span" sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>
      {path}
    </Box>
  );
}

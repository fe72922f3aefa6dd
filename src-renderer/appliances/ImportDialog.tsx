// The Import Appliance dialog (after VirtualBox's): choose an .ova/.ovf (or arrive with one from the
// desktop's open-file event or the web mode's `#import=` link), review and edit the "Appliance
// settings" that `appliance.review` maps it to, then `appliance.import` with progress and cancel.
// The rules are the pure logic in importReview.ts; the owner's errors are shown in its words.
import ErrorOutlineIcon from '@mui/icons-material/ErrorOutlineOutlined';
import {
  Alert,
  AlertTitle,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormLabel,
  InputAdornment,
  LinearProgress,
  Link,
  MenuItem,
  Paper,
  Radio,
  RadioGroup,
  Stack,
  Step,
  StepLabel,
  Stepper,
  Tab,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tabs,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { labelOf } from '../../src-vmm/model/choice.js';
import { DISK_BUSES, OPTICAL_BUSES } from '../../src-vmm/model/disks.js';
import { FIRMWARES } from '../../src-vmm/model/firmware.js';
import { MAX_CPUS, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from '../../src-vmm/model/limits.js';
import { NIC_MODELS } from '../../src-vmm/model/nics.js';
import { CHIPSETS } from '../../src-vmm/model/system.js';
import { NETWORK_MODES, type NetworkMode } from '../../src-main/networks/model.js';
import type { NetworkTarget } from '../../src-main/appliances/networkMap.js';
import { useApiQuery, useTask } from '../api/hooks.js';
import { useOsTypes } from '../app/catalogue.js';
import { FileField } from '../components/FileField.js';
import { issueFor, type FieldIssue } from '../components/fields.js';
import {
  appliancePathIssue,
  capacityLabel,
  certificateStatus,
  draftsFit,
  draftsFromReview,
  IMPORT_STEPS,
  MAC_POLICY_SENTENCES,
  manifestStatus,
  networkLabel,
  plannedChipset,
  productRows,
  safeLink,
  sourceFileLabel,
  toImportInput,
  networkChoicesFromReview,
  proposedNetwork,
  validateNetworkChoices,
  type NetworkChoices,
  validateAll,
  type DiskBus,
  type Firmware,
  type ImportContext,
  type ImportReview,
  type MacPolicy,
  type MachineDraft,
  type MachinePlan,
  type NicModel,
  type Status,
} from './importReview.js';

export interface ImportDialogProps {
  open: boolean;
  /** a file to review at once (opened from the desktop, or `#import=`); null starts by choosing one */
  initialPath: string | null;
  existingNames: readonly string[];
  onClose: () => void;
  /** the new VMs' ids, in the appliance's order */
  onImported: (ids: string[]) => void;
  /** an import is running (the dialog must not be replaced meanwhile) */
  onBusyChange?: (busy: boolean) => void;
}

export function ImportDialog(props: ImportDialogProps) {
  // Mounted only while open, so each opening starts fresh.
  return props.open ? <ImportBody {...props} /> : null;
}

function ImportBody({ initialPath, existingNames, onClose, onImported, onBusyChange }: ImportDialogProps) {
  const titleId = useId();
  const [path, setPath] = useState(initialPath ?? '');
  // Each review of a file is its own mount: going back to the file and on again reads it afresh.
  const [review, setReview] = useState<{ path: string; n: number } | null>(initialPath ? { path: initialPath, n: 0 } : null);
  const [busy, setBusy] = useState(false);
  useEffect(() => onBusyChange?.(busy), [busy, onBusyChange]);
  useEffect(() => () => onBusyChange?.(false), [onBusyChange]);

  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      aria-labelledby={titleId}
      maxWidth={review ? 'lg' : 'sm'}
      fullWidth
      scroll="paper"
      slotProps={{ paper: { sx: review ? { height: 'calc(100% - 64px)' } : {} } }}
    >
      <DialogTitle id={titleId}>Import appliance</DialogTitle>
      {review ? (
        <ReviewSteps
          key={review.n}
          path={review.path}
          existingNames={existingNames}
          onBack={() => setReview(null)}
          onClose={onClose}
          onImported={onImported}
          onBusy={setBusy}
        />
      ) : (
        <FileStep path={path} onPathChange={setPath} onClose={onClose} onNext={(p) => setReview((r) => ({ path: p, n: (r?.n ?? 0) + 1 }))} />
      )}
    </Dialog>
  );
}

function ImportStepper({ active, error }: { active: number; error?: boolean }) {
  return (
    <Stepper activeStep={active} alternativeLabel sx={{ mb: 3 }}>
      {IMPORT_STEPS.map((s, i) => (
        <Step key={s.key} completed={i < active}>
          <StepLabel error={error === true && i === active}>{s.label}</StepLabel>
        </Step>
      ))}
    </Stepper>
  );
}

// ---------------------------------------------------------------- step 1: the file

function FileStep({ path, onPathChange, onClose, onNext }: { path: string; onPathChange: (p: string) => void; onClose: () => void; onNext: (path: string) => void }) {
  const [attempted, setAttempted] = useState(false);
  const issue = appliancePathIssue(path);
  const next = (e?: FormEvent) => {
    e?.preventDefault();
    if (issue) setAttempted(true);
    else onNext(path.trim());
  };
  return (
    <>
      <DialogContent dividers sx={{ minHeight: 260 }}>
        <ImportStepper active={0} />
        <Box component="form" role="group" aria-label={IMPORT_STEPS[0].label} onSubmit={next} noValidate>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 2.5 }}>
            Choose the appliance to import: an .ova file, or an .ovf file with its disks in the same folder; or a VirtualBox (.vbox) or VMware (.vmx) machine, read in place from its
            folder. Its settings are shown for review next; nothing is written until you press Import.
          </Typography>
          <FileField
            label="Appliance file"
            value={path}
            onChange={(p) => {
              onPathChange(p);
              setAttempted(false);
            }}
            filter="appliance"
            error={attempted ? issue : undefined}
            placeholder="/path/to/appliance.ova"
            autoFocus
          />
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Box sx={{ flex: 1 }} />
        <Button variant="contained" onClick={() => next()} disabled={path.trim() === ''}>
          Next
        </Button>
      </DialogActions>
    </>
  );
}

// ---------------------------------------------------------------- steps 2 and 3: settings, import

interface ReviewStepsProps {
  path: string;
  existingNames: readonly string[];
  onBack: () => void;
  onClose: () => void;
  onImported: (ids: string[]) => void;
  onBusy: (busy: boolean) => void;
}

function ReviewSteps({ path, existingNames, onBack, onClose, onImported, onBusy }: ReviewStepsProps) {
  const osTypes = useOsTypes();
  const q = useApiQuery('appliance.review', { path }, [path]);
  const review = q.data;
  const [edited, setDrafts] = useState<MachineDraft[] | null>(null);
  // A second answer for the same file (after a reconnect) keeps the edits when they still fit.
  const drafts = review ? (draftsFit(edited, review) ? edited : draftsFromReview(review)) : null;
  const [stage, setStage] = useState<'settings' | 'import'>('settings');
  const [tab, setTab] = useState(0);
  const task = useTask('appliance.import');
  useEffect(() => onBusy(task.running), [task.running, onBusy]);

  const ctx: ImportContext = useMemo(() => ({ existingNames, osTypes }), [existingNames, osTypes]);
  const issues = useMemo(() => (review && drafts ? validateAll(review, drafts, ctx) : []), [review, drafts, ctx]);
  // Where the appliance's networks go: the review's suggestions until the user chooses.
  const hangarNetworks = useApiQuery('network.list', {}, []).data?.networks ?? NO_NETWORKS;
  const [chosen, setChosen] = useState<NetworkChoices | null>(null);
  const choices = review ? { ...networkChoicesFromReview(review), ...(chosen ?? {}) } : {};
  const networkIssues = validateNetworkChoices(choices, hangarNetworks);
  const valid = review !== undefined && review.machines.length > 0 && issues.every((m) => m.length === 0) && networkIssues.length === 0;

  const update = (index: number, patch: Partial<MachineDraft>) => {
    if (!review) return;
    setDrafts((prev) => (draftsFit(prev, review) ? prev : draftsFromReview(review)).map((d, i) => (i === index ? { ...d, ...patch } : d)));
  };

  const start = async () => {
    if (!review || !drafts || !valid) return;
    setStage('import');
    const out = await task.run(toImportInput(review, drafts, choices));
    if (out) {
      onImported(out.vms.map((v) => v.id));
      onClose();
    }
  };
  const backToSettings = () => {
    task.reset();
    setStage('settings');
  };

  if (stage === 'import' && review) {
    const fraction = task.progress?.fraction ?? 0;
    const cancelled = task.error?.code === 'CANCELLED';
    return (
      <>
        <DialogContent dividers>
          <ImportStepper active={2} error={!!task.error && !cancelled} />
          <Stack role="group" aria-label={IMPORT_STEPS[2].label} spacing={2} sx={{ maxWidth: 640, mx: 'auto' }}>
            <Typography variant="body1">
              {task.running || !task.error ? 'Importing' : 'Import of'}{' '}
              {review.machines.length === 1 ? `“${drafts?.[0]?.name ?? review.machines[0]!.name}”` : `${review.machines.length} machines`} from{' '}
              <Box component="span" sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>
                {review.file}
              </Box>
              .
            </Typography>
            {(task.running || (!task.error && !task.result)) && (
              <Box>
                <LinearProgress variant={fraction > 0 ? 'determinate' : 'indeterminate'} value={Math.round(fraction * 100)} aria-label="Importing the appliance" />
                <Stack direction="row" sx={{ mt: 0.5 }}>
                  <Typography variant="body2" color="text.secondary" role="status" sx={{ flex: 1, overflowWrap: 'anywhere' }}>
                    {task.progress?.message ? capitalize(task.progress.message) : 'Starting…'}
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
                  The import was cancelled. Everything it had written was removed.
                </Alert>
              ) : (
                <Alert severity="error" role="alert">
                  <AlertTitle>The appliance could not be imported</AlertTitle>
                  {task.error.message}
                </Alert>
              ))}
          </Stack>
        </DialogContent>
        <DialogActions>
          {task.running ? (
            <Button onClick={task.cancel}>Cancel import</Button>
          ) : (
            <>
              <Button onClick={onClose}>Close</Button>
              <Box sx={{ flex: 1 }} />
              <Button onClick={backToSettings}>Back</Button>
            </>
          )}
        </DialogActions>
      </>
    );
  }

  const reason = !review || !drafts ? null : blockReason(issues, review.machines.length);
  return (
    <>
      <DialogContent dividers>
        <ImportStepper active={1} error={!!q.error && !review} />
        <Box role="group" aria-label={IMPORT_STEPS[1].label}>
          {!review && q.loading && (
            <Box sx={{ maxWidth: 640, mx: 'auto' }}>
              <LinearProgress aria-label="Reading the appliance" />
              <Typography variant="body2" color="text.secondary" sx={{ mt: 1, overflowWrap: 'anywhere' }}>
                Reading {path}…
              </Typography>
            </Box>
          )}
          {!review && q.error && (
            <Alert severity="error" role="alert" sx={{ maxWidth: 720, mx: 'auto' }}>
              <AlertTitle>This appliance cannot be imported</AlertTitle>
              <Box sx={{ overflowWrap: 'anywhere' }}>{q.error.message}</Box>
            </Alert>
          )}
          {review && drafts && (
            <ReviewForm
              review={review}
              drafts={drafts}
              issues={issues}
              tab={Math.min(tab, review.machines.length - 1)}
              onTab={setTab}
              update={update}
              networks={{ choices, issues: networkIssues, hangar: hangarNetworks, choose: (source, t) => setChosen((c) => ({ ...(c ?? {}), [source]: t })) }}
            />
          )}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        {review && (
          <Button onClick={() => setDrafts(draftsFromReview(review))} disabled={edited === null}>
            Restore defaults
          </Button>
        )}
        <Box sx={{ flex: 1 }} />
        {reason && (
          <Typography variant="body2" color="text.secondary" sx={{ mr: 1 }} role="note">
            {reason}
          </Typography>
        )}
        {!review && q.error ? (
          <>
            <Button onClick={q.reload}>Try again</Button>
            <Button variant="contained" onClick={onBack}>
              Back
            </Button>
          </>
        ) : (
          <Button onClick={onBack}>Back</Button>
        )}
        {(review || !q.error) && (
          <Button variant="contained" onClick={() => void start()} disabled={!valid}>
            Import
          </Button>
        )}
      </DialogActions>
    </>
  );
}

function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Why Import is disabled, in a few words; null when it is not. */
function blockReason(issues: readonly FieldIssue[][], machines: number): string | null {
  if (machines === 0) return 'The appliance describes no virtual machine.';
  const all = issues.flat();
  if (all.length === 0) return null;
  if (all.every((i) => i.field === 'eula')) return 'Accept the license agreement to import.';
  return 'Correct the marked settings to import.';
}

// ---------------------------------------------------------------- the review itself

interface ReviewFormProps {
  review: ImportReview;
  drafts: MachineDraft[];
  issues: FieldIssue[][];
  tab: number;
  onTab: (tab: number) => void;
  update: (index: number, patch: Partial<MachineDraft>) => void;
  networks: NetworksProps;
}

function ReviewForm({ review, drafts, issues, tab, onTab, update, networks }: ReviewFormProps) {
  const many = review.machines.length > 1;
  return (
    <Stack spacing={3}>
      <PackageSection review={review} />
      {review.networks.length > 0 && <NetworksSection review={review} {...networks} />}
      {review.machines.length === 0 ? (
        <Alert severity="error">The appliance describes no virtual machine.</Alert>
      ) : (
        <Box>
          {many && (
            <Box sx={{ borderBottom: 1, borderColor: 'divider', mb: 2 }}>
              <Tabs value={tab} onChange={(_, v: number) => onTab(v)} aria-label="Machines" variant="scrollable">
                {review.machines.map((m, i) => (
                  <Tab
                    key={m.systemId + i}
                    value={i}
                    label={drafts[i]!.name || m.name || `Machine ${i + 1}`}
                    id={`import-machine-tab-${i}`}
                    sx={{ textTransform: 'none' }}
                    aria-controls={`import-machine-${i}`}
                    {...(issues[i]!.length ? { icon: <ErrorOutlineIcon color="error" fontSize="small" />, iconPosition: 'end' as const } : {})}
                  />
                ))}
              </Tabs>
            </Box>
          )}
          <Box {...(many ? { role: 'tabpanel', id: `import-machine-${tab}`, 'aria-labelledby': `import-machine-tab-${tab}` } : {})}>
            <MachineForm
              key={tab}
              index={tab}
              plan={review.machines[tab]!}
              draft={drafts[tab]!}
              issues={issues[tab]!}
              many={many}
              update={(patch) => update(tab, patch)}
            />
          </Box>
        </Box>
      )}
    </Stack>
  );
}

const NO_NETWORKS: readonly { id: string; name: string; mode: string }[] = [];

interface NetworksProps {
  choices: NetworkChoices;
  issues: FieldIssue[];
  hangar: readonly { id: string; name: string; mode: string }[];
  choose: (source: string, target: NetworkTarget) => void;
}

/** The appliance's networks, each mapped to NAT of its own, a Hangar network, or a new one the import makes. */
function NetworksSection({ review, choices, issues, hangar, choose }: NetworksProps & { review: ImportReview }) {
  const valueOf = (t: NetworkTarget | undefined) => (!t || t.kind === 'nat' ? 'nat' : t.kind === 'create' ? 'create' : `net:${t.network.toLowerCase()}`);
  return (
    <Section title="Networks">
      <Table size="small" aria-label="Networks of the appliance">
        <TableHead>
          <TableRow>
            <TableCell>Network in the appliance</TableCell>
            <TableCell sx={{ width: 80 }}>Cards</TableCell>
            <TableCell>In Hangar</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {review.networks.map((n) => {
            const t = choices[n.source];
            const error = issueFor(issues, `network.${n.source}`);
            return (
              <TableRow key={n.source}>
                <TableCell>{networkLabel(n.source)}</TableCell>
                <TableCell>{n.cards}</TableCell>
                <TableCell>
                  <Stack direction="row" spacing={1.5} sx={{ flexWrap: 'wrap', rowGap: 1 }}>
                    <TextField
                      select
                      size="small"
                      value={valueOf(t)}
                      onChange={(e) => {
                        const v = e.target.value;
                        choose(n.source, v === 'nat' ? { kind: 'nat' } : v === 'create' ? proposedNetwork(n.source) : { kind: 'network', network: hangar.find((h) => `net:${h.name.toLowerCase()}` === v)!.name });
                      }}
                      slotProps={{ htmlInput: { 'aria-label': `Hangar network for ${n.source || 'the unnamed network'}` } }}
                      sx={{ minWidth: 240 }}
                    >
                      <MenuItem value="nat">NAT (user mode, each card its own)</MenuItem>
                      {hangar.map((h) => (
                        <MenuItem key={h.id} value={`net:${h.name.toLowerCase()}`}>
                          Network “{h.name}” ({NETWORK_MODES.find((m) => m.value === h.mode)?.label ?? h.mode})
                        </MenuItem>
                      ))}
                      <MenuItem value="create">A new network…</MenuItem>
                    </TextField>
                    {t?.kind === 'create' && (
                      <>
                        <TextField
                          size="small"
                          label="Name"
                          value={t.name}
                          onChange={(e) => choose(n.source, { ...t, name: e.target.value })}
                          error={!!error}
                          helperText={error}
                          slotProps={{ htmlInput: { 'aria-label': `Name of the new network for ${n.source || 'the unnamed network'}` } }}
                          sx={{ width: 180 }}
                        />
                        <TextField
                          select
                          size="small"
                          label="Mode"
                          value={t.mode}
                          onChange={(e) => choose(n.source, { ...t, mode: e.target.value as NetworkMode })}
                          slotProps={{ htmlInput: { 'aria-label': `Mode of the new network for ${n.source || 'the unnamed network'}` } }}
                          sx={{ width: 170 }}
                        >
                          {NETWORK_MODES.filter((m) => m.value !== 'bridged').map((m) => (
                            <MenuItem key={m.value} value={m.value}>
                              {m.label}
                            </MenuItem>
                          ))}
                        </TextField>
                      </>
                    )}
                  </Stack>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Section>
  );
}

function Section({ title, children, action }: { title: string; children: ReactNode; action?: ReactNode }) {
  const id = useId();
  return (
    <Box component="section" aria-labelledby={id}>
      <Stack direction="row" sx={{ alignItems: 'center', mb: 1 }}>
        <Typography id={id} variant="subtitle2" component="h3" color="primary" sx={{ flex: 1, textTransform: 'uppercase', letterSpacing: 0.5 }}>
          {title}
        </Typography>
        {action}
      </Stack>
      {children}
    </Box>
  );
}

function InfoRows({ rows, label }: { rows: [string, ReactNode][]; label: string }) {
  return (
    <Table size="small" aria-label={label} sx={{ '& td, & th': { border: 0, py: 0.5 } }}>
      <TableBody>
        {rows.map(([k, v]) => (
          <TableRow key={k}>
            <TableCell component="th" scope="row" sx={{ color: 'text.secondary', width: 170, verticalAlign: 'top', pl: 0 }}>
              {k}
            </TableCell>
            <TableCell sx={{ overflowWrap: 'anywhere' }}>{v}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function StatusText({ status, label }: { status: Status; label: string }) {
  const color = status.severity === 'error' ? 'error.main' : status.severity === 'warning' ? 'warning.main' : status.severity === 'success' ? 'success.main' : 'text.primary';
  return (
    <Box aria-label={label} role="group">
      <Typography variant="body2" sx={{ color, fontWeight: 500 }}>
        {status.title}
      </Typography>
      {status.lines.map((l) => (
        <Typography key={l} variant="body2" color="text.secondary">
          {l}
        </Typography>
      ))}
    </Box>
  );
}

function WarningList({ warnings, label }: { warnings: readonly string[]; label: string }) {
  if (warnings.length === 0) return null;
  return (
    <Alert severity="warning" role="group" aria-label={label} sx={{ '& .MuiAlert-message': { width: '100%' } }}>
      <AlertTitle>{label}</AlertTitle>
      <Box component="ul" aria-label={label} sx={{ m: 0, pl: 2.5 }}>
        {warnings.map((w, i) => (
          <Box component="li" key={i} sx={{ overflowWrap: 'anywhere' }}>
            {w}
          </Box>
        ))}
      </Box>
    </Alert>
  );
}

function formatLabel(review: ImportReview): string {
  if (review.kind === 'vbox') return `VirtualBox machine (${review.descriptor}), read in place: its disks' current state is converted`;
  if (review.kind === 'vmx') return `VMware machine (${review.descriptor}), read in place: its disks' current state is converted`;
  return `${review.kind === 'ova' ? 'OVA archive' : 'OVF descriptor with its files'}, OVF ${review.ovfVersion} (descriptor ${review.descriptor})`;
}

function PackageSection({ review }: { review: ImportReview }) {
  const rows: [string, ReactNode][] = [
    ['File', <Mono key="f">{review.file}</Mono>],
    ['Format', formatLabel(review)],
    // A machine opened in place has no manifest or signature to show.
    ...(review.kind === 'vbox' || review.kind === 'vmx'
      ? []
      : ([
          ['Manifest', <StatusText key="m" status={manifestStatus(review)} label="Manifest" />],
          ['Signature', <StatusText key="s" status={certificateStatus(review.certificate)} label="Signature" />],
        ] as [string, ReactNode][])),
    [
      'Target folder',
      <Box key="t">
        <Mono>{review.targetFolder}</Mono>
        <Typography variant="body2" color="text.secondary">
          Each machine gets its own folder there; disks are converted to QCOW2.
        </Typography>
      </Box>,
    ],
  ];
  return (
    <Section title="Appliance">
      <InfoRows rows={rows} label="Appliance" />
      <Box sx={{ mt: 1 }}>
        <WarningList warnings={review.warnings} label="Appliance warnings" />
      </Box>
    </Section>
  );
}

function Mono({ children }: { children: ReactNode }) {
  return (
    <Box component="span" sx={{ fontFamily: 'monospace', fontSize: '0.8rem', overflowWrap: 'anywhere' }}>
      {children}
    </Box>
  );
}

/** The fields the machine form shows errors under; the rest is shown in one alert. */
const MACHINE_FIELDS = new Set(['name', 'osType', 'cpus', 'memoryMiB', 'eula']);

interface MachineFormProps {
  index: number;
  plan: MachinePlan;
  draft: MachineDraft;
  issues: FieldIssue[];
  many: boolean;
  update: (patch: Partial<MachineDraft>) => void;
}

function MachineForm({ index, plan, draft, issues, many, update }: MachineFormProps) {
  const osTypes = useOsTypes();
  const macId = useId();
  const err = (field: string) => issueFor(issues, field);
  const osChoices = osTypes.some((o) => o.id === draft.osType) ? osTypes : [...osTypes, { id: draft.osType, label: draft.osType }];
  const chipset = plannedChipset(plan, draft);
  const product = productRows(plan.product);
  const setDisk = (i: number, patch: Partial<MachineDraft['disks'][number]>) => update({ disks: draft.disks.map((d, j) => (j === i ? { ...d, ...patch } : d)) });
  const setNic = (i: number, patch: Partial<MachineDraft['nics'][number]>) => update({ nics: draft.nics.map((n, j) => (j === i ? { ...n, ...patch } : n)) });
  // What only the whole configuration shows (IDE on q35, too many devices on a bus), in the owner's words.
  const configProblems = issues.filter((i) => !MACHINE_FIELDS.has(i.field));

  return (
    <Stack spacing={3} role="region" aria-label={many ? `Machine ${index + 1}` : 'Machine'}>
      <Section title={many ? `Machine ${index + 1} of the appliance` : 'Machine'}>
        <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '2fr 2fr 1fr 1.3fr 1.6fr' }, alignItems: 'start', pt: 1 }}>
          <TextField label="Name" size="small" value={draft.name} onChange={(e) => update({ name: e.target.value })} error={!!err('name')} helperText={err('name') ?? ' '} />
          <TextField
            select
            label="OS type"
            size="small"
            value={draft.osType}
            onChange={(e) => update({ osType: e.target.value })}
            error={!!err('osType')}
            helperText={err('osType') ?? `From ${plan.osSource || 'the descriptor'}`}
            slotProps={{ formHelperText: { sx: { overflowWrap: 'anywhere' } } }}
          >
            {osChoices.map((o) => (
              <MenuItem key={o.id} value={o.id}>
                {o.label}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            label="CPUs"
            size="small"
            value={draft.cpus}
            onChange={(e) => update({ cpus: e.target.value })}
            error={!!err('cpus')}
            helperText={err('cpus') ?? `1 to ${MAX_CPUS}`}
            slotProps={{ htmlInput: { inputMode: 'numeric' } }}
          />
          <TextField
            label="Memory"
            size="small"
            value={draft.memoryMiB}
            onChange={(e) => update({ memoryMiB: e.target.value })}
            error={!!err('memoryMiB')}
            helperText={err('memoryMiB') ?? `${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB} MiB`}
            slotProps={{ htmlInput: { inputMode: 'numeric' }, input: { endAdornment: <InputAdornment position="end">MiB</InputAdornment> } }}
          />
          <TextField
            select
            label="Firmware"
            size="small"
            value={draft.firmware}
            onChange={(e) => update({ firmware: e.target.value as Firmware })}
            helperText={`Chipset: ${labelOf(CHIPSETS, chipset)}`}
          >
            {FIRMWARES.map((f) => (
              <MenuItem key={f.value} value={f.value}>
                {f.label}
              </MenuItem>
            ))}
          </TextField>
        </Box>
        {configProblems.length > 0 && (
          <Alert severity="error" role="alert" sx={{ mt: 1 }}>
            {configProblems.length === 1 ? (
              capitalize(configProblems[0]!.message)
            ) : (
              <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
                {configProblems.map((p) => (
                  <li key={p.field + p.message}>{capitalize(p.message)}</li>
                ))}
              </Box>
            )}
          </Alert>
        )}
      </Section>

      {(product.length > 0 || plan.description.trim() !== '') && (
        <Section title="Product">
          <InfoRows
            label="Product"
            rows={[
              ...product.map((r): [string, ReactNode] => {
                const link = /URL$/.test(r.label) ? safeLink(r.value) : null;
                return [
                  r.label,
                  link ? (
                    <Link key={r.label} href={link} target="_blank" rel="noopener noreferrer">
                      {r.value}
                    </Link>
                  ) : (
                    r.value
                  ),
                ];
              }),
              ...(plan.description.trim() ? [['Description', <Box key="d" sx={{ whiteSpace: 'pre-wrap' }}>{plan.description}</Box>] as [string, ReactNode]] : []),
            ]}
          />
        </Section>
      )}

      <Section title="Disks">
        {plan.disks.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            The appliance has no disks for this machine.
          </Typography>
        ) : (
          <Box sx={{ overflowX: 'auto' }}>
            <Table size="small" aria-label="Disks" sx={{ minWidth: 760 }}>
              <TableHead>
                <TableRow>
                  <TableCell padding="checkbox">Import</TableCell>
                  <TableCell>Disk</TableCell>
                  <TableCell>Source file</TableCell>
                  <TableCell>Capacity</TableCell>
                  <TableCell>In the appliance</TableCell>
                  <TableCell sx={{ width: 220 }}>Bus in Hangar</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {plan.disks.map((d, i) => {
                  const dd = draft.disks[i]!;
                  return (
                    <TableRow key={d.diskId + i} sx={dd.include ? undefined : { '& td': { color: 'text.disabled' } }}>
                      <TableCell padding="checkbox">
                        <Checkbox checked={dd.include} onChange={(e) => setDisk(i, { include: e.target.checked })} slotProps={{ input: { 'aria-label': `Import disk ${i + 1}` } }} />
                      </TableCell>
                      <TableCell>{d.diskId}</TableCell>
                      <TableCell sx={{ overflowWrap: 'anywhere' }}>{sourceFileLabel(d.file)}</TableCell>
                      <TableCell sx={{ whiteSpace: 'nowrap' }}>{capacityLabel(d.capacityBytes)}</TableCell>
                      <TableCell>{d.sourceController || '—'}</TableCell>
                      <TableCell>
                        <TextField
                          select
                          size="small"
                          fullWidth
                          value={dd.bus}
                          onChange={(e) => setDisk(i, { bus: e.target.value as DiskBus })}
                          disabled={!dd.include}
                          error={!!err(`disks.${i}.bus`)}
                          slotProps={{ htmlInput: { 'aria-label': `Bus of disk ${i + 1}` } }}
                        >
                          {DISK_BUSES.map((b) => (
                            <MenuItem key={b.value} value={b.value}>
                              {b.label}
                            </MenuItem>
                          ))}
                        </TextField>
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        )}
        {plan.disks.length > 0 && draft.disks.every((d) => !d.include) && (
          <Typography variant="body2" color="warning.main" sx={{ mt: 1 }}>
            No disk is imported: the machine will have no hard disk.
          </Typography>
        )}
      </Section>

      {plan.opticals.length > 0 && (
        <Section title="Optical drives">
          <Table size="small" aria-label="Optical drives">
            <TableHead>
              <TableRow>
                <TableCell>Drive</TableCell>
                <TableCell>In the appliance</TableCell>
                <TableCell>Bus in Hangar</TableCell>
                <TableCell>Medium</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {plan.opticals.map((o, i) => (
                <TableRow key={i}>
                  <TableCell>{i + 1}</TableCell>
                  <TableCell>{o.sourceController || '—'}</TableCell>
                  <TableCell>{labelOf(OPTICAL_BUSES, o.bus)}</TableCell>
                  <TableCell sx={{ overflowWrap: 'anywhere' }}>{o.file ? `${sourceFileLabel(o.file)} (copied with the machine)` : 'Empty drive'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Section>
      )}

      <Section title="Network">
        {plan.nics.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            The appliance has no network cards for this machine.
          </Typography>
        ) : (
          <Box sx={{ overflowX: 'auto' }}>
            <Table size="small" aria-label="Network cards" sx={{ minWidth: 760 }}>
              <TableHead>
                <TableRow>
                  <TableCell padding="checkbox">Import</TableCell>
                  <TableCell>Card</TableCell>
                  <TableCell>Model in the appliance</TableCell>
                  <TableCell sx={{ width: 260 }}>Model in Hangar</TableCell>
                  <TableCell>Network in the appliance</TableCell>
                  <TableCell>MAC address in the appliance</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {plan.nics.map((n, i) => {
                  const dn = draft.nics[i]!;
                  return (
                    <TableRow key={i} sx={dn.include ? undefined : { '& td': { color: 'text.disabled' } }}>
                      <TableCell padding="checkbox">
                        <Checkbox checked={dn.include} onChange={(e) => setNic(i, { include: e.target.checked })} slotProps={{ input: { 'aria-label': `Import network card ${i + 1}` } }} />
                      </TableCell>
                      <TableCell>{i + 1}</TableCell>
                      <TableCell>{n.sourceModel || 'not named'}</TableCell>
                      <TableCell>
                        <TextField
                          select
                          size="small"
                          fullWidth
                          value={dn.model}
                          onChange={(e) => setNic(i, { model: e.target.value as NicModel })}
                          disabled={!dn.include}
                          slotProps={{ htmlInput: { 'aria-label': `Model of network card ${i + 1}` } }}
                        >
                          {NIC_MODELS.map((m) => (
                            <MenuItem key={m.value} value={m.value}>
                              {m.label}
                            </MenuItem>
                          ))}
                        </TextField>
                      </TableCell>
                      <TableCell>{networkLabel(n.network)}</TableCell>
                      <TableCell sx={{ fontFamily: 'monospace', fontSize: '0.8rem' }}>{n.mac ?? '—'}</TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        )}
        <FormControl sx={{ mt: 1.5 }}>
          <FormLabel id={macId}>MAC addresses</FormLabel>
          <RadioGroup aria-labelledby={macId} value={draft.macPolicy} onChange={(e) => update({ macPolicy: e.target.value as MacPolicy })}>
            <MacChoice value="new" label="Generate new MAC addresses" />
            <MacChoice value="keep" label="Keep the appliance's MAC addresses" />
          </RadioGroup>
        </FormControl>
      </Section>

      {plan.warnings.length > 0 && <WarningList warnings={plan.warnings} label={many ? `Warnings for machine ${index + 1}` : 'Warnings for this machine'} />}

      {plan.eulas.length > 0 && (
        <Section title={plan.eulas.length > 1 ? 'License agreements' : 'License agreement'}>
          <Stack spacing={1}>
            {plan.eulas.map((text, i) => (
              <Paper
                key={i}
                variant="outlined"
                tabIndex={0}
                role="document"
                aria-label={plan.eulas.length > 1 ? `License agreement ${i + 1}` : 'License agreement'}
                sx={{ p: 1.5, maxHeight: 180, overflow: 'auto', whiteSpace: 'pre-wrap', fontSize: '0.8rem', bgcolor: 'action.hover' }}
              >
                {text}
              </Paper>
            ))}
          </Stack>
          <FormControlLabel
            control={<Checkbox checked={draft.eulaAccepted} onChange={(e) => update({ eulaAccepted: e.target.checked })} />}
            label={plan.eulas.length > 1 ? 'I accept the license agreements' : 'I accept the license agreement'}
            sx={{ mt: 0.5 }}
          />
        </Section>
      )}
    </Stack>
  );
}

function MacChoice({ value, label }: { value: MacPolicy; label: string }) {
  return (
    <Box>
      <FormControlLabel value={value} control={<Radio size="small" />} label={label} />
      <Typography variant="body2" color="text.secondary" sx={{ ml: 3.5, mt: -0.75, mb: 0.5 }}>
        {MAC_POLICY_SENTENCES[value]}
      </Typography>
    </Box>
  );
}

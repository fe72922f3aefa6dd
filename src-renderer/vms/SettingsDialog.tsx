// The Settings dialog: General, System, Storage, Network and Display tabs over the pure logic in
// settings.ts, saved with `vm.modify`. While the VM runs (or has a saved state) only the
// name and description can change, and the dialog says why in the API's words; while it runs, its
// network cards can also be plugged in and out, their cables and port forwards changed.
import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import EjectIcon from '@mui/icons-material/Eject';
import ErrorOutlineIcon from '@mui/icons-material/ErrorOutlineOutlined';
import {
  Alert,
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
  FormLabel,
  IconButton,
  LinearProgress,
  MenuItem,
  Radio,
  RadioGroup,
  Stack,
  Switch,
  Tab,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tabs,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { NIC_MODELS } from '../../src-vmm/model/nics.js';
import { FIRMWARES } from '../../src-vmm/model/firmware.js';
import { ACCELS } from '../../src-vmm/model/system.js';
import { useApiQuery, useOnline, useTask } from '../api/hooks.js';
import { useHostInfo, useOsTypes } from '../app/catalogue.js';
import { hostLimitAdvice, hostLimitsLine, hostLimitsOf } from '../components/hostLimits.js';
import { RemoveDiskDialog } from './RemoveDiskDialog.js';
import { ResizeDiskDialog, type ResizeTarget } from '../media/ResizeDiskDialog.js';
import { FileField } from '../components/FileField.js';
import { LimitWarning, MemoryAndCpuFields } from '../components/MemoryAndCpuFields.js';
import type { VmDetails, VmState } from '../api/apiTypes.js';
import { issueFor, type FieldIssue } from '../components/fields.js';
import { formatDiskSize } from '../components/format.js';
import {
  cardCount,
  changeAllowed,
  diskRemoveBlock,
  draftFromDetails,
  nestedBlockReason,
  newCard,
  newForward,
  placeModifyError,
  SETTINGS_TABS,
  settingsLock,
  tabOfField,
  toModifyInput,
  validateSettings,
  type CardDraft,
  type NicChoice,
  type SettingsDraft,
  type SettingsLock,
  type SettingsTab,
} from './settings.js';
import { MAX_NICS } from '../../src-vmm/model/limits.js';
import { NETWORK_MODES } from '../../src-main/networks/model.js';
import type { ApiOutput } from '../api/apiTypes.js';
import type { DiskMode } from './newVm.js';
import { SharesEditor } from './SharesEditor.js';

export interface SettingsDialogProps {
  open: boolean;
  vm: { id: string; name: string; state: VmState } | null;
  existingNames: readonly string[];
  onClose: () => void;
}

export function SettingsDialog(props: SettingsDialogProps) {
  return props.open && props.vm ? <SettingsBody {...props} vm={props.vm} /> : null;
}

function SettingsBody({ vm, existingNames, onClose }: SettingsDialogProps & { vm: NonNullable<SettingsDialogProps['vm']> }) {
  const titleId = useId();
  const q = useApiQuery('vm.show', { ref: vm.id }, [vm.id]);
  const details = q.data;
  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="md" fullWidth>
      <DialogTitle id={titleId}>Settings of “{details?.name ?? vm.name}”</DialogTitle>
      {!details ? (
        <DialogContent dividers sx={{ minHeight: 420 }}>
          {q.error ? <Alert severity="error">{q.error.message}</Alert> : <LinearProgress aria-label="Loading settings" />}
        </DialogContent>
      ) : (
        <SettingsForm details={details} state={vm.state} existingNames={existingNames} onClose={onClose} onChanged={q.reload} />
      )}
    </Dialog>
  );
}

function SettingsForm({ details, state, existingNames, onClose, onChanged }: { details: VmDetails; state: VmState; existingNames: readonly string[]; onClose: () => void; onChanged: () => void }) {
  const osTypes = useOsTypes();
  const [tab, setTab] = useState<SettingsTab>('general');
  const [draft, setDraft] = useState<SettingsDraft>(() => draftFromDetails(details));
  const save = useTask('vm.modify');
  const lock = settingsLock({ name: details.name, state });
  const locked = lock.hardwareLocked;
  const issues = useMemo(
    () => validateSettings(details, draft, { existingNames, knownOsTypes: osTypes.length ? osTypes.map((o) => o.id) : [draft.osType] }),
    [details, draft, existingNames, osTypes],
  );
  const change = toModifyInput(details, draft);
  const online = useOnline();
  const canSave = online && change !== null && issues.length === 0 && !save.running && changeAllowed(lock, change);
  const networks = useApiQuery('network.list', {}, []).data?.networks ?? [];
  // The owner's refusal, placed on the fields it names (until the next edit).
  const [served, setServed] = useState<ReturnType<typeof placeModifyError> | null>(null);
  useEffect(() => {
    if (!save.error || save.error.code === 'CANCELLED') return;
    const placed = placeModifyError(save.error, draft);
    setServed(placed);
    if (placed.fields[0]) setTab(tabOfField(placed.fields[0].field));
    // placed once per error; later edits clear it
  }, [save.error]);
  const err = (field: string) => issueFor(issues, field) ?? (served ? issueFor(served.fields, field) : undefined);
  const upd = (patch: Partial<SettingsDraft>) => {
    setServed(null);
    setDraft((d) => ({ ...d, ...patch }));
  };

  const submit = async () => {
    if (!change) {
      onClose();
      return;
    }
    if (issues.length) {
      setTab(tabOfField(issues[0]!.field));
      return;
    }
    const out = await save.run(change);
    if (out) onClose();
  };

  const tabHasIssue = (t: SettingsTab) => [...issues, ...(served?.fields ?? [])].some((i) => tabOfField(i.field) === t);

  return (
    <>
      <DialogContent dividers sx={{ p: 0, minHeight: 440, display: 'flex', flexDirection: 'column' }}>
        {lock.reason && (
          <Alert severity="info" sx={{ m: 2, mb: 0 }}>
            {lock.reason}. The name and description can still be changed{lock.cardsLive ? ', and network cards plugged in or out, their cables connected or not, the first card’s port forwards changed' : ''}.
          </Alert>
        )}
        <Box sx={{ borderBottom: 1, borderColor: 'divider', px: 2 }}>
          <Tabs value={tab} onChange={(_, v: SettingsTab) => setTab(v)} aria-label="Settings sections" variant="scrollable">
            {SETTINGS_TABS.map((t) => (
              <Tab
                key={t.key}
                value={t.key}
                label={t.label}
                id={`settings-tab-${t.key}`}
                aria-controls={`settings-panel-${t.key}`}
                {...(tabHasIssue(t.key) ? { icon: <ErrorOutlineIcon color="error" fontSize="small" />, iconPosition: 'end' as const } : {})}
              />
            ))}
          </Tabs>
        </Box>
        <Box role="tabpanel" id={`settings-panel-${tab}`} aria-labelledby={`settings-tab-${tab}`} sx={{ p: 3, flex: 1 }}>
          {tab === 'general' && <GeneralTab draft={draft} upd={upd} err={err} locked={locked} />}
          {tab === 'system' && <SystemTab draft={draft} upd={upd} err={err} locked={locked} />}
          {tab === 'storage' && <StorageTab details={details} draft={draft} upd={upd} err={err} locked={locked} lockReason={lock.reason} onChanged={onChanged} />}
          {tab === 'network' && <NetworkTab details={details} draft={draft} upd={upd} issues={[...issues, ...(served?.fields ?? [])]} locked={locked} lock={lock} networks={networks} />}
          {tab === 'shares' && (
            <Stack spacing={2}>
              <SharesEditor shares={draft.shares} onChange={(v) => upd({ shares: v })} error={err} disabled={locked} />
              <Typography variant="caption" color="text.secondary">
                A VM with shared folders cannot have its running state saved (QEMU cannot save them): its snapshots while it runs hold its disks, with the file systems frozen by the guest agent.
              </Typography>
            </Stack>
          )}
          {tab === 'display' && <DisplayTab details={details} draft={draft} upd={upd} locked={locked} />}
        </Box>
        {save.running && (
          <Box sx={{ px: 3, pb: 2 }}>
            <LinearProgress
              variant={save.progress && save.progress.fraction > 0 ? 'determinate' : 'indeterminate'}
              value={Math.round((save.progress?.fraction ?? 0) * 100)}
              aria-label="Saving settings"
            />
            {save.progress?.message && (
              <Typography variant="caption" color="text.secondary">
                {save.progress.message}
              </Typography>
            )}
          </Box>
        )}
        {served && served.general.length > 0 && (
          <Alert severity="error" sx={{ mx: 3, mb: 2 }}>
            {served.general.join(' ')}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={save.running ? save.cancel : onClose}>Cancel</Button>
        <Button variant="contained" onClick={() => void submit()} disabled={!canSave}>
          Save
        </Button>
      </DialogActions>
    </>
  );
}

interface TabProps {
  draft: SettingsDraft;
  upd: (patch: Partial<SettingsDraft>) => void;
  err: (field: string) => string | undefined;
  locked: boolean;
}

function GeneralTab({ draft, upd, err, locked }: TabProps) {
  const osTypes = useOsTypes();
  return (
    <Stack spacing={2.5} sx={{ maxWidth: 520 }}>
      <TextField label="Name" size="small" value={draft.name} onChange={(e) => upd({ name: e.target.value })} error={!!err('name')} helperText={err('name') ?? ' '} />
      <TextField select label="OS type" size="small" value={draft.osType} onChange={(e) => upd({ osType: e.target.value })} disabled={locked} error={!!err('osType')} helperText={err('osType') ?? ' '}>
        {(osTypes.some((o) => o.id === draft.osType) ? osTypes : [...osTypes, { id: draft.osType, label: draft.osType }]).map((o) => (
          <MenuItem key={o.id} value={o.id}>
            {o.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField label="Notes" size="small" multiline minRows={3} value={draft.description} onChange={(e) => upd({ description: e.target.value })} error={!!err('description')} helperText={err('description') ?? ' '} />
    </Stack>
  );
}

function SystemTab({ draft, upd, err, locked }: TabProps) {
  const hostInfo = useHostInfo();
  const host = hostLimitsOf(hostInfo);
  const advice = hostLimitAdvice(draft, host);
  const nestedBlock = nestedBlockReason(draft.accel, hostInfo ? { accelerator: hostInfo.accelerator, accelReason: hostInfo.accelReason } : null);
  // A VM that has nested on from before may still turn it off.
  const nestedDisabled = locked || (nestedBlock !== null && !draft.nested);
  return (
    <Stack spacing={2.5} sx={{ maxWidth: 520 }}>
      {host && (
        <Typography variant="body2" color="text.secondary">
          {hostLimitsLine(host)}
        </Typography>
      )}
      <Stack direction="row" spacing={2}>
        <MemoryAndCpuFields values={draft} onChange={(field, value) => upd({ [field]: value })} error={err} advice={advice} disabled={locked} sx={{ flex: 1 }} />
      </Stack>
      <LimitWarning advice={advice} />
      <TextField select label="Firmware" size="small" value={draft.firmware} onChange={(e) => upd({ firmware: e.target.value as SettingsDraft['firmware'] })} disabled={locked} helperText="UEFI uses the Q35 chipset.">
        {FIRMWARES.map((f) => (
          <MenuItem key={f.value} value={f.value}>
            {f.label}
          </MenuItem>
        ))}
      </TextField>
      <Stack direction="row" spacing={3}>
        <Box>
          <FormControlLabel
            control={<Switch checked={draft.secureBoot} onChange={(e) => upd({ secureBoot: e.target.checked })} disabled={locked || draft.firmware !== 'uefi'} />}
            label="Secure Boot"
          />
          <Typography variant="caption" color={err('secureBoot') ? 'error' : 'text.secondary'} sx={{ display: 'block' }}>
            {err('secureBoot') ?? "UEFI only, with Microsoft's keys; switching it resets the UEFI variables."}
          </Typography>
        </Box>
        <Box>
          <FormControlLabel control={<Switch checked={draft.tpm} onChange={(e) => upd({ tpm: e.target.checked })} disabled={locked} />} label="TPM 2.0" />
          <Typography variant="caption" color={err('tpm') ? 'error' : 'text.secondary'} sx={{ display: 'block' }}>
            {err('tpm') ?? 'Emulated by swtpm; its state stays with the VM.'}
          </Typography>
        </Box>
      </Stack>
      <TextField select label="Accelerator" size="small" value={draft.accel} onChange={(e) => upd({ accel: e.target.value as SettingsDraft['accel'] })} disabled={locked} helperText="Automatic uses KVM when this host supports it, else TCG.">
        {ACCELS.map((a) => (
          <MenuItem key={a.value} value={a.value}>
            {a.label}
          </MenuItem>
        ))}
      </TextField>
      <Box>
        <FormControlLabel
          control={<Switch checked={draft.nested} onChange={(e) => upd({ nested: e.target.checked })} disabled={nestedDisabled} slotProps={{ input: { 'aria-describedby': 'nested-help' } }} />}
          label="Nested virtualization"
        />
        <Typography id="nested-help" variant="caption" color={err('nested') ? 'error' : 'text.secondary'} sx={{ display: 'block' }}>
          {err('nested') ?? (nestedBlock ? `Not available: ${nestedBlock[0]!.toLowerCase()}${nestedBlock.slice(1)}` : 'Lets the guest run VMs itself; needs KVM.')}
        </Typography>
      </Box>
      <Box>
        <FormControlLabel
          control={<Switch checked={draft.restartOnCrash} onChange={(e) => upd({ restartOnCrash: e.target.checked })} disabled={locked} />}
          label="Restart when it crashes"
        />
        <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
          Starts the VM again if QEMU or its host process ends without being asked to.
        </Typography>
      </Box>
      {draft.restartOnCrash && (
        <TextField
          label="Restarts per minute, at most"
          size="small"
          value={draft.restartLimit}
          onChange={(e) => upd({ restartLimit: e.target.value })}
          error={!!err('restartLimit')}
          helperText={err('restartLimit') ?? 'Past this the VM stays aborted, so a machine that keeps crashing does not loop.'}
          disabled={locked}
          slotProps={{ htmlInput: { inputMode: 'numeric' } }}
        />
      )}
    </Stack>
  );
}

function StorageTab({ details, draft, upd, err, locked, lockReason, onChanged }: TabProps & { details: VmDetails; lockReason: string | null; onChanged: () => void }) {
  const labelId = useId();
  const online = useOnline();
  const [removing, setRemoving] = useState<VmDetails['disks'][number] | null>(null);
  const [resizing, setResizing] = useState<ResizeTarget | null>(null);
  const opticalIdle = details.opticals.length === 0 ? 'A new optical drive is added for it.' : ' ';
  return (
    <Stack spacing={3}>
      <Box>
        <Typography variant="subtitle2" component="h3" sx={{ mb: 1 }}>
          Disks
        </Typography>
        {details.disks.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No disks.
          </Typography>
        ) : (
          <Table size="small" aria-label="Disks">
            <TableHead>
              <TableRow>
                <TableCell>Disk</TableCell>
                <TableCell>Bus</TableCell>
                <TableCell>Size</TableCell>
                <TableCell>Image</TableCell>
                <TableCell sx={{ width: 120 }} />
              </TableRow>
            </TableHead>
            <TableBody>
              {details.disks.map((d) => (
                <TableRow key={d.id}>
                  <TableCell>{d.id}</TableCell>
                  <TableCell>{d.bus.toUpperCase()}</TableCell>
                  <TableCell>{formatDiskSize(d.virtualSizeBytes, d.actualSizeBytes)}</TableCell>
                  <TableCell sx={{ overflowWrap: 'anywhere', fontFamily: 'monospace', fontSize: '0.8rem' }}>
                    {d.path}
                    {(d.heldBySnapshots?.length ?? 0) > 0 && (
                      <Typography variant="caption" color="text.secondary" sx={{ display: 'block', fontFamily: 'inherit' }}>
                        in {d.heldBySnapshots!.length === 1 ? 'snapshot' : 'snapshots'} {d.heldBySnapshots!.map((n) => `“${n}”`).join(', ')}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>
                    <Button
                      size="small"
                      aria-label={`Resize ${d.id}`}
                      disabled={!online || d.virtualSizeBytes <= 0 || details.state === 'saved'}
                      onClick={() =>
                        setResizing({ vmRef: details.id, vm: details.name, disk: d.id, bus: d.bus, currentBytes: d.virtualSizeBytes, running: details.state === 'running' || details.state === 'paused', snapshots: d.heldBySnapshots ?? [] })
                      }
                    >
                      Resize…
                    </Button>
                    <RemoveDiskButton disk={d} block={online ? diskRemoveBlock(d, lockReason) : 'Not connected to Hangar'} onClick={() => setRemoving(d)} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Box>
      <Box>
        <Typography variant="subtitle2" component="h3" sx={{ mb: 1.5 }}>
          Optical drive
        </Typography>
        <FileField
          label="ISO image"
          value={draft.iso}
          onChange={(p) => upd({ iso: p })}
          filter="iso"
          disabled={locked}
          error={err('iso')}
          placeholder="Empty"
          helperText={draft.iso === '' ? 'The drive is empty.' : opticalIdle}
          actions={
            <Button variant="outlined" startIcon={<EjectIcon />} onClick={() => upd({ iso: '' })} disabled={locked || draft.iso === ''} sx={{ flexShrink: 0, height: 40 }}>
              Eject
            </Button>
          }
        />
      </Box>
      <FormControl disabled={locked}>
        <FormLabel id={labelId}>Add a disk</FormLabel>
        <RadioGroup row aria-labelledby={labelId} value={draft.addDisk.mode} onChange={(e) => upd({ addDisk: { ...draft.addDisk, mode: e.target.value as DiskMode } })}>
          <FormControlLabel value="none" control={<Radio />} label="No" />
          <FormControlLabel value="new" control={<Radio />} label="New disk" />
          <FormControlLabel value="existing" control={<Radio />} label="Existing image" />
        </RadioGroup>
        {draft.addDisk.mode === 'new' && (
          <TextField
            label="New disk size"
            size="small"
            value={draft.addDisk.size}
            onChange={(e) => upd({ addDisk: { ...draft.addDisk, size: e.target.value } })}
            error={!!err('addDisk.size')}
            helperText={err('addDisk.size') ?? 'Units: K, M, G, T'}
            sx={{ maxWidth: 260, mt: 1 }}
          />
        )}
        {draft.addDisk.mode === 'existing' && (
          <Box sx={{ mt: 1 }}>
            <FileField label="Disk image" value={draft.addDisk.image} onChange={(p) => upd({ addDisk: { ...draft.addDisk, image: p } })} filter="disk" error={err('addDisk.image')} />
            <FormControlLabel
              control={<Checkbox checked={draft.addDisk.flatten} onChange={(e) => upd({ addDisk: { ...draft.addDisk, flatten: e.target.checked } })} />}
              label="Copy the image into the VM's folder"
            />
          </Box>
        )}
      </FormControl>
      <RemoveDiskDialog vm={details} disk={removing} onClose={() => setRemoving(null)} onRemoved={onChanged} />
      <ResizeDiskDialog target={resizing} onClose={() => setResizing(null)} onResized={onChanged} />
    </Stack>
  );
}

/** The Remove button of a disk row; greyed out with the reason as its tooltip. */
function RemoveDiskButton({ disk, block, onClick }: { disk: { id: string }; block: string | null; onClick: () => void }) {
  return (
    <Tooltip title={block ?? `Remove ${disk.id}…`}>
      <span>
        <IconButton aria-label={`Remove ${disk.id}`} {...(block !== null ? { 'aria-description': block } : {})} onClick={onClick} disabled={block !== null} size="small">
          <DeleteIcon fontSize="small" />
        </IconButton>
      </span>
    </Tooltip>
  );
}

const NIC_CHOICES: { value: NicChoice; label: string }[] = [...NIC_MODELS.map((m) => ({ value: m.value as NicChoice, label: m.label })), { value: 'none', label: 'Not attached' }];

type NetworkItem = ApiOutput<'network.list'>['networks'][number];
const modeLabel = (mode: string) => NETWORK_MODES.find((m) => m.value === mode)?.label ?? mode;

/** The network a card is attached to: user-mode NAT of its own, or one of Hangar's networks. */
function AttachedTo({ value, onChange, networks, disabled, label, error }: { value: string; onChange: (v: string) => void; networks: readonly NetworkItem[]; disabled: boolean; label: string; error?: string | undefined }) {
  return (
    <TextField select label={label} size="small" value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} sx={{ minWidth: 240 }} error={!!error} helperText={error}>
      <MenuItem value="">NAT (user mode, this card only)</MenuItem>
      {networks.map((n) => (
        <MenuItem key={n.id} value={n.id}>
          {n.name} — {modeLabel(n.mode)}
        </MenuItem>
      ))}
    </TextField>
  );
}

function NetworkTab({ details, draft, upd, issues, locked, lock, networks }: Omit<TabProps, 'err'> & { details: VmDetails; issues: readonly FieldIssue[]; lock: SettingsLock; networks: readonly NetworkItem[] }) {
  const nic = details.nics[0];
  // While the VM runs: cables, the first card's forwards, and cards plugged in or out; never a card's model or network.
  const live = !locked || lock.cardsLive;
  const setRow = (i: number, patch: Partial<SettingsDraft['forwards'][number]>) => upd({ forwards: draft.forwards.map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  const setCard = (i: number, patch: Partial<CardDraft>) => upd({ moreCards: draft.moreCards.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const noNic = draft.nic === 'none';
  const natOk = draft.network === '' || networks.find((n) => n.id === draft.network)?.mode === 'nat';
  const cellErr = (i: number, key: string) => issueFor(issues, `forwards.${i}.${key}`);
  return (
    <Stack spacing={2.5}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start', flexWrap: 'wrap', rowGap: 1 }}>
        <TextField select label="Network card" size="small" value={draft.nic} onChange={(e) => upd({ nic: e.target.value as NicChoice })} disabled={locked} sx={{ minWidth: 240 }} helperText="NAT: the guest reaches the network through the host.">
          {NIC_CHOICES.map((m) => (
            <MenuItem key={m.value} value={m.value}>
              {m.label}
            </MenuItem>
          ))}
        </TextField>
        {!noNic && <AttachedTo label="Attached to" value={draft.network} onChange={(v) => upd({ network: v, ...(v !== '' && networks.find((n) => n.id === v)?.mode !== 'nat' ? { forwards: [] } : {}) })} networks={networks} disabled={locked} error={issueFor(issues, 'network')} />}
        {!noNic && <FormControlLabel control={<Checkbox checked={draft.linkUp} onChange={(e) => upd({ linkUp: e.target.checked })} disabled={!live} />} label="Cable connected" />}
        {nic && <Chip label={`MAC ${nic.mac}`} variant="outlined" sx={{ mt: 0.5, fontFamily: 'monospace' }} />}
        {nic && nic.ipAddresses.length > 0 && <Chip label={`Address ${nic.ipAddresses.join(', ')}`} variant="outlined" sx={{ mt: 0.5 }} />}
      </Stack>
      <Box>
        <Stack direction="row" sx={{ alignItems: 'center', mb: 1 }}>
          <Typography variant="subtitle2" component="h3" sx={{ flex: 1 }}>
            Port forwards
          </Typography>
          <Button size="small" startIcon={<AddIcon />} onClick={() => upd({ forwards: [...draft.forwards, newForward()] })} disabled={!live || noNic || !natOk}>
            Add forward
          </Button>
        </Stack>
        {noNic ? (
          <Typography variant="body2" color="text.secondary">
            Port forwards need a network card.
          </Typography>
        ) : !natOk ? (
          <Typography variant="body2" color="text.secondary">
            Port forwards need NAT: user-mode NAT, or a NAT network.
          </Typography>
        ) : draft.forwards.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No port forwards. Add one to reach a service of the guest (such as SSH on port 22) from this computer.
          </Typography>
        ) : (
          <Table size="small" aria-label="Port forwards" sx={{ tableLayout: 'fixed' }}>
            <TableHead>
              <TableRow>
                <TableCell sx={{ width: 110 }}>Protocol</TableCell>
                <TableCell>Host address</TableCell>
                <TableCell sx={{ width: 150 }}>Host port</TableCell>
                <TableCell sx={{ width: 150 }}>Guest port</TableCell>
                <TableCell sx={{ width: 56 }} />
              </TableRow>
            </TableHead>
            <TableBody>
              {draft.forwards.map((f, i) => (
                <TableRow key={i}>
                  <TableCell sx={{ verticalAlign: 'top' }}>
                    <TextField select size="small" fullWidth value={f.protocol} onChange={(e) => setRow(i, { protocol: e.target.value as 'tcp' | 'udp' })} disabled={!live} slotProps={{ htmlInput: { 'aria-label': `Protocol of forward ${i + 1}` } }}>
                      <MenuItem value="tcp">TCP</MenuItem>
                      <MenuItem value="udp">UDP</MenuItem>
                    </TextField>
                  </TableCell>
                  <Cell value={f.hostAddress} label={`Host address of forward ${i + 1}`} onChange={(v) => setRow(i, { hostAddress: v })} error={cellErr(i, 'hostAddress')} disabled={!live} />
                  <Cell value={f.hostPort} label={`Host port of forward ${i + 1}`} onChange={(v) => setRow(i, { hostPort: v })} error={cellErr(i, 'hostPort')} disabled={!live} />
                  <Cell value={f.guestPort} label={`Guest port of forward ${i + 1}`} onChange={(v) => setRow(i, { guestPort: v })} error={cellErr(i, 'guestPort')} disabled={!live} />
                  <TableCell sx={{ verticalAlign: 'top' }}>
                    <Tooltip title="Remove">
                      <span>
                        <IconButton aria-label={`Remove forward ${i + 1}`} onClick={() => upd({ forwards: draft.forwards.filter((_, j) => j !== i) })} disabled={!live}>
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Box>
      <Box>
        <Stack direction="row" sx={{ alignItems: 'center', mb: 1 }}>
          <Typography variant="subtitle2" component="h3" sx={{ flex: 1 }}>
            More network cards
          </Typography>
          <Button size="small" startIcon={<AddIcon />} onClick={() => upd({ moreCards: [...draft.moreCards, newCard(draft)] })} disabled={!live || cardCount(draft) >= MAX_NICS}>
            Add network card
          </Button>
        </Stack>
        {issueFor(issues, 'cards') && (
          <Alert severity="error" sx={{ mb: 1 }}>
            {issueFor(issues, 'cards')}
          </Alert>
        )}
        {draft.moreCards.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No other cards. A VM can have up to {MAX_NICS}, each on a network of its own choosing.
          </Typography>
        ) : (
          <Stack spacing={1.5} role="list" aria-label="More network cards">
            {draft.moreCards.map((c, i) => {
              const before = c.id ? details.nics.find((n) => n.id === c.id) : undefined;
              // A card that exists keeps its model and network while the VM runs.
              const fixed = locked && before !== undefined;
              const label = `card ${i + 2}`;
              return (
                <Stack key={c.id ?? `new-${i}`} role="listitem" aria-label={`Network ${label}`} direction="row" spacing={2} sx={{ alignItems: 'flex-start', flexWrap: 'wrap', rowGap: 1 }}>
                  <TextField select size="small" label={`Model of ${label}`} value={c.model} onChange={(e) => setCard(i, { model: e.target.value as CardDraft['model'] })} disabled={fixed || !live} sx={{ minWidth: 200 }} error={!!issueFor(issues, `cards.${i}`)} helperText={issueFor(issues, `cards.${i}`)}>
                    {NIC_MODELS.map((m) => (
                      <MenuItem key={m.value} value={m.value}>
                        {m.label}
                      </MenuItem>
                    ))}
                  </TextField>
                  <AttachedTo label={`Network of ${label}`} value={c.network} onChange={(v) => setCard(i, { network: v })} networks={networks} disabled={fixed || !live} />
                  <FormControlLabel control={<Checkbox checked={c.linkUp} onChange={(e) => setCard(i, { linkUp: e.target.checked })} disabled={!live} />} label="Cable connected" />
                  {before && <Chip label={`MAC ${before.mac}`} variant="outlined" sx={{ mt: 0.5, fontFamily: 'monospace' }} />}
                  <Tooltip title="Remove card">
                    <span>
                      <IconButton aria-label={`Remove network ${label}`} onClick={() => upd({ moreCards: draft.moreCards.filter((_, j) => j !== i) })} disabled={!live}>
                        <DeleteIcon fontSize="small" />
                      </IconButton>
                    </span>
                  </Tooltip>
                </Stack>
              );
            })}
          </Stack>
        )}
      </Box>
    </Stack>
  );
}

function Cell({ value, label, onChange, error, disabled }: { value: string; label: string; onChange: (v: string) => void; error: string | undefined; disabled: boolean }) {
  return (
    <TableCell sx={{ verticalAlign: 'top' }}>
      <TextField size="small" fullWidth value={value} onChange={(e) => onChange(e.target.value)} error={!!error} helperText={error} disabled={disabled} slotProps={{ htmlInput: { 'aria-label': label } }} />
    </TableCell>
  );
}

function DisplayTab({ details, draft, upd, locked }: { details: VmDetails; draft: SettingsDraft; upd: (patch: Partial<SettingsDraft>) => void; locked: boolean }) {
  const rows: [string, ReactNode][] = [
    ['Graphics card', details.display.vga],
    ['Remote display (VNC)', details.display.vnc ? 'On, on this computer only (shown in the Display tab)' : 'Off'],
    ['Serial console', details.serial ? 'On (shown in the Console tab)' : 'Off'],
  ];
  return (
    <Stack spacing={1}>
      {rows.map(([k, v]) => (
        <Stack key={k} direction="row" spacing={2}>
          <Typography variant="body2" color="text.secondary" sx={{ width: 200 }}>
            {k}
          </Typography>
          <Typography variant="body2">{v}</Typography>
        </Stack>
      ))}
      <Box sx={{ pt: 2 }}>
        <FormControlLabel
          control={<Switch checked={draft.clipboard} onChange={(e) => upd({ clipboard: e.target.checked })} disabled={locked || details.display.vga === 'none'} />}
          label="Share the clipboard with the guest"
        />
        <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
          Text copied in the Display tab reaches the guest and back, when the guest runs spice-vdagent. QEMU cannot save the running state of a VM that shares its clipboard: its snapshots hold its disks alone.
        </Typography>
      </Box>
    </Stack>
  );
}

// The Networks dialog (VirtualBox's Network Manager): Hangar's networks with their mode, subnet, DHCP,
// bridge and VMs; a form that creates one (checked with the owner's rules, refusals placed on their
// fields); delete, refused in words that name the VMs still on the network.
import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  LinearProgress,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useId, useMemo, useState } from 'react';
import { useApi, useApiQuery, useEvent } from '../api/hooks.js';
import { issueFor, type FieldIssue } from '../components/fields.js';
import { deleteRefusal, initialNetworkDraft, NETWORK_MODES, placeNetworkError, toNetworkCreateInput, validateNetworkDraft, withMode, type NetworkDraft, type NetworkMode } from './networks.js';

export function NetworksDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return open ? <NetworksBody onClose={onClose} /> : null;
}

function NetworksBody({ onClose }: { onClose: () => void }) {
  const titleId = useId();
  const api = useApi();
  const list = useApiQuery('network.list', {}, []);
  useEvent('inventory.changed', () => list.reload());
  const networks = useMemo(() => list.data?.networks ?? [], [list.data]);
  const [draft, setDraft] = useState<NetworkDraft>(initialNetworkDraft);
  const [dirty, setDirty] = useState<ReadonlySet<string>>(new Set());
  const [served, setServed] = useState<{ fields: FieldIssue[]; general: string[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ severity: 'error' | 'success'; text: string } | null>(null);
  const issues = validateNetworkDraft(draft, networks.map((n) => n.name));
  const shown = (field: string) => (dirty.has(field) ? issueFor(issues, field) : undefined) ?? (served ? issueFor(served.fields, field) : undefined);
  const upd = (patch: Partial<NetworkDraft>, field: string) => {
    setDraft((d) => ({ ...d, ...patch }));
    setDirty((s) => new Set(s).add(field));
    setServed(null);
  };

  const create = async () => {
    if (issues.length) {
      setDirty(new Set(['name', 'subnet', 'bridge']));
      return;
    }
    setBusy(true);
    setNotice(null);
    try {
      const n = await api.call('network.create', toNetworkCreateInput(draft));
      setNotice({ severity: 'success', text: `Network “${n.name}” created${n.subnet ? ` (${n.subnet})` : ''}: its bridge and DHCP are made when a VM on it starts.` });
      setDraft(initialNetworkDraft());
      setDirty(new Set());
      list.reload();
    } catch (e) {
      setServed(placeNetworkError(e as { message: string; details?: unknown }));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (ref: string, name: string) => {
    setNotice(null);
    try {
      await api.call('network.delete', { ref });
      setNotice({ severity: 'success', text: `Network “${name}” deleted.` });
      list.reload();
    } catch (e) {
      setNotice({ severity: 'error', text: deleteRefusal(e as { message: string; details?: unknown }) });
    }
  };

  const mode = NETWORK_MODES.find((m) => m.value === draft.mode)!;
  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="md" fullWidth>
      <DialogTitle id={titleId}>Networks</DialogTitle>
      <DialogContent dividers sx={{ minHeight: 420 }}>
        <Stack spacing={2.5}>
          {list.data && !list.data.privileged && (
            <Alert severity="info">
              Hangar runs without the privilege to make bridges (CAP_NET_ADMIN): internal networks without DHCP connect their VMs through QEMU; the other networks cannot start until Hangar runs with it.
            </Alert>
          )}
          {notice && (
            <Alert severity={notice.severity} role={notice.severity === 'error' ? 'alert' : 'status'} onClose={() => setNotice(null)}>
              {notice.text}
            </Alert>
          )}
          {list.loading && !list.data ? (
            <LinearProgress aria-label="Loading the networks" />
          ) : list.error ? (
            <Alert severity="error">{list.error.message}</Alert>
          ) : networks.length === 0 ? (
            <Typography variant="body2" color="text.secondary">
              No networks yet. Without one, each network card has NAT of its own; VMs on a network see each other.
            </Typography>
          ) : (
            <Table size="small" aria-label="Networks">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Mode</TableCell>
                  <TableCell>Subnet</TableCell>
                  <TableCell>DHCP</TableCell>
                  <TableCell>Bridge</TableCell>
                  <TableCell>VMs</TableCell>
                  <TableCell sx={{ width: 56 }} />
                </TableRow>
              </TableHead>
              <TableBody>
                {networks.map((n) => (
                  <TableRow key={n.id} aria-label={`Network ${n.name}`}>
                    <TableCell sx={{ fontWeight: 500 }}>{n.name}</TableCell>
                    <TableCell>{NETWORK_MODES.find((m) => m.value === n.mode)?.label ?? n.mode}</TableCell>
                    <TableCell sx={{ fontFamily: 'monospace' }}>{n.subnet ?? '—'}</TableCell>
                    <TableCell>{n.dhcp ? 'On' : 'Off'}</TableCell>
                    <TableCell sx={{ fontFamily: 'monospace' }}>{n.bridge}</TableCell>
                    <TableCell>{n.vms.length ? n.vms.join(', ') : '—'}</TableCell>
                    <TableCell>
                      <Tooltip title="Delete">
                        <IconButton aria-label={`Delete network ${n.name}`} onClick={() => void remove(n.id, n.name)}>
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          <Box component="form" aria-label="New network" onSubmit={(e) => { e.preventDefault(); void create(); }}>
            <Typography variant="subtitle2" component="h3" sx={{ mb: 1.5 }}>
              New network
            </Typography>
            <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap', rowGap: 2, alignItems: 'flex-start' }}>
              <TextField label="Name" size="small" value={draft.name} onChange={(e) => upd({ name: e.target.value }, 'name')} error={!!shown('name')} helperText={shown('name') ?? 'Letters, digits, . _ -'} sx={{ width: 200 }} />
              <TextField select label="Mode" size="small" value={draft.mode} onChange={(e) => upd(withMode(draft, e.target.value as NetworkMode), 'mode')} error={!!shown('mode')} helperText={shown('mode')} sx={{ width: 180 }}>
                {NETWORK_MODES.map((m) => (
                  <MenuItem key={m.value} value={m.value}>
                    {m.label}
                  </MenuItem>
                ))}
              </TextField>
              {draft.mode !== 'bridged' && (
                <TextField label="Subnet" size="small" value={draft.subnet} placeholder="a free /24" onChange={(e) => upd({ subnet: e.target.value }, 'subnet')} error={!!shown('subnet')} helperText={shown('subnet') ?? 'Such as 10.77.0.0/24; empty: a free one'} sx={{ width: 220 }} />
              )}
              <TextField
                label={draft.mode === 'bridged' ? 'Host bridge' : 'Bridge'}
                size="small"
                value={draft.bridge}
                onChange={(e) => upd({ bridge: e.target.value }, 'bridge')}
                error={!!shown('bridge')}
                helperText={shown('bridge') ?? (draft.mode === 'bridged' ? "This computer's bridge to join" : 'Empty: hgbrN')}
                sx={{ width: 180 }}
              />
              {draft.mode !== 'bridged' && <FormControlLabel control={<Checkbox checked={draft.dhcp} onChange={(e) => upd({ dhcp: e.target.checked }, 'dhcp')} />} label="DHCP" />}
            </Stack>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
              {mode.label}: {mode.help}.
            </Typography>
            {served?.general.map((g) => (
              <Alert key={g} severity="error" sx={{ mt: 1 }}>
                {g}
              </Alert>
            ))}
            <Button type="submit" variant="outlined" startIcon={<AddIcon />} sx={{ mt: 1.5 }} disabled={busy}>
              Create network
            </Button>
          </Box>
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

// The libvirt hosts below the VM list: each remote with its connection's state (a notice while it is
// disconnected) and its domains with their states, kept current by `remote.changed` events (the
// owner's `virsh event` children), not by polling. Picking a domain opens it in the right pane
// (RemoteVmPane).
import { Alert, Box, Chip, List, ListItemButton, ListItemText, Typography } from '@mui/material';
import { useApiQuery, useEvent } from '../api/hooks.js';
import type { RemoteItem } from '../../src-main/remotes/contract.js';

function domainColor(state: string): 'success' | 'warning' | 'default' | 'error' {
  if (state === 'running') return 'success';
  if (state === 'paused' || state === 'pmsuspended' || state === 'in shutdown') return 'warning';
  if (state === 'crashed') return 'error';
  return 'default';
}

interface Selection {
  /** the selected remote VM, REMOTE/DOMAIN */
  selected: string | null;
  onSelect: (ref: string) => void;
}

function RemoteHost({ remote, selected, onSelect }: { remote: RemoteItem } & Selection) {
  const connected = remote.state === 'connected';
  const domains = useApiQuery('remote.domains', connected ? { remote: remote.name } : null, [remote.name, connected]);
  useEvent('remote.changed', (e) => e.remote === remote.name && connected && domains.reload());
  return (
    <Box component="section" aria-label={`Remote ${remote.name}`} sx={{ mb: 1 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 1 }}>
        <Typography variant="subtitle2" noWrap title={remote.uri} sx={{ flex: 1, minWidth: 0 }}>
          {remote.name}
        </Typography>
        <Chip size="small" label={connected ? `libvirt ${remote.libvirtVersion ?? ''}`.trim() : 'disconnected'} color={connected ? 'default' : 'error'} variant="outlined" />
      </Box>
      {!connected && (
        <Alert severity="warning" sx={{ mx: 1, mt: 0.5, py: 0, wordBreak: 'break-word', overflowWrap: 'anywhere' }}>
          {remote.error ? (/^disconnected/i.test(remote.error) ? remote.error : `Disconnected: ${remote.error}`) : 'Disconnected'}. Hangar reconnects when the host answers.
        </Alert>
      )}
      {connected && (
        <List dense aria-label={`Virtual machines on ${remote.name}`} sx={{ py: 0 }}>
          {(domains.data?.domains ?? []).map((d) => (
            <ListItemButton key={d.name} sx={{ pl: 2 }} selected={selected === `${remote.name}/${d.name}`} onClick={() => onSelect(`${remote.name}/${d.name}`)} aria-label={`${d.name} on ${remote.name}, ${d.state}`}>
              <ListItemText primary={d.name} slotProps={{ primary: { noWrap: true, title: `${remote.name}/${d.name}` } }} />
              <Chip size="small" label={d.state} color={domainColor(d.state)} />
            </ListItemButton>
          ))}
          {domains.data && domains.data.domains.length === 0 && (
            <Typography variant="body2" color="text.secondary" sx={{ px: 2 }}>
              No domains.
            </Typography>
          )}
        </List>
      )}
    </Box>
  );
}

export function RemotesSection({ selected, onSelect }: Selection) {
  const list = useApiQuery('remote.list', {}, []);
  useEvent('remote.changed', () => list.reload());
  const remotes = list.data?.remotes ?? [];
  if (remotes.length === 0) return null;
  return (
    <Box sx={{ borderTop: 1, borderColor: 'divider', pt: 1, maxHeight: '45%', overflow: 'auto' }}>
      <Typography variant="overline" sx={{ px: 1.5 }} color="text.secondary">
        Remote hosts
      </Typography>
      {remotes.map((r) => (
        <RemoteHost key={r.name} remote={r} selected={selected} onSelect={onSelect} />
      ))}
    </Box>
  );
}

// The right pane for a remote domain (REMOTE/DOMAIN, picked in the "Remote hosts" section): its host
// and state, the actions libvirt offers (start, shut down, power off, pause, resume, reboot) through
// `remote.action`, and the Snapshots, Console and Display tabs, drawn by the same views as a local VM's.
// States come from `remote.changed` events; a disconnected host says so and its actions wait for it.
import PauseIcon from '@mui/icons-material/Pause';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import PowerSettingsNewIcon from '@mui/icons-material/PowerSettingsNew';
import RestartAltIcon from '@mui/icons-material/RestartAlt';
import StopIcon from '@mui/icons-material/Stop';
import DnsIcon from '@mui/icons-material/Dns';
import { Alert, Box, Button, Chip, LinearProgress, Stack, Tab, Tabs, Tooltip, Typography } from '@mui/material';
import { lazy, Suspense, useMemo, useState, type ReactNode } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { useApi, useApiQuery, useEvent, useOnline, OFFLINE_REASON } from '../api/hooks.js';
import type { ApiConnection } from '../api/apiConnection.js';
import { DisplayView } from '../consoles/DisplayView.js';
import type { ConsoleSource } from '../consoles/terminals.js';
import { PowerOffDialog } from '../vms/PowerOffDialog.js';
import { RemoteSnapshotsView } from './RemoteSnapshotsView.js';
import { remoteActionBlock, vmStateOf, type RemoteAction } from './remoteModel.js';

const ConsoleView = lazy(() => import('../consoles/ConsoleView.js').then((m) => ({ default: m.ConsoleView })));

type RemoteTab = 'snapshots' | 'console' | 'display';
const TABS: { value: RemoteTab; label: string }[] = [
  { value: 'snapshots', label: 'Snapshots' },
  { value: 'console', label: 'Console' },
  { value: 'display', label: 'Display' },
];

/** The console key of a remote domain (no local VM id looks like it: they are UUIDs). */
const consoleKey = (ref: string) => `remote:${ref}`;
const refOfKey = (key: string) => key.slice('remote:'.length);

/** A remote domain's serial console for the shared terminal registry: the owner's backlog, then `remote.console` events. */
function remoteConsole(api: ApiConnection): ConsoleSource {
  return {
    attach: (key, backlogBytes) => api.call('remote.serial', { ref: refOfKey(key), maxBytes: backlogBytes }).then((r) => r.data),
    detach: () => Promise.resolve(),
    onData: (key, cb) => api.on('remote.console', (p) => `${p.remote}/${p.domain}` === refOfKey(key) && cb(p.data)),
    send: (key, text) => api.call('remote.typeText', { ref: refOfKey(key), text, enter: false }).then(() => undefined),
  };
}

const ACTION_LABEL: Record<RemoteAction, string> = {
  start: 'Start',
  shutdown: 'Shut down',
  destroy: 'Power off',
  suspend: 'Pause',
  resume: 'Resume',
  reboot: 'Reboot',
};

export function RemoteVmPane({ remoteRef }: { remoteRef: string }) {
  const api = useApi();
  const online = useOnline();
  const slash = remoteRef.indexOf('/');
  const remote = remoteRef.slice(0, slash);
  const domain = remoteRef.slice(slash + 1);
  const remotes = useApiQuery('remote.list', {}, []);
  useEvent('remote.changed', (e) => e.remote === remote && remotes.reload());
  const host = remotes.data?.remotes.find((r) => r.name === remote);
  const connected = host?.state === 'connected';
  const domains = useApiQuery('remote.domains', connected ? { remote } : null, [remote, connected]);
  useEvent('remote.changed', (e) => e.remote === remote && connected && domains.reload());
  const state = domains.data?.domains.find((d) => d.name === domain)?.state;
  const vmState = vmStateOf(state ?? 'shut off');
  const vm = useMemo(() => ({ id: consoleKey(remoteRef), name: remoteRef, state: connected ? vmState : ('stopped' as const) }), [remoteRef, connected, vmState]);
  const consoleSource = useMemo(() => remoteConsole(api), [api]);

  const [tab, setTab] = useState<RemoteTab>('snapshots');
  const [consoleOpened, setConsoleOpened] = useState(false);
  if (tab === 'console' && !consoleOpened) setConsoleOpened(true);
  const [busy, setBusy] = useState<RemoteAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [askPowerOff, setAskPowerOff] = useState(false);

  const act = async (action: RemoteAction) => {
    setBusy(action);
    setError(null);
    setNotice(null);
    try {
      // ACPI shutdown returns at once: the lifecycle event says when the guest is off
      await api.call('remote.action', { ref: remoteRef, action, wait: action !== 'shutdown' });
      if (action === 'shutdown') setNotice(`Pressed the power button of “${remoteRef}”: its guest shuts down in its own time.`);
    } catch (e) {
      setError(`Cannot ${ACTION_LABEL[action].toLowerCase()} “${remoteRef}”: ${toHangarError(e).message}`);
    } finally {
      setBusy(null);
      domains.reload();
    }
  };
  const block = (action: RemoteAction): string | null => {
    if (!online) return OFFLINE_REASON;
    if (!connected) return `${remote} is disconnected`;
    if (busy) return 'Another action is under way';
    return remoteActionBlock(state, action);
  };
  const paused = vmState === 'paused';

  return (
    <Stack sx={{ height: '100%', minHeight: 0 }} role="region" aria-label={`Remote VM ${remoteRef}`}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', px: 3, pt: 2, pb: 1 }}>
        <DnsIcon sx={{ fontSize: 40, color: 'text.secondary' }} />
        <Box sx={{ minWidth: 0, flex: 1 }}>
          <Typography variant="h6" component="h2" noWrap>
            {domain}
          </Typography>
          <Typography variant="body2" color="text.secondary" noWrap title={host?.uri}>
            on {remote} · {connected ? `libvirt ${host?.libvirtVersion ?? ''}` : 'disconnected'}
          </Typography>
        </Box>
        <Chip label={connected ? (state ?? '…') : 'disconnected'} color={!connected ? 'error' : vmState === 'running' ? 'success' : vmState === 'paused' ? 'warning' : 'default'} data-testid="remote-state" />
      </Stack>
      <Stack direction="row" role="toolbar" aria-label="Remote VM actions" spacing={0.5} sx={{ px: 2, pb: 1, flexWrap: 'wrap' }}>
        <ActionButton icon={<PlayArrowIcon />} label="Start" blockedBy={block('start')} onClick={() => void act('start')} />
        <ActionButton icon={<StopIcon />} label="Shut down" tip="Press the ACPI power button" blockedBy={block('shutdown')} onClick={() => void act('shutdown')} />
        <ActionButton icon={<PowerSettingsNewIcon />} label="Power off" tip="Pull the plug (libvirt's destroy)" blockedBy={block('destroy')} onClick={() => setAskPowerOff(true)} />
        {paused ? (
          <ActionButton icon={<PlayArrowIcon />} label="Resume" blockedBy={block('resume')} onClick={() => void act('resume')} />
        ) : (
          <ActionButton icon={<PauseIcon />} label="Pause" blockedBy={block('suspend')} onClick={() => void act('suspend')} />
        )}
        <ActionButton icon={<RestartAltIcon />} label="Reboot" tip="Ask the guest to restart (ACPI)" blockedBy={block('reboot')} onClick={() => void act('reboot')} />
      </Stack>
      <Box sx={{ height: 4 }}>{busy && <LinearProgress aria-label={`${ACTION_LABEL[busy]} under way`} />}</Box>
      {host && !connected && (
        <Alert severity="warning" role="status" sx={{ mx: 2, mb: 1, overflowWrap: 'anywhere' }}>
          {remote} is disconnected{host.error ? ` (${host.error})` : ''}. Hangar reconnects when the host answers.
        </Alert>
      )}
      {error && (
        <Alert severity="error" role="alert" sx={{ mx: 2, mb: 1 }} onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      {notice && (
        <Alert severity="info" sx={{ mx: 2, mb: 1 }} onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      )}
      <Box sx={{ borderBottom: 1, borderColor: 'divider', px: 2 }}>
        <Tabs value={tab} onChange={(_, v: RemoteTab) => setTab(v)} aria-label="VM views">
          {TABS.map((t) => (
            <Tab key={t.value} value={t.value} label={t.label} id={`remote-tab-${t.value}`} aria-controls={`remote-panel-${t.value}`} />
          ))}
        </Tabs>
      </Box>
      <Box sx={{ flex: 1, minHeight: 0, position: 'relative' }}>
        <Box role="tabpanel" id="remote-panel-snapshots" aria-labelledby="remote-tab-snapshots" hidden={tab !== 'snapshots'} sx={{ height: '100%' }}>
          {tab === 'snapshots' && <RemoteSnapshotsView remoteRef={remoteRef} running={vmState === 'running'} connected={connected} />}
        </Box>
        <Box role="tabpanel" id="remote-panel-console" aria-labelledby="remote-tab-console" hidden={tab !== 'console'} sx={{ height: '100%' }}>
          {consoleOpened && (
            <Suspense fallback={<LinearProgress aria-label="Loading the console" />}>
              <ConsoleView vm={vm} source={consoleSource} />
            </Suspense>
          )}
        </Box>
        <Box role="tabpanel" id="remote-panel-display" aria-labelledby="remote-tab-display" hidden={tab !== 'display'} sx={{ height: '100%' }}>
          {tab === 'display' && !connected && (
            <Alert severity="warning" role="status" sx={{ m: 2 }}>
              The display shows when {remote} is connected again.
            </Alert>
          )}
          {tab === 'display' && connected && <DisplayView vm={vm} pathOf={(a, signal) => a.call('remote.display', { ref: remoteRef }, { signal })} />}
        </Box>
      </Box>
      <PowerOffDialog
        question={askPowerOff ? { kind: 'confirm', vmName: remoteRef } : null}
        onClose={() => setAskPowerOff(false)}
        onPowerOff={() => {
          setAskPowerOff(false);
          void act('destroy');
        }}
      />
    </Stack>
  );
}

function ActionButton({ icon, label, tip, blockedBy, onClick }: { icon: ReactNode; label: string; tip?: string; blockedBy: string | null; onClick: () => void }) {
  return (
    <Tooltip title={blockedBy ?? tip ?? label}>
      <Box component="span" sx={{ display: 'inline-flex' }}>
        <Button size="small" variant="outlined" startIcon={icon} onClick={onClick} disabled={blockedBy !== null} {...(blockedBy !== null ? { 'aria-description': blockedBy } : {})}>
          {label}
        </Button>
      </Box>
    </Tooltip>
  );
}

// The main window: app bar with the toolbar, the VM list, the details pane, the tasks panel and the
// dialogs. The list follows `vm.stateChanged` and `inventory.changed` events.
import AddIcon from '@mui/icons-material/Add';
import ArchiveIcon from '@mui/icons-material/Archive';
import ArrowDropDownIcon from '@mui/icons-material/ArrowDropDown';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import DeleteIcon from '@mui/icons-material/Delete';
import PauseIcon from '@mui/icons-material/Pause';
import PendingActionsIcon from '@mui/icons-material/PendingActions';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import PowerSettingsNewIcon from '@mui/icons-material/PowerSettingsNew';
import RestartAltIcon from '@mui/icons-material/RestartAlt';
import SaveIcon from '@mui/icons-material/Save';
import SettingsIcon from '@mui/icons-material/Settings';
import StopIcon from '@mui/icons-material/Stop';
import UnarchiveIcon from '@mui/icons-material/Unarchive';
import {
  Alert,
  AppBar,
  Badge,
  Box,
  Button,
  Divider,
  IconButton,
  ListItemIcon,
  ListItemText,
  Menu,
  MenuItem,
  Paper,
  Toolbar,
  Tooltip,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useApi, useApiQuery, useConnectionStatus, useEvent } from '../api/hooks.js';
import { useOsTypes } from './catalogue.js';
import { useNotify } from './notifications.js';
import { DeleteVmDialog } from '../vms/DeleteVmDialog.js';
import { forgetConsole } from '../consoles/registry.js';
import { ExportDialog } from '../appliances/ExportDialog.js';
import { ImportDialog } from '../appliances/ImportDialog.js';
import { SettingsDialog } from '../vms/SettingsDialog.js';
import type { VmSummary } from '../api/apiTypes.js';
import { hashWithoutImport, importPathFromHash } from '../../src-main/desktop/deepLink.js';
import { runningCount } from '../tasks/tasks.js';
import { applyStateChange, filterVms, keepSelection } from '../vms/vmList.js';
import { canDo, type VmAction } from '../vms/vmState.js';
import { TasksPanel } from '../tasks/TasksPanel.js';
import { useTasks } from '../tasks/useTasks.js';
import { CloneWizard, CloneWizardProvider, type CloneRequest } from '../clones/CloneWizard.js';
import { NewVmWizard } from '../vms/NewVmWizard.js';
import { VmDetailsPane, type PaneTab } from '../vms/VmDetailsPane.js';
import { VmList } from '../vms/VmList.js';

const SELECTED_KEY = 'hangar.selectedVm';

function storedSelection(): string | null {
  try {
    return sessionStorage.getItem(SELECTED_KEY);
  } catch {
    return null;
  }
}

export function MainWindow() {
  const api = useApi();
  const osTypes = useOsTypes();
  const { notifyError, notify } = useNotify();
  const list = useApiQuery('vm.list', {}, []);
  const { reload: reloadList, setData: setList } = list;
  useEvent('vm.stateChanged', (e) => setList((d) => (d ? { vms: applyStateChange(d.vms, e) } : d)));
  useEvent('inventory.changed', () => reloadList());
  useEvent('vm.guestChanged', (e) => setList((d) => (d ? { vms: d.vms.map((v) => (v.id === e.id ? { ...v, guest: e.guest } : v)) } : d)));

  const vms = useMemo(() => list.data?.vms ?? [], [list.data]);
  const [query, setQuery] = useState('');
  const visible = useMemo(() => filterVms(vms, query, osTypes), [vms, query, osTypes]);
  const [selectedId, setSelectedId] = useState<string | null>(storedSelection);
  const [tab, setTab] = useState<PaneTab>('details');
  const previousIds = useRef<string[]>([]);

  // Keep a sensible selection as VMs come and go; forget consoles of deleted VMs.
  useEffect(() => {
    if (!list.data) return;
    const ids = vms.map((v) => v.id);
    setSelectedId((cur) => keepSelection(previousIds.current.length ? previousIds.current : ids, ids, cur));
    for (const gone of previousIds.current.filter((id) => !ids.includes(id))) forgetConsole(api, gone);
    previousIds.current = ids;
  }, [vms, list.data, api]);
  useEffect(() => {
    try {
      if (selectedId) sessionStorage.setItem(SELECTED_KEY, selectedId);
    } catch {
      /* not remembered */
    }
  }, [selectedId]);

  const selected: VmSummary | null = vms.find((v) => v.id === selectedId) ?? null;
  const [wizardOpen, setWizardOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [cloneRequest, setCloneRequest] = useState<CloneRequest | null>(null);
  const openClone = useCallback((r: CloneRequest) => setCloneRequest(r), []);
  const cloneSource = cloneRequest ? (vms.find((v) => v.id === cloneRequest.vmId) ?? null) : null;
  const [stopMenu, setStopMenu] = useState<HTMLElement | null>(null);
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [tasksOpen, setTasksOpen] = useState(false);
  const { tasks, error: tasksError } = useTasks();
  const running = runningCount(tasks);
  const names = useMemo(() => vms.map((v) => v.name), [vms]);

  // Import appliance: from the toolbar, the desktop's open-file event or the web mode's #import= link.
  const [importRequest, setImportRequest] = useState<{ path: string | null; n: number } | null>(null);
  const [importBusy, setImportBusy] = useState(false);
  const openImport = useCallback(
    (path: string | null) => {
      if (importBusy) {
        notify({ severity: 'info', message: 'An appliance is being imported: wait until it ends to import another one.' });
        return;
      }
      setImportRequest((r) => ({ path, n: (r?.n ?? 0) + 1 }));
    },
    [importBusy, notify],
  );
  useEvent('app.openFile', (e) => openImport(e.path));

  // Export appliance: the current VM ticked; the dialog lets more be ticked.
  const [exportRequest, setExportRequest] = useState<{ ids: string[]; n: number } | null>(null);
  const openExport = () => {
    setExportRequest((r) => ({ ids: selected ? [selected.id] : [], n: (r?.n ?? 0) + 1 }));
  };
  // The desktop app's File menu.
  useEvent('app.menu', (e) => (e.command === 'newVm' ? setWizardOpen(true) : openImport(null)));
  const openImportRef = useRef(openImport);
  openImportRef.current = openImport;
  useEffect(() => {
    const fromHash = () => {
      const path = importPathFromHash(window.location.hash);
      if (path === null) return;
      // The link opens the dialog once; a reload does not open it again.
      window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search + hashWithoutImport(window.location.hash));
      openImportRef.current(path);
    };
    fromHash();
    window.addEventListener('hashchange', fromHash);
    return () => window.removeEventListener('hashchange', fromHash);
  }, []);

  const enabled = (action: VmAction) => selected !== null && canDo(selected.state, action) && !pending.has(`${selected.id}:${action}`);

  const act = async (action: VmAction, label: string, call: (ref: string) => Promise<unknown>) => {
    if (!selected) return;
    const key = `${selected.id}:${action}`;
    const vm = selected;
    setPending((s) => new Set(s).add(key));
    try {
      await call(vm.id);
    } catch (e) {
      notifyError(e, `${label} “${vm.name}”`);
    } finally {
      setPending((s) => {
        const n = new Set(s);
        n.delete(key);
        return n;
      });
      reloadList();
    }
  };

  const start = () =>
    act('start', 'Cannot start', async (ref) => {
      await api.call('vm.start', { ref });
    });
  const pauseOrResume = () =>
    selected?.state === 'paused'
      ? act('resume', 'Cannot resume', (ref) => api.call('vm.resume', { ref }))
      : act('pause', 'Cannot pause', (ref) => api.call('vm.pause', { ref }));
  const stop = () => act('stop', 'Cannot shut down', (ref) => api.call('vm.stop', { ref }));
  const menuAction = (action: VmAction) => {
    setStopMenu(null);
    switch (action) {
      case 'powerOff':
        return act('powerOff', 'Cannot power off', (ref) => api.call('vm.stop', { ref, force: true }));
      case 'reset':
        return act('reset', 'Cannot reset', (ref) => api.call('vm.reset', { ref }));
      case 'save':
        return act('save', 'Cannot save the state of', async (ref) => {
          await api.call('vm.save', { ref });
          notify({ severity: 'success', message: 'The VM state was saved.' });
        });
      default:
        return undefined;
    }
  };

  const status = useConnectionStatus();
  const paused = selected?.state === 'paused';

  return (
    <Box sx={{ height: '100vh', display: 'flex', flexDirection: 'column', bgcolor: 'background.default' }}>
      <AppBar position="static" elevation={0} color="primary" sx={{ borderBottom: 1, borderColor: 'divider' }}>
        <Toolbar variant="dense" sx={{ gap: 0.5 }} aria-label="Main toolbar" role="toolbar">
          <Typography variant="h6" component="h1" sx={{ mr: 2, fontWeight: 600 }}>
            Hangar
          </Typography>
          <ToolButton icon={<AddIcon />} label="New" onClick={() => setWizardOpen(true)} />
          <ToolButton icon={<UnarchiveIcon />} label="Import" accessibleName="Import appliance…" onClick={() => openImport(null)} />
          <ToolButton icon={<ArchiveIcon />} label="Export" accessibleName="Export appliance…" onClick={openExport} disabled={!selected} />
          <ToolButton icon={<SettingsIcon />} label="Settings" onClick={() => setSettingsOpen(true)} disabled={!selected} />
          <ToolButton
            icon={<ContentCopyIcon />}
            label="Clone"
            onClick={() => selected && openClone({ vmId: selected.id })}
            disabled={!selected || selected.state === 'starting' || selected.state === 'stopping'}
          />
          <Divider orientation="vertical" flexItem sx={{ mx: 1, borderColor: 'rgba(255,255,255,0.3)' }} />
          <ToolButton icon={<PlayArrowIcon />} label="Start" onClick={() => void start()} disabled={!enabled('start')} />
          <ToolButton
            icon={<PauseIcon />}
            label={paused ? 'Resume' : 'Pause'}
            onClick={() => void pauseOrResume()}
            disabled={!enabled(paused ? 'resume' : 'pause')}
          />
          <ToolButton icon={<StopIcon />} label="Stop" onClick={() => void stop()} disabled={!enabled('stop')} />
          <Tooltip title="Power off, reset, save state">
            <span>
              <IconButton
                color="inherit"
                size="small"
                aria-label="More stop options"
                aria-haspopup="menu"
                aria-expanded={stopMenu ? 'true' : undefined}
                onClick={(e) => setStopMenu(e.currentTarget)}
                disabled={!selected || !(enabled('powerOff') || enabled('reset') || enabled('save'))}
                sx={{ ml: -0.5, '&.Mui-disabled': { color: 'rgba(255,255,255,0.45)' } }}
              >
                <ArrowDropDownIcon />
              </IconButton>
            </span>
          </Tooltip>
          <Menu anchorEl={stopMenu} open={stopMenu !== null} onClose={() => setStopMenu(null)}>
            <MenuItem onClick={() => void menuAction('save')} disabled={!enabled('save')}>
              <ListItemIcon>
                <SaveIcon fontSize="small" />
              </ListItemIcon>
              <ListItemText primary="Save state" />
            </MenuItem>
            <MenuItem onClick={() => void menuAction('reset')} disabled={!enabled('reset')}>
              <ListItemIcon>
                <RestartAltIcon fontSize="small" />
              </ListItemIcon>
              <ListItemText primary="Reset" />
            </MenuItem>
            <MenuItem onClick={() => void menuAction('powerOff')} disabled={!enabled('powerOff')}>
              <ListItemIcon>
                <PowerSettingsNewIcon fontSize="small" />
              </ListItemIcon>
              <ListItemText primary="Power off" />
            </MenuItem>
          </Menu>
          <ToolButton icon={<DeleteIcon />} label="Delete" onClick={() => setDeleteOpen(true)} disabled={!enabled('delete')} />
          <Box sx={{ flex: 1 }} />
          <Tooltip title={tasksOpen ? 'Hide tasks' : 'Show tasks'}>
            <IconButton color="inherit" onClick={() => setTasksOpen((o) => !o)} aria-label="Tasks" aria-pressed={tasksOpen}>
              <Badge badgeContent={running} color="secondary">
                <PendingActionsIcon />
              </Badge>
            </IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      {status.kind !== 'open' && <ConnectionBanner status={status} onRetry={() => api.retryNow()} />}
      <Box sx={{ flex: 1, display: 'flex', minHeight: 0 }}>
        <Paper component="nav" aria-label="Virtual machine list" square elevation={0} sx={{ width: 320, flexShrink: 0, borderRight: 1, borderColor: 'divider' }}>
          <VmList
            vms={visible}
            total={vms.length}
            osTypes={osTypes}
            selectedId={selectedId}
            onSelect={setSelectedId}
            query={query}
            onQueryChange={setQuery}
            loading={list.loading && !list.data}
            // While the connection is down the banner says so; the list would only repeat it.
            error={status.kind === 'open' ? (list.error?.message ?? null) : null}
          />
        </Paper>
        <Box component="main" sx={{ flex: 1, minWidth: 0, bgcolor: 'background.paper' }}>
          {selected ? (
            <CloneWizardProvider value={openClone}>
              <VmDetailsPane key={selected.id} vm={selected} tab={tab} onTabChange={setTab} />
            </CloneWizardProvider>
          ) : (
            <Box sx={{ p: 4, color: 'text.secondary' }}>
              <Typography variant="body1">{vms.length ? 'Select a virtual machine on the left.' : 'Welcome to Hangar. Create a virtual machine with New.'}</Typography>
            </Box>
          )}
        </Box>
      </Box>
      {tasksOpen && <TasksPanel tasks={tasks} error={tasksError} onClose={() => setTasksOpen(false)} />}
      <NewVmWizard
        open={wizardOpen}
        existingNames={names}
        onClose={() => setWizardOpen(false)}
        onCreated={(id) => {
          reloadList();
          setSelectedId(id);
          setTab('details');
        }}
      />
      <CloneWizard
        key={cloneRequest ? `${cloneRequest.vmId}:${cloneRequest.snapshotId ?? ''}` : 'closed'}
        source={cloneSource}
        snapshotId={cloneRequest?.snapshotId ?? null}
        existingNames={names}
        onClose={() => setCloneRequest(null)}
        onCreated={(id) => {
          reloadList();
          setSelectedId(id);
          setTab('details');
        }}
      />
      <ImportDialog
        key={importRequest ? `import-${importRequest.n}` : 'import-closed'}
        open={importRequest !== null}
        initialPath={importRequest?.path ?? null}
        existingNames={names}
        onClose={() => setImportRequest(null)}
        onBusyChange={setImportBusy}
        onImported={(ids) => {
          reloadList();
          if (ids[0]) setSelectedId(ids[0]);
          setTab('details');
        }}
      />
      <ExportDialog
        key={exportRequest ? `export-${exportRequest.n}` : 'export-closed'}
        open={exportRequest !== null}
        vms={vms}
        initialIds={exportRequest?.ids ?? []}
        onClose={() => setExportRequest(null)}
      />
      <SettingsDialog open={settingsOpen} vm={selected} existingNames={names} onClose={() => setSettingsOpen(false)} />
      <DeleteVmDialog vm={selected} open={deleteOpen} onClose={() => setDeleteOpen(false)} onDeleted={() => reloadList()} />
    </Box>
  );
}

function ToolButton({ icon, label, accessibleName, onClick, disabled }: { icon: ReactNode; label: string; accessibleName?: string; onClick: () => void; disabled?: boolean }) {
  const button = (
    <Button color="inherit" startIcon={icon} onClick={onClick} disabled={disabled} aria-label={accessibleName} sx={{ '&.Mui-disabled': { color: 'rgba(255,255,255,0.45)' } }}>
      {label}
    </Button>
  );
  // (a disabled button fires no events: the tooltip listens on a wrapper)
  return accessibleName ? (
    <Tooltip title={accessibleName}>
      <Box component="span" sx={{ display: 'inline-flex' }}>
        {button}
      </Box>
    </Tooltip>
  ) : (
    button
  );
}

function ConnectionBanner({ status, onRetry }: { status: ReturnType<typeof useConnectionStatus>; onRetry: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status.kind !== 'waiting') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [status.kind]);
  switch (status.kind) {
    case 'connecting':
      return (
        <Alert severity="info" square role="status">
          Connecting to Hangar…
        </Alert>
      );
    case 'waiting':
      return (
        <Alert
          severity="warning"
          square
          role="status"
          action={
            <Button color="inherit" size="small" onClick={onRetry}>
              Retry now
            </Button>
          }
        >
          {status.error[0]!.toUpperCase() + status.error.slice(1)}. Reconnecting in {Math.max(0, Math.ceil((status.retryAt - now) / 1000))} s…
        </Alert>
      );
    case 'failed':
      return (
        <Alert severity="error" square role="alert">
          {status.error}
        </Alert>
      );
    case 'closed':
      return (
        <Alert severity="error" square role="alert">
          Disconnected from Hangar.
        </Alert>
      );
    case 'open':
      return null;
  }
}

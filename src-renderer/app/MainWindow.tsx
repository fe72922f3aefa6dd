// The main window: app bar with the toolbar, the VM list, the details pane, the tasks panel and the
// dialogs. The list follows `vm.stateChanged` and `inventory.changed` events.
import AddIcon from '@mui/icons-material/Add';
import ArchiveIcon from '@mui/icons-material/Archive';
import MoveUpIcon from '@mui/icons-material/MoveUp';
import ArrowDropDownIcon from '@mui/icons-material/ArrowDropDown';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import DeleteIcon from '@mui/icons-material/Delete';
import LanIcon from '@mui/icons-material/Lan';
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
  AlertTitle,
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
  Stack,
  Toolbar,
  Tooltip,
  Typography,
  useMediaQuery,
  useTheme,
} from '@mui/material';
import { lazy, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { OFFLINE_REASON, useApi, useApiQuery, useConnectionStatus, useEvent } from '../api/hooks.js';
import { disconnectedMessage } from '../api/connection.js';
import { matchShortcut, shortcutLabel, type ShortcutCommand } from './shortcuts.js';
import { PowerOffDialog } from '../vms/PowerOffDialog.js';
import { nextStopCheck, unansweredStop } from '../vms/stopWatch.js';
import { useOsTypes } from './catalogue.js';
import { useNotify } from './notifications.js';
import { forgetConsole } from '../consoles/registry.js';
import StorageIcon from '@mui/icons-material/Storage';
import type { VmSummary } from '../api/apiTypes.js';
import { hashWithoutImport, importPathFromHash } from '../../src-main/desktop/deepLink.js';
import { runningCount } from '../tasks/tasks.js';
import { applyStateChange, goneIds, keepSelection } from '../vms/vmList.js';
import { keepTicks } from '../vms/listModel.js';
import { BulkBar } from '../vms/BulkBar.js';
import { GroupsContext, groupsOf } from '../vms/GroupDialog.js';
import { useCoalesced } from '../vms/useCoalesced.js';
import { actionBlockReason, canDo, type VmAction } from '../vms/vmState.js';
import { TasksPanel } from '../tasks/TasksPanel.js';
import { useTasks } from '../tasks/useTasks.js';
import { CloneWizardProvider, type CloneRequest } from '../clones/openClone.js';
import { LoadOnOpen } from '../components/LoadOnOpen.js';
import { VmDetailsPane, type PaneTab } from '../vms/VmDetailsPane.js';
import { VmList } from '../vms/VmList.js';
import { RemotesSection } from '../remotes/RemotesSection.js';
import { RemoteVmPane } from '../remotes/RemoteVmPane.js';

// The dialogs' code loads the first time each opens (LoadOnOpen): the list is on screen sooner.
const NO_STATES: ReadonlyMap<string, string> = new Map();
const NewVmWizard = lazy(() => import('../vms/NewVmWizard.js').then((m) => ({ default: m.NewVmWizard })));
const CloneWizard = lazy(() => import('../clones/CloneWizard.js').then((m) => ({ default: m.CloneWizard })));
const ImportDialog = lazy(() => import('../appliances/ImportDialog.js').then((m) => ({ default: m.ImportDialog })));
const ExportDialog = lazy(() => import('../appliances/ExportDialog.js').then((m) => ({ default: m.ExportDialog })));
const SettingsDialog = lazy(() => import('../vms/SettingsDialog.js').then((m) => ({ default: m.SettingsDialog })));
const NetworksDialog = lazy(() => import('../networks/NetworksDialog.js').then((m) => ({ default: m.NetworksDialog })));
const MediaDialog = lazy(() => import('../media/MediaDialog.js').then((m) => ({ default: m.MediaDialog })));
const DeleteVmDialog = lazy(() => import('../vms/DeleteVmDialog.js').then((m) => ({ default: m.DeleteVmDialog })));
const MigrateDialog = lazy(() => import('../migration/MigrateDialog.js').then((m) => ({ default: m.MigrateDialog })));

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
  const { notifyError, notify, dismiss } = useNotify();
  const list = useApiQuery('vm.list', {}, []);
  const { reload: reloadList, setData: setList } = list;
  useEvent('vm.stateChanged', (e) => setList((d) => (d ? { vms: applyStateChange(d.vms, e) } : d)));
  // Many changes in a row (a bulk delete) reload the list once they settle, not once each.
  const reloadSoon = useCoalesced(reloadList, 150);
  useEvent('inventory.changed', () => reloadSoon());
  useEvent('vm.guestChanged', (e) => setList((d) => (d ? { vms: d.vms.map((v) => (v.id === e.id ? { ...v, guest: e.guest } : v)) } : d)));

  const vms = useMemo(() => list.data?.vms ?? [], [list.data]);
  const [query, setQuery] = useState('');
  const [ticked, setTicked] = useState<ReadonlySet<string>>(() => new Set());
  useEffect(() => setTicked((t) => keepTicks(t, vms)), [vms]);
  const tickedVms = useMemo(() => vms.filter((v) => ticked.has(v.id)), [vms, ticked]);
  const groups = useMemo(() => groupsOf(vms), [vms]);
  const moveTo = useCallback(
    (ids: string[], group: string) => {
      api.call('vm.organize', { refs: ids, group }).catch((e: unknown) => notifyError(e, ids.length === 1 ? 'Cannot move the virtual machine' : `Cannot move ${ids.length} virtual machines`));
    },
    [api, notifyError],
  );
  const [selectedId, setSelectedId] = useState<string | null>(storedSelection);
  const [tab, setTab] = useState<PaneTab>('details');
  /** a remote domain shown in the right pane instead of a local VM (REMOTE/DOMAIN) */
  const [remoteRef, setRemoteRef] = useState<string | null>(null);
  const previousIds = useRef<string[]>([]);

  // Keep a sensible selection as VMs come and go; forget consoles of deleted VMs.
  useEffect(() => {
    if (!list.data) return;
    const ids = vms.map((v) => v.id);
    setSelectedId((cur) => keepSelection(previousIds.current.length ? previousIds.current : ids, ids, cur));
    for (const gone of goneIds(previousIds.current, ids)) forgetConsole(api, gone);
    previousIds.current = ids;
  }, [vms, list.data, api]);
  useEffect(() => {
    try {
      if (selectedId) sessionStorage.setItem(SELECTED_KEY, selectedId);
    } catch {
      /* not remembered */
    }
  }, [selectedId]);

  // While a remote domain is shown, the toolbar's VM actions have no local VM to act on.
  const selected: VmSummary | null = remoteRef ? null : (vms.find((v) => v.id === selectedId) ?? null);
  // The details pane follows the selection in a render of its own, after the list's: the page's first
  // rows (and each arrow key's move) do not wait for the pane's tabs to be built.
  const paneVm = useDeferredValue(selected);
  const [wizardOpen, setWizardOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [networksOpen, setNetworksOpen] = useState(false);
  const [mediaOpen, setMediaOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [migrateOpen, setMigrateOpen] = useState(false);
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

  const status = useConnectionStatus();
  const online = status.kind === 'open';
  const enabled = (action: VmAction) => online && selected !== null && canDo(selected.state, action) && !pending.has(`${selected.id}:${action}`);
  const blockReason = (action: VmAction) => actionBlockReason(selected, action, online) ?? (selected && pending.has(`${selected.id}:${action}`) ? 'Already under way' : null);
  const vmKey = (id: string) => `vm:${id}`;
  /** the "waiting for the guest to shut down" notice, gone when the VM is */
  const shutdownKey = (id: string) => `vm:${id}:shutdown`;

  const act = async (vm: VmSummary, action: VmAction, label: string, call: (ref: string) => Promise<unknown>) => {
    const key = `${vm.id}:${action}`;
    // What was said about this VM before is over now.
    dismiss(vmKey(vm.id));
    dismiss(shutdownKey(vm.id));
    setPending((s) => new Set(s).add(key));
    try {
      await call(vm.id);
    } catch (e) {
      notifyError(e, `${label} “${vm.name}”`, vmKey(vm.id));
    } finally {
      setPending((s) => {
        const n = new Set(s);
        n.delete(key);
        return n;
      });
      reloadList();
    }
  };

  const start = (vm: VmSummary) =>
    act(vm, 'start', 'Cannot start', async (ref) => {
      await api.call('vm.start', { ref });
    });
  const pauseOrResume = (vm: VmSummary) =>
    vm.state === 'paused'
      ? act(vm, 'resume', 'Cannot resume', (ref) => api.call('vm.resume', { ref }))
      : act(vm, 'pause', 'Cannot pause', (ref) => api.call('vm.pause', { ref }));
  // Stop presses the ACPI power button and returns; the owner's 'vm.stop' task watches the guest.
  const stop = (vm: VmSummary) =>
    act(vm, 'stop', 'Cannot shut down', async (ref) => {
      await api.call('vm.stop', { ref, wait: false });
      notify({ severity: 'info', key: shutdownKey(vm.id), message: `Pressed the power button of “${vm.name}”: waiting for its guest to shut down (see Tasks).` });
    });
  const powerOff = (vm: VmSummary) =>
    act(vm, 'powerOff', 'Cannot power off', async (ref) => {
      await api.call('vm.stop', { ref, force: true });
      notify({ severity: 'success', key: vmKey(vm.id), message: `“${vm.name}” was powered off.` });
    });
  const reset = (vm: VmSummary) => act(vm, 'reset', 'Cannot reset', (ref) => api.call('vm.reset', { ref }));
  const save = (vm: VmSummary) =>
    act(vm, 'save', 'Cannot save the state of', async (ref) => {
      await api.call('vm.save', { ref });
      notify({ severity: 'success', key: vmKey(vm.id), message: `The state of “${vm.name}” was saved.` });
    });

  // Power off asks first; so does a guest that has not acted on the power button for a while.
  const [powerOffAsk, setPowerOffAsk] = useState<{ vm: VmSummary; taskId?: string; seconds?: number } | null>(null);
  const [keptWaiting, setKeptWaiting] = useState<ReadonlySet<string>>(new Set());
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const wait = nextStopCheck(tasks, Date.now(), keptWaiting);
    if (wait === null) return;
    const t = setTimeout(() => setNow(Date.now()), wait + 250);
    return () => clearTimeout(t);
  }, [tasks, keptWaiting, now]);
  const unanswered = online ? unansweredStop(tasks, vms, now, keptWaiting) : null;
  useEffect(() => {
    if (unanswered && powerOffAsk === null) setPowerOffAsk({ vm: unanswered.vm, taskId: unanswered.taskId, seconds: unanswered.seconds });
  }, [unanswered, powerOffAsk]);
  const closePowerOff = () => {
    const taskId = powerOffAsk?.taskId;
    if (taskId) setKeptWaiting((s) => new Set(s).add(taskId));
    setPowerOffAsk(null);
  };
  const confirmPowerOff = () => {
    const ask = powerOffAsk;
    closePowerOff();
    if (ask) void powerOff(vms.find((v) => v.id === ask.vm.id) ?? ask.vm);
  };
  // A VM that ended is done with its notices (a shutdown notice must not outlive the shutdown).
  useEvent('vm.stateChanged', (e) => {
    if (e.state === 'stopped' || e.state === 'aborted' || e.state === 'saved') {
      dismiss(shutdownKey(e.id));
      if (powerOffAsk?.vm.id === e.id && powerOffAsk.taskId) setPowerOffAsk(null);
    }
  });

  const [menu, setMenu] = useState<{ id: string; at: { x: number; y: number } | HTMLElement } | null>(null);
  const menuVm = menu ? (vms.find((v) => v.id === menu.id) ?? null) : null;
  /** A VM the wizards made: the list shows it, selected, on its Details tab. */
  const showNewVm = (id: string) => {
    reloadList();
    setSelectedId(id);
    setTab('details');
  };
  const openDelete = (id: string) => {
    setSelectedId(id);
    const vm = vms.find((v) => v.id === id);
    if (vm && online && canDo(vm.state, 'delete')) setDeleteOpen(true);
    else if (vm) notify({ severity: 'info', key: vmKey(vm.id), message: actionBlockReason(vm, 'delete', online) ?? '' });
  };

  // Ctrl+Alt+N, Ctrl+Alt+I, Ctrl+Alt+E (see shortcuts.ts); not while a dialog is open.
  const shortcutRef = useRef<(cmd: ShortcutCommand) => void>(() => undefined);
  shortcutRef.current = (cmd) => {
    if (!online) return;
    if (cmd === 'newVm') setWizardOpen(true);
    else if (cmd === 'importAppliance') openImport(null);
    else if (selected) openExport();
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const cmd = matchShortcut({ key: e.key, ctrlKey: e.ctrlKey, altKey: e.altKey, shiftKey: e.shiftKey, metaKey: e.metaKey, altGraph: e.getModifierState('AltGraph') });
      if (!cmd || document.querySelector('[role="dialog"]')) return;
      e.preventDefault();
      shortcutRef.current(cmd);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const paused = selected?.state === 'paused';
  // A narrow window: icon-only tool buttons (the name in a tooltip) and a narrower VM list.
  const compact = useMediaQuery(useTheme().breakpoints.down('md'));
  // The toolbar's twelve buttons need about 1,200 px with their names: below 1,280 px they show icons
  // (the name in a tooltip and as the accessible name) and the list gives the details some room.
  const iconTools = useMediaQuery('(max-width: 1279.95px)');
  // Below 700 px the toolbar's buttons need the title's room: it stays for screen readers only.
  const tiny = useMediaQuery('(max-width: 699.95px)');
  const withSelected = (f: (vm: VmSummary) => unknown) => () => {
    if (selected) void f(selected);
  };

  return (
    <GroupsContext.Provider value={groups}>
    <Box sx={{ height: '100vh', display: 'flex', flexDirection: 'column', bgcolor: 'background.default' }}>
      <AppBar position="static" elevation={0} color="primary" sx={{ borderBottom: 1, borderColor: 'divider' }}>
        <Toolbar variant="dense" sx={{ gap: 0.5 }} aria-label="Main toolbar" role="toolbar">
          <Typography
            variant="h6"
            component="h1"
            sx={tiny ? { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' } : { mr: compact ? 1 : 2, fontWeight: 600 }}
          >
            Hangar
          </Typography>
          <ToolButton compact={iconTools} icon={<AddIcon />} label="New" tip={`New virtual machine (${shortcutLabel('newVm')})`} onClick={() => setWizardOpen(true)} blockedBy={online ? null : OFFLINE_REASON} />
          <ToolButton compact={iconTools}
            icon={<UnarchiveIcon />}
            label="Import"
            accessibleName="Import appliance…"
            tip={`Import appliance… (${shortcutLabel('importAppliance')})`}
            onClick={() => openImport(null)}
            blockedBy={online ? null : OFFLINE_REASON}
          />
          <ToolButton compact={iconTools}
            icon={<ArchiveIcon />}
            label="Export"
            accessibleName="Export appliance…"
            tip={`Export appliance… (${shortcutLabel('exportAppliance')})`}
            onClick={openExport}
            blockedBy={!online ? OFFLINE_REASON : selected ? null : 'Select a virtual machine first'}
          />
          <ToolButton compact={iconTools} icon={<SettingsIcon />} label="Settings" onClick={() => setSettingsOpen(true)} blockedBy={!online ? OFFLINE_REASON : selected ? null : 'Select a virtual machine first'} />
          <ToolButton compact={iconTools} icon={<ContentCopyIcon />} label="Clone" onClick={() => selected && openClone({ vmId: selected.id })} blockedBy={cloneBlock(selected, online)} />
          <Divider orientation="vertical" flexItem sx={{ mx: compact ? 0.5 : 1, borderColor: 'rgba(255,255,255,0.3)' }} />
          <ToolButton compact={iconTools} icon={<PlayArrowIcon data-icon="play" />} label="Start" onClick={withSelected(start)} blockedBy={blockReason('start')} />
          <ToolButton compact={iconTools}
            icon={paused ? <PlayArrowIcon data-icon="play" /> : <PauseIcon data-icon="pause" />}
            label={paused ? 'Resume' : 'Pause'}
            onClick={withSelected(pauseOrResume)}
            blockedBy={blockReason(paused ? 'resume' : 'pause')}
          />
          <ToolButton compact={iconTools} icon={<StopIcon />} label="Stop" tip="Shut down: press the guest's ACPI power button" onClick={withSelected(stop)} blockedBy={blockReason('stop')} />
          <Tooltip title={online ? 'Power off, reset, save state' : OFFLINE_REASON}>
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
            <MenuItem
              onClick={() => {
                setStopMenu(null);
                if (selected) void save(selected);
              }}
              disabled={!enabled('save')}
            >
              <ListItemIcon>
                <SaveIcon fontSize="small" />
              </ListItemIcon>
              <ListItemText primary="Save state" />
            </MenuItem>
            <MenuItem
              onClick={() => {
                setStopMenu(null);
                if (selected) void reset(selected);
              }}
              disabled={!enabled('reset')}
            >
              <ListItemIcon>
                <RestartAltIcon fontSize="small" />
              </ListItemIcon>
              <ListItemText primary="Reset" />
            </MenuItem>
            <MenuItem
              onClick={() => {
                setStopMenu(null);
                if (selected) setPowerOffAsk({ vm: selected });
              }}
              disabled={!enabled('powerOff')}
            >
              <ListItemIcon>
                <PowerSettingsNewIcon fontSize="small" />
              </ListItemIcon>
              <ListItemText primary="Power off…" />
            </MenuItem>
          </Menu>
          <ToolButton compact={iconTools} icon={<DeleteIcon />} label="Delete" tip="Delete the virtual machine (Del)" onClick={() => setDeleteOpen(true)} blockedBy={blockReason('delete')} />
          <Box sx={{ flex: 1 }} />
          <ToolButton compact={iconTools} icon={<StorageIcon />} label="Media" tip="Disk images and ISOs: sizes, chains, who uses them; resize and compact" onClick={() => setMediaOpen(true)} blockedBy={online ? null : OFFLINE_REASON} />
          <ToolButton compact={iconTools} icon={<LanIcon />} label="Networks" tip="Hangar's networks: NAT, host-only, internal, bridged" onClick={() => setNetworksOpen(true)} blockedBy={online ? null : OFFLINE_REASON} />
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
        <Paper component="nav" aria-label="Virtual machine list" square elevation={0} sx={{ width: compact ? 260 : iconTools ? 300 : 340, flexShrink: 0, borderRight: 1, borderColor: 'divider', display: 'flex', flexDirection: 'column' }}>
          {tickedVms.length > 0 && <BulkBar vms={tickedVms} online={online} onClear={() => setTicked(new Set())} onDone={reloadSoon} />}
          <Box sx={{ flex: 1, minHeight: 0 }}>
          <VmList
            vms={vms}
            osTypes={osTypes}
            selectedId={remoteRef ? null : selectedId}
            onSelect={(id) => {
              setRemoteRef(null);
              setSelectedId(id);
            }}
            ticked={ticked}
            onTickedChange={setTicked}
            onMove={moveTo}
            query={query}
            onQueryChange={setQuery}
            loading={list.loading && !list.data}
            // While the connection is down the banner says so; the list would only repeat it.
            error={status.kind === 'open' ? (list.error?.message ?? null) : null}
            onDeleteKey={openDelete}
            onContextMenu={(id, at) => setMenu({ id, at })}
          />
          </Box>
          <RemotesSection selected={remoteRef} onSelect={setRemoteRef} />
        </Paper>
        <Box component="main" sx={{ flex: 1, minWidth: 0, bgcolor: 'background.paper' }}>
          {remoteRef ? (
            <RemoteVmPane key={remoteRef} remoteRef={remoteRef} />
          ) : paneVm ? (
            <CloneWizardProvider value={openClone}>
              <VmDetailsPane key={paneVm.id} vm={paneVm} tab={tab} onTabChange={setTab} />
            </CloneWizardProvider>
          ) : vms.length || !list.data ? (
            <Box sx={{ p: 4, color: 'text.secondary' }}>
              <Typography variant="body1">{vms.length ? 'Select a virtual machine on the left.' : ''}</Typography>
            </Box>
          ) : (
            <EmptyPane online={online} onNew={() => setWizardOpen(true)} onImport={() => openImport(null)} />
          )}
        </Box>
      </Box>
      {tasksOpen && <TasksPanel tasks={tasks} error={tasksError} onClose={() => setTasksOpen(false)} />}
      <VmContextMenu
        menu={menu}
        vm={menuVm}
        online={online}
        onClose={() => setMenu(null)}
        commands={{
          start: (vm) => void start(vm),
          stop: (vm) => void stop(vm),
          pauseOrResume: (vm) => void pauseOrResume(vm),
          powerOff: (vm) => setPowerOffAsk({ vm }),
          reset: (vm) => void reset(vm),
          save: (vm) => void save(vm),
          settings: (vm) => {
            setSelectedId(vm.id);
            setSettingsOpen(true);
          },
          clone: (vm) => openClone({ vmId: vm.id }),
          export: (vm) => setExportRequest((r) => ({ ids: [vm.id], n: (r?.n ?? 0) + 1 })),
          migrate: (vm) => {
            setSelectedId(vm.id);
            setMigrateOpen(true);
          },
          delete: (vm) => openDelete(vm.id),
        }}
      />
      <PowerOffDialog
        question={powerOffAsk ? (powerOffAsk.taskId ? { kind: 'unanswered', vmName: powerOffAsk.vm.name, seconds: powerOffAsk.seconds ?? 0 } : { kind: 'confirm', vmName: powerOffAsk.vm.name }) : null}
        onClose={closePowerOff}
        onPowerOff={confirmPowerOff}
      />
      <LoadOnOpen open={wizardOpen} onClose={() => setWizardOpen(false)}>
        <NewVmWizard
          open={wizardOpen}
          existingNames={names}
          onClose={() => setWizardOpen(false)}
          onCreated={showNewVm}
        />
      </LoadOnOpen>
      <LoadOnOpen open={cloneSource !== null} onClose={() => setCloneRequest(null)}>
        <CloneWizard
          key={cloneRequest ? `${cloneRequest.vmId}:${cloneRequest.snapshotId ?? ''}` : 'closed'}
          source={cloneSource}
          snapshotId={cloneRequest?.snapshotId ?? null}
          existingNames={names}
          onClose={() => setCloneRequest(null)}
          onCreated={showNewVm}
        />
      </LoadOnOpen>
      <LoadOnOpen open={importRequest !== null} onClose={() => setImportRequest(null)}>
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
      </LoadOnOpen>
      <LoadOnOpen open={exportRequest !== null} onClose={() => setExportRequest(null)}>
        <ExportDialog
          key={exportRequest ? `export-${exportRequest.n}` : 'export-closed'}
          open={exportRequest !== null}
          vms={vms}
          initialIds={exportRequest?.ids ?? []}
          onClose={() => setExportRequest(null)}
        />
      </LoadOnOpen>
      <LoadOnOpen open={settingsOpen} onClose={() => setSettingsOpen(false)}>
        <SettingsDialog open={settingsOpen} vm={selected} existingNames={names} onClose={() => setSettingsOpen(false)} />
      </LoadOnOpen>
      <LoadOnOpen open={networksOpen} onClose={() => setNetworksOpen(false)}>
        <NetworksDialog open={networksOpen} onClose={() => setNetworksOpen(false)} />
      </LoadOnOpen>
      <LoadOnOpen open={mediaOpen} onClose={() => setMediaOpen(false)}>
        <MediaDialog open={mediaOpen} onClose={() => setMediaOpen(false)} vmStates={mediaOpen ? new Map(vms.map((v) => [v.id, v.state])) : NO_STATES} />
      </LoadOnOpen>
      <LoadOnOpen open={deleteOpen} onClose={() => setDeleteOpen(false)}>
        <DeleteVmDialog vm={selected} open={deleteOpen} onClose={() => setDeleteOpen(false)} onDeleted={() => reloadList()} />
      </LoadOnOpen>
      <LoadOnOpen open={migrateOpen} onClose={() => setMigrateOpen(false)}>
        <MigrateDialog vm={selected} open={migrateOpen} onClose={() => setMigrateOpen(false)} onMigrated={() => reloadList()} />
      </LoadOnOpen>
    </Box>
    </GroupsContext.Provider>
  );
}

/**
 * A toolbar button. Its tooltip says what it does (with its shortcut), or, when it is greyed out,
 * why (a disabled button fires no events: the tooltip listens on a wrapper).
 */
function ToolButton({
  icon,
  label,
  accessibleName,
  tip,
  onClick,
  blockedBy,
  compact,
}: {
  icon: ReactNode;
  label: string;
  accessibleName?: string;
  tip?: string;
  onClick: () => void;
  blockedBy: string | null;
  /** icon only, its name in the tooltip (a narrow window) */
  compact?: boolean;
}) {
  const button = compact ? (
    <IconButton
      color="inherit"
      onClick={onClick}
      disabled={blockedBy !== null}
      aria-label={accessibleName ?? label}
      {...(blockedBy !== null ? { 'aria-description': blockedBy } : {})}
      sx={{ '&.Mui-disabled': { color: 'rgba(255,255,255,0.45)' } }}
    >
      {icon}
    </IconButton>
  ) : (
    <Button
      color="inherit"
      startIcon={icon}
      onClick={onClick}
      disabled={blockedBy !== null}
      aria-label={accessibleName}
      {...(blockedBy !== null ? { 'aria-description': blockedBy } : {})}
      sx={{ '&.Mui-disabled': { color: 'rgba(255,255,255,0.45)' } }}
    >
      {label}
    </Button>
  );
  const title = blockedBy ?? tip ?? (compact ? (accessibleName ?? label) : accessibleName);
  if (!title) return button;
  return (
    <Tooltip title={title}>
      <Box component="span" sx={{ display: 'inline-flex' }}>
        {button}
      </Box>
    </Tooltip>
  );
}

function cloneBlock(vm: VmSummary | null, online: boolean): string | null {
  if (!online) return OFFLINE_REASON;
  if (!vm) return 'Select a virtual machine first';
  if (vm.state === 'starting' || vm.state === 'stopping') return `“${vm.name}” is ${vm.state}: wait until it has settled`;
  return null;
}

/** With no VM yet: the two ways to get one, as big buttons. */
function EmptyPane({ online, onNew, onImport }: { online: boolean; onNew: () => void; onImport: () => void }) {
  return (
    <Stack spacing={3} sx={{ p: 6, alignItems: 'center', textAlign: 'center', height: '100%', justifyContent: 'center' }} role="region" aria-label="Welcome">
      <Box>
        <Typography variant="h5" component="h2" sx={{ mb: 1 }}>
          Welcome to Hangar
        </Typography>
        <Typography variant="body1" color="text.secondary">
          You have no virtual machines yet. Create one from an installer ISO or a disk image, or import an appliance (.ova, .ovf).
        </Typography>
      </Box>
      <Stack direction="row" spacing={2}>
        <Button variant="contained" size="large" startIcon={<AddIcon />} onClick={onNew} disabled={!online} sx={{ px: 4, py: 1.5 }}>
          New virtual machine
        </Button>
        <Button variant="outlined" size="large" startIcon={<UnarchiveIcon />} onClick={onImport} disabled={!online} sx={{ px: 4, py: 1.5 }}>
          Import appliance…
        </Button>
      </Stack>
      <Typography variant="caption" color="text.secondary">
        Shortcuts: {shortcutLabel('newVm')} new, {shortcutLabel('importAppliance')} import.
      </Typography>
    </Stack>
  );
}

type VmCommands = Record<'start' | 'stop' | 'pauseOrResume' | 'powerOff' | 'reset' | 'save' | 'settings' | 'clone' | 'export' | 'migrate' | 'delete', (vm: VmSummary) => void>;

/** The VM list's context menu (right click, the ContextMenu key, Shift+F10): what the toolbar does, for that VM. */
function VmContextMenu({ menu, vm, online, onClose, commands }: { menu: { id: string; at: { x: number; y: number } | HTMLElement } | null; vm: VmSummary | null; online: boolean; onClose: () => void; commands: VmCommands }) {
  const item = (key: keyof VmCommands, label: string, icon: ReactNode, allowed: boolean, hint?: string) => (
    <MenuItem
      key={key}
      disabled={!allowed}
      onClick={() => {
        onClose();
        if (vm) commands[key](vm);
      }}
    >
      <ListItemIcon>{icon}</ListItemIcon>
      <ListItemText primary={label} />
      {hint && (
        <Typography variant="caption" color="text.secondary" sx={{ ml: 3 }}>
          {hint}
        </Typography>
      )}
    </MenuItem>
  );
  const can = (a: VmAction) => online && vm !== null && canDo(vm.state, a);
  const paused = vm?.state === 'paused';
  return (
    <Menu
      open={menu !== null && vm !== null}
      onClose={onClose}
      {...(menu && !(menu.at instanceof HTMLElement)
        ? { anchorReference: 'anchorPosition' as const, anchorPosition: { top: menu.at.y, left: menu.at.x } }
        : { anchorEl: menu?.at instanceof HTMLElement ? menu.at : null, anchorOrigin: { vertical: 'center', horizontal: 'center' } as const })}
      slotProps={{ list: { 'aria-label': vm ? `Actions for ${vm.name}` : 'VM actions' } }}
    >
      {item('start', 'Start', <PlayArrowIcon fontSize="small" />, can('start'))}
      {item('pauseOrResume', paused ? 'Resume' : 'Pause', paused ? <PlayArrowIcon fontSize="small" /> : <PauseIcon fontSize="small" />, can(paused ? 'resume' : 'pause'))}
      {item('stop', 'Stop', <StopIcon fontSize="small" />, can('stop'))}
      {item('powerOff', 'Power off…', <PowerSettingsNewIcon fontSize="small" />, can('powerOff'))}
      {item('reset', 'Reset', <RestartAltIcon fontSize="small" />, can('reset'))}
      {item('save', 'Save state', <SaveIcon fontSize="small" />, can('save'))}
      <Divider />
      {item('settings', 'Settings…', <SettingsIcon fontSize="small" />, online)}
      {item('clone', 'Clone…', <ContentCopyIcon fontSize="small" />, cloneBlock(vm, online) === null)}
      {item('export', 'Export appliance…', <ArchiveIcon fontSize="small" />, online, shortcutLabel('exportAppliance'))}
      {item('migrate', 'Migrate…', <MoveUpIcon fontSize="small" />, online && vm?.state === 'running')}
      <Divider />
      {item('delete', 'Delete…', <DeleteIcon fontSize="small" />, can('delete'), 'Del')}
    </Menu>
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
          severity={status.cause === 'refused' ? 'error' : 'warning'}
          square
          role="status"
          action={
            <Button color="inherit" size="small" onClick={onRetry}>
              Retry now
            </Button>
          }
        >
          <AlertTitle>Not connected: nothing can be changed until Hangar answers again</AlertTitle>
          {disconnectedMessage(status.cause)} Next try in {Math.max(0, Math.ceil((status.retryAt - now) / 1000))} s.
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

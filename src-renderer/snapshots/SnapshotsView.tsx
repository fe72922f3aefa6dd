// The Snapshots tab of a VM, after VirtualBox's snapshot pane: a toolbar (Take snapshot, Restore,
// Delete, Edit, Clone), the tree with "Current state" under the current snapshot, a context menu on
// each node, and the selected node's details. The tree follows `inventory.changed` and
// `vm.stateChanged` events for this VM.
import AddAPhotoIcon from '@mui/icons-material/AddAPhoto';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import DeleteIcon from '@mui/icons-material/Delete';
import EditIcon from '@mui/icons-material/Edit';
import HistoryIcon from '@mui/icons-material/History';
import UnfoldLessIcon from '@mui/icons-material/UnfoldLess';
import UnfoldMoreIcon from '@mui/icons-material/UnfoldMore';
import { Alert, Box, Button, Divider, IconButton, LinearProgress, ListItemIcon, ListItemText, Menu, MenuItem, Paper, Stack, Tooltip, Typography, useMediaQuery, useTheme } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { OFFLINE_REASON, useApiQuery, useEvent, useOnline } from '../api/hooks.js';
import { useNotify } from '../app/notifications.js';
import type { VmSummary } from '../api/apiTypes.js';
import { sourceBlock } from '../clones/clone.js';
import { useOpenCloneWizard } from '../clones/openClone.js';
import {
  ancestorsOf,
  buildSnapshotTree,
  collapseAll,
  CURRENT_STATE_ID,
  flattenSnapshotTree,
  formatAge,
  keepSnapshotSelection,
  pruneCollapsed,
  reveal,
  rowDescription,
  snapshotActions,
  type Allowed,
  type SnapshotActions,
  type SnapshotItem,
  type SnapshotRow,
  type SnapshotTree as Tree,
} from './snapshotTree.js';
import { DeleteSnapshotDialog } from './DeleteSnapshotDialog.js';
import { EditSnapshotDialog } from './EditSnapshotDialog.js';
import { RestoreSnapshotDialog } from './RestoreSnapshotDialog.js';
import { SnapshotDetails } from './SnapshotDetails.js';
import { AGE_WIDTH, NARROW_RULES, SIZE_WIDTH, SnapshotTree } from './SnapshotTree.js';
import { TakeSnapshotDialog } from './TakeSnapshotDialog.js';
import { rememberView, rememberedView } from './viewMemory.js';
import { ScheduleButton } from '../schedules/ScheduleDialog.js';

/** Over this many snapshots, side branches start collapsed (the path to the current state stays open). */
const AUTO_COLLAPSE_OVER = 150;

type DialogKind = 'take' | 'restore' | 'delete' | 'edit';
type MenuAt = { row: SnapshotRow; at: { x: number; y: number } | HTMLElement };

/** The current time, updated every `ms` (for "3 minutes ago"). */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function SnapshotsView({ vm }: { vm: VmSummary }) {
  const { notify } = useNotify();
  const q = useApiQuery('snapshot.list', { ref: vm.id }, [vm.id]);
  const { reload } = q;
  useEvent('inventory.changed', (e) => (e.id === undefined || e.id === vm.id) && reload());
  useEvent('vm.stateChanged', (e) => e.id === vm.id && reload());

  const tree = useMemo(() => (q.data ? buildSnapshotTree(q.data) : null), [q.data]);
  // A narrow window: icon-only actions, and the details under the tree instead of beside it.
  const compact = useMediaQuery(useTheme().breakpoints.down('md'));
  const memory = rememberedView(vm.id);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(memory?.collapsed ?? new Set());
  const [selected, setSelected] = useState<string>(memory?.selected ?? CURRENT_STATE_ID);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const previous = useRef<Tree | null>(null);
  const autoCollapsed = useRef(memory !== undefined);
  /** a node to select once a fetched tree has it (after take, restore, edit) */
  const pendingShow = useRef<string | null>(null);

  // A new tree: keep the selection (or move it to the nearest survivor), forget deleted nodes, and
  // keep the selected node in view.
  useEffect(() => {
    if (!tree) return;
    const before = previous.current;
    previous.current = tree;
    const wanted = pendingShow.current !== null && tree.parent.has(pendingShow.current) ? pendingShow.current : null;
    if (wanted !== null) pendingShow.current = null;
    const sel = wanted ?? keepSnapshotSelection(before, tree, selectedRef.current);
    setSelected(sel);
    setCollapsed((c) => {
      let next = pruneCollapsed(tree, c);
      if (!autoCollapsed.current) {
        autoCollapsed.current = true;
        if (tree.items.size > AUTO_COLLAPSE_OVER) next = collapseAll(tree);
      }
      return reveal(tree, next, sel);
    });
  }, [tree]);
  useEffect(() => rememberView(vm.id, { collapsed, selected }), [vm.id, collapsed, selected]);

  const rows = useMemo(() => (tree ? flattenSnapshotTree(tree, collapsed) : []), [tree, collapsed]);
  const now = useNow(30_000);
  const ages = useMemo(() => {
    const m = new Map<string, string>();
    for (const r of rows) if (r.item) m.set(r.id, formatAge(r.item.createdAt, now));
    return m;
  }, [rows, now]);
  const descriptions = useMemo(() => {
    const m = new Map<string, string>();
    if (tree) for (const r of rows) m.set(r.id, rowDescription(r, tree, now));
    return m;
  }, [rows, tree, now]);

  const row = rows.find((r) => r.id === selected) ?? null;
  const online = useOnline();
  // Nothing can be done while the page is not connected: every action says so.
  const offline = (a: SnapshotActions): SnapshotActions =>
    online ? a : { take: no(OFFLINE_REASON), restore: no(OFFLINE_REASON), delete: no(OFFLINE_REASON), edit: no(OFFLINE_REASON), clone: no(OFFLINE_REASON) };
  const actions = offline(snapshotActions(vm, row));
  const snapshots = useMemo(() => q.data?.snapshots ?? [], [q.data]);

  const [dialog, setDialog] = useState<{ kind: DialogKind; snapshot: SnapshotItem | null } | null>(null);
  const [menu, setMenu] = useState<MenuAt | null>(null);
  /** Opens an action's dialog for `target`; a refused action says why (keyboard and menu have no disabled look). */
  const open = (kind: DialogKind, target: SnapshotRow | null = row) => {
    setMenu(null);
    const allowed = offline(snapshotActions(vm, target))[kind];
    if (!allowed.ok) {
      notify({ severity: 'info', message: allowed.reason });
      return;
    }
    if (target) setSelected(target.id);
    setDialog({ kind, snapshot: target?.item ?? null });
  };
  const close = () => setDialog(null);
  // Cloning (the Clone wizard, with the snapshot or the current state preselected) waits only while the VM settles.
  const openCloneWizard = useOpenCloneWizard();
  const block = sourceBlock(vm);
  const cloneAllowed: Allowed = !online ? no(OFFLINE_REASON) : !openCloneWizard ? actions.clone : block ? { ok: false, reason: block } : { ok: true };
  const clone = (target: SnapshotRow | null = row) => {
    setMenu(null);
    if (!openCloneWizard) return;
    if (block) {
      notify({ severity: 'info', message: block });
      return;
    }
    openCloneWizard({ vmId: vm.id, snapshotId: target?.kind === 'snapshot' ? target.id : null });
  };
  /** After a change the owner made: fetch the tree and select `id` when it arrives. */
  const afterChange = (id: string) => {
    pendingShow.current = id;
    reload();
  };

  const select = useCallback((id: string) => setSelected(id), []);
  const treeRef = useRef(tree);
  treeRef.current = tree;
  const toggle = useCallback((id: string, expand: boolean) => {
    setCollapsed((c) => {
      const n = new Set(c);
      if (expand) n.delete(id);
      else n.add(id);
      return n;
    });
    // collapsing the branch that holds the selection moves the selection to the branch's node
    const t = treeRef.current;
    if (!expand && t && ancestorsOf(t, selectedRef.current).slice(1).includes(id)) setSelected(id);
  }, []);
  const contextMenu = useCallback((r: SnapshotRow, at: MenuAt['at']) => setMenu({ row: r, at }), []);

  const menuRow = menu?.row ?? null;
  const menuActions = menuRow ? offline(snapshotActions(vm, menuRow)) : null;

  return (
    <Stack sx={{ height: '100%', minHeight: 0 }}>
      <Stack direction="row" role="toolbar" aria-label="Snapshot actions" spacing={0.5} sx={{ px: 2, py: 1, alignItems: 'center', borderBottom: 1, borderColor: 'divider' }}>
        <ActionButton compact={compact} label="Take snapshot" icon={<AddAPhotoIcon />} allowed={actions.take} onClick={() => open('take')} primary />
        <ActionButton compact={compact} label="Restore" icon={<HistoryIcon />} allowed={actions.restore} onClick={() => open('restore')} />
        <ActionButton compact={compact} label="Delete" icon={<DeleteIcon />} allowed={actions.delete} onClick={() => open('delete')} />
        <ActionButton compact={compact} label="Edit" icon={<EditIcon />} allowed={actions.edit} onClick={() => open('edit')} />
        <ActionButton compact={compact} label="Clone" icon={<ContentCopyIcon />} allowed={cloneAllowed} onClick={() => clone()} />
        <Box sx={{ flex: 1 }} />
        <ScheduleButton vm={vm} compact={compact} />
        <Tooltip title="Expand all">
          <span>
            <IconButton size="small" aria-label="Expand all" onClick={() => setCollapsed(new Set())} disabled={collapsed.size === 0}>
              <UnfoldMoreIcon fontSize="small" />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Collapse side branches">
          <span>
            <IconButton size="small" aria-label="Collapse all" onClick={() => tree && setCollapsed(collapseAll(tree, selected))} disabled={!tree || tree.items.size === 0}>
              <UnfoldLessIcon fontSize="small" />
            </IconButton>
          </span>
        </Tooltip>
      </Stack>
      <Box sx={{ height: 2 }}>{q.loading && !q.data && <LinearProgress aria-label="Loading snapshots" />}</Box>
      {q.error && (
        <Alert severity="error" sx={{ mx: 2, mb: 1 }}>
          {q.error.message}
        </Alert>
      )}
      <Box sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: compact ? 'column' : 'row' }}>
        <Stack sx={{ flex: 1, minWidth: 0, containerType: 'inline-size', containerName: 'snapshots', ...NARROW_RULES }}>
          {tree && (
            <>
              <Stack
                direction="row"
                aria-hidden
                sx={{ pl: 2, pr: 3, py: 0.5, color: 'text.secondary', borderBottom: 1, borderColor: 'divider', typography: 'caption', fontWeight: 500 }}
              >
                <Box sx={{ flex: 1 }}>Name</Box>
                <Box sx={{ width: AGE_WIDTH, textAlign: 'right' }}>Taken</Box>
                <Box className="st-size" sx={{ width: SIZE_WIDTH, textAlign: 'right' }}>
                  Size
                </Box>
              </Stack>
              <SnapshotTree
                vmId={vm.id}
                rows={rows}
                selected={selected}
                currentStateChanged={tree.currentStateChanged}
                ages={ages}
                descriptions={descriptions}
                fill={tree.items.size > 0}
                onSelect={select}
                onToggle={toggle}
                onKeyAction={(action, r) => open(action, r)}
                onContextMenu={contextMenu}
              />
              {tree.items.size === 0 && (
                <Typography variant="body2" color="text.secondary" sx={{ px: 3, py: 2, maxWidth: 560 }}>
                  No snapshots yet. A snapshot keeps the disks (and, while the VM runs, its memory) as they are, so you can come back to this moment.
                </Typography>
              )}
            </>
          )}
        </Stack>
        <Paper
          component="section"
          aria-label="Snapshot details"
          square
          elevation={0}
          // A narrow window: the details under the tree; otherwise beside it.
          sx={compact ? { maxHeight: '45%', flexShrink: 0, borderTop: 1, borderColor: 'divider', overflow: 'auto' } : { width: { xs: 240, lg: 300 }, flexShrink: 0, borderLeft: 1, borderColor: 'divider', overflow: 'auto' }}
        >
          {tree && row && <SnapshotDetails vm={vm} row={row} tree={tree} now={now} />}
        </Paper>
      </Box>

      <Menu
        open={menu !== null}
        onClose={() => setMenu(null)}
        {...(menu && !(menu.at instanceof HTMLElement)
          ? { anchorReference: 'anchorPosition' as const, anchorPosition: { top: menu.at.y, left: menu.at.x } }
          : { anchorEl: menu?.at instanceof HTMLElement ? menu.at : null, anchorOrigin: { vertical: 'center', horizontal: 'center' } as const })}
        slotProps={{ list: { 'aria-label': menuRow ? `Actions for ${menuRow.name}` : 'Snapshot actions' } }}
      >
        {menuRow?.kind === 'current' && (
          <MenuItem onClick={() => open('take', menuRow)} disabled={!menuActions?.take.ok}>
            <ListItemIcon>
              <AddAPhotoIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText primary="Take snapshot" secondary={hint(menuActions?.take, undefined)} />
          </MenuItem>
        )}
        {menuRow?.kind === 'snapshot' && [
          <MenuItem key="restore" onClick={() => open('restore', menuRow)} disabled={!menuActions?.restore.ok}>
            <ListItemIcon>
              <HistoryIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText primary="Restore" secondary={hint(menuActions?.restore, 'Enter')} />
          </MenuItem>,
          <MenuItem key="delete" onClick={() => open('delete', menuRow)} disabled={!menuActions?.delete.ok}>
            <ListItemIcon>
              <DeleteIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText primary="Delete" secondary={hint(menuActions?.delete, 'Del')} />
          </MenuItem>,
          <MenuItem key="edit" onClick={() => open('edit', menuRow)}>
            <ListItemIcon>
              <EditIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText primary="Edit" secondary="F2" />
          </MenuItem>,
          <Divider key="divider" />,
          <MenuItem key="clone" onClick={() => clone(menuRow)} disabled={!cloneAllowed.ok}>
            <ListItemIcon>
              <ContentCopyIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText primary="Clone" secondary={hint(cloneAllowed, undefined)} />
          </MenuItem>,
        ]}
      </Menu>

      <TakeSnapshotDialog open={dialog?.kind === 'take'} vm={vm} snapshots={snapshots} onClose={close} onTaken={(s) => afterChange(s.id)} />
      <RestoreSnapshotDialog
        open={dialog?.kind === 'restore'}
        vm={vm}
        snapshot={dialog?.kind === 'restore' ? dialog.snapshot : null}
        snapshots={snapshots}
        currentStateChanged={tree?.currentStateChanged ?? false}
        onClose={close}
        onRestored={() => afterChange(CURRENT_STATE_ID)}
      />
      <DeleteSnapshotDialog open={dialog?.kind === 'delete'} vm={vm} snapshot={dialog?.kind === 'delete' ? dialog.snapshot : null} onClose={close} onDeleted={() => reload()} />
      <EditSnapshotDialog
        open={dialog?.kind === 'edit'}
        vm={vm}
        snapshot={dialog?.kind === 'edit' ? dialog.snapshot : null}
        snapshots={snapshots}
        onClose={close}
        onSaved={(s) => afterChange(s.id)}
      />
    </Stack>
  );

}

const no = (reason: string): Allowed => ({ ok: false, reason });

/** A menu item's second line: its key when allowed, else the reason in short (the API's words after the VM's name). */
function hint(allowed: Allowed | undefined, key: string | undefined): string | undefined {
  if (!allowed || allowed.ok) return key;
  const i = allowed.reason.indexOf(': ');
  return i >= 0 ? allowed.reason.slice(i + 2) : allowed.reason;
}

function ActionButton({ label, icon, allowed, onClick, primary, compact }: { label: string; icon: ReactNode; allowed: Allowed; onClick: () => void; primary?: boolean; compact?: boolean }) {
  if (compact) {
    // the name (or why it is disabled) in the tooltip
    return (
      <Tooltip title={allowed.ok ? label : allowed.reason}>
        <span>
          <IconButton size="small" color={primary ? 'primary' : 'default'} aria-label={label} onClick={onClick} disabled={!allowed.ok}>
            {icon}
          </IconButton>
        </span>
      </Tooltip>
    );
  }
  const button = (
    <Button size="small" variant={primary ? 'contained' : 'text'} startIcon={icon} onClick={onClick} disabled={!allowed.ok} sx={{ whiteSpace: 'nowrap', flexShrink: 0 }}>
      {label}
    </Button>
  );
  if (allowed.ok) return button;
  return (
    <Tooltip title={allowed.reason}>
      <span>{button}</span>
    </Tooltip>
  );
}

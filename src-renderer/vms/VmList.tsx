// The VM list on the left: a search box and a listbox of the VMs in their groups (folded and unfolded
// with the group's button), navigable with the arrow keys, Home and End. Only the rows in view are
// rendered (a small windowing of our own over fixed row heights, listModel.ts), and a new list is
// merged as a diff: a VM whose summary did not change keeps its row, so a state change renders one row.
// Ctrl-click and Shift-click (or the row's checkbox) tick several VMs for the bulk bar; VMs are dragged
// onto a group (or onto a VM of that group) to move them there, onto the empty space below to ungroup.
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import ChevronRightIcon from '@mui/icons-material/ChevronRight';
import FolderIcon from '@mui/icons-material/Folder';
import SearchIcon from '@mui/icons-material/Search';
import { guestLine } from './guestIntegration.js';
import { Alert, Box, ButtonBase, Checkbox, Chip, InputAdornment, LinearProgress, ListItemAvatar, ListItemButton, ListItemText, Stack, TextField, Typography } from '@mui/material';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent, type MouseEvent } from 'react';
import { OsIcon } from '../components/OsIcon.js';
import { StateChip } from '../components/StateChip.js';
import type { OsTypeInfo, VmSummary } from '../api/apiTypes.js';
import { osFamily } from '../components/format.js';
import { isListKey, nextSelection, osLabeller, searchAlso } from './vmList.js';
import { buildRows, mergeVms, rowOffsets, scrollToShow, tickAfterClick, visibleRange, vmIdsOf, type ListRow } from './listModel.js';
import { ROOT_GROUP } from '../../src-main/groups/rules.js';

const DRAG_TYPE = 'application/x-hangar-vms';

export interface VmListProps {
  vms: readonly VmSummary[];
  osTypes: readonly OsTypeInfo[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  /** VMs ticked for a bulk action */
  ticked: ReadonlySet<string>;
  onTickedChange: (ticked: Set<string>) => void;
  query: string;
  onQueryChange: (q: string) => void;
  loading: boolean;
  error: string | null;
  /** the Delete key on the selected VM */
  onDeleteKey?: (id: string) => void;
  /** right click, the ContextMenu key or Shift+F10: a menu for the VM at a point or under an element */
  onContextMenu?: (id: string, at: { x: number; y: number } | HTMLElement) => void;
  /** VMs dropped on a group */
  onMove?: (ids: string[], group: string) => void;
}

export function VmList({ vms, osTypes, selectedId, onSelect, ticked, onTickedChange, query, onQueryChange, loading, error, onDeleteKey, onContextMenu, onMove }: VmListProps) {
  // The diff: unchanged VMs keep their objects; the rows are built again only when the tree changes.
  const shown = useRef<VmSummary[]>([]);
  const structure = useRef(0);
  const merged = useMemo(() => {
    const m = mergeVms(shown.current, vms);
    if (m.structural || (query.trim() !== '' && m.changed.length)) structure.current++;
    shown.current = m.vms;
    return m.vms;
  }, [vms, query]);
  const byId = useMemo(() => new Map(merged.map((v) => [v.id, v])), [merged]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const osLabel = useMemo(() => osLabeller(osTypes), [osTypes]);
  const version = structure.current;
  // `version` stands for the tree of `merged` (it changes when the tree does)
  const rows = useMemo(() => buildRows(shown.current, { query, collapsed, osLabel, also: searchAlso }), [version, query, collapsed, osLabel]);
  const ids = useMemo(() => vmIdsOf(rows), [rows]);
  const offsets = useMemo(() => rowOffsets(rows), [rows]);

  // The window: what the viewport shows, measured.
  const viewport = useRef<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    setHeight(el.clientHeight || 800);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const { first, end } = visibleRange(offsets, scrollTop, height);

  const refs = useRef(new Map<string, HTMLDivElement>());
  const focusWanted = useRef<string | null>(null);
  const focusable = selectedId !== null && byId.has(selectedId) ? selectedId : (ids[0] ?? null);
  const current = selectedId !== null && ids.includes(selectedId) ? selectedId : null;

  /** Scrolls a VM's row into view; focuses it once it is rendered. */
  const reveal = useCallback(
    (id: string, focus: boolean) => {
      const i = rows.findIndex((r) => r.kind === 'vm' && r.id === id);
      const el = viewport.current;
      if (i < 0 || !el) return;
      const top = scrollToShow(offsets, i, el.scrollTop, el.clientHeight);
      if (top !== el.scrollTop) {
        el.scrollTop = top;
        setScrollTop(top);
      }
      if (focus) focusWanted.current = id;
    },
    [rows, offsets],
  );
  useEffect(() => {
    const id = focusWanted.current;
    if (id === null) return;
    const el = refs.current.get(id);
    if (el) {
      focusWanted.current = null;
      el.focus();
    }
  });

  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).getAttribute('role') !== 'option') return;
    if (current !== null && (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey))) {
      e.preventDefault();
      const el = refs.current.get(current);
      if (el) onContextMenu?.(current, el);
      return;
    }
    if (current !== null && e.key === 'Delete' && !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      onDeleteKey?.(current);
      return;
    }
    if (!isListKey(e.key)) return;
    e.preventDefault();
    const next = nextSelection(ids, current, e.key);
    if (next === null) return;
    onSelect(next);
    reveal(next, true);
  };

  // Row handlers read the latest props through a ref, so that rows keep the same callbacks (and stay memoised).
  const latest = useRef({ ticked, ids, selectedId, onSelect, onTickedChange, onContextMenu, onMove });
  latest.current = { ticked, ids, selectedId, onSelect, onTickedChange, onContextMenu, onMove };
  const anchor = useRef<string | null>(null);
  const handlers = useMemo<RowHandlers>(
    () => ({
      click(id, e) {
        const l = latest.current;
        const mods = { ctrl: e.ctrlKey || e.metaKey, shift: e.shiftKey };
        if (mods.ctrl || mods.shift) {
          e.preventDefault();
          l.onTickedChange(tickAfterClick(l.ticked, l.ids, anchor.current ?? l.selectedId, id, mods));
          if (!mods.shift) anchor.current = id;
          return;
        }
        anchor.current = id;
        if (l.ticked.size) l.onTickedChange(new Set());
        l.onSelect(id);
      },
      tick(id, on) {
        const l = latest.current;
        const next = new Set(l.ticked);
        if (on) next.add(id);
        else next.delete(id);
        anchor.current = id;
        l.onTickedChange(next);
      },
      contextMenu(id, e) {
        const l = latest.current;
        if (!l.onContextMenu) return;
        e.preventDefault();
        l.onSelect(id);
        refs.current.get(id)?.focus();
        l.onContextMenu(id, { x: e.clientX, y: e.clientY });
      },
      dragStart(id, e) {
        const l = latest.current;
        const moving = l.ticked.has(id) ? [...l.ticked] : [id];
        e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(moving));
        e.dataTransfer.setData('text/plain', moving.length === 1 ? (byIdRef.current.get(id)?.name ?? id) : `${moving.length} virtual machines`);
        e.dataTransfer.effectAllowed = 'move';
      },
      drop(group, e) {
        const raw = e.dataTransfer.getData(DRAG_TYPE);
        if (!raw) return;
        e.preventDefault();
        e.stopPropagation();
        setDropTarget(null);
        try {
          const moving = JSON.parse(raw) as unknown;
          if (Array.isArray(moving) && moving.every((x) => typeof x === 'string')) latest.current.onMove?.(moving, group);
        } catch {
          /* not ours */
        }
      },
      dragOver(group, e) {
        if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = 'move';
        setDropTarget(group);
      },
      ref(id, el) {
        if (el) refs.current.set(id, el);
        else refs.current.delete(id);
      },
    }),
    [],
  );
  const byIdRef = useRef(byId);
  byIdRef.current = byId;
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const toggle = useCallback((path: string) => {
    setCollapsed((c) => {
      const n = new Set(c);
      if (n.has(path)) n.delete(path);
      else n.add(path);
      return n;
    });
  }, []);

  const visible = rows.slice(first, end);
  return (
    <Stack sx={{ height: '100%', minHeight: 0 }}>
      <Box sx={{ p: 1.5, pb: 1 }}>
        <TextField
          size="small"
          fullWidth
          placeholder="Search name, tag, OS, notes"
          value={query}
          onChange={(e) => onQueryChange(e.target.value)}
          slotProps={{
            htmlInput: { 'aria-label': 'Search virtual machines' },
            input: {
              startAdornment: (
                <InputAdornment position="start">
                  <SearchIcon fontSize="small" />
                </InputAdornment>
              ),
            },
          }}
        />
      </Box>
      <Box sx={{ height: 2 }}>{loading && <LinearProgress aria-label="Loading virtual machines" />}</Box>
      {error && (
        <Alert severity="error" sx={{ m: 1 }}>
          {error}
        </Alert>
      )}
      <Box
        ref={viewport}
        role="listbox"
        aria-label="Virtual machines"
        aria-multiselectable="true"
        onKeyDown={onKeyDown}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onDragOver={(e) => handlers.dragOver(ROOT_GROUP, e)}
        onDragLeave={(e) => {
          if (e.currentTarget === e.target) setDropTarget(null);
        }}
        onDrop={(e) => handlers.drop(ROOT_GROUP, e)}
        sx={{ flex: 1, overflow: 'auto', position: 'relative', outline: dropTarget === ROOT_GROUP ? '2px dashed' : 'none', outlineColor: 'primary.main', outlineOffset: -3 }}
      >
        <Box sx={{ height: offsets[offsets.length - 1] ?? 0, position: 'relative' }}>
          {visible.map((row, k) => {
            const top = offsets[first + k]!;
            if (row.kind === 'group') return <GroupRow key={row.key} row={row} top={top} onToggle={toggle} handlers={handlers} dropping={dropTarget === row.path} />;
            const vm = byId.get(row.id);
            if (!vm) return null;
            return (
              <VmRow
                key={row.key}
                vm={vm}
                depth={row.depth}
                top={top}
                os={osLabel(vm.osType)}
                family={osFamily(vm.osType, osTypes)}
                selected={vm.id === selectedId}
                ticked={ticked.has(vm.id)}
                focusable={vm.id === focusable}
                handlers={handlers}
              />
            );
          })}
        </Box>
        {!loading && vms.length === 0 && !error && (
          <Typography variant="body2" color="text.secondary" sx={{ p: 2, textAlign: 'center' }}>
            No virtual machines yet.
          </Typography>
        )}
        {vms.length > 0 && ids.length === 0 && query.trim() !== '' && (
          <Typography variant="body2" color="text.secondary" sx={{ p: 2, textAlign: 'center' }}>
            No virtual machine matches “{query}”.
          </Typography>
        )}
      </Box>
    </Stack>
  );
}

interface RowHandlers {
  click(id: string, e: MouseEvent): void;
  tick(id: string, on: boolean): void;
  contextMenu(id: string, e: MouseEvent): void;
  dragStart(id: string, e: DragEvent): void;
  dragOver(group: string, e: DragEvent): void;
  drop(group: string, e: DragEvent): void;
  ref(id: string, el: HTMLDivElement | null): void;
}

const INDENT = 16;

const GroupRow = memo(function GroupRow({ row, top, onToggle, handlers, dropping }: { row: Extract<ListRow, { kind: 'group' }>; top: number; onToggle: (path: string) => void; handlers: RowHandlers; dropping: boolean }) {
  return (
    <Box
      role="none"
      data-group={row.path}
      onDragOver={(e) => handlers.dragOver(row.path, e)}
      onDrop={(e) => handlers.drop(row.path, e)}
      sx={{ position: 'absolute', top, left: 0, right: 0, height: 34, px: 1, pl: 1 + (row.depth * INDENT) / 8 }}
    >
      <ButtonBase
        aria-expanded={!row.collapsed}
        aria-label={`Group ${row.path}`}
        title={row.path}
        onClick={() => onToggle(row.path)}
        sx={{
          width: '100%',
          height: 32,
          justifyContent: 'flex-start',
          borderRadius: 1,
          gap: 0.5,
          px: 0.5,
          bgcolor: dropping ? 'action.selected' : 'transparent',
          outline: dropping ? '2px dashed' : 'none',
          outlineColor: 'primary.main',
          '&:hover': { bgcolor: 'action.hover' },
        }}
      >
        {row.collapsed ? <ChevronRightIcon fontSize="small" /> : <ExpandMoreIcon fontSize="small" />}
        <FolderIcon fontSize="small" color="action" />
        <Typography variant="body2" noWrap sx={{ fontWeight: 600, flex: 1, textAlign: 'left', minWidth: 0 }}>
          {row.name}
        </Typography>
        <Typography variant="caption" color="text.secondary" sx={{ pr: 0.5 }}>
          {row.count}
        </Typography>
      </ButtonBase>
    </Box>
  );
});

const VmRow = memo(function VmRow({
  vm,
  depth,
  top,
  os,
  family,
  selected,
  ticked,
  focusable,
  handlers,
}: {
  vm: VmSummary;
  depth: number;
  top: number;
  os: string;
  family: ReturnType<typeof osFamily>;
  selected: boolean;
  ticked: boolean;
  focusable: boolean;
  handlers: RowHandlers;
}) {
  return (
    <Box sx={{ position: 'absolute', top, left: 0, right: 0, height: 60, px: 1, pl: 1 + (depth * INDENT) / 8 }}>
      <ListItemButton
        ref={(el: HTMLDivElement | null) => handlers.ref(vm.id, el)}
        role="option"
        aria-selected={selected}
        aria-label={vm.name}
        tabIndex={focusable ? 0 : -1}
        selected={selected || ticked}
        draggable
        onDragStart={(e) => handlers.dragStart(vm.id, e)}
        onDragOver={(e) => handlers.dragOver(vm.group, e)}
        onDrop={(e) => handlers.drop(vm.group, e)}
        onClick={(e) => handlers.click(vm.id, e)}
        onContextMenu={(e) => handlers.contextMenu(vm.id, e)}
        sx={{ borderRadius: 1, height: 56, alignItems: 'center', pl: 0.5 }}
      >
        <Checkbox
          size="small"
          checked={ticked}
          tabIndex={-1}
          onClick={(e) => e.stopPropagation()}
          onChange={(e) => handlers.tick(vm.id, e.target.checked)}
          slotProps={{ input: { 'aria-label': `Select ${vm.name}` } }}
          sx={{ p: 0.5, mr: 0.5 }}
        />
        <ListItemAvatar sx={{ minWidth: 44 }}>
          <OsIcon family={family} />
        </ListItemAvatar>
        <ListItemText
          primary={
            <Box component="span" sx={{ display: 'flex', alignItems: 'center', gap: 0.5, minWidth: 0 }}>
              <Box component="span" sx={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', fontWeight: 500 }} title={vm.name}>
                {vm.name}
              </Box>
              {vm.tags.slice(0, 3).map((t) => (
                <Chip key={t} label={t} size="small" variant="outlined" data-testid="vm-tag" sx={{ height: 18, fontSize: 11, flexShrink: 0, '& .MuiChip-label': { px: 0.75 } }} />
              ))}
              {vm.tags.length > 3 && (
                <Typography component="span" variant="caption" color="text.secondary" title={vm.tags.join(', ')}>
                  +{vm.tags.length - 3}
                </Typography>
              )}
            </Box>
          }
          secondary={guestLine(vm.guest) ?? `${vm.accelerator.toUpperCase()} · ${os}${vm.ipAddresses?.length ? ` · ${vm.ipAddresses.join(', ')}` : ''}`}
          slotProps={{ primary: { component: 'div' }, secondary: { noWrap: true } }}
          sx={{ minWidth: 0, mr: 1 }}
        />
        <StateChip state={vm.state} />
      </ListItemButton>
    </Box>
  );
});

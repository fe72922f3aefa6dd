// The snapshot tree: a WAI-ARIA `tree` of flat rows (aria-level, aria-setsize, aria-posinset) laid
// out by snapshotTree.ts. Hundreds of rows must mount and re-render quickly, so rows are plain
// elements with class names styled once on the tree (no styled component per row), memoised, and
// skipped by the browser while off screen (`content-visibility`); one shared tooltip serves every
// row. Every node stays in the document, for assistive technology and tests.
import { Box, Tooltip } from '@mui/material';
import { alpha, useTheme, type Theme } from '@mui/material/styles';
import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { formatDateTime } from '../components/format.js';
import { formatBytes } from '../components/size.js';
import { isTreeKey, MAX_INDENT, treeMove, sameRow, type SnapshotRow } from './snapshotTree.js';
import { SnapshotThumbnail } from './Thumbnail.js';

export const ROW_HEIGHT = 40;
export const AGE_WIDTH = 108;
export const SIZE_WIDTH = 84;
/**
 * Container queries on the snapshot pane (SnapshotsView makes it a size container): the columns
 * that give way first when the pane is narrow, for the header and the rows alike.
 */
export const NARROW_RULES = {
  '@container snapshots (max-width: 620px)': { '& .st-size': { display: 'none' } },
  '@container snapshots (max-width: 480px)': { '& .st-thumb': { display: 'none' } },
} as const;
/** one indentation step: a child's marker sits this far right of its parent's */
const STEP = 20;
const MARKER = 22;
const THUMB = 40;

export interface SnapshotTreeProps {
  vmId: string;
  rows: readonly SnapshotRow[];
  selected: string | null;
  currentStateChanged: boolean;
  /** age text per row id (changes once a minute at most) */
  ages: ReadonlyMap<string, string>;
  /** accessible description per row id */
  descriptions: ReadonlyMap<string, string>;
  onSelect: (id: string) => void;
  onToggle: (id: string, expand: boolean) => void;
  /** Enter: restore; Delete: delete; F2: edit */
  onKeyAction: (action: 'restore' | 'delete' | 'edit', row: SnapshotRow) => void;
  /** right click, the ContextMenu key or Shift+F10 */
  onContextMenu: (row: SnapshotRow, at: { x: number; y: number } | HTMLElement) => void;
  /** takes the room left (false: only as tall as its rows, for a note below) */
  fill?: boolean;
}

/** The styles of every row, resolved once per theme. */
function treeStyles(t: Theme) {
  const line = t.palette.mode === 'dark' ? alpha(t.palette.common.white, 0.28) : alpha(t.palette.common.black, 0.25);
  const badge = { display: 'inline-flex', alignItems: 'center', flexShrink: 0, height: 20, px: 1, borderRadius: '10px', fontSize: '0.72rem', lineHeight: 1, border: 1, whiteSpace: 'nowrap' };
  return {
    flex: 1,
    minHeight: 0,
    overflow: 'auto',
    py: 0.5,
    '& .st-row': {
      ...t.typography.body2,
      display: 'flex',
      alignItems: 'center',
      height: ROW_HEIGHT,
      pr: 1.5,
      pl: 1,
      cursor: 'default',
      userSelect: 'none',
      contentVisibility: 'auto',
      containIntrinsicSize: `auto ${ROW_HEIGHT}px`,
      outline: 'none',
      '&:hover': { bgcolor: 'action.hover' },
      '&[aria-selected="true"]': { bgcolor: 'action.selected' },
      '&:focus-visible': { boxShadow: `inset 0 0 0 2px ${t.palette.primary.main}` },
    },
    '& .st-gutter': { position: 'relative', flexShrink: 0, height: ROW_HEIGHT },
    '& .st-gutter > svg': { position: 'absolute', inset: 0, display: 'block', stroke: line, strokeWidth: 2, fill: 'none' },
    '& .st-marker': {
      position: 'absolute',
      top: (ROW_HEIGHT - MARKER) / 2,
      width: MARKER,
      height: MARKER,
      borderRadius: '50%',
      display: 'flex',
      alignItems: 'center',
      justifyContent: 'center',
      boxSizing: 'border-box',
      '& svg': { display: 'block' },
    },
    '& .st-marker.disk': { bgcolor: 'background.paper', color: 'primary.main', border: 2, borderColor: 'primary.main' },
    '& .st-marker.live': { bgcolor: 'success.main', color: 'success.contrastText', '& .lens': { stroke: t.palette.success.main } },
    '& .st-marker.here': { bgcolor: 'secondary.main', color: 'secondary.contrastText' },
    '& .st-marker.here.changed': { boxShadow: `0 0 0 3px ${alpha(t.palette.warning.main, 0.45)}` },
    '& .st-marker.current': { outline: `2px solid ${alpha(t.palette.secondary.main, 0.7)}`, outlineOffset: 1 },
    '& .st-toggle': {
      width: 20,
      height: 20,
      flexShrink: 0,
      display: 'inline-flex',
      alignItems: 'center',
      justifyContent: 'center',
      borderRadius: 1,
      color: 'text.secondary',
      '& svg': { transition: 'transform 120ms' },
    },
    '& .st-toggle.on': { cursor: 'pointer', '&:hover': { bgcolor: 'action.hover', color: 'text.primary' } },
    '& .st-toggle.open svg': { transform: 'rotate(90deg)' },
    '& .st-main': { minWidth: 0, flex: 1, display: 'flex', alignItems: 'center', gap: 0.75, ml: 0.5 },
    // The name keeps its whole width first: the description gives way before it does.
    '& .st-name': { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', flex: '0 1 auto', minWidth: '3ch' },
    '& .st-name.bold': { fontWeight: 600 },
    '& .st-name.here': { color: 'secondary.main' },
    '& .st-desc': { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', flex: '1 100000 0', minWidth: 0, ml: 0.5, color: 'text.secondary', fontSize: '0.8rem' },
    '& .st-badge': badge,
    '& .st-badge.live': { color: 'success.main', borderColor: alpha(t.palette.success.main, 0.6) },
    '& .st-badge.here': { bgcolor: 'secondary.main', color: 'secondary.contrastText', borderColor: 'transparent' },
    '& .st-badge.changed': { color: 'warning.main', borderColor: alpha(t.palette.warning.main, 0.7) },
    '& .st-badge.count': { color: 'text.secondary', borderColor: 'divider' },
    '& .st-badge.level': { color: 'text.secondary', borderColor: 'divider', borderStyle: 'dashed' },
    '& .st-thumb': { width: THUMB + 12, flexShrink: 0, display: 'flex', justifyContent: 'center' },
    '& .st-age': { width: AGE_WIDTH, flexShrink: 0, textAlign: 'right', color: 'text.secondary', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' },
    '& .st-size': { width: SIZE_WIDTH, flexShrink: 0, textAlign: 'right', color: 'text.secondary', whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' },
    // A narrow window: the name first; the thumbnail and size are in the details under the tree.
    [t.breakpoints.down('md')]: { '& .st-thumb, & .st-size': { display: 'none' } },
  } as const;
}

export function SnapshotTree({ vmId, rows, selected, currentStateChanged, ages, descriptions, onSelect, onToggle, onKeyAction, onContextMenu, fill = true }: SnapshotTreeProps) {
  const theme = useTheme();
  const styles = useMemo(() => treeStyles(theme), [theme]);
  const refs = useRef(new Map<string, HTMLDivElement>());
  const register = useCallback((id: string, el: HTMLDivElement | null) => {
    if (el) refs.current.set(id, el);
    else refs.current.delete(id);
  }, []);
  const thumbs = rows.some((r) => r.item?.hasThumbnail);
  const focusable = selected !== null && rows.some((r) => r.id === selected) ? selected : (rows[0]?.id ?? null);
  const typeahead = useRef({ text: '', at: 0 });
  const [tip, setTip] = useState<{ el: HTMLElement; text: string } | null>(null);
  // the text stays while the tooltip fades out
  const lastTip = useRef('');
  if (tip) lastTip.current = tip.text;

  const focusRow = (id: string) => {
    const el = refs.current.get(id);
    el?.focus({ preventScroll: true });
    el?.scrollIntoView({ block: 'nearest' });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    setTip(null);
    const row = rows.find((r) => r.id === selected) ?? null;
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      const el = row ? refs.current.get(row.id) : undefined;
      if (row && el) onContextMenu(row, el);
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (isTreeKey(e.key)) {
      e.preventDefault();
      const page = Math.max(1, Math.floor((e.currentTarget.clientHeight || ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
      const move = treeMove(rows, selected, e.key, page);
      if (!move) return;
      if ('select' in move) {
        onSelect(move.select);
        focusRow(move.select);
      } else if ('expand' in move) onToggle(move.expand, true);
      else onToggle(move.collapse, false);
      return;
    }
    if (!row) return;
    const action = e.key === 'Enter' ? 'restore' : e.key === 'Delete' ? 'delete' : e.key === 'F2' ? 'edit' : null;
    if (action) {
      e.preventDefault();
      if (row.kind === 'snapshot') onKeyAction(action, row);
      return;
    }
    // Type to find: the next row whose name starts with the typed letters.
    if (e.key.length === 1 && e.key !== ' ') {
      const t = typeahead.current;
      t.text = e.timeStamp - t.at > 700 ? e.key : t.text + e.key;
      t.at = e.timeStamp;
      const q = t.text.toLowerCase();
      const start = rows.findIndex((r) => r.id === selected);
      // a new search starts after the selection; a longer one may stay on it
      const from = t.text.length > 1 ? Math.max(0, start) : start + 1;
      for (let k = 0; k < rows.length; k++) {
        const r = rows[(from + k) % rows.length]!;
        if (r.name.toLowerCase().startsWith(q)) {
          onSelect(r.id);
          focusRow(r.id);
          break;
        }
      }
    }
  };

  // One tooltip for the whole tree, on whatever element with a data-tip (a text, or a time shown in
  // full) the pointer is over; times are formatted only then, as formatting hundreds is slow.
  const onMouseOver = (e: MouseEvent) => {
    const el = (e.target as HTMLElement).closest<HTMLElement>('[data-tip], [data-time]');
    if (el === (tip?.el ?? null)) return;
    setTip(el ? { el, text: el.dataset.tip ?? formatDateTime(el.dataset.time ?? '') } : null);
  };

  return (
    <Box role="tree" aria-label="Snapshots" onKeyDown={onKeyDown} onMouseOver={onMouseOver} onMouseLeave={() => setTip(null)} sx={[styles, !fill && { flex: '0 0 auto' }]}>
      {rows.map((row) => (
        <Row
          key={row.id}
          vmId={vmId}
          row={row}
          thumbs={thumbs}
          selected={row.id === selected}
          focusable={row.id === focusable}
          age={ages.get(row.id) ?? ''}
          description={descriptions.get(row.id) ?? ''}
          changed={currentStateChanged}
          register={register}
          onSelect={onSelect}
          onToggle={onToggle}
          onContextMenu={onContextMenu}
        />
      ))}
      <Tooltip open={tip !== null} title={tip?.text ?? lastTip.current} placement="top" disableInteractive slotProps={{ popper: { anchorEl: tip?.el ?? null } }}>
        <span style={{ display: 'none' }} />
      </Tooltip>
    </Box>
  );
}

interface RowProps {
  vmId: string;
  row: SnapshotRow;
  thumbs: boolean;
  selected: boolean;
  focusable: boolean;
  age: string;
  description: string;
  changed: boolean;
  register: (id: string, el: HTMLDivElement | null) => void;
  onSelect: (id: string) => void;
  onToggle: (id: string, expand: boolean) => void;
  onContextMenu: (row: SnapshotRow, at: { x: number; y: number } | HTMLElement) => void;
}

const LIVE_TIP = 'Taken while running: restoring it brings the VM back running at that moment';
const CHANGED_TIP = 'The current state has changes that no snapshot holds: restoring a snapshot discards them';

const Row = memo(
  function Row({ vmId, row, thumbs, selected, focusable, age, description, changed, register, onSelect, onToggle, onContextMenu }: RowProps) {
    const item = row.item;
    const here = row.kind === 'current';
    return (
      <div
        ref={(el) => register(row.id, el)}
        className="st-row"
        role="treeitem"
        aria-label={row.name}
        aria-description={description}
        aria-level={row.level}
        aria-setsize={row.setSize}
        aria-posinset={row.posInSet}
        aria-expanded={row.expandable ? row.expanded : undefined}
        aria-selected={selected}
        aria-current={row.isCurrentSnapshot ? 'true' : undefined}
        tabIndex={focusable ? 0 : -1}
        onClick={() => onSelect(row.id)}
        onContextMenu={(e) => {
          e.preventDefault();
          onSelect(row.id);
          onContextMenu(row, { x: e.clientX, y: e.clientY });
        }}
      >
        <Gutter row={row} changed={changed} />
        <span
          aria-hidden
          className={`st-toggle${row.expandable ? ' on' : ''}${row.expanded ? ' open' : ''}`}
          onClick={(e) => {
            if (!row.expandable) return;
            e.stopPropagation();
            onToggle(row.id, !row.expanded);
          }}
        >
          {row.expandable && (
            <svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
              <path d="M6 3.5 10.5 8 6 12.5" />
            </svg>
          )}
        </span>
        <span className="st-main">
          <span className={`st-name${here || row.isCurrentSnapshot ? ' bold' : ''}${here ? ' here' : ''}`} data-tip={row.name}>
            {row.name}
          </span>
          {here && <span className="st-badge here">You are here</span>}
          {here && changed && (
            <span className="st-badge changed" data-tip={CHANGED_TIP}>
              changed
            </span>
          )}
          {item?.live && (
            <span className="st-badge live" data-tip={LIVE_TIP}>
              live
            </span>
          )}
          {row.hiddenCount > 0 && <span className="st-badge count">+{row.hiddenCount}</span>}
          {row.level - 1 > MAX_INDENT && (
            <span className="st-badge level" data-tip={`Level ${row.level} of the tree: deeper levels are not indented further`}>
              level {row.level}
            </span>
          )}
          {item?.description && <span className="st-desc">{item.description}</span>}
        </span>
        {thumbs && <span className="st-thumb">{item?.hasThumbnail && <SnapshotThumbnail vmId={vmId} snapshotId={item.id} name={item.name} width={THUMB} />}</span>}
        <span className="st-age">{item && <span data-time={item.createdAt}>{age}</span>}</span>
        <span className="st-size">{item?.sizeBytes !== undefined ? formatBytes(item.sizeBytes) : ''}</span>
      </div>
    );
  },
  (a, b) =>
    sameRow(a.row, b.row) &&
    a.vmId === b.vmId &&
    a.thumbs === b.thumbs &&
    a.selected === b.selected &&
    a.focusable === b.focusable &&
    a.age === b.age &&
    a.description === b.description &&
    a.changed === b.changed &&
    a.register === b.register &&
    a.onSelect === b.onSelect &&
    a.onToggle === b.onToggle &&
    a.onContextMenu === b.onContextMenu,
);

/** The tree guides (columns 0..indent-1) and the node's marker in column `indent`. */
function Gutter({ row, changed }: { row: SnapshotRow; changed: boolean }) {
  const width = row.indent * STEP + MARKER;
  const mid = ROW_HEIGHT / 2;
  const r = MARKER / 2;
  // the centre of the marker of a node in column c (its children's guides run down from it)
  const x = (c: number) => c * STEP + r;
  const here = row.kind === 'current';
  const kind = here ? `here${changed ? ' changed' : ''}` : row.item?.live ? 'live' : 'disk';
  return (
    <span className="st-gutter" aria-hidden style={{ width }}>
      <svg width={width} height={ROW_HEIGHT}>
        {row.guides.map((g, c) => {
          if (g === 'blank') return null;
          if (g === 'line') return <line key={c} x1={x(c)} y1={0} x2={x(c)} y2={ROW_HEIGHT} />;
          // this row's joint to its parent: down from the parent, then across to the marker
          const across = `M ${x(c)} ${mid - 6} Q ${x(c)} ${mid} ${x(c) + 6} ${mid} L ${x(row.indent) - r} ${mid}`;
          return g === 'tee' ? (
            <g key={c}>
              <line x1={x(c)} y1={0} x2={x(c)} y2={ROW_HEIGHT} />
              <path d={across} />
            </g>
          ) : (
            <path key={c} d={`M ${x(c)} 0 L ${x(c)} ${mid - 6} ${across.slice(across.indexOf('Q'))}`} />
          );
        })}
        {row.stemUp && <line x1={x(row.indent)} y1={0} x2={x(row.indent)} y2={mid - r} />}
        {row.stemDown && <line x1={x(row.indent)} y1={mid + r} x2={x(row.indent)} y2={ROW_HEIGHT} />}
      </svg>
      <span className={`st-marker ${kind}${row.isCurrentSnapshot ? ' current' : ''}`} style={{ left: x(row.indent) - r }}>
        {here ? <HereIcon /> : <CameraIcon filled={row.item?.live ?? false} />}
      </span>
    </span>
  );
}

function CameraIcon({ filled }: { filled: boolean }) {
  return (
    <svg width="13" height="13" viewBox="0 0 16 16" fill={filled ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round">
      <path d="M2 5.5h2.6l1.2-2h4.4l1.2 2H14v7.5H2z" />
      <circle className="lens" cx="8" cy="9" r="2.3" fill="none" />
    </svg>
  );
}

function HereIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round">
      <circle cx="8" cy="8" r="4.2" />
      <circle cx="8" cy="8" r="1.6" fill="currentColor" stroke="none" />
      <path d="M8 1v2.2M8 12.8V15M1 8h2.2M12.8 8H15" />
    </svg>
  );
}

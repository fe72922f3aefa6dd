// The VM list on the left: a search box and a listbox navigable with the arrow keys, Home and End.
import SearchIcon from '@mui/icons-material/Search';
import { guestLine } from './guestIntegration.js';
import { Alert, Box, InputAdornment, LinearProgress, ListItemAvatar, ListItemButton, ListItemText, Stack, TextField, Typography } from '@mui/material';
import { useRef, type KeyboardEvent } from 'react';
import { OsIcon } from '../components/OsIcon.js';
import { StateChip } from '../components/StateChip.js';
import type { OsTypeInfo, VmSummary } from '../api/apiTypes.js';
import { osFamily } from '../components/format.js';
import { isListKey, nextSelection } from './vmList.js';

export interface VmListProps {
  vms: readonly VmSummary[];
  total: number;
  osTypes: readonly OsTypeInfo[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  query: string;
  onQueryChange: (q: string) => void;
  loading: boolean;
  error: string | null;
  /** the Delete key on the selected VM */
  onDeleteKey?: (id: string) => void;
  /** right click, the ContextMenu key or Shift+F10: a menu for the VM at a point or under an element */
  onContextMenu?: (id: string, at: { x: number; y: number } | HTMLElement) => void;
}

export function VmList({ vms, total, osTypes, selectedId, onSelect, query, onQueryChange, loading, error, onDeleteKey, onContextMenu }: VmListProps) {
  const refs = useRef(new Map<string, HTMLDivElement>());
  const ids = vms.map((v) => v.id);
  const focusable = selectedId !== null && ids.includes(selectedId) ? selectedId : (ids[0] ?? null);

  const current = selectedId !== null && ids.includes(selectedId) ? selectedId : null;
  const onKeyDown = (e: KeyboardEvent) => {
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
    const next = nextSelection(ids, selectedId !== null && ids.includes(selectedId) ? selectedId : null, e.key);
    if (next === null) return;
    onSelect(next);
    refs.current.get(next)?.focus();
  };

  return (
    <Stack sx={{ height: '100%', minHeight: 0 }}>
      <Box sx={{ p: 1.5, pb: 1 }}>
        <TextField
          size="small"
          fullWidth
          placeholder="Search"
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
      <Box role="listbox" aria-label="Virtual machines" onKeyDown={onKeyDown} sx={{ flex: 1, overflow: 'auto', px: 1, pb: 1 }}>
        {vms.map((vm) => {
          const os = osTypes.find((o) => o.id === vm.osType);
          const selected = vm.id === selectedId;
          return (
            <ListItemButton
              key={vm.id}
              ref={(el: HTMLDivElement | null) => {
                if (el) refs.current.set(vm.id, el);
                else refs.current.delete(vm.id);
              }}
              role="option"
              aria-selected={selected}
              aria-label={vm.name}
              tabIndex={vm.id === focusable ? 0 : -1}
              selected={selected}
              onClick={() => onSelect(vm.id)}
              onContextMenu={(e) => {
                if (!onContextMenu) return;
                e.preventDefault();
                onSelect(vm.id);
                refs.current.get(vm.id)?.focus();
                onContextMenu(vm.id, { x: e.clientX, y: e.clientY });
              }}
              sx={{ borderRadius: 1, mb: 0.5, alignItems: 'center' }}
            >
              <ListItemAvatar sx={{ minWidth: 48 }}>
                <OsIcon family={osFamily(vm.osType, osTypes)} />
              </ListItemAvatar>
              <ListItemText
                primary={vm.name}
                secondary={guestLine(vm.guest) ?? `${vm.accelerator.toUpperCase()} · ${os?.label ?? vm.osType}${vm.ipAddresses?.length ? ` · ${vm.ipAddresses.join(', ')}` : ''}`}
                slotProps={{ primary: { noWrap: true, title: vm.name, sx: { fontWeight: 500 } }, secondary: { noWrap: true } }}
                sx={{ minWidth: 0, mr: 1 }}
              />
              <StateChip state={vm.state} />
            </ListItemButton>
          );
        })}
        {!loading && total === 0 && !error && (
          <Typography variant="body2" color="text.secondary" sx={{ p: 2, textAlign: 'center' }}>
            No virtual machines yet.
          </Typography>
        )}
        {total > 0 && vms.length === 0 && (
          <Typography variant="body2" color="text.secondary" sx={{ p: 2, textAlign: 'center' }}>
            No virtual machine matches “{query}”.
          </Typography>
        )}
      </Box>
    </Stack>
  );
}

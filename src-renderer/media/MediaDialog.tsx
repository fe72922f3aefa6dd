// The Media view (VirtualBox's Virtual Media Manager): every disk image and ISO the home knows, with
// its sizes, format, chain and users, the same list as `hangar media list`; an "Only unused" filter;
// Resize… and Compact for the current disk of a VM (compact is a task: progress and Cancel).
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  LinearProgress,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
} from '@mui/material';
import { useId, useState } from 'react';
import { useApiQuery, useEvent, useTask } from '../api/hooks.js';
import { formatSize } from '../../src-vmm/storage/size.js';
import { currentDiskOf, usersOf } from '../../src-main/media/describe.js';
import type { MediaItem } from '../../src-main/media/schemas.js';
import { ResizeDiskDialog, type ResizeTarget } from './ResizeDiskDialog.js';

export function MediaDialog({ open, onClose, vmStates }: { open: boolean; onClose: () => void; vmStates: ReadonlyMap<string, string> }) {
  return open ? <MediaBody onClose={onClose} vmStates={vmStates} /> : null;
}

const ROLE_LABELS: Record<MediaItem['role'], string> = {
  disk: 'VM disk',
  frozen: 'Snapshot',
  base: 'Clone base',
  library: 'Library',
  iso: 'ISO',
  usb: 'USB stick',
  unknown: 'Other',
};

function MediaBody({ onClose, vmStates }: { onClose: () => void; vmStates: ReadonlyMap<string, string> }) {
  const titleId = useId();
  const [unused, setUnused] = useState(false);
  const list = useApiQuery('media.list', { unused }, [unused]);
  useEvent('inventory.changed', () => list.reload());
  const compact = useTask('disk.compact');
  const [resizing, setResizing] = useState<ResizeTarget | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const media = list.data?.media ?? [];
  const running = (vmId: string) => ['running', 'paused', 'starting', 'stopping'].includes(vmStates.get(vmId) ?? '');

  const runCompact = async (m: MediaItem) => {
    const target = currentDiskOf(m)!;
    setNotice(null);
    const r = await compact.run({ ref: target.vmId, disk: target.disk });
    if (r) setNotice(`${target.disk} of “${target.vm}” compacted: ${formatSize(r.beforeAllocatedBytes)} → ${formatSize(r.afterAllocatedBytes)} on disk.`);
    list.reload();
  };

  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="lg" fullWidth>
      <DialogTitle id={titleId}>Media</DialogTitle>
      <DialogContent dividers sx={{ minHeight: 420 }}>
        <Stack spacing={2}>
          <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
            <Typography variant="body2" color="text.secondary">
              Every disk image and ISO Hangar knows: its chain of images, and the VMs and snapshots that use it.
            </Typography>
            <FormControlLabel control={<Switch checked={unused} onChange={(e) => setUnused(e.target.checked)} />} label="Only unused" />
          </Stack>
          {notice && (
            <Alert severity="success" role="status" onClose={() => setNotice(null)}>
              {notice}
            </Alert>
          )}
          {compact.running && (
            <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }} aria-label="Compacting">
              <LinearProgress variant="determinate" value={Math.round((compact.progress?.fraction ?? 0) * 100)} sx={{ flex: 1 }} aria-label="Compacting progress" />
              <Button size="small" onClick={compact.cancel}>
                Cancel
              </Button>
            </Stack>
          )}
          {compact.error && compact.error.code !== 'CANCELLED' && (
            <Alert severity="error" role="alert" onClose={compact.reset}>
              {compact.error.message}
            </Alert>
          )}
          {list.loading && !list.data ? (
            <LinearProgress aria-label="Loading the media" />
          ) : list.error ? (
            <Alert severity="error">{list.error.message}</Alert>
          ) : media.length === 0 ? (
            <Typography variant="body2" color="text.secondary">
              {unused ? 'No unused images: everything in Hangar’s home is used.' : 'No disk images or ISOs yet.'}
            </Typography>
          ) : (
            <Table size="small" aria-label="Media">
              <TableHead>
                <TableRow>
                  <TableCell>Image</TableCell>
                  <TableCell>Kind</TableCell>
                  <TableCell>Format</TableCell>
                  <TableCell align="right">Size</TableCell>
                  <TableCell align="right">On disk</TableCell>
                  <TableCell>Chain</TableCell>
                  <TableCell>Used by</TableCell>
                  <TableCell />
                </TableRow>
              </TableHead>
              <TableBody>
                {media.map((m) => {
                  const target = currentDiskOf(m);
                  const live = target ? running(target.vmId) : false;
                  const name = m.path.slice(m.path.lastIndexOf('/') + 1);
                  return (
                    <TableRow key={m.path} aria-label={name}>
                      <TableCell sx={{ maxWidth: 280 }}>
                        <Tooltip title={m.path}>
                          <Box component="span" sx={{ fontFamily: 'monospace', fontSize: '0.8rem', overflowWrap: 'anywhere' }}>
                            {name}
                          </Box>
                        </Tooltip>
                        {m.problem && (
                          <Typography variant="caption" color="error" sx={{ display: 'block' }}>
                            {m.problem}
                          </Typography>
                        )}
                      </TableCell>
                      <TableCell>{ROLE_LABELS[m.role]}</TableCell>
                      <TableCell>{m.format}</TableCell>
                      <TableCell align="right">{formatSize(m.virtualSizeBytes)}</TableCell>
                      <TableCell align="right">{formatSize(m.allocatedBytes)}</TableCell>
                      <TableCell>{m.chain.length > 1 ? `on ${m.chain.length - 1} image${m.chain.length > 2 ? 's' : ''}` : '—'}</TableCell>
                      <TableCell>{usersOf(m)}</TableCell>
                      <TableCell sx={{ whiteSpace: 'nowrap' }}>
                        {target && (
                          <>
                            <Button
                              size="small"
                              onClick={() =>
                                setResizing({
                                  vmRef: target.vmId,
                                  vm: target.vm,
                                  disk: target.disk,
                                  bus: 'virtio',
                                  currentBytes: m.virtualSizeBytes,
                                  running: live,
                                  snapshots: m.chain.length > 1 ? media.filter((x) => m.chain.includes(x.path) && x.role === 'frozen').flatMap((x) => x.snapshots.map((s) => s.slice(s.indexOf('/') + 1))) : [],
                                })
                              }
                            >
                              Resize…
                            </Button>
                            <Tooltip title={live ? 'Shut the VM down to compact its disk' : 'Rewrite the image without the blocks the guest freed'}>
                              <span>
                                <Button size="small" disabled={live || compact.running} onClick={() => void runCompact(m)}>
                                  Compact
                                </Button>
                              </span>
                            </Tooltip>
                          </>
                        )}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
      <ResizeDiskDialog target={resizing} onClose={() => setResizing(null)} onResized={() => list.reload()} />
    </Dialog>
  );
}

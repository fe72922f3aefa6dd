// The side panel of the Snapshots tab: the selected snapshot (or the current state) in words.
import { Box, Chip, Stack, Typography } from '@mui/material';
import { StateChip } from '../components/StateChip.js';
import type { VmSummary } from '../api/apiTypes.js';
import { formatDateTime } from '../components/format.js';
import { formatBytes } from '../components/size.js';
import { formatAge, type SnapshotRow, type SnapshotTree } from './snapshotTree.js';
import { Figures } from './parts.js';
import { SnapshotThumbnail } from './Thumbnail.js';

export function SnapshotDetails({ vm, row, tree, now }: { vm: VmSummary; row: SnapshotRow; tree: SnapshotTree; now: number }) {
  const item = row.item;
  if (!item) {
    const base = tree.currentSnapshotId ? tree.items.get(tree.currentSnapshotId) : undefined;
    return (
      <Stack spacing={1.5} sx={{ p: 2 }}>
        <Typography variant="subtitle1" component="h3" sx={{ fontWeight: 600 }}>
          Current state
        </Typography>
        <Stack direction="row" spacing={1}>
          <Chip size="small" color="secondary" label="You are here" />
          {tree.currentStateChanged && <Chip size="small" color="warning" variant="outlined" label="changed" />}
        </Stack>
        <Figures
          label="Current state"
          rows={[
            ['VM', <StateChip key="s" state={vm.state} />],
            ['Based on', base ? base.name : 'no snapshot'],
          ]}
        />
        <Typography variant="body2" color="text.secondary">
          {base
            ? tree.currentStateChanged
              ? `The VM has changed since “${base.name}”. Take a snapshot to keep this state.`
              : `Nothing has changed since “${base.name}”.`
            : 'Take a snapshot to keep this state; you can come back to it later.'}
        </Typography>
      </Stack>
    );
  }
  return (
    <Stack spacing={1.5} sx={{ p: 2 }}>
      <Typography variant="subtitle1" component="h3" sx={{ fontWeight: 600, overflowWrap: 'anywhere' }}>
        {item.name}
      </Typography>
      {(item.live || row.isCurrentSnapshot) && (
        <Stack direction="row" spacing={1}>
          {row.isCurrentSnapshot && <Chip size="small" color="secondary" variant="outlined" label="current snapshot" />}
          {item.live && <Chip size="small" color="success" variant="outlined" label="live" />}
        </Stack>
      )}
      {item.hasThumbnail && (
        <Box sx={{ alignSelf: 'flex-start' }}>
          <SnapshotThumbnail key={item.id} vmId={vm.id} snapshotId={item.id} name={item.name} width={264} />
        </Box>
      )}
      <Figures
        label="Snapshot"
        rows={[
          ['Taken', `${formatDateTime(item.createdAt)} (${formatAge(item.createdAt, now)})`],
          ['Holds', item.live ? 'the disks and the running state' : 'the disks'],
          ...(item.live && item.liveMethod ? ([['Guest paused', liveMethodText(item.liveMethod, item.pauseMs)]] as [string, string][]) : []),
          ['Own size', item.sizeBytes !== undefined ? formatBytes(item.sizeBytes) : 'unknown'],
          ['Based on', row.parentId && tree.items.get(row.parentId) ? tree.items.get(row.parentId)!.name : 'nothing (first snapshot)'],
        ]}
      />
      <Box>
        <Typography variant="caption" color="text.secondary" component="h4">
          Description
        </Typography>
        <Typography variant="body2" sx={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', color: item.description ? 'text.primary' : 'text.secondary' }}>
          {item.description || 'None. Edit the snapshot (F2) to add one.'}
        </Typography>
      </Box>
    </Stack>
  );
}

/** How a live snapshot's running state was saved, in words. */
export function liveMethodText(method: 'background' | 'paused', pauseMs: number | undefined): string {
  const pause = pauseMs === undefined ? '' : pauseMs < 1000 ? `${Math.round(pauseMs)} ms` : `${(pauseMs / 1000).toFixed(1)} s`;
  return method === 'background'
    ? `${pause ? `${pause}, ` : ''}for the disk switch only: the memory was saved while the guest ran`
    : `${pause ? `${pause}, ` : ''}while its memory was saved (this host does not allow saving it in the background)`;
}

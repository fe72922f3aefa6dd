// The bar over the VM list while VMs are ticked: start, stop, save, snapshot or delete them together
// (one call per VM, each its own task in the owner; a delete asks once, naming them), move them to a
// group, or clear the ticks. What could not be done is said in one notice.
import CameraAltIcon from '@mui/icons-material/CameraAlt';
import CloseIcon from '@mui/icons-material/Close';
import DeleteIcon from '@mui/icons-material/Delete';
import DriveFileMoveIcon from '@mui/icons-material/DriveFileMove';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import SaveIcon from '@mui/icons-material/Save';
import StopIcon from '@mui/icons-material/Stop';
import { Box, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, IconButton, List, ListItem, ListItemText, Toolbar, Tooltip, Typography } from '@mui/material';
import { useContext, useState, type ReactNode } from 'react';
import { useApi } from '../api/hooks.js';
import { useNotify } from '../app/notifications.js';
import type { VmSummary } from '../api/apiTypes.js';
import { BULK_LABELS, bulkCall, bulkSummary, planBulk, runBulk, type BulkAction } from './bulk.js';
import { GroupDialog, GroupsContext } from './GroupDialog.js';

export function BulkBar({ vms, online, onClear, onDone }: { vms: VmSummary[]; online: boolean; onClear: () => void; onDone: () => void }) {
  const api = useApi();
  const { notify } = useNotify();
  const groups = useContext(GroupsContext);
  const [busy, setBusy] = useState<BulkAction | null>(null);
  const [asking, setAsking] = useState<VmSummary[] | null>(null);
  const [moving, setMoving] = useState(false);

  const run = async (action: BulkAction, chosen = vms) => {
    const plan = planBulk(chosen, action);
    setBusy(action);
    try {
      const r = await runBulk(plan.run, (vm) => bulkCall(api, action, vm));
      notify({ severity: r.failed.length ? 'error' : plan.skip.length ? 'warning' : 'success', message: `${BULK_LABELS[action].verb}: ${bulkSummary(action, plan, r)}` });
    } finally {
      setBusy(null);
      onDone();
    }
  };
  const button = (action: BulkAction, icon: ReactNode, onClick: () => void) => {
    const n = planBulk(vms, action).run.length;
    return (
      <Tooltip title={n ? `${BULK_LABELS[action].verb} ${n} of ${vms.length}` : `None of them can: ${planBulk(vms, action).skip[0]?.reason ?? ''}`}>
        <span>
          <IconButton size="small" aria-label={`${BULK_LABELS[action].verb} selected`} disabled={!online || busy !== null || n === 0} onClick={onClick}>
            {icon}
          </IconButton>
        </span>
      </Tooltip>
    );
  };
  const deletable = planBulk(vms, 'delete');
  return (
    <Toolbar variant="dense" disableGutters role="toolbar" aria-label="Selected virtual machines" sx={{ px: 1, gap: 0.25, bgcolor: 'action.selected', minHeight: 40 }}>
      <Typography variant="body2" sx={{ fontWeight: 600, flex: 1, pl: 0.5 }} aria-live="polite">
        {vms.length} selected
      </Typography>
      {button('start', <PlayArrowIcon fontSize="small" />, () => void run('start'))}
      {button('stop', <StopIcon fontSize="small" />, () => void run('stop'))}
      {button('save', <SaveIcon fontSize="small" />, () => void run('save'))}
      {button('snapshot', <CameraAltIcon fontSize="small" />, () => void run('snapshot'))}
      {button('delete', <DeleteIcon fontSize="small" />, () => setAsking(deletable.run))}
      <Tooltip title="Move to group…">
        <span>
          <IconButton size="small" aria-label="Move selected to group…" disabled={!online || busy !== null} onClick={() => setMoving(true)}>
            <DriveFileMoveIcon fontSize="small" />
          </IconButton>
        </span>
      </Tooltip>
      <Tooltip title="Clear the selection">
        <IconButton size="small" aria-label="Clear selection" onClick={onClear}>
          <CloseIcon fontSize="small" />
        </IconButton>
      </Tooltip>
      <Dialog open={asking !== null} onClose={() => setAsking(null)} aria-labelledby="delete-many-title" maxWidth="xs" fullWidth>
        <DialogTitle id="delete-many-title">Delete {asking?.length ?? 0} virtual machines?</DialogTitle>
        <DialogContent>
          <DialogContentText>Each is removed from Hangar with its folder and the disk images Hangar created; images used in place stay where they are.</DialogContentText>
          <Box sx={{ maxHeight: 240, overflow: 'auto', mt: 1 }}>
            <List dense aria-label="Virtual machines to delete">
              {asking?.map((vm) => (
                <ListItem key={vm.id} disableGutters>
                  <ListItemText primary={vm.name} secondary={vm.group === '/' ? undefined : vm.group} />
                </ListItem>
              ))}
            </List>
          </Box>
          {deletable.skip.length > 0 && (
            <DialogContentText sx={{ mt: 1 }}>
              Not deleted: {deletable.skip.map((s) => s.reason).join(', ')}.
            </DialogContentText>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setAsking(null)}>Cancel</Button>
          <Button
            color="error"
            variant="contained"
            onClick={() => {
              const chosen = asking ?? [];
              setAsking(null);
              void run('delete', chosen);
            }}
          >
            Delete {asking?.length ?? 0}
          </Button>
        </DialogActions>
      </Dialog>
      <GroupDialog
        open={moving}
        names={vms.map((v) => v.name)}
        groups={groups}
        initial={vms.every((v) => v.group === vms[0]?.group) ? (vms[0]?.group ?? '/') : '/'}
        onClose={() => setMoving(false)}
        onMove={(group) => {
          setMoving(false);
          api.call('vm.organize', { refs: vms.map((v) => v.id), group }).then(
            () => notify({ severity: 'success', message: `Moved ${vms.length} virtual machines to ${group}.` }),
            (e: unknown) => notify({ severity: 'error', message: `Cannot move them: ${e instanceof Error ? e.message : String(e)}` }),
          );
        }}
      />
    </Toolbar>
  );
}

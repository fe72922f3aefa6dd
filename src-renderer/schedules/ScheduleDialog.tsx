// Scheduled snapshots of a VM (VMware's AutoProtect), from the Snapshots toolbar: how often and how many
// automatic snapshots to keep, or off. The same rules as the owner's (src-main/schedules/schedule.ts)
// say what is wrong before anything is sent; the owner's answer, when it refuses, is shown too.
import ScheduleIcon from '@mui/icons-material/Schedule';
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, IconButton, MenuItem, Stack, TextField, Tooltip } from '@mui/material';
import { useEffect, useState } from 'react';
import { OFFLINE_REASON, useApiQuery, useEvent, useOnline, useTask } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import { formatDateTime } from '../components/format.js';
import { MAX_KEEP, keepProblem, parseDuration } from '../../src-main/schedules/schedule.js';

const PRESETS = [
  { every: '30m', label: 'Every 30 minutes' },
  { every: '1h', label: 'Every hour' },
  { every: '2h', label: 'Every 2 hours' },
  { every: '6h', label: 'Every 6 hours' },
  { every: '12h', label: 'Every 12 hours' },
  { every: '1d', label: 'Daily' },
];

/** The toolbar button: what the schedule is, and the dialog that changes it. */
export function ScheduleButton({ vm, compact }: { vm: VmSummary; compact?: boolean }) {
  const q = useApiQuery('schedule.get', { ref: vm.id }, [vm.id]);
  const { reload } = q;
  useEvent('inventory.changed', (e) => (e.id === undefined || e.id === vm.id) && reload());
  const [open, setOpen] = useState(false);
  const online = useOnline();
  const s = q.data?.id === vm.id ? q.data.schedule : null;
  const label = s ? `Every ${s.every}, keep ${s.keep}` : 'Schedule';
  const title = !online ? OFFLINE_REASON : s ? `Scheduled snapshots: every ${s.every} while it runs, the last ${s.keep} kept; next ${formatDateTime(s.nextRunAt)}` : 'Take snapshots on a schedule';
  return (
    <>
      <Tooltip title={title}>
        <span>
          {compact ? (
            <IconButton size="small" aria-label="Scheduled snapshots" onClick={() => setOpen(true)} disabled={!online} color={s ? 'primary' : 'default'}>
              <ScheduleIcon />
            </IconButton>
          ) : (
            <Button size="small" startIcon={<ScheduleIcon />} onClick={() => setOpen(true)} disabled={!online} aria-label="Scheduled snapshots">
              {label}
            </Button>
          )}
        </span>
      </Tooltip>
      <ScheduleDialog open={open} vm={vm} schedule={s} onClose={() => setOpen(false)} onChanged={reload} />
    </>
  );
}

type Schedule = NonNullable<ReturnType<typeof useApiQuery<'schedule.get'>>['data']>['schedule'];

export function ScheduleDialog({ open, vm, schedule, onClose, onChanged }: { open: boolean; vm: VmSummary; schedule: Schedule; onClose: () => void; onChanged: () => void }) {
  const set = useTask('schedule.set');
  const off = useTask('schedule.off');
  const [every, setEvery] = useState('1h');
  const [keep, setKeep] = useState('5');
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (!open) return;
    set.reset();
    off.reset();
    setEvery(schedule?.every ?? '1h');
    setKeep(String(schedule?.keep ?? 5));
    setTouched(false);
    // filled in when the dialog opens
  }, [open]);

  const d = parseDuration(every);
  const everyIssue = d.ok ? null : d.message;
  const keepIssue = /^\d+$/.test(keep.trim()) ? keepProblem(Number(keep)) : `keep must be a whole number from 1 to ${MAX_KEEP}`;
  const save = async () => {
    setTouched(true);
    if (everyIssue || keepIssue) return;
    if (await set.run({ ref: vm.id, every: every.trim(), keep: Number(keep) })) {
      onChanged();
      onClose();
    }
  };
  const turnOff = async () => {
    if (await off.run({ ref: vm.id })) {
      onChanged();
      onClose();
    }
  };
  const busy = set.running || off.running;
  const preset = PRESETS.some((p) => p.every === every) ? every : '';
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} aria-labelledby="schedule-title" maxWidth="sm" fullWidth>
      <DialogTitle id="schedule-title">Scheduled snapshots of “{vm.name}”</DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2" sx={{ mb: 2 }}>
          While the VM runs, Hangar takes a snapshot at this interval (live, as Take snapshot does), names it “auto” with the date and time, and deletes the oldest automatic ones beyond the number to keep. Snapshots you take, and automatic ones you rename, are never deleted. A VM busy with
          another task is skipped that time, and the Tasks panel says why.
        </DialogContentText>
        <Stack spacing={2}>
          <Stack direction="row" spacing={2}>
            <TextField select label="Interval" value={preset} onChange={(e) => e.target.value && setEvery(e.target.value)} sx={{ minWidth: 200 }} slotProps={{ select: { displayEmpty: true } }}>
              {PRESETS.map((p) => (
                <MenuItem key={p.every} value={p.every}>
                  {p.label}
                </MenuItem>
              ))}
              <MenuItem value="" disabled>
                Other (below)
              </MenuItem>
            </TextField>
            <TextField
              label="Every"
              value={every}
              onChange={(e) => setEvery(e.target.value)}
              onBlur={() => setTouched(true)}
              error={touched && everyIssue !== null}
              helperText={touched && everyIssue ? everyIssue : '30m, 2h, 1d or 1h30m'}
              slotProps={{ htmlInput: { 'aria-label': 'Every' } }}
            />
          </Stack>
          <TextField
            label="Keep the last"
            value={keep}
            onChange={(e) => setKeep(e.target.value)}
            onBlur={() => setTouched(true)}
            error={touched && keepIssue !== null}
            helperText={touched && keepIssue ? keepIssue : 'automatic snapshots'}
            slotProps={{ htmlInput: { inputMode: 'numeric', 'aria-label': 'Keep the last' } }}
            sx={{ maxWidth: 200 }}
          />
          {schedule && (
            <Alert severity="info" variant="outlined">
              Next snapshot {formatDateTime(schedule.nextRunAt)}; {schedule.automaticSnapshots} automatic snapshot(s) now.
              {schedule.lastResult ? ` Last run: ${schedule.lastResult}.` : ''}
            </Alert>
          )}
          {(set.error ?? off.error) && <Alert severity="error">{(set.error ?? off.error)!.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        {schedule && (
          <Button color="warning" onClick={turnOff} disabled={busy} sx={{ mr: 'auto' }}>
            Turn off
          </Button>
        )}
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button variant="contained" onClick={save} disabled={busy}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}

// The bottom panel listing running and recent tasks, with progress and Cancel.
import CloseIcon from '@mui/icons-material/Close';
import { Alert, Box, Button, Chip, IconButton, LinearProgress, List, ListItem, Paper, Stack, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import { useApi, useOnline } from '../api/hooks.js';
import { useNotify } from '../app/notifications.js';
import type { TaskInfo } from '../api/apiTypes.js';
import { formatDateTime } from '../components/format.js';
import { isRunning, taskDetail, taskLabel, taskStateColor, taskStateLabel } from './tasks.js';

function TaskRow({ task }: { task: TaskInfo }) {
  const api = useApi();
  const { notifyError } = useNotify();
  const [cancelling, setCancelling] = useState(false);
  const online = useOnline();
  const running = isRunning(task);
  const label = taskLabel(task);
  const cancel = async () => {
    setCancelling(true);
    try {
      await api.call('task.cancel', { id: task.id });
    } catch (e) {
      notifyError(e, `Cannot cancel ${label}`);
      setCancelling(false);
    }
  };
  const detail = taskDetail(task);
  return (
    <ListItem aria-label={label} divider sx={{ display: 'block', py: 1 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" sx={{ fontWeight: 600, flex: 1, minWidth: 0 }} noWrap>
          {label}
        </Typography>
        <Typography variant="caption" color="text.secondary">
          {formatDateTime(task.startedAt)}
        </Typography>
        <Chip data-testid="task-state" size="small" label={taskStateLabel(task.state)} color={taskStateColor(task.state)} variant={running ? 'filled' : 'outlined'} />
        {running && (
          <Button size="small" color="inherit" onClick={() => void cancel()} disabled={cancelling || !online} aria-label={`Cancel ${label}`}>
            Cancel
          </Button>
        )}
      </Stack>
      {running && (
        <LinearProgress
          variant={task.progress > 0 ? 'determinate' : 'indeterminate'}
          value={Math.round(task.progress * 100)}
          aria-label={`Progress of ${label}`}
          sx={{ mt: 0.75, mb: 0.25 }}
        />
      )}
      {detail && (
        <Typography variant="caption" data-testid="task-detail" color={task.state === 'failed' || task.state === 'interrupted' ? 'error' : 'text.secondary'} sx={{ display: 'block', overflowWrap: 'anywhere' }}>
          {detail}
        </Typography>
      )}
    </ListItem>
  );
}

export function TasksPanel({ tasks, error, onClose }: { tasks: readonly TaskInfo[]; error: string | null; onClose: () => void }) {
  return (
    <Paper square elevation={0} role="region" aria-label="Tasks" sx={{ borderTop: 1, borderColor: 'divider', display: 'flex', flexDirection: 'column', height: 240 }}>
      <Stack direction="row" sx={{ alignItems: 'center', px: 2, py: 0.5 }}>
        <Typography variant="subtitle2" component="h2" sx={{ flex: 1 }}>
          Tasks
        </Typography>
        <Tooltip title="Close the tasks panel">
          <IconButton size="small" onClick={onClose} aria-label="Close tasks">
            <CloseIcon fontSize="small" />
          </IconButton>
        </Tooltip>
      </Stack>
      {error && (
        <Alert severity="error" sx={{ mx: 2 }}>
          {error}
        </Alert>
      )}
      <Box sx={{ flex: 1, overflow: 'auto', px: 1 }}>
        {tasks.length === 0 ? (
          <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
            No tasks yet.
          </Typography>
        ) : (
          <List dense aria-label="Task list" disablePadding>
            {tasks.map((t) => (
              <TaskRow key={t.id} task={t} />
            ))}
          </List>
        )}
      </Box>
    </Paper>
  );
}

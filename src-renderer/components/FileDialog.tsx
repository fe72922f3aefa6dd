// The web mode's file dialog: browses the owner's file system with `fs.list` (the Electron app
// uses a native dialog instead).
import ArrowUpwardIcon from '@mui/icons-material/ArrowUpward';
import FolderIcon from '@mui/icons-material/Folder';
import InsertDriveFileIcon from '@mui/icons-material/InsertDriveFile';
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  LinearProgress,
  List,
  ListItem,
  ListItemButton,
  ListItemIcon,
  ListItemText,
  MenuItem,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useApiQuery } from '../api/hooks.js';
import type { FileFilter } from '../api/apiTypes.js';
import { baseName, dirOf, FILE_FILTERS, sortEntries } from './files.js';
import { formatBytes } from './size.js';

const LAST_DIR_KEY = 'hangar.lastDir';

function lastDir(): string {
  try {
    return localStorage.getItem(LAST_DIR_KEY) ?? '/';
  } catch {
    return '/';
  }
}

/** The folder the next file dialog (open or save) starts in. */
export function rememberDir(dir: string): void {
  try {
    localStorage.setItem(LAST_DIR_KEY, dir);
  } catch {
    /* not remembered */
  }
}

/** Browsing one folder over `fs.list`: where, what the folder field holds, and what is there. */
export function useFolderBrowser(startDir: string, filter: FileFilter) {
  const [dir, setDir] = useState(startDir);
  const [dirText, setDirText] = useState(startDir);
  const q = useApiQuery('fs.list', { path: dir, filter }, [dir, filter]);
  const entries = useMemo(() => sortEntries(q.data?.entries ?? []), [q.data]);
  useEffect(() => {
    if (q.data) setDirText(q.data.path);
  }, [q.data]);
  const go = (path: string) => {
    setDir(path);
    setDirText(path);
  };
  return { dir, dirText, setDirText, go, q, entries };
}
export type FolderBrowser = ReturnType<typeof useFolderBrowser>;

/** The parent button and the folder field (Enter opens it), then loading and errors of the listing. */
export function FolderBar({ browser, children }: { browser: FolderBrowser; children?: ReactNode }) {
  const { q, go, dirText, setDirText } = browser;
  return (
    <>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
        <Tooltip title="Parent folder">
          <span>
            <IconButton aria-label="Parent folder" disabled={!q.data?.parent} onClick={() => q.data?.parent && go(q.data.parent)}>
              <ArrowUpwardIcon />
            </IconButton>
          </span>
        </Tooltip>
        <TextField
          label="Folder"
          size="small"
          fullWidth
          value={dirText}
          onChange={(e) => setDirText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              go(dirText.trim() || '/');
            }
          }}
          spellCheck={false}
        />
        {children}
      </Stack>
      <Box sx={{ height: 4 }}>{q.loading && <LinearProgress aria-label="Loading folder" />}</Box>
      {q.error && (
        <Alert severity="error" sx={{ my: 1 }}>
          {q.error.message}
        </Alert>
      )}
    </>
  );
}

export interface FileDialogProps {
  open: boolean;
  title: string;
  filter: FileFilter;
  /** the current value of the field: the dialog opens in its folder */
  initialPath?: string;
  onClose: () => void;
  onChoose: (path: string) => void;
}

export function FileDialog(props: FileDialogProps) {
  // Mounted only while open, so each opening starts fresh.
  return props.open ? <FileDialogBody {...props} /> : null;
}

function FileDialogBody({ title, filter: initialFilter, initialPath, onClose, onChoose }: FileDialogProps) {
  const titleId = useId();
  const [filter, setFilter] = useState<FileFilter>(initialFilter);
  const browser = useFolderBrowser(initialPath && initialPath.startsWith('/') ? dirOf(initialPath) : lastDir(), filter);
  const { q, go, entries } = browser;
  const [selected, setSelected] = useState<string>(initialPath ?? '');

  const choose = (path: string) => {
    rememberDir(dirOf(path));
    onChoose(path);
  };

  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="sm" fullWidth>
      <DialogTitle id={titleId}>{title}</DialogTitle>
      <DialogContent dividers sx={{ pt: 1 }}>
        <FolderBar browser={browser}>
          <TextField select label="Show" size="small" value={filter} onChange={(e) => setFilter(e.target.value as FileFilter)} sx={{ minWidth: 170 }}>
            {FILE_FILTERS.map((f) => (
              <MenuItem key={f.value} value={f.value}>
                {f.label}
              </MenuItem>
            ))}
          </TextField>
        </FolderBar>
        <List dense aria-label="Files" data-folder={q.data?.path} aria-busy={q.loading} sx={{ height: 300, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }}>
          {entries.length === 0 && !q.loading && !q.error && (
            <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
              Nothing here matches “{FILE_FILTERS.find((f) => f.value === filter)?.label}”.
            </Typography>
          )}
          {entries.map((e) => (
            <ListItem key={e.path} disablePadding>
              <ListItemButton
                selected={selected === e.path}
                aria-label={e.name}
                onClick={() => (e.kind === 'dir' ? go(e.path) : setSelected(e.path))}
                onDoubleClick={() => e.kind === 'file' && choose(e.path)}
                onKeyDown={(ev) => {
                  if (ev.key === 'Enter' && e.kind === 'file') {
                    ev.preventDefault();
                    choose(e.path);
                  }
                }}
              >
                <ListItemIcon sx={{ minWidth: 36 }}>{e.kind === 'dir' ? <FolderIcon fontSize="small" color="primary" /> : <InsertDriveFileIcon fontSize="small" />}</ListItemIcon>
                <ListItemText primary={e.name} />
                {e.kind === 'file' && (
                  <Typography variant="caption" color="text.secondary">
                    {formatBytes(e.sizeBytes)}
                  </Typography>
                )}
              </ListItemButton>
            </ListItem>
          ))}
        </List>
        <TextField label="File" size="small" fullWidth sx={{ mt: 2 }} value={selected} onChange={(e) => setSelected(e.target.value)} helperText={selected ? baseName(selected) : 'Pick a file above or type its full path'} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!selected.startsWith('/')} onClick={() => choose(selected)}>
          Choose
        </Button>
      </DialogActions>
    </Dialog>
  );
}

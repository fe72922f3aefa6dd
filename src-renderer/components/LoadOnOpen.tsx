// Parts of the window whose code loads on first use (each a chunk of its own, made with React.lazy):
// nothing of a dialog is fetched, evaluated or rendered until it first opens, so the VM list is on
// screen sooner. Once opened, the dialog stays mounted as it always was (its close animation, a task
// it follows after closing). A chunk that cannot be loaded (the app was updated under an open window,
// the web server is gone) says so in place of the dialog instead of taking the window down.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress } from '@mui/material';
import { Component, Suspense, useState, type ReactNode } from 'react';

/** Renders `children` from the first time `open` is true on; until then, nothing. */
export function LoadOnOpen({ open, onClose, children }: { open: boolean; onClose: () => void; children: ReactNode }) {
  const [opened, setOpened] = useState(open);
  if (open && !opened) setOpened(true);
  if (!opened) return null;
  return (
    <ChunkBoundary open={open} onClose={onClose}>
      <Suspense fallback={open ? <LinearProgress aria-label="Loading" sx={{ position: 'fixed', top: 0, left: 0, right: 0, zIndex: 2000 }} /> : null}>
        {children}
      </Suspense>
    </ChunkBoundary>
  );
}

interface BoundaryProps {
  open: boolean;
  onClose: () => void;
  children: ReactNode;
}

/** Catches a part that failed to load (or to render) and says which, with a way out. */
export class ChunkBoundary extends Component<BoundaryProps, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Dialog open={this.props.open} onClose={this.props.onClose} aria-labelledby="chunk-error-title">
        <DialogTitle id="chunk-error-title">This part of Hangar could not be loaded</DialogTitle>
        <DialogContent>
          <Alert severity="error">
            {error.message}. Reload the window to try again; nothing was changed.
          </Alert>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => window.location.reload()}>Reload</Button>
          <Button onClick={this.props.onClose} variant="contained">
            Close
          </Button>
        </DialogActions>
      </Dialog>
    );
  }
}

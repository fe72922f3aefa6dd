// Power off asks first, as VirtualBox does: it is like pulling the plug. The same dialog asks when a
// guest has not acted on the ACPI power button for a while ("The guest is not responding").
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from '@mui/material';
import { useId } from 'react';

export type PowerOffQuestion = { kind: 'confirm'; vmName: string } | { kind: 'unanswered'; vmName: string; seconds: number };

export function PowerOffDialog({ question, onPowerOff, onClose }: { question: PowerOffQuestion | null; onPowerOff: () => void; onClose: () => void }) {
  const titleId = useId();
  if (!question) return null;
  const unanswered = question.kind === 'unanswered';
  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} maxWidth="xs" fullWidth>
      <DialogTitle id={titleId}>{unanswered ? 'The guest is not responding — power it off?' : `Power off “${question.vmName}”?`}</DialogTitle>
      <DialogContent>
        {unanswered && (
          <DialogContentText sx={{ mb: 1.5 }}>
            “{question.vmName}” was asked to shut down (the ACPI power button) {question.seconds} s ago and is still running. Its guest may be busy, or may not handle the power button.
          </DialogContentText>
        )}
        <DialogContentText>Powering off is like pulling the plug: the guest cannot save its work or close its files, and unsaved data is lost.</DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} autoFocus>
          {unanswered ? 'Keep waiting' : 'Cancel'}
        </Button>
        <Button color="error" variant="contained" onClick={onPowerOff}>
          Power off
        </Button>
      </DialogActions>
    </Dialog>
  );
}

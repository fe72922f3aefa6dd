// "Open a link from the guest?": shown when a link in the console (an OSC 8 hyperlink printed by
// the guest) is clicked. Nothing opens until the user has seen where the link really leads and
// chosen to go; Cancel is the default.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from '@mui/material';
import type { GuestLink } from './guestLinks.js';

export function GuestLinkDialog({ link, vmName, onClose }: { link: GuestLink | null; vmName: string; onClose: () => void }) {
  const open = () => {
    if (!link) return;
    // A new browsing context that cannot reach back to this page, and is told nothing about it.
    window.open(link.href, '_blank', 'noopener,noreferrer');
    onClose();
  };
  return (
    <Dialog open={link !== null} onClose={onClose} aria-labelledby="guest-link-title" aria-describedby="guest-link-target" maxWidth="sm" fullWidth>
      <DialogTitle id="guest-link-title">Open a link from the guest?</DialogTitle>
      {link && (
        <DialogContent>
          <DialogContentText variant="body2">
            This link was printed by “{vmName}”. Its text in the console may say anything; it leads to <strong>{link.host}</strong>:
          </DialogContentText>
          <Box
            id="guest-link-target"
            component="code"
            aria-label="Link target"
            sx={{ display: 'block', mt: 1.5, p: 1, bgcolor: 'action.hover', borderRadius: 1, fontFamily: 'monospace', fontSize: 13, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
          >
            {link.href}
          </Box>
          {link.userinfo !== null && (
            <Alert severity="warning" variant="outlined" sx={{ mt: 1.5 }}>
              “{link.userinfo}” before the @ is not the site: the site is {link.host}.
            </Alert>
          )}
        </DialogContent>
      )}
      <DialogActions>
        <Button onClick={onClose} autoFocus>
          Cancel
        </Button>
        <Button onClick={open} color="warning">
          Open link
        </Button>
      </DialogActions>
    </Dialog>
  );
}

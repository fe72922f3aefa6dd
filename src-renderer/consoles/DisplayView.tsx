// The Display tab: the VM's screen through noVNC, over the websocket path `vm.display` names. The guest's
// display follows the view's size (noVNC asks QEMU, which tells a guest with a virtio GPU); its text
// clipboard travels both ways (noVNC ⇄ QEMU's vdagent ⇄ the guest's spice-vdagent), with a panel for
// browsers that keep pages away from the system clipboard.
import ContentPasteIcon from '@mui/icons-material/ContentPaste';
import KeyboardIcon from '@mui/icons-material/Keyboard';
import RefreshIcon from '@mui/icons-material/Refresh';
import { Alert, Box, Button, Chip, Paper, Stack, TextField, Typography } from '@mui/material';
import type RFB from '@novnc/novnc';
import { useEffect, useRef, useState } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { useApi, useGeneration } from '../api/hooks.js';
import type { ApiConnection } from '../api/apiConnection.js';
import type { VmState } from '../api/apiTypes.js';
import { hasLiveGuest, stateLabel } from '../vms/vmState.js';
import { CLIPBOARD_INSTALL_HINT } from '../vms/guestIntegration.js';

type DisplayStatus = 'connecting' | 'connected' | 'disconnected';

const SCREEN_BACKGROUND = '#202124';

/** Asks the owner for the display's websocket path (a remote domain's: `remote.display`). */
export type DisplayPathOf = (api: ApiConnection, signal: AbortSignal) => Promise<{ path: string }>;

export function DisplayView({ vm, clipboard = false, pathOf }: { vm: { id: string; name: string; state: VmState }; clipboard?: boolean; pathOf?: DisplayPathOf }) {
  if (!hasLiveGuest(vm.state)) {
    return (
      <Box role="region" aria-label="Display" sx={{ p: 2 }}>
        <Alert severity="info" role="status">
          The VM is {stateLabel(vm.state).toLowerCase()}. Start it to see its display.
        </Alert>
      </Box>
    );
  }
  return <LiveDisplay vmId={vm.id} clipboard={clipboard} pathOf={pathOf} />;
}

function LiveDisplay({ vmId, clipboard, pathOf }: { vmId: string; clipboard: boolean; pathOf: DisplayPathOf | undefined }) {
  const api = useApi();
  const generation = useGeneration();
  const screenRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [status, setStatus] = useState<DisplayStatus>('connecting');
  const [problem, setProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [panelOpen, setPanelOpen] = useState(false);
  /** the last text the guest put on its clipboard */
  const [fromGuest, setFromGuest] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [toGuest, setToGuest] = useState('');
  const [sent, setSent] = useState(false);

  useEffect(() => {
    let disposed = false;
    let rfb: RFB | null = null;
    setStatus('connecting');
    setProblem(null);
    const ac = new AbortController();
    (async () => {
      const [{ path }, { default: RFBClass }] = await Promise.all([
        pathOf ? pathOf(api, ac.signal) : api.call('vm.display', { ref: vmId }, { signal: ac.signal }),
        import('@novnc/novnc'),
      ]);
      if (disposed || !screenRef.current) return;
      const target = api.endpoint.displayTarget(path);
      // A channel other than a real WebSocket (the dev harness) has the same shape, which is all noVNC uses.
      rfb = new RFBClass(screenRef.current, target as string | WebSocket, { shared: true });
      // The guest's display follows the view's size where it can (a virtio GPU and a guest that applies
      // the size it is told); otherwise the picture is scaled to fit.
      rfb.resizeSession = true;
      rfb.scaleViewport = true;
      rfb.background = SCREEN_BACKGROUND;
      rfb.addEventListener('clipboard', (e) => {
        if (disposed) return;
        const text = (e as CustomEvent<{ text: string }>).detail?.text ?? '';
        setFromGuest(text);
        // Straight into this computer's clipboard where the browser allows it (the panel shows it anyway).
        navigator.clipboard?.writeText(text).then(
          () => !disposed && setCopied(true),
          () => !disposed && setCopied(false),
        );
      });
      rfb.addEventListener('connect', () => !disposed && setStatus('connected'));
      rfb.addEventListener('disconnect', (e) => {
        if (disposed) return;
        setStatus('disconnected');
        const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
        if (!clean) setProblem('The display connection ended unexpectedly.');
      });
      rfb.addEventListener('securityfailure', (e) => {
        if (disposed) return;
        const reason = (e as CustomEvent<{ reason?: string }>).detail?.reason;
        setProblem(`The display refused the connection${reason ? `: ${reason}` : ''}.`);
      });
      rfbRef.current = rfb;
    })().catch((e: unknown) => {
      if (disposed) return;
      setStatus('disconnected');
      setProblem(toHangarError(e).message);
    });
    return () => {
      disposed = true;
      ac.abort();
      rfbRef.current = null;
      try {
        rfb?.disconnect();
      } catch {
        /* already closed */
      }
    };
  }, [api, vmId, generation, attempt]);

  return (
    <Stack role="region" aria-label="Display" sx={{ height: '100%', minHeight: 0, p: 2, gap: 1 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Chip
          size="small"
          label={status === 'connected' ? 'Connected' : status === 'connecting' ? 'Connecting…' : 'Disconnected'}
          color={status === 'connected' ? 'success' : status === 'connecting' ? 'info' : 'default'}
          data-testid="display-status"
        />
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          {status === 'connected' ? 'Click the screen to type into the VM.' : ''}
        </Typography>
        <Button size="small" startIcon={<KeyboardIcon />} disabled={status !== 'connected'} onClick={() => rfbRef.current?.sendCtrlAltDel()}>
          Ctrl-Alt-Del
        </Button>
        <Button size="small" startIcon={<ContentPasteIcon />} onClick={() => setPanelOpen((o) => !o)} aria-pressed={panelOpen}>
          Clipboard
        </Button>
        {status === 'disconnected' && (
          <Button size="small" startIcon={<RefreshIcon />} onClick={() => setAttempt((n) => n + 1)}>
            Reconnect
          </Button>
        )}
      </Stack>
      {problem && <Alert severity="warning">{problem}</Alert>}
      <Stack direction="row" spacing={1} sx={{ flex: 1, minHeight: 200 }}>
        <Box
          ref={screenRef}
          data-testid="display-screen"
          role="application"
          aria-label="VM screen"
          sx={{ flex: 1, minWidth: 0, borderRadius: 1, overflow: 'hidden', bgcolor: SCREEN_BACKGROUND }}
        />
        {panelOpen && (
          <Paper variant="outlined" role="region" aria-label="Clipboard" sx={{ width: 300, flexShrink: 0, p: 1.5, overflow: 'auto' }}>
            <Stack spacing={1.5}>
              <Typography variant="subtitle2" component="h3">
                Clipboard
              </Typography>
              {!clipboard && (
                <Alert severity="info" variant="outlined">
                  This VM does not share its clipboard: switch it on in Settings → Display (it takes effect when the VM next starts).
                </Alert>
              )}
              <TextField
                label="From the VM"
                multiline
                minRows={3}
                size="small"
                value={fromGuest ?? ''}
                placeholder="Text copied in the guest shows here."
                slotProps={{ input: { readOnly: true } }}
                helperText={fromGuest === null ? ' ' : copied ? 'Also copied to your clipboard.' : 'Select it and copy, or use Copy.'}
              />
              <Button
                size="small"
                variant="outlined"
                disabled={fromGuest === null}
                onClick={() =>
                  void navigator.clipboard?.writeText(fromGuest ?? '').then(
                    () => setCopied(true),
                    () => setCopied(false),
                  )
                }
              >
                Copy
              </Button>
              <TextField
                label="To the VM"
                multiline
                minRows={3}
                size="small"
                value={toGuest}
                onChange={(e) => {
                  setToGuest(e.target.value);
                  setSent(false);
                }}
                placeholder="Paste text here, then send it."
                helperText={sent ? 'Sent: paste it in the guest.' : ' '}
              />
              <Button
                size="small"
                variant="contained"
                disabled={status !== 'connected' || toGuest === ''}
                onClick={() => {
                  rfbRef.current?.clipboardPasteFrom(toGuest);
                  setSent(true);
                }}
              >
                Send to the VM
              </Button>
              <Typography variant="caption" color="text.secondary">
                {CLIPBOARD_INSTALL_HINT}
              </Typography>
            </Stack>
          </Paper>
        )}
      </Stack>
    </Stack>
  );
}

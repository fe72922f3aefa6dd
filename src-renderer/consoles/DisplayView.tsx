// The Display tab: the VM's screen through noVNC, over the websocket path `vm.display` names.
import KeyboardIcon from '@mui/icons-material/Keyboard';
import RefreshIcon from '@mui/icons-material/Refresh';
import { Alert, Box, Button, Chip, Stack, Typography } from '@mui/material';
import type RFB from '@novnc/novnc';
import { useEffect, useRef, useState } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { useApi, useGeneration } from '../api/hooks.js';
import type { VmState } from '../api/apiTypes.js';
import { hasLiveGuest, stateLabel } from '../vms/vmState.js';

type DisplayStatus = 'connecting' | 'connected' | 'disconnected';

const SCREEN_BACKGROUND = '#202124';

export function DisplayView({ vm }: { vm: { id: string; name: string; state: VmState } }) {
  if (!hasLiveGuest(vm.state)) {
    return (
      <Box role="region" aria-label="Display" sx={{ p: 2 }}>
        <Alert severity="info" role="status">
          The VM is {stateLabel(vm.state).toLowerCase()}. Start it to see its display.
        </Alert>
      </Box>
    );
  }
  return <LiveDisplay vmId={vm.id} />;
}

function LiveDisplay({ vmId }: { vmId: string }) {
  const api = useApi();
  const generation = useGeneration();
  const screenRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [status, setStatus] = useState<DisplayStatus>('connecting');
  const [problem, setProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let disposed = false;
    let rfb: RFB | null = null;
    setStatus('connecting');
    setProblem(null);
    const ac = new AbortController();
    (async () => {
      const [{ path }, { default: RFBClass }] = await Promise.all([api.call('vm.display', { ref: vmId }, { signal: ac.signal }), import('@novnc/novnc')]);
      if (disposed || !screenRef.current) return;
      rfb = new RFBClass(screenRef.current, api.endpoint.displayTarget(path), { shared: true });
      rfb.scaleViewport = true;
      rfb.background = SCREEN_BACKGROUND;
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
        {status === 'disconnected' && (
          <Button size="small" startIcon={<RefreshIcon />} onClick={() => setAttempt((n) => n + 1)}>
            Reconnect
          </Button>
        )}
      </Stack>
      {problem && <Alert severity="warning">{problem}</Alert>}
      <Box
        ref={screenRef}
        data-testid="display-screen"
        role="application"
        aria-label="VM screen"
        sx={{ flex: 1, minHeight: 200, borderRadius: 1, overflow: 'hidden', bgcolor: SCREEN_BACKGROUND }}
      />
    </Stack>
  );
}

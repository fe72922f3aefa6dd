// The Console tab: the VM's serial console in xterm.js, fitted to its container.
import '@xterm/xterm/css/xterm.css';
import { Alert, Box, Stack, Typography, useTheme } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { useApi, useGeneration, useOnline } from '../api/hooks.js';
import type { VmState } from '../api/apiTypes.js';
import { DARK_TERMINAL, LIGHT_TERMINAL, terminalsFor, type ConsoleEntry, type ConsoleSource } from './terminals.js';
import { GuestLinkDialog } from './GuestLinkDialog.js';
import type { GuestLink } from './guestLinks.js';

function fitNow(entry: ConsoleEntry, container: HTMLElement): void {
  if (container.clientWidth === 0 || container.clientHeight === 0) return;
  try {
    entry.fit.fit();
  } catch {
    /* not laid out yet */
  }
}

/** `source`: a remote domain's console (its id is then the domain's own key); a local VM's by default */
export function ConsoleView({ vm, source }: { vm: { id: string; name: string; state: VmState; serial?: boolean }; source?: ConsoleSource }) {
  const api = useApi();
  const generation = useGeneration();
  const theme = useTheme();
  const registry = terminalsFor(api);
  const containerRef = useRef<HTMLDivElement>(null);
  const entryRef = useRef<ConsoleEntry | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const running = vm.state === 'running' || vm.state === 'starting' || vm.state === 'stopping';
  const online = useOnline();
  // Typed keys would be lost while nothing is connected: the console takes none then.
  const live = running && online;
  const [link, setLink] = useState<GuestLink | null>(null);

  useEffect(() => {
    registry.setTheme(theme.palette.mode === 'dark' ? DARK_TERMINAL : LIGHT_TERMINAL);
  }, [registry, theme.palette.mode]);

  // Mount the VM's terminal into this view; give it back on unmount.
  useEffect(() => {
    const container = containerRef.current!;
    const entry = registry.acquire(vm.id, source);
    entryRef.current = entry;
    entry.onSendError = (e) => setSendError(toHangarError(e).message);
    entry.onLink = setLink;
    container.appendChild(entry.host);
    fitNow(entry, container);
    const ro = new ResizeObserver(() => fitNow(entry, container));
    ro.observe(container);
    const onResize = () => fitNow(entry, container);
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      ro.disconnect();
      entry.onSendError = null;
      entry.onLink = null;
      entry.host.remove();
      entryRef.current = null;
      registry.release(vm.id);
    };
  }, [registry, vm.id]);

  // Subscribe (again after each reconnect).
  useEffect(() => {
    let cancelled = false;
    setError(null);
    registry.attach(vm.id).catch((e: unknown) => {
      if (!cancelled) setError(toHangarError(e).message);
    });
    return () => {
      cancelled = true;
    };
  }, [registry, vm.id, generation]);

  useEffect(() => {
    registry.setInputEnabled(vm.id, live);
    if (live) setSendError(null);
  }, [registry, vm.id, live]);

  return (
    <Stack sx={{ height: '100%', minHeight: 0, p: 2, gap: 1 }} role="region" aria-label="Serial console">
      <Typography variant="body2" color="text.secondary">
        {live
          ? 'Serial console: click in it and type; keys go to the guest.'
          : running
            ? 'Not connected to Hangar: the console takes no typing until the connection is back.'
            : vm.state === 'paused'
            ? 'The VM is paused: resume it to type into the console.'
            : 'The VM is not running: this is the end of its last console output.'}
      </Typography>
      {error && <Alert severity="error">{error}</Alert>}
      {sendError && (
        <Alert severity="warning" onClose={() => setSendError(null)}>
          {sendError}
        </Alert>
      )}
      <GuestLinkDialog link={link} vmName={vm.name} onClose={() => setLink(null)} />
      <Box
        data-testid="console-terminal"
        aria-disabled={!live}
        ref={containerRef}
        onClick={() => entryRef.current?.term.focus()}
        sx={{
          flex: 1,
          minHeight: 120,
          border: 1,
          borderColor: 'divider',
          borderRadius: 1,
          overflow: 'hidden',
          p: 1,
          bgcolor: theme.palette.mode === 'dark' ? DARK_TERMINAL.background : LIGHT_TERMINAL.background,
          opacity: running && !online ? 0.6 : 1,
        }}
      />
    </Stack>
  );
}

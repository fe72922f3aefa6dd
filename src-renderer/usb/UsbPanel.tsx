// The USB panel of a VM's details: its USB devices (images as sticks, host devices) with Detach; a disk
// image to attach; the host's devices (/sys/bus/usb) with Attach, greyed out with the reason when the
// user may not open one. While the VM runs, attaching and detaching plug the device in and out.
import { Alert, Box, Button, Paper, Stack, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import { useApi, useApiQuery, useOnline } from '../api/hooks.js';
import type { VmDetails } from '../api/apiTypes.js';
import { FileField } from '../components/FileField.js';

export function UsbPanel({ details: d }: { details: VmDetails }) {
  const api = useApi();
  const online = useOnline();
  const host = useApiQuery('usb.list', {}, []);
  const [image, setImage] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ severity: 'error' | 'success'; text: string } | null>(null);
  const devices = d.usb ?? [];
  const live = d.state === 'running' || d.state === 'paused';
  const blocked = !online ? 'Not connected to Hangar' : d.state === 'saved' ? 'The VM has a saved state: start it and shut it down first' : d.state === 'starting' || d.state === 'stopping' ? `The VM is ${d.state}` : null;

  const act = async (what: () => Promise<{ device: { id: string }; live: boolean }>, verb: string) => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await what();
      setMessage({ severity: 'success', text: `${r.device.id} ${verb}${r.live ? ' (now, while the VM runs)' : verb === 'attached' ? ' (it plugs in when the VM starts)' : ''}.` });
      if (verb === 'attached') setImage('');
    } catch (e) {
      setMessage({ severity: 'error', text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Paper variant="outlined" component="section" aria-label="USB" sx={{ p: 2, breakInside: 'avoid', mb: 2 }}>
      <Typography variant="subtitle2" component="h3" color="primary" sx={{ mb: 1, textTransform: 'uppercase', letterSpacing: 0.5 }}>
        USB
      </Typography>
      <Stack spacing={1.5}>
        {message && (
          <Alert severity={message.severity} role={message.severity === 'error' ? 'alert' : 'status'} onClose={() => setMessage(null)}>
            {message.text}
          </Alert>
        )}
        {devices.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No USB devices{live ? '' : ' (attached ones plug in when the VM starts)'}.
          </Typography>
        ) : (
          <Stack spacing={0.5} aria-label="USB devices">
            {devices.map((u) => (
              <Stack key={u.id} direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                <Typography variant="body2" sx={{ fontWeight: 600 }}>
                  {u.id}
                </Typography>
                <Typography variant="body2" sx={{ flex: 1, overflowWrap: 'anywhere', fontFamily: 'monospace', fontSize: '0.8rem' }}>
                  {u.kind === 'storage' ? `${u.path} (USB stick, ${u.format})` : `host device ${u.vendorId}:${u.productId}`}
                </Typography>
                <Button size="small" aria-label={`Detach ${u.id}`} disabled={busy || blocked !== null} onClick={() => void act(() => api.call('usb.detach', { ref: d.id, id: u.id }), 'detached')}>
                  Detach
                </Button>
              </Stack>
            ))}
          </Stack>
        )}
        <Stack spacing={1} sx={{ alignItems: 'flex-start' }}>
          <Box sx={{ width: '100%' }}>
            <FileField label="Disk image as a USB stick" value={image} onChange={setImage} filter="disk" disabled={busy || blocked !== null} />
          </Box>
          <Tooltip title={blocked ?? ''}>
            <span>
              <Button variant="outlined" disabled={busy || blocked !== null || image === ''} onClick={() => void act(() => api.call('usb.attach', { ref: d.id, image }), 'attached')}>
                Attach image
              </Button>
            </span>
          </Tooltip>
        </Stack>
        <Typography variant="body2" color="text.secondary">
          Host devices
        </Typography>
        {host.error ? (
          <Alert severity="error">{host.error.message}</Alert>
        ) : (host.data?.devices.filter((x) => !x.hub).length ?? 0) === 0 ? (
          <Typography variant="body2" color="text.secondary">
            This computer has no USB devices to pass through.
          </Typography>
        ) : (
          <Table size="small" aria-label="Host USB devices">
            <TableHead>
              <TableRow>
                <TableCell>Device</TableCell>
                <TableCell>ID</TableCell>
                <TableCell>Bus / port</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {host.data!.devices
                .filter((x) => !x.hub)
                .map((x) => (
                  <TableRow key={x.sysfsName}>
                    <TableCell>{[x.manufacturer, x.product].filter(Boolean).join(' ') || 'Unnamed device'}</TableCell>
                    <TableCell>
                      {x.vendorId}:{x.productId}
                    </TableCell>
                    <TableCell>
                      {x.bus} / {x.port}
                    </TableCell>
                    <TableCell>
                      <Tooltip title={!x.accessible ? (x.accessProblem ?? '') : (blocked ?? '')}>
                        <span>
                          <Button
                            size="small"
                            disabled={busy || blocked !== null || !x.accessible}
                            onClick={() => void act(() => api.call('usb.attach', { ref: d.id, device: { vendorId: x.vendorId, productId: x.productId } }), 'attached')}
                          >
                            Attach
                          </Button>
                        </span>
                      </Tooltip>
                      {!x.accessible && (
                        <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                          {x.accessProblem}
                        </Typography>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
            </TableBody>
          </Table>
        )}
      </Stack>
    </Paper>
  );
}

// The Details tab: what the VM is made of, in VirtualBox's sections.
import { PlacementEditor } from './PlacementEditor.js';
import { Alert, Box, Button, Chip, LinearProgress, Paper, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { useOnline, useTask } from '../api/hooks.js';
import { useNotify } from '../app/notifications.js';
import { StateChip } from '../components/StateChip.js';
import type { VmDetails } from '../api/apiTypes.js';
import { formatDateTime, formatDiskSize, formatForward } from '../components/format.js';
import { formatMiB } from '../components/size.js';
import { AGENT_INSTALL_HINT, guestFacts, mountCommand } from './guestIntegration.js';
import { hasLiveGuest } from './vmState.js';
import { UsbPanel } from '../usb/UsbPanel.js';

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper variant="outlined" component="section" aria-label={title} sx={{ p: 2, breakInside: 'avoid', mb: 2 }}>
      <Typography variant="subtitle2" component="h3" color="primary" sx={{ mb: 1, textTransform: 'uppercase', letterSpacing: 0.5 }}>
        {title}
      </Typography>
      {children}
    </Paper>
  );
}

function Rows({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 2, rowGap: 0.75, m: 0 }}>
      {rows.map(([label, value]) => (
        <Box key={label} sx={{ display: 'contents' }}>
          <Typography component="dt" variant="body2" color="text.secondary">
            {label}
          </Typography>
          <Typography component="dd" variant="body2" sx={{ m: 0, overflowWrap: 'anywhere' }}>
            {value}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: '0.8rem' };

export function DetailsTab({ details: d }: { details: VmDetails }) {
  return (
    <Box sx={{ columnWidth: 360, columnGap: '16px', p: 2 }}>
      <Section title="General">
        <Rows
          rows={[
            ['Name', d.name],
            ['OS type', d.osLabel],
            ['Created', formatDateTime(d.createdAt)],
            ['Folder', <Box component="span" sx={mono}>{d.folder}</Box>],
            ...(d.description ? ([['Notes', <Box component="span" sx={{ whiteSpace: 'pre-wrap' }}>{d.description}</Box>]] as [string, ReactNode][]) : []),
          ]}
        />
        <PlacementEditor vm={d} />
      </Section>
      <Section title="State">
        <Rows
          rows={[
            ['State', <StateChip state={d.state} />],
            ...(d.stateReason && d.state !== 'aborted' ? ([['Reason', d.stateReason]] as [string, ReactNode][]) : []),
            ...(d.qemuPid !== undefined ? ([['QEMU process', String(d.qemuPid)]] as [string, ReactNode][]) : []),
          ]}
        />
        {d.state === 'aborted' && d.stateReason && (
          <Alert severity="error" variant="outlined" sx={{ mt: 1.5 }}>
            {d.stateReason}
          </Alert>
        )}
      </Section>
      <GuestSection details={d} />
      <Section title="System">
        <Rows
          rows={[
            ['Processors', String(d.cpus)],
            ['Memory', formatMiB(d.memoryMiB)],
            ['Firmware', d.firmware === 'uefi' ? `UEFI${d.secureBoot ? ', Secure Boot' : ''}` : 'BIOS'],
            ['TPM', d.tpm ? 'TPM 2.0 (swtpm)' : 'None'],
            ['Chipset', d.chipset === 'q35' ? 'Q35' : 'i440FX'],
            [
              'Accelerator',
              <span>
                {d.accelerator.toUpperCase()}
                {d.accelSetting !== 'auto' ? ` (set to ${d.accelSetting.toUpperCase()})` : ' (automatic)'}
              </span>,
            ],
            ['Why', d.accelReason],
            ['Nested virtualization', d.nested ? 'On' : 'Off'],
            ['On crash', d.restartOnCrash ? `Restart (at most ${d.maxRestartsPerMinute} times a minute)` : 'Stay aborted'],
          ]}
        />
      </Section>
      <Section title="Storage">
        {d.disks.length === 0 && d.opticals.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No disks or optical drives.
          </Typography>
        )}
        <Stack spacing={1.5}>
          {d.disks.map((disk) => (
            <Box key={disk.id} aria-label={`Disk ${disk.id}`} role="group">
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 0.5 }}>
                <Typography variant="body2" sx={{ fontWeight: 600 }}>
                  {disk.id}
                </Typography>
                <Chip size="small" label={disk.bus.toUpperCase()} variant="outlined" />
                <Chip size="small" label={disk.format} variant="outlined" />
                <Typography variant="body2" color="text.secondary">
                  {formatDiskSize(disk.virtualSizeBytes, disk.actualSizeBytes)}
                </Typography>
              </Stack>
              <Typography variant="body2" sx={{ ...mono, overflowWrap: 'anywhere' }}>
                {disk.path}
              </Typography>
              {disk.chain.length > 1 && (
                <Box component="ol" aria-label={`Backing chain of ${disk.id}`} sx={{ m: 0, mt: 0.5, pl: 3, color: 'text.secondary' }}>
                  {disk.chain.slice(1).map((p) => (
                    <Typography component="li" key={p} variant="body2" sx={{ ...mono, overflowWrap: 'anywhere' }}>
                      backed by {p}
                    </Typography>
                  ))}
                </Box>
              )}
            </Box>
          ))}
          {d.opticals.map((o) => (
            <Box key={o.id} aria-label={`Optical drive ${o.id}`} role="group">
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 0.5 }}>
                <Typography variant="body2" sx={{ fontWeight: 600 }}>
                  {o.id}
                </Typography>
                <Chip size="small" label={o.bus.toUpperCase()} variant="outlined" />
                <Chip size="small" label="optical" variant="outlined" />
              </Stack>
              <Typography variant="body2" sx={o.path ? { ...mono, overflowWrap: 'anywhere' } : { color: 'text.secondary' }}>
                {o.path ?? 'Empty'}
              </Typography>
            </Box>
          ))}
        </Stack>
      </Section>
      <Section title="Network">
        {d.nics.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No network card.
          </Typography>
        )}
        <Stack spacing={1.5}>
          {d.nics.map((n) => (
            <Box key={n.id} role="group" aria-label={`Network card ${n.id}`}>
              <Rows
                rows={[
                  ['Card', `${n.id} · ${n.model}`],
                  ['Attached to', n.network === null ? 'NAT (user mode)' : `Network “${n.network}”`],
                  ['Cable', n.linkUp ? 'Connected' : 'Disconnected'],
                  ['MAC address', <Box component="span" sx={mono}>{n.mac}</Box>],
                  ['IP address', n.ipAddresses.length ? <Box component="span" sx={mono}>{n.ipAddresses.join(', ')}</Box> : 'None known'],
                  [
                    'Port forwards',
                    n.forwards.length === 0 ? (
                      'None'
                    ) : (
                      <Box component="ul" sx={{ m: 0, pl: 2 }}>
                        {n.forwards.map((f) => (
                          <li key={`${f.protocol}-${f.hostAddress}-${f.hostPort}`}>{formatForward(f)}</li>
                        ))}
                      </Box>
                    ),
                  ],
                ]}
              />
            </Box>
          ))}
        </Stack>
      </Section>
      {(d.cloudInit || d.baseImage || d.install) && (
        <Section title="Quick create">
          <Rows
            rows={[
              ...(d.baseImage ? ([['Image', `“${d.baseImage.name}” from the image library (the disk is an overlay on it)`]] as [string, ReactNode][]) : []),
              ...(d.cloudInit
                ? ([
                    ['Account', d.cloudInit.user],
                    ['Hostname', d.cloudInit.hostname],
                    ['SSH', <Box component="span" sx={mono}>{`hangar ssh ${d.name}  (${d.cloudInit.user}@127.0.0.1 -p ${d.cloudInit.sshPort ?? '?'})`}</Box>],
                    ['Key', d.cloudInit.identityFile ? <Box component="span" sx={mono}>{d.cloudInit.identityFile}</Box> : 'your own SSH set-up (agent, ~/.ssh)'],
                  ] as [string, ReactNode][])
                : []),
              ...(d.install ? ([['Installation', `${d.install.osName}, unattended: runs when the VM starts; the media is ejected at the end`]] as [string, ReactNode][]) : []),
            ]}
          />
        </Section>
      )}
      {d.shares.length > 0 && (
        <Section title="Shared folders">
          <Stack spacing={1.5}>
            {d.shares.map((sh) => (
              <Box key={sh.tag} role="group" aria-label={`Shared folder ${sh.tag}`}>
                <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 0.5 }}>
                  <Typography variant="body2" sx={{ fontWeight: 600 }}>
                    {sh.tag}
                  </Typography>
                  <Chip size="small" variant="outlined" label={sh.mode === 'virtiofs' ? 'virtio-fs' : '9p'} />
                  <Chip size="small" variant="outlined" label={sh.readOnly ? 'read-only' : 'read-write'} />
                </Stack>
                <Typography variant="body2" sx={{ ...mono, overflowWrap: 'anywhere' }}>
                  {sh.hostPath}
                </Typography>
                <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
                  In the guest:{' '}
                  <Box component="code" sx={mono}>
                    {mountCommand(sh)}
                  </Box>
                </Typography>
              </Box>
            ))}
          </Stack>
        </Section>
      )}
      <UsbPanel details={d} />
      {(d.linkedTo || (d.dependents?.length ?? 0) > 0) && <ClonesSection details={d} />}
      <Section title="Display and console">
        <Rows
          rows={[
            ['Graphics', d.display.vga],
            ['Remote display', d.display.vnc ? 'VNC (shown in the Display tab)' : 'Off'],
            ['Clipboard', d.display.clipboard ? 'Shared with the guest (spice-vdagent)' : 'Not shared'],
            ['Serial console', d.serial ? 'On (shown in the Console tab)' : 'Off'],
            ['Boot order', d.boot.order.join(', ')],
            ...(d.boot.kernel ? ([['Kernel', <Box component="span" sx={mono}>{d.boot.kernel}</Box>]] as [string, ReactNode][]) : []),
          ]}
        />
      </Section>
    </Box>
  );
}

/** What the guest agent says, or that none answers and how to get one. */
function GuestSection({ details: d }: { details: VmDetails }) {
  const live = hasLiveGuest(d.state);
  const facts = guestFacts(d.guest);
  return (
    <Section title="Guest">
      {!live ? (
        <Typography variant="body2" color="text.secondary">
          Start the VM to see what its guest agent reports.
        </Typography>
      ) : facts.length ? (
        <Rows rows={[['Guest agent', <Chip size="small" color="success" label="Connected" />], ...facts]} />
      ) : (
        <>
          <Rows rows={[['Guest agent', <Chip size="small" label="Not answering" />]]} />
          <Alert severity="info" variant="outlined" sx={{ mt: 1.5 }}>
            {AGENT_INSTALL_HINT}
          </Alert>
        </>
      )}
    </Section>
  );
}

const snapshotPart = (name: string | null) => (name === null ? '' : `, snapshot “${name}”`);

/** A linked clone's base (with Promote to full clone) and the linked clones based on this VM. */
function ClonesSection({ details: d }: { details: VmDetails }) {
  const promote = useTask('vm.promote');
  const online = useOnline();
  const { notify } = useNotify();
  const run = async () => {
    if (await promote.run({ ref: d.id })) notify({ severity: 'success', message: `“${d.name}” is now a full clone.` });
  };
  const dependents = d.dependents ?? [];
  return (
    <Section title="Clones">
      <Stack spacing={1.5}>
        {d.linkedTo && (
          <Box role="group" aria-label="Linked clone">
            <Typography variant="body2">
              Linked clone of “{d.linkedTo.vmName}”{snapshotPart(d.linkedTo.snapshotName)}.
            </Typography>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
              Its disks store only what changed since that snapshot. Promoting copies the rest into them, so the source no longer has to keep the snapshot.
            </Typography>
            <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'center' }}>
              <Button size="small" variant="outlined" onClick={() => void run()} disabled={promote.running || !online}>
                Promote to full clone
              </Button>
              {promote.running && (
                <Button size="small" onClick={promote.cancel}>
                  Cancel promotion
                </Button>
              )}
            </Stack>
            {promote.running && (
              <Box sx={{ mt: 1 }}>
                <LinearProgress
                  variant={promote.progress && promote.progress.fraction > 0 ? 'determinate' : 'indeterminate'}
                  value={Math.round((promote.progress?.fraction ?? 0) * 100)}
                  aria-label="Promoting to a full clone"
                />
                <Typography variant="caption" color="text.secondary" role="status">
                  {promote.progress?.message ?? 'Promoting…'}
                </Typography>
              </Box>
            )}
            {promote.error && promote.error.code !== 'CANCELLED' && (
              <Alert severity="error" sx={{ mt: 1 }}>
                {promote.error.message}
              </Alert>
            )}
            {promote.error?.code === 'CANCELLED' && (
              <Alert severity="info" role="status" sx={{ mt: 1 }}>
                Promotion was cancelled; the VM is still a linked clone.
              </Alert>
            )}
          </Box>
        )}
        {dependents.length > 0 && (
          <Box>
            <Typography variant="body2" color="text.secondary">
              Linked clones based on this VM (it cannot be deleted while they exist):
            </Typography>
            <Box component="ul" aria-label="Linked clones" sx={{ m: 0, mt: 0.5, pl: 2.5 }}>
              {dependents.map((c) => (
                <Typography component="li" variant="body2" key={c.vmId}>
                  “{c.vmName}”{c.snapshotName === null ? '' : ` on snapshot “${c.snapshotName}”`}
                </Typography>
              ))}
            </Box>
          </Box>
        )}
      </Stack>
    </Section>
  );
}

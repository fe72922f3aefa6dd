// The Details tab: what the VM is made of, in VirtualBox's sections.
import { Alert, Box, Chip, Paper, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { StateChip } from '../components/StateChip.js';
import type { VmDetails } from '../logic/apiTypes.js';
import { formatDateTime, formatDiskSize, formatForward } from '../logic/format.js';
import { formatMiB } from '../logic/size.js';

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
            ...(d.description ? ([['Description', d.description]] as [string, ReactNode][]) : []),
          ]}
        />
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
      <Section title="System">
        <Rows
          rows={[
            ['Processors', String(d.cpus)],
            ['Memory', formatMiB(d.memoryMiB)],
            ['Firmware', d.firmware === 'uefi' ? 'UEFI' : 'BIOS'],
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
                  ['Card', `${n.id} · ${n.model} · NAT`],
                  ['MAC address', <Box component="span" sx={mono}>{n.mac}</Box>],
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
      <Section title="Display and console">
        <Rows
          rows={[
            ['Graphics', d.display.vga],
            ['Remote display', d.display.vnc ? 'VNC (shown in the Display tab)' : 'Off'],
            ['Serial console', d.serial ? 'On (shown in the Console tab)' : 'Off'],
            ['Boot order', d.boot.order.join(', ')],
            ...(d.boot.kernel ? ([['Kernel', <Box component="span" sx={mono}>{d.boot.kernel}</Box>]] as [string, ReactNode][]) : []),
          ]}
        />
      </Section>
    </Box>
  );
}

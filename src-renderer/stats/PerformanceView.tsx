// The Performance tab of a running VM: CPU, memory, disk and network, one sample a second, as charts
// (MUI X Charts) that move as the owner sends each new sample (`vm.sample`, after `vm.statsWatch`).
import { Alert, Box, Paper, Stack, ToggleButton, ToggleButtonGroup, Typography } from '@mui/material';
import { LineChart } from '@mui/x-charts/LineChart';
import { useEffect, useMemo, useState } from 'react';
import { useApi, useApiQuery, useEvent } from '../api/hooks.js';
import type { VmSummary } from '../api/apiTypes.js';
import { WINDOWS, formatMemory, formatPercent, formatRate, lastSeconds, mergeSamples, type Sample } from './performance.js';

type Field = Exclude<keyof Sample, 't'>;

export function PerformanceView({ vm }: { vm: VmSummary }) {
  const api = useApi();
  const active = vm.state === 'running' || vm.state === 'paused' || vm.state === 'starting' || vm.state === 'stopping';
  // The history, and a subscription to what comes next (again after each reconnect and start).
  const q = useApiQuery('vm.statsWatch', active ? { ref: vm.id } : null, [vm.id, active]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [windowS, setWindowS] = useState<number>(300);
  useEffect(() => setSamples([]), [vm.id]);
  useEffect(() => {
    if (q.data?.id === vm.id) setSamples((kept) => mergeSamples(kept, q.data!.samples));
  }, [q.data, vm.id]);
  useEvent('vm.sample', (e) => e.id === vm.id && setSamples((kept) => mergeSamples(kept, [e.sample])));
  useEffect(() => {
    if (!active) return;
    return () => void api.call('vm.statsUnwatch', { ref: vm.id }).catch(() => undefined);
  }, [api, vm.id, active]);

  const shown = useMemo(() => lastSeconds(samples, windowS), [samples, windowS]);
  const latest = shown.at(-1);
  const unmeasured = q.data?.netUnmeasured ?? [];

  if (!active) {
    return (
      <Typography variant="body2" color="text.secondary" sx={{ p: 3 }}>
        Performance is sampled once a second while the VM runs (the last hour is kept). Start the VM to see it.
      </Typography>
    );
  }
  return (
    <Stack sx={{ height: '100%', overflow: 'auto', p: 2, gap: 2 }} role="region" aria-label="Performance">
      <Stack direction="row" sx={{ alignItems: 'center', gap: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Measured on the host once a second: the QEMU process's CPU time and memory, the guest's disk I/O, and its network traffic.
        </Typography>
        <ToggleButtonGroup size="small" exclusive value={windowS} onChange={(_, v: number | null) => v !== null && setWindowS(v)} aria-label="Time shown">
          {WINDOWS.map((w) => (
            <ToggleButton key={w.seconds} value={w.seconds}>
              {w.label}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
      </Stack>
      {q.error && <Alert severity="error">{q.error.message}</Alert>}
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', lg: '1fr 1fr' }, gap: 2 }}>
        <Chart title="CPU" value={`${formatPercent(latest?.cpuPercent)} of one core`} samples={shown} series={[{ field: 'cpuPercent', label: 'CPU %' }]} format={(v) => formatPercent(v)} min={0} />
        <Chart title="Memory" value={`${formatMemory(latest?.memoryBytes)} resident`} samples={shown} series={[{ field: 'memoryBytes', label: 'Resident memory' }]} format={formatMemory} min={0} />
        <Chart
          title="Disk"
          value={`read ${formatRate(latest?.diskReadBps)} · write ${formatRate(latest?.diskWriteBps)}`}
          samples={shown}
          series={[
            { field: 'diskReadBps', label: 'Read' },
            { field: 'diskWriteBps', label: 'Write' },
          ]}
          format={formatRate}
          min={0}
        />
        <Chart
          title="Network"
          value={latest && latest.netRxBps === null ? 'not measurable' : `received ${formatRate(latest?.netRxBps)} · sent ${formatRate(latest?.netTxBps)}`}
          samples={shown}
          series={[
            { field: 'netRxBps', label: 'Received' },
            { field: 'netTxBps', label: 'Sent' },
          ]}
          format={formatRate}
          min={0}
          note={unmeasured.length ? `Not counted: ${unmeasured.map((u) => `${u.nic} (${u.reason})`).join('; ')}.` : undefined}
        />
      </Box>
    </Stack>
  );
}

function Chart({
  title,
  value,
  samples,
  series,
  format,
  min,
  note,
}: {
  title: string;
  value: string;
  samples: Sample[];
  series: { field: Field; label: string }[];
  format: (v: number | null) => string;
  min?: number;
  note?: string | undefined;
}) {
  const times = useMemo(() => samples.map((s) => new Date(s.t)), [samples]);
  return (
    <Paper variant="outlined" component="section" aria-label={title} sx={{ p: 1.5, minWidth: 0 }}>
      <Stack direction="row" sx={{ alignItems: 'baseline', gap: 1 }}>
        <Typography variant="subtitle2" component="h3">
          {title}
        </Typography>
        <Typography variant="body2" color="text.secondary" data-testid={`perf-${title.toLowerCase()}-now`}>
          {value}
        </Typography>
      </Stack>
      <LineChart
        height={180}
        skipAnimation
        xAxis={[{ data: times, scaleType: 'time', valueFormatter: (d: Date) => d.toLocaleTimeString() }]}
        yAxis={[{ ...(min !== undefined ? { min } : {}), valueFormatter: (v: number | null) => format(v), width: 80 }]}
        series={series.map((s) => ({ data: samples.map((x) => x[s.field]), label: s.label, showMark: false, valueFormatter: (v: number | null) => format(v) }))}
        margin={{ left: 8, right: 8, top: 8, bottom: 8 }}
      />
      {note && (
        <Typography variant="caption" color="text.secondary">
          {note}
        </Typography>
      )}
    </Paper>
  );
}

// The right pane: the selected VM's header and its Details, Snapshots, Performance, Console and Display tabs.
import { Alert, Box, LinearProgress, Stack, Tab, Tabs, Typography } from '@mui/material';
import { lazy, Suspense, useState } from 'react';
import { useApiQuery, useEvent } from '../api/hooks.js';
import { useOsTypes } from '../app/catalogue.js';
import { DisplayView } from '../consoles/DisplayView.js';
import { OsIcon } from '../components/OsIcon.js';
import { StateChip } from '../components/StateChip.js';
import type { VmSummary } from '../api/apiTypes.js';
import { osFamily } from '../components/format.js';
import { DetailsTab } from './DetailsTab.js';

// xterm.js loads with the first console shown; the charts with the first Performance tab; the
// snapshot tree and its dialogs with the first Snapshots tab.
const SnapshotsView = lazy(() => import('../snapshots/SnapshotsView.js').then((m) => ({ default: m.SnapshotsView })));
const PerformanceView = lazy(() => import('../stats/PerformanceView.js').then((m) => ({ default: m.PerformanceView })));
const ConsoleView = lazy(() => import('../consoles/ConsoleView.js').then((m) => ({ default: m.ConsoleView })));

type PaneTab = 'details' | 'snapshots' | 'performance' | 'console' | 'display';
const TABS: { value: PaneTab; label: string }[] = [
  { value: 'details', label: 'Details' },
  { value: 'snapshots', label: 'Snapshots' },
  { value: 'performance', label: 'Performance' },
  { value: 'console', label: 'Console' },
  { value: 'display', label: 'Display' },
];

export function VmDetailsPane({ vm, tab, onTabChange }: { vm: VmSummary; tab: PaneTab; onTabChange: (t: PaneTab) => void }) {
  const osTypes = useOsTypes();
  const q = useApiQuery('vm.show', { ref: vm.id }, [vm.id]);
  const { reload } = q;
  useEvent('vm.stateChanged', (e) => e.id === vm.id && reload());
  useEvent('inventory.changed', (e) => (e.id === undefined || e.id === vm.id) && reload());
  useEvent('vm.guestChanged', (e) => e.id === vm.id && reload());
  // The console stays mounted once opened, so switching tabs keeps its subscription.
  const [consoleOpened, setConsoleOpened] = useState(tab === 'console');
  if (tab === 'console' && !consoleOpened) setConsoleOpened(true);
  const os = osTypes.find((o) => o.id === vm.osType);
  const details = q.data?.id === vm.id ? q.data : undefined;

  return (
    <Stack sx={{ height: '100%', minHeight: 0 }}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', px: 3, pt: 2, pb: 1 }}>
        <OsIcon family={osFamily(vm.osType, osTypes)} size={44} />
        <Box sx={{ minWidth: 0, flex: 1 }}>
          <Typography variant="h6" component="h2" noWrap>
            {vm.name}
          </Typography>
          <Typography variant="body2" color="text.secondary" noWrap>
            {os?.label ?? vm.osType} · {vm.accelerator.toUpperCase()}
          </Typography>
        </Box>
        <StateChip state={vm.state} size="medium" />
      </Stack>
      <Box sx={{ borderBottom: 1, borderColor: 'divider', px: 2 }}>
        <Tabs value={tab} onChange={(_, v: PaneTab) => onTabChange(v)} aria-label="VM views" variant="scrollable" scrollButtons="auto">
          {TABS.map((t) => (
            <Tab key={t.value} value={t.value} label={t.label} id={`vm-tab-${t.value}`} aria-controls={`vm-panel-${t.value}`} />
          ))}
        </Tabs>
      </Box>
      <Box sx={{ flex: 1, minHeight: 0, position: 'relative' }}>
        <Box role="tabpanel" id="vm-panel-details" aria-labelledby="vm-tab-details" hidden={tab !== 'details'} sx={{ height: '100%', overflow: 'auto' }}>
          {tab === 'details' && (
            <>
              <Box sx={{ height: 4 }}>{q.loading && <LinearProgress aria-label="Loading details" />}</Box>
              {q.error && (
                <Alert severity="error" sx={{ m: 2 }}>
                  {q.error.message}
                </Alert>
              )}
              {details && <DetailsTab details={details} />}
            </>
          )}
        </Box>
        <Box role="tabpanel" id="vm-panel-snapshots" aria-labelledby="vm-tab-snapshots" hidden={tab !== 'snapshots'} sx={{ height: '100%' }}>
          {tab === 'snapshots' && (
            <Suspense fallback={<LinearProgress aria-label="Loading the snapshots" />}>
              <SnapshotsView vm={vm} />
            </Suspense>
          )}
        </Box>
        <Box role="tabpanel" id="vm-panel-performance" aria-labelledby="vm-tab-performance" hidden={tab !== 'performance'} sx={{ height: '100%' }}>
          {tab === 'performance' && (
            <Suspense fallback={<LinearProgress aria-label="Loading the charts" />}>
              <PerformanceView vm={vm} />
            </Suspense>
          )}
        </Box>
        <Box role="tabpanel" id="vm-panel-console" aria-labelledby="vm-tab-console" hidden={tab !== 'console'} sx={{ height: '100%' }}>
          {consoleOpened && (
            <Suspense fallback={<LinearProgress aria-label="Loading the console" />}>
              <ConsoleView vm={vm} />
            </Suspense>
          )}
        </Box>
        <Box role="tabpanel" id="vm-panel-display" aria-labelledby="vm-tab-display" hidden={tab !== 'display'} sx={{ height: '100%' }}>
          {tab === 'display' && <DisplayView vm={vm} clipboard={details?.display.clipboard === true} />}
        </Box>
      </Box>
    </Stack>
  );
}

export type { PaneTab };

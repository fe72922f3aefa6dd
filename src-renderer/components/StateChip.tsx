import { Chip } from '@mui/material';
import type { VmState } from '../api/apiTypes.js';
import { stateColor, stateLabel } from '../vms/vmState.js';

export function StateChip({ state, size = 'small' }: { state: VmState; size?: 'small' | 'medium' }) {
  return <Chip data-testid="vm-state" label={stateLabel(state)} color={stateColor(state)} size={size} variant={state === 'stopped' ? 'outlined' : 'filled'} />;
}

// The Networks dialog as pure logic: a draft of a new network checked with the owner's own rules,
// the `network.create` input, where a refusal belongs, and the refusal of a delete in words.
import type { ApiInput } from '../api/apiTypes.js';
import { placeServerError } from '../api/serverIssues.js';
import { NETWORK_IN_USE } from '../../src-main/api/issueCodes.js';
import { isInterfaceName, networkNameProblems, NETWORK_MODES, type NetworkMode } from '../../src-main/networks/model.js';
import { isPrivate, parseSubnet } from '../../src-main/networks/ipv4.js';
import type { FieldIssue } from '../components/fields.js';

export { NETWORK_MODES, type NetworkMode };

export interface NetworkDraft {
  name: string;
  mode: NetworkMode;
  /** '' picks a free one */
  subnet: string;
  dhcp: boolean;
  /** '' picks hgbrN (bridged: must name the host's bridge) */
  bridge: string;
}

export function initialNetworkDraft(): NetworkDraft {
  return { name: '', mode: 'nat', subnet: '', dhcp: true, bridge: '' };
}

/** The mode changes, and with it what DHCP defaults to (off for internal, never for bridged). */
export function withMode(d: NetworkDraft, mode: NetworkMode): NetworkDraft {
  return { ...d, mode, dhcp: mode === 'nat' || mode === 'hostonly', ...(mode === 'bridged' ? { subnet: '' } : {}) };
}

export function validateNetworkDraft(d: NetworkDraft, existingNames: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = networkNameProblems(d.name).map((message) => ({ field: 'name', message }));
  if (d.name && existingNames.some((n) => n.toLowerCase() === d.name.toLowerCase())) issues.push({ field: 'name', message: `a network named '${d.name}' already exists` });
  const subnet = d.subnet.trim();
  if (d.mode !== 'bridged' && subnet !== '') {
    const p = parseSubnet(subnet);
    if (!p.ok) issues.push({ field: 'subnet', message: p.problem });
    else if (!isPrivate(p.cidr)) issues.push({ field: 'subnet', message: `subnet ${subnet} is not private: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16` });
  }
  const bridge = d.bridge.trim();
  if (d.mode === 'bridged' && bridge === '') issues.push({ field: 'bridge', message: 'a bridged network needs the host bridge it joins' });
  else if (bridge !== '' && !isInterfaceName(bridge)) issues.push({ field: 'bridge', message: `bridge name '${bridge}' must be 1 to 15 letters, digits, '.', '_' or '-', starting with a letter or digit` });
  return issues;
}

export function toNetworkCreateInput(d: NetworkDraft): ApiInput<'network.create'> {
  return {
    name: d.name,
    mode: d.mode,
    ...(d.mode !== 'bridged' && d.subnet.trim() !== '' ? { subnet: d.subnet.trim() } : {}),
    ...(d.mode !== 'bridged' ? { dhcp: d.dhcp } : {}),
    ...(d.bridge.trim() !== '' ? { bridge: d.bridge.trim() } : {}),
  };
}

/** A `network.create` refusal on the form's fields (the request's own field names), the rest in general. */
export function placeNetworkError(e: { message: string; details?: unknown }): { fields: FieldIssue[]; general: string[] } {
  const placed = placeServerError(e, (p) => (['name', 'mode', 'subnet', 'dhcp', 'bridge'].includes(p) ? p : undefined));
  return { fields: placed.fields, general: placed.general };
}

/** Why a network cannot be deleted, in the interface's words (its own remedy: the VMs' settings). */
export function deleteRefusal(e: { message: string; details?: unknown }): string {
  const issues = (e.details as { issues?: { code?: string; data?: { network?: string; vms?: string[] } }[] } | undefined)?.issues ?? [];
  const inUse = issues.find((i) => i.code === NETWORK_IN_USE);
  if (!inUse?.data?.vms) return e.message;
  const vms = inUse.data.vms.map((v) => `“${v}”`).join(', ');
  return `Network “${inUse.data.network}” is in use by ${inUse.data.vms.length === 1 ? 'the VM' : 'the VMs'} ${vms}. Move their cards to another network (Settings → Network) first.`;
}

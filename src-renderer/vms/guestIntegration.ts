// Guest integration in the interface (pure): shared folders as a person edits them (with the API's own
// rules for tags and paths), and what the interface says about the guest agent and the clipboard.
import { AbsPath } from '../../src-vmm/model/names.js';
import { defaultShareTag, mountCommand, ShareTag, type ShareMode } from '../../src-vmm/model/shares.js';
import { MAX_SHARES } from '../../src-vmm/model/limits.js';
import type { ApiInput, VmDetails } from '../api/apiTypes.js';
import { messagesOf, type FieldIssue } from '../components/fields.js';

export { mountCommand };

/** A shared folder row of the wizard or the Settings dialog. */
export interface ShareDraft {
  hostPath: string;
  /** '' takes the folder's name */
  tag: string;
  readOnly: boolean;
  mode: ShareMode;
  /** a share the VM has already (kept unless removed) */
  existing?: boolean;
}

export function newShare(mode: ShareMode = 'virtiofs'): ShareDraft {
  return { hostPath: '', tag: '', readOnly: false, mode };
}

/** The tag a row will have: what was typed, else the folder's name. */
export function effectiveTag(s: Pick<ShareDraft, 'hostPath' | 'tag'>): string {
  return s.tag.trim() !== '' ? s.tag.trim() : s.hostPath.trim() === '' ? '' : defaultShareTag(s.hostPath.trim());
}

/** Problems of the rows, at `shares.<i>.hostPath` / `shares.<i>.tag`, in the API's words. */
export function shareIssues(shares: readonly ShareDraft[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (shares.length > MAX_SHARES) issues.push({ field: 'shares', message: `a VM can have at most ${MAX_SHARES} shared folders` });
  const seen = new Set<string>();
  shares.forEach((s, i) => {
    const path = s.hostPath.trim();
    if (path === '') issues.push({ field: `shares.${i}.hostPath`, message: 'choose a folder to share' });
    else for (const message of messagesOf(AbsPath.safeParse(path))) issues.push({ field: `shares.${i}.hostPath`, message });
    const tag = effectiveTag(s);
    if (tag === '') return;
    for (const message of messagesOf(ShareTag.safeParse(tag))) issues.push({ field: `shares.${i}.tag`, message });
    if (seen.has(tag)) issues.push({ field: `shares.${i}.tag`, message: `share tag '${tag}' is used by more than one shared folder` });
    seen.add(tag);
  });
  return issues;
}

type ShareRequest = NonNullable<ApiInput<'vm.create'>['shares']>[number];

export function shareRequest(s: ShareDraft): ShareRequest {
  return { hostPath: s.hostPath.trim(), ...(s.tag.trim() ? { tag: s.tag.trim() } : {}), readOnly: s.readOnly, mode: s.mode };
}

/** A request's share path ('shares[1].hostPath', 'addShares[0].tag') as a row field ('shares.1.hostPath'); `offset` counts the rows before the added ones. */
export function shareField(path: string, offset = 0): string | undefined {
  const m = /^(?:add)?[sS]hares\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (!m) return undefined;
  const index = Number(m[1]) + (path.startsWith('addShares') ? offset : 0);
  return `shares.${index}.${m[2] === 'tag' ? 'tag' : m[2] === 'mode' ? 'mode' : 'hostPath'}`;
}

/** How a person gets a guest agent, in one sentence. */
export const AGENT_INSTALL_HINT =
  'Install the QEMU guest agent in the guest for its address, running commands and clean snapshots: on Debian and Ubuntu “apt install qemu-guest-agent”, on Fedora “dnf install qemu-guest-agent”, on Windows the virtio-win guest tools.';

/** How a person gets the clipboard to work, in one sentence. */
export const CLIPBOARD_INSTALL_HINT =
  'The guest shares its clipboard through spice-vdagent: on Debian and Ubuntu “apt install spice-vdagent” (with a desktop session), on Windows the SPICE guest tools.';

/** The guest's facts as lines for the Details view; empty when no agent answers. */
export function guestFacts(g: VmDetails['guest']): [string, string][] {
  if (g.agent !== 'connected') return [];
  return [
    ['Host name', g.hostname ?? 'unknown'],
    ['Operating system', g.osName ?? 'unknown'],
    ['IP addresses', g.ipAddresses.length ? g.ipAddresses.join(', ') : 'none yet'],
  ];
}

/** A VM list's second line for a running VM whose agent answers: its host name and first address. */
export function guestLine(g: { agent: string; hostname: string | null; ipAddresses: string[] } | undefined): string | null {
  if (!g || g.agent !== 'connected') return null;
  const parts = [g.hostname, g.ipAddresses[0]].filter((x): x is string => Boolean(x));
  return parts.length ? parts.join(' · ') : null;
}

// The Settings dialog as pure logic: a draft made from `vm.show`, validation with the API's rules,
// and the `vm.modify` input that carries only what changed.
import type { ApiInput, VmDetails, VmState } from '../api/apiTypes.js';
import {
  cpusIssues,
  descriptionIssues,
  forwardFromDraft,
  forwardIssues,
  issuesToFields,
  memoryIssues,
  nameIssues,
  pathIssues,
  type FieldIssue,
  type ForwardDraft,
} from '../components/fields.js';
import { parseSize } from '../components/size.js';
import { placeServerError, under } from '../api/serverIssues.js';
import { IMAGE_READS_OTHER_FILES } from '../../src-main/api/issueCodes.js';
import { hardwareLockReason } from './vmState.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { MAX_NICS } from '../../src-vmm/model/limits.js';
import type { DiskMode } from './newVm.js';
import { shareField, shareIssues, shareRequest, type ShareDraft } from './guestIntegration.js';

export type VmModifyInput = ApiInput<'vm.modify'>;
/** The first card's model, or 'none' for no network card. */
export type NicChoice = NonNullable<NonNullable<VmModifyInput['nics']>[number]['model']> | 'none';
export type Firmware = VmDetails['firmware'];
export type AccelSetting = VmDetails['accelSetting'];

export const SETTINGS_TABS = [
  { key: 'general', label: 'General' },
  { key: 'system', label: 'System' },
  { key: 'storage', label: 'Storage' },
  { key: 'network', label: 'Network' },
  { key: 'shares', label: 'Shared folders' },
  { key: 'display', label: 'Display' },
] as const;
export type SettingsTab = (typeof SETTINGS_TABS)[number]['key'];

export interface SettingsDraft {
  name: string;
  osType: string;
  description: string;
  cpus: string;
  memoryMiB: string;
  firmware: Firmware;
  nested: boolean;
  accel: AccelSetting;
  restartOnCrash: boolean;
  /** automatic restarts allowed within a minute */
  restartLimit: string;
  /** the first optical drive's ISO; '' is empty (ejected) */
  iso: string;
  nic: NicChoice;
  forwards: ForwardDraft[];
  /** the first card's network id; '' is user-mode NAT */
  network: string;
  /** the first card's cable */
  linkUp: boolean;
  /** the cards after the first, as they are to be (a new one has no id) */
  moreCards: CardDraft[];
  addDisk: { mode: DiskMode; size: string; image: string; flatten: boolean };
  secureBoot: boolean;
  tpm: boolean;
  clipboard: boolean;
  /** the VM's shares (existing: kept unless removed) and new ones */
  shares: ShareDraft[];
}

/** A network card after the first: its model, its network ('' for user-mode NAT) and its cable. */
export interface CardDraft {
  id?: string;
  model: Exclude<NicChoice, 'none'>;
  network: string;
  linkUp: boolean;
}

export function draftFromDetails(d: VmDetails): SettingsDraft {
  const nic = d.nics[0];
  return {
    name: d.name,
    osType: d.osType,
    description: d.description,
    cpus: String(d.cpus),
    memoryMiB: String(d.memoryMiB),
    firmware: d.firmware,
    nested: d.nested,
    accel: d.accelSetting,
    restartOnCrash: d.restartOnCrash,
    restartLimit: String(d.maxRestartsPerMinute),
    iso: d.opticals[0]?.path ?? '',
    nic: (nic?.model as NicChoice | undefined) ?? 'none',
    forwards: (nic?.forwards ?? []).map((f) => ({ protocol: f.protocol, hostAddress: f.hostAddress, hostPort: String(f.hostPort), guestPort: String(f.guestPort) })),
    network: nic?.networkId ?? '',
    linkUp: nic?.linkUp ?? true,
    moreCards: d.nics.slice(1).map((n) => ({ id: n.id, model: n.model as CardDraft['model'], network: n.networkId ?? '', linkUp: n.linkUp })),
    addDisk: { mode: 'none', size: '20G', image: '', flatten: false },
    secureBoot: d.secureBoot,
    tpm: d.tpm,
    clipboard: d.display.clipboard === true,
    shares: d.shares.map((x) => ({ hostPath: x.hostPath, tag: x.tag, readOnly: x.readOnly, mode: x.mode, existing: true })),
  };
}

/** A new card for the list: the first card's model (or VirtIO), on user-mode NAT, cable connected. */
export function newCard(draft: Pick<SettingsDraft, 'nic'>): CardDraft {
  return { model: draft.nic === 'none' ? 'virtio' : draft.nic, network: '', linkUp: true };
}

/** How many cards the draft has. */
export function cardCount(draft: Pick<SettingsDraft, 'nic' | 'moreCards'>): number {
  return (draft.nic === 'none' ? 0 : 1) + draft.moreCards.length;
}

export function newForward(): ForwardDraft {
  return { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: '', guestPort: '' };
}

/** Which tab a field lives on, to mark tabs that hold a problem. */
export function tabOfField(field: string): SettingsTab {
  if (field === 'name' || field === 'osType' || field === 'description') return 'general';
  if (['cpus', 'memoryMiB', 'firmware', 'nested', 'accel', 'restartLimit', 'secureBoot', 'tpm'].includes(field)) return 'system';
  if (field.startsWith('shares')) return 'shares';
  if (field === 'clipboard') return 'display';
  if (field === 'iso' || field.startsWith('addDisk')) return 'storage';
  if (field === 'nic' || field.startsWith('forwards') || field === 'network' || field.startsWith('cards')) return 'network';
  return 'general';
}

export interface SettingsContext {
  existingNames: readonly string[];
  knownOsTypes: readonly string[];
}

/** Every problem of the draft, with the API's messages. */
export function validateSettings(details: VmDetails, draft: SettingsDraft, ctx: SettingsContext): FieldIssue[] {
  const issues: FieldIssue[] = [
    ...issuesToFields('name', nameIssues(draft.name, ctx.existingNames, details.name)),
    ...issuesToFields('description', descriptionIssues(draft.description)),
    ...issuesToFields('cpus', cpusIssues(draft.cpus)),
    ...issuesToFields('memoryMiB', memoryIssues(draft.memoryMiB)),
  ];
  if (!ctx.knownOsTypes.includes(draft.osType)) issues.push({ field: 'osType', message: `unknown OS type '${draft.osType}'` });
  if (draft.nested && draft.accel === 'tcg') issues.push({ field: 'nested', message: "nested virtualization needs the KVM accelerator (accel is 'tcg')" });
  if (draft.restartOnCrash) {
    const limit = draft.restartLimit.trim();
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 10) issues.push({ field: 'restartLimit', message: 'restarts per minute must be a whole number from 1 to 10' });
  }
  if (draft.iso.trim() !== '') issues.push(...issuesToFields('iso', pathIssues(draft.iso, 'an ISO image')));
  if (draft.nic !== 'none') issues.push(...forwardIssues(draft.forwards));
  if (cardCount(draft) > MAX_NICS) issues.push({ field: 'cards', message: `a VM can have at most ${MAX_NICS} network cards` });
  if (draft.addDisk.mode === 'new') {
    const r = parseSize(draft.addDisk.size);
    if (!r.ok) issues.push({ field: 'addDisk.size', message: r.message });
  } else if (draft.addDisk.mode === 'existing') {
    issues.push(...issuesToFields('addDisk.image', pathIssues(draft.addDisk.image, 'a disk image')));
  }
  if (draft.secureBoot && draft.firmware !== 'uefi') issues.push({ field: 'secureBoot', message: 'Secure Boot needs UEFI firmware' });
  issues.push(...shareIssues(draft.shares));
  return issues;
}

function sameForwards(a: readonly ForwardDraft[], b: readonly ForwardDraft[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((f, i) => {
    const g = b[i]!;
    return f.protocol === g.protocol && f.hostAddress.trim() === g.hostAddress.trim() && f.hostPort.trim() === g.hostPort.trim() && f.guestPort.trim() === g.guestPort.trim();
  });
}

/**
 * The `vm.modify` input for a valid draft: only the fields that differ from `details`; null when
 * nothing changed. Ejecting the ISO sends `iso: null`.
 */
export function toModifyInput(details: VmDetails, draft: SettingsDraft): VmModifyInput | null {
  const base = draftFromDetails(details);
  const input: VmModifyInput = { ref: details.id };
  if (draft.name !== base.name) input.name = draft.name;
  if (draft.description !== base.description) input.description = draft.description;
  if (draft.osType !== base.osType) input.osType = draft.osType;
  const system: NonNullable<VmModifyInput['system']> = {};
  if (draft.cpus.trim() !== base.cpus) system.cpus = Number(draft.cpus.trim());
  if (draft.memoryMiB.trim() !== base.memoryMiB) system.memoryMiB = Number(draft.memoryMiB.trim());
  if (draft.accel !== base.accel) system.accel = draft.accel;
  if (Object.keys(system).length) input.system = system;
  const firmware: NonNullable<VmModifyInput['firmware']> = {};
  if (draft.firmware !== base.firmware) firmware.type = draft.firmware;
  if (draft.secureBoot !== base.secureBoot) firmware.secureBoot = draft.secureBoot;
  if (Object.keys(firmware).length) input.firmware = firmware;
  if (draft.tpm !== base.tpm) input.tpm = draft.tpm;
  if (draft.clipboard !== base.clipboard) input.display = { clipboard: draft.clipboard };
  // Shares: the existing ones left out are removed; the new rows are added after those that stay.
  const kept = new Set(draft.shares.filter((x) => x.existing).map((x) => x.tag));
  const removed = base.shares.filter((x) => !kept.has(x.tag)).map((x) => x.tag);
  const added = draft.shares.filter((x) => !x.existing);
  if (removed.length) input.removeShares = removed;
  if (added.length) input.addShares = added.map(shareRequest);
  if (draft.nested !== base.nested) input.features = { nested: draft.nested };
  const recovery: NonNullable<VmModifyInput['recovery']> = {};
  if (draft.restartOnCrash !== base.restartOnCrash) recovery.restartOnCrash = draft.restartOnCrash;
  if (draft.restartOnCrash && draft.restartLimit.trim() !== base.restartLimit) recovery.maxRestartsPerMinute = Number(draft.restartLimit.trim());
  if (Object.keys(recovery).length) input.recovery = recovery;
  const iso = draft.iso.trim();
  if (iso !== base.iso) input.iso = iso === '' ? null : iso;
  const forwardsChanged = draft.nic !== 'none' && !sameForwards(draft.forwards, base.forwards);
  const firstChanged = draft.network !== base.network || draft.linkUp !== base.linkUp;
  const moreChanged = JSON.stringify(draft.moreCards) !== JSON.stringify(base.moreCards);
  if (draft.nic !== base.nic || forwardsChanged || firstChanged || moreChanged) {
    // The list as it is to be: the first card (changed, or gone), then the others.
    const [first] = details.nics;
    const card = (c: CardDraft, before: VmDetails['nics'][number] | undefined) => ({
      ...(c.id ? { id: c.id } : {}),
      ...(before?.model !== c.model ? { model: c.model } : {}),
      ...((before?.networkId ?? '') !== c.network || !before ? { network: c.network === '' ? null : c.network } : {}),
      ...(before?.linkUp !== c.linkUp && (before || !c.linkUp) ? { linkUp: c.linkUp } : {}),
    });
    const others = draft.moreCards.map((c) => card(c, details.nics.find((n) => n.id === c.id)));
    input.nics =
      draft.nic === 'none'
        ? others
        : [
            {
              ...(first ? { id: first.id } : {}),
              model: draft.nic,
              ...(draft.network !== base.network || !first ? { network: draft.network === '' ? null : draft.network } : {}),
              ...(draft.linkUp !== base.linkUp ? { linkUp: draft.linkUp } : {}),
              ...(forwardsChanged ? { forwards: draft.forwards.map((f) => forwardFromDraft(f)).filter((f) => f !== null) } : {}),
            },
            ...others,
          ];
  }
  if (draft.addDisk.mode === 'new') {
    const r = parseSize(draft.addDisk.size);
    if (r.ok) input.addDisk = { sizeBytes: r.bytes };
  } else if (draft.addDisk.mode === 'existing') input.addDisk = { image: draft.addDisk.image.trim(), ...(draft.addDisk.flatten ? { flatten: true } : {}) };
  return Object.keys(input).length > 1 ? input : null;
}

/** The dialog's field for a path of the `vm.modify` request. */
export function fieldForModifyPath(path: string, draft: Pick<SettingsDraft, 'addDisk'> & Partial<Pick<SettingsDraft, 'shares'>>): string | undefined {
  for (const f of ['name', 'osType', 'description', 'iso'] as const) if (path === f) return f;
  if (under(path, 'system.cpus')) return 'cpus';
  if (under(path, 'system.memoryMiB')) return 'memoryMiB';
  if (under(path, 'system.accel')) return 'accel';
  if (under(path, 'firmware.secureBoot')) return 'secureBoot';
  if (under(path, 'firmware')) return 'firmware';
  if (under(path, 'tpm')) return 'tpm';
  if (under(path, 'display.clipboard')) return 'clipboard';
  const share = shareField(path, draft.shares?.filter((x) => x.existing).length ?? 0);
  if (share) return share;
  if (under(path, 'features.nested')) return 'nested';
  if (under(path, 'recovery')) return 'restartLimit';
  if (under(path, 'addDisk')) return draft.addDisk.mode === 'existing' ? 'addDisk.image' : 'addDisk.size';
  // The first card's forwards: nics[0].forwards[i].hostPort → forwards.i.hostPort
  const forward = /^nics\[0\]\.forwards\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (forward) return `forwards.${forward[1]}.${forward[2] ?? 'hostPort'}`;
  if (under(path, 'nics[0].network')) return 'network';
  const card = /^nics\[(\d+)\]/.exec(path);
  if (card && Number(card[1]) > 0) return `cards.${Number(card[1]) - 1}`;
  if (under(path, 'nics')) return 'nic';
  return undefined;
}

/** A `vm.modify` error on the dialog's fields (and what no field holds), from the problems it carries. */
export function placeModifyError(e: { message: string; details?: unknown }, draft: Pick<SettingsDraft, 'addDisk'> & Partial<Pick<SettingsDraft, 'shares'>>): { fields: FieldIssue[]; general: string[]; readsOtherFiles: boolean } {
  const placed = placeServerError(e, (p) => fieldForModifyPath(p, draft));
  const readsOtherFiles = placed.issues.some((i) => i.code === IMAGE_READS_OTHER_FILES);
  const fields = placed.fields.map((f) =>
    readsOtherFiles && f.field === 'addDisk.image' ? { ...f, message: `${f.message}. To use it, tick “Copy the image into the VM's folder”: the copy takes in what it reads.` } : f,
  );
  return { fields, general: placed.general, readsOtherFiles };
}

/** What the dialog may change for a VM in this state. */
export interface SettingsLock {
  /** hardware fields (everything but name and description) are read-only */
  hardwareLocked: boolean;
  /**
   * while it runs: cards can still be added and removed, their cables and the first card's port
   * forwards changed (not a card's model or network)
   */
  cardsLive: boolean;
  /** the API's reason, shown above the tabs */
  reason: string | null;
}

export function settingsLock(vm: { name: string; state: VmState }): SettingsLock {
  const reason = hardwareLockReason(vm);
  return { hardwareLocked: reason !== null, cardsLive: reason !== null && isActive(vm.state), reason };
}

/** Whether a change may be saved under the lock: anything while stopped; while running, only cards (and name, description). */
export function changeAllowed(lock: SettingsLock, change: VmModifyInput | null): boolean {
  if (!change || !lock.hardwareLocked) return true;
  const hardware = Object.keys(change).filter((k) => !['ref', 'name', 'description', 'recovery'].includes(k));
  return hardware.length === 0 || (lock.cardsLive && hardware.every((k) => k === 'nics'));
}

/**
 * Why nested virtualization cannot be turned on for this VM, or null when it can: it needs KVM, so
 * a VM set to TCG, or set to automatic on a host without KVM, cannot have it. `hostReason` is the
 * owner's own sentence about the accelerator ("TCG (software emulation, slower): /dev/kvm …").
 */
export function nestedBlockReason(accel: AccelSetting, host: { accelerator: 'kvm' | 'tcg'; accelReason: string } | null): string | null {
  if (accel === 'tcg') return 'Needs the KVM accelerator: this VM is set to TCG.';
  if (accel === 'auto' && host && host.accelerator !== 'kvm') return `Needs KVM, which this host does not offer (${host.accelReason.replace(/\.$/, '')}).`;
  return null;
}

/** Why a disk cannot be removed now (the VM's lock, or snapshots that hold it), or null when it can. */
export function diskRemoveBlock(disk: { id: string; heldBySnapshots?: readonly string[] | undefined }, lockReason: string | null): string | null {
  if (lockReason) return lockReason;
  const held = disk.heldBySnapshots ?? [];
  if (held.length === 0) return null;
  const names = held.map((n) => `“${n}”`).join(', ');
  return held.length === 1
    ? `${disk.id} is part of snapshot ${names}: restoring it needs this disk. Delete that snapshot first to remove the disk.`
    : `${disk.id} is part of the snapshots ${names}: restoring them needs this disk. Delete them first to remove the disk.`;
}

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
import { hardwareLockReason } from './vmState.js';
import type { DiskMode } from './newVm.js';

export type VmModifyInput = ApiInput<'vm.modify'>;
export type NicChoice = NonNullable<VmModifyInput['nic']>;
export type Firmware = VmDetails['firmware'];
export type AccelSetting = VmDetails['accelSetting'];

export const SETTINGS_TABS = [
  { key: 'general', label: 'General' },
  { key: 'system', label: 'System' },
  { key: 'storage', label: 'Storage' },
  { key: 'network', label: 'Network' },
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
  addDisk: { mode: DiskMode; size: string; image: string };
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
    addDisk: { mode: 'none', size: '20G', image: '' },
  };
}

export function newForward(): ForwardDraft {
  return { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: '', guestPort: '' };
}

/** Which tab a field lives on, to mark tabs that hold a problem. */
export function tabOfField(field: string): SettingsTab {
  if (field === 'name' || field === 'osType' || field === 'description') return 'general';
  if (field === 'cpus' || field === 'memoryMiB' || field === 'firmware' || field === 'nested' || field === 'accel' || field === 'restartLimit') return 'system';
  if (field === 'iso' || field.startsWith('addDisk')) return 'storage';
  if (field === 'nic' || field.startsWith('forwards')) return 'network';
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
  if (draft.addDisk.mode === 'new') {
    const r = parseSize(draft.addDisk.size);
    if (!r.ok) issues.push({ field: 'addDisk.size', message: r.message });
  } else if (draft.addDisk.mode === 'existing') {
    issues.push(...issuesToFields('addDisk.image', pathIssues(draft.addDisk.image, 'a disk image')));
  }
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
  if (draft.cpus.trim() !== base.cpus) input.cpus = Number(draft.cpus.trim());
  if (draft.memoryMiB.trim() !== base.memoryMiB) input.memoryMiB = Number(draft.memoryMiB.trim());
  if (draft.firmware !== base.firmware) input.firmware = draft.firmware;
  if (draft.nested !== base.nested) input.nested = draft.nested;
  if (draft.accel !== base.accel) input.accel = draft.accel;
  if (draft.restartOnCrash !== base.restartOnCrash) input.restartOnCrash = draft.restartOnCrash;
  if (draft.restartOnCrash && draft.restartLimit.trim() !== base.restartLimit) input.maxRestartsPerMinute = Number(draft.restartLimit.trim());
  const iso = draft.iso.trim();
  if (iso !== base.iso) input.iso = iso === '' ? null : iso;
  if (draft.nic !== base.nic) input.nic = draft.nic;
  if (draft.nic !== 'none' && !sameForwards(draft.forwards, base.forwards)) {
    input.forwards = draft.forwards.map((f) => forwardFromDraft(f)).filter((f) => f !== null);
  }
  if (draft.addDisk.mode === 'new') {
    const r = parseSize(draft.addDisk.size);
    if (r.ok) input.disk = { sizeBytes: r.bytes };
  } else if (draft.addDisk.mode === 'existing') input.disk = { image: draft.addDisk.image.trim() };
  return Object.keys(input).length > 1 ? input : null;
}

/** What the dialog may change for a VM in this state. */
export interface SettingsLock {
  /** hardware fields (everything but name and description) are read-only */
  hardwareLocked: boolean;
  /** the API's reason, shown above the tabs */
  reason: string | null;
}

export function settingsLock(vm: { name: string; state: VmState }): SettingsLock {
  const reason = hardwareLockReason(vm);
  return { hardwareLocked: reason !== null, reason };
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

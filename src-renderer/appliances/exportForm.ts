// The Export Appliance dialog as pure logic (after VirtualBox's "Export Virtual Appliance"): the
// draft, the suggested file (the folder of the last export, else the user's Documents or home; the name from the
// VMs), the format that follows the file's extension, one validator per step with the API's own
// limits, the `appliance.export` input, where an owner error belongs and what the summary says.
import { isActive } from '../../src-vmm/protocol/states.js';
import type { VmState } from '../../src-vmm/protocol/states.js';
import type { ApiInput, ApiOutput } from '../api/apiTypes.js';
import { issuesToFields, pathIssues, type FieldIssue } from '../components/fields.js';
import { baseName, dirOf } from '../components/files.js';
import { formatBytes } from '../components/size.js';

export type ExportInput = ApiInput<'appliance.export'>;
export type ExportResult = ApiOutput<'appliance.export'>;
export type ExportProfile = NonNullable<ExportInput['profile']>;
export type ManifestChoice = NonNullable<ExportInput['manifest']>;
export type OvfVersion = NonNullable<ExportInput['ovfVersion']>;
export type ApplianceFormat = 'ova' | 'ovf';

export const EXPORT_STEPS = [
  { key: 'machines', label: 'Virtual machines' },
  { key: 'format', label: 'Format and file' },
  { key: 'appliance', label: 'Appliance information' },
  { key: 'export', label: 'Export' },
] as const;
export type ExportStepKey = (typeof EXPORT_STEPS)[number]['key'];
/** The index of a step in EXPORT_STEPS. */
export const stepIndex = (key: ExportStepKey): number => EXPORT_STEPS.findIndex((s) => s.key === key);

/** Where the dialog remembers the last file exported to (its folder is the next default). */
export const LAST_EXPORT_KEY = 'hangar.lastExport';

export const FORMAT_CHOICES: readonly { value: ApplianceFormat; label: string; sentence: string }[] = [
  { value: 'ova', label: 'OVA archive', sentence: 'One .ova file holding the descriptor, the manifest and the disks: the easiest to copy or download.' },
  { value: 'ovf', label: 'OVF files', sentence: 'The .ovf descriptor with the manifest and the disks as separate files beside it, in the same folder.' },
];

export const OVF_VERSIONS: readonly { value: OvfVersion; label: string; hint: string }[] = [
  { value: '1.0', label: 'OVF 1.0', hint: 'Read by all importers' },
  { value: '2.0', label: 'OVF 2.0', hint: 'Newer; some importers refuse it' },
];

export const PROFILE_CHOICES: readonly { value: ExportProfile; label: string }[] = [
  { value: 'kvm', label: 'KVM (Proxmox, oVirt, virt-v2v)' },
  { value: 'virtualbox', label: 'VirtualBox' },
  { value: 'vmware', label: 'VMware (vSphere, Workstation)' },
];

export const MANIFEST_CHOICES: readonly { value: ManifestChoice; label: string; hint: string }[] = [
  { value: 'sha256', label: 'SHA-256', hint: 'The usual choice' },
  { value: 'sha1', label: 'SHA-1', hint: 'SHA-1 for vSphere 6.0 and older' },
  { value: 'none', label: 'No manifest', hint: 'The files cannot be checked for damage after copying' },
];

/** The limits of `appliance.export`'s product fields and license (the contract's). */
export const PRODUCT_LIMITS = { product: 256, vendor: 256, version: 256, productUrl: 2048, vendorUrl: 2048 } as const;
export const EULA_LIMIT = 1 << 20;
export type ProductField = keyof typeof PRODUCT_LIMITS;

/** The VMs the dialog can export, as the list shows them. */
export interface ExportVm {
  id: string;
  name: string;
  state: VmState;
}

export interface ExportDraft {
  /** the ticked VMs' ids (shown and exported in the list's order) */
  vmIds: string[];
  /** the snapshot of the one ticked VM to export; null for its current state */
  snapshotId: string | null;
  /** the file as the user typed or chose it; null while the suggestion is used */
  file: string | null;
  /** the format of the suggested file (a typed file's format is its extension) */
  format: ApplianceFormat;
  ovfVersion: OvfVersion;
  profile: ExportProfile;
  manifest: ManifestChoice;
  product: Record<ProductField, string>;
  eula: string;
}

export interface ExportContext {
  /** every VM, in the list's order */
  vms: readonly ExportVm[];
  /** where the suggested file goes (see defaultFolder); null while unknown */
  folder: string | null;
}

export function initialExportDraft(preselected: readonly string[]): ExportDraft {
  return {
    vmIds: [...new Set(preselected)],
    snapshotId: null,
    file: null,
    format: 'ova',
    ovfVersion: '1.0',
    profile: 'kvm',
    manifest: 'sha256',
    product: { product: '', vendor: '', version: '', productUrl: '', vendorUrl: '' },
    eula: '',
  };
}

/** The ticked VMs, in the list's order (ids no longer in the list are left out). */
export function chosenVms(draft: ExportDraft, ctx: ExportContext): ExportVm[] {
  return ctx.vms.filter((v) => draft.vmIds.includes(v.id));
}

/** Ticks or unticks a VM; the snapshot choice only survives while exactly that one VM stays ticked. */
export function toggleVm(draft: ExportDraft, id: string, on: boolean): ExportDraft {
  const vmIds = on ? (draft.vmIds.includes(id) ? draft.vmIds : [...draft.vmIds, id]) : draft.vmIds.filter((x) => x !== id);
  const keepSnapshot = vmIds.length === 1 && vmIds[0] === draft.vmIds[0] && draft.vmIds.length === 1;
  return { ...draft, vmIds, snapshotId: keepSnapshot ? draft.snapshotId : null };
}

// ---------------------------------------------------------------- the file

/** A VM name as a file name: no slashes or characters other systems refuse, no leading dot. */
export function safeFileStem(name: string): string {
  // eslint-disable-next-line no-control-regex
  const s = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, '_').replace(/^[.\s]+/, '').trim();
  return s.slice(0, 120) || 'appliance';
}

/** The suggested file name: the VM's name, or the names of a few VMs joined by '+', then the extension. */
export function suggestedFileName(names: readonly string[], format: ApplianceFormat): string {
  const stems = names.map(safeFileStem);
  let stem = 'appliance';
  if (stems.length === 1) stem = stems[0]!;
  else if (stems.length > 1 && stems.length <= 3 && stems.join('+').length <= 64) stem = stems.join('+');
  return `${stem}.${format}`;
}

/** A folder and a file name as one path. */
export function joinPath(folder: string, name: string): string {
  return `${folder.replace(/\/+$/, '')}/${name}`;
}

/**
 * The folder of the last export when there was one, else the user's Documents folder, else the
 * user's home (never Hangar's data folder: an appliance is the user's file); null while unknown.
 */
export function defaultFolder(lastExport: string | null, user: { home: string; documents: string | null } | null): string | null {
  if (lastExport && lastExport.startsWith('/')) return dirOf(lastExport);
  if (user?.documents && user.documents.startsWith('/')) return user.documents;
  return user && user.home.startsWith('/') ? user.home : null;
}

/** 'ova' or 'ovf' from the path's extension (any case); null for anything else. */
export function formatOfPath(path: string): ApplianceFormat | null {
  const m = /\.(ova|ovf)$/i.exec(path.trim());
  return m ? (m[1]!.toLowerCase() as ApplianceFormat) : null;
}

/** The path with the format's extension: '.ova' and '.ovf' are swapped, anything else gets one added. */
export function withFormat(path: string, format: ApplianceFormat): string {
  const p = path.trim();
  if (p === '' || p.endsWith('/')) return p;
  return formatOfPath(p) ? `${p.slice(0, -4)}.${format}` : `${p}.${format}`;
}

/** The file the export writes: the typed one, else the suggestion ('' while the folder is unknown). */
export function effectiveFile(draft: ExportDraft, ctx: ExportContext): string {
  if (draft.file !== null) return draft.file;
  if (ctx.folder === null) return '';
  return joinPath(ctx.folder, suggestedFileName(chosenVms(draft, ctx).map((v) => v.name), draft.format));
}

/** The format the file's extension says (the toggle shows it); null when the extension is neither. */
export function effectiveFormat(draft: ExportDraft, ctx: ExportContext): ApplianceFormat | null {
  return draft.file === null ? draft.format : formatOfPath(effectiveFile(draft, ctx));
}

/** Switches the format: the extension of the file follows. */
export function chooseFormat(draft: ExportDraft, format: ApplianceFormat): ExportDraft {
  return { ...draft, format, ...(draft.file !== null ? { file: withFormat(draft.file, format) } : {}) };
}

/** The problems of the file path: empty, relative, a folder, or an extension other than .ova/.ovf. */
export function fileIssues(path: string): string[] {
  const p = path.trim();
  if (p === '') return ['choose where to save the appliance'];
  const problems = pathIssues(p, 'where to save the appliance');
  if (problems.length) return problems;
  if (p.endsWith('/')) return ['this is a folder: add a file name ending in .ova or .ovf'];
  const format = formatOfPath(p);
  if (!format) return ['the file name must end in .ova (one archive) or .ovf (separate files)'];
  if (baseName(p).length === 4) return [`give the file a name before .${format}`];
  return [];
}

// ---------------------------------------------------------------- validation

/** The problems of one step: field `vms` on the first, `file` on the second, the product fields and `eula` on the third. */
export function validateExportStep(step: number, draft: ExportDraft, ctx: ExportContext): FieldIssue[] {
  switch (EXPORT_STEPS[step]?.key) {
    case 'machines': {
      const vms = chosenVms(draft, ctx);
      if (vms.length === 0) return [{ field: 'vms', message: 'choose at least one virtual machine to export' }];
      const unsettled = vms.filter((v) => v.state === 'starting' || v.state === 'stopping');
      return unsettled.map((v) => ({ field: 'vms', message: `“${v.name}” is ${v.state}: wait until it has settled` }));
    }
    case 'format':
      return issuesToFields('file', fileIssues(effectiveFile(draft, ctx)));
    case 'appliance': {
      const issues: FieldIssue[] = [];
      for (const [field, max] of Object.entries(PRODUCT_LIMITS) as [ProductField, number][]) {
        if (draft.product[field].trim().length > max) issues.push({ field, message: `must be at most ${max} characters` });
      }
      if (draft.eula.length > EULA_LIMIT) issues.push({ field: 'eula', message: `the license text must be at most ${EULA_LIMIT / 1024} KiB` });
      return issues;
    }
    default:
      return [];
  }
}

/** The first step (of those before Export) with problems, or -1. */
export function firstInvalidExportStep(draft: ExportDraft, ctx: ExportContext): number {
  for (let i = 0; i < stepIndex('export'); i++) if (validateExportStep(i, draft, ctx).length) return i;
  return -1;
}

/** The `appliance.export` input of a valid draft; product and license only when given. */
export function toExportInput(draft: ExportDraft, ctx: ExportContext): ExportInput {
  const vms = chosenVms(draft, ctx);
  const product = Object.fromEntries(Object.entries(draft.product).map(([k, v]) => [k, v.trim()])) as Record<ProductField, string>;
  const hasProduct = Object.values(product).some((v) => v !== '');
  return {
    refs: vms.map((v) => v.id),
    file: effectiveFile(draft, ctx).trim(),
    ovfVersion: draft.ovfVersion,
    profile: draft.profile,
    manifest: draft.manifest,
    ...(vms.length === 1 && draft.snapshotId !== null ? { snapshot: draft.snapshotId } : {}),
    ...(hasProduct ? { product } : {}),
    ...(draft.eula.trim() !== '' ? { eula: draft.eula } : {}),
  };
}

/**
 * The step an owner error is about, judged from its code and words: the file (exists, folder
 * missing, not writable, extension) to "Format and file"; snapshots, VM states and disks to
 * "Virtual machines"; null when it belongs to the export itself (space, qemu-img, the self-check).
 */
export function stepForExportError(error: { code: string; message: string }): number | null {
  const m = error.message.toLowerCase();
  if (error.code === 'CANCELLED' || error.code === 'DISK_FULL') return null;
  if (/self-check|own check/.test(m)) return null;
  if (error.code === 'ALREADY_EXISTS' || /\bfolder\b|\.ova\b|\.ovf\b|permission denied|read-only file system|not writable/.test(m)) return stepIndex('format');
  if (/snapshot|no disks|is (starting|stopping)|settled|no vm named|busy/.test(m)) return stepIndex('machines');
  return null;
}

// ---------------------------------------------------------------- what the dialog says

/** What will be exported, in a few words: "“a”", "“a”, snapshot “s”", "3 machines". */
export function exportSubject(vms: readonly ExportVm[], snapshotName: string | null): string {
  if (vms.length === 1) return snapshotName ? `“${vms[0]!.name}” as of snapshot “${snapshotName}”` : `“${vms[0]!.name}”`;
  return `${vms.length} virtual machines`;
}

/** Notes for the ticked VMs: a running VM is exported through a temporary snapshot. */
export function machineNotes(vms: readonly ExportVm[], snapshotChosen: boolean): string[] {
  if (snapshotChosen) return [];
  return vms
    .filter((v) => isActive(v.state) && v.state !== 'starting' && v.state !== 'stopping')
    .map((v) => `“${v.name}” is ${v.state}: its disks are exported as they are when the export starts (through a temporary snapshot, removed afterwards). Its memory is not part of the appliance.`);
}

export function manifestLabel(m: ManifestChoice): string {
  return MANIFEST_CHOICES.find((c) => c.value === m)?.label ?? m;
}

export function profileLabel(p: ExportProfile): string {
  return PROFILE_CHOICES.find((c) => c.value === p)?.label ?? p;
}

/** The summary after a successful export: label → value; the format line from the settings used. */
export function resultRows(result: ExportResult, settings?: Pick<ExportDraft, 'ovfVersion' | 'profile'>): { label: string; value: string }[] {
  const rows = [
    { label: 'File', value: result.file },
    { label: 'Size', value: formatBytes(result.sizeBytes) },
    ...(settings
      ? [{ label: 'Format', value: `${formatOfPath(result.file) === 'ovf' ? 'OVF files' : 'OVA archive'}, OVF ${settings.ovfVersion}, ${profileLabel(settings.profile)} profile` }]
      : []),
    { label: 'Manifest', value: result.manifest === 'none' ? 'None' : manifestLabel(result.manifest) },
    { label: result.machines.length === 1 ? 'Machine' : 'Machines', value: result.machines.join(', ') },
  ];
  if (result.files.length > 1) rows.push({ label: 'Files', value: result.files.map(baseName).join(', ') });
  return rows;
}

/** A progress message as a sentence: 'converting a: disk 1' → 'Converting a: disk 1'. */
export function progressSentence(message: string | undefined): string {
  const m = message?.trim() ?? '';
  return m ? m[0]!.toUpperCase() + m.slice(1) : 'Starting…';
}

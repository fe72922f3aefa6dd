// The New VM wizard as pure step logic: a draft of what the user typed, one validator per step built
// from the API's own rules, the create input, and where a server error belongs.
import type { ApiInput, OsTypeInfo } from '../api/apiTypes.js';
import { placeServerError, under } from '../api/serverIssues.js';
import { IMAGE_READS_OTHER_FILES } from '../../src-main/api/issueCodes.js';
import { cpusIssues, issuesToFields, memoryIssues, nameIssues, pathIssues, type FieldIssue } from '../components/fields.js';
import { effectiveTag, shareField, shareIssues, shareRequest, type ShareDraft } from './guestIntegration.js';

type VmCreateInput = ApiInput<'vm.create'>;
import { formatBytes, gibText, parseSize } from '../components/size.js';

export type { OsTypeInfo } from '../api/apiTypes.js';

export const WIZARD_STEPS = [
  { key: 'name', label: 'Name and OS' },
  { key: 'media', label: 'Installation media' },
  { key: 'hardware', label: 'Memory and CPUs' },
  { key: 'disk', label: 'Hard disk' },
  { key: 'guest', label: 'Guest integration' },
  { key: 'summary', label: 'Summary' },
] as const;
export type WizardStepKey = (typeof WIZARD_STEPS)[number]['key'];

export type DiskMode = 'new' | 'existing' | 'none';

export interface NewVmDraft {
  name: string;
  osType: string;
  /** '' for no installation medium */
  isoPath: string;
  memoryMiB: string;
  cpus: string;
  diskMode: DiskMode;
  diskSize: string;
  diskImage: string;
  /** copy the image (with every file it reads) into the VM's folder instead of using it in place */
  flatten: boolean;
  firmware: 'bios' | 'uefi';
  /** UEFI only */
  secureBoot: boolean;
  tpm: boolean;
  clipboard: boolean;
  shares: ShareDraft[];
  /** fields the user changed by hand keep their value when the OS type changes */
  touched: { memoryMiB?: boolean; cpus?: boolean; diskSize?: boolean; firmware?: boolean; secureBoot?: boolean; tpm?: boolean };
}

export interface WizardContext {
  osTypes: readonly OsTypeInfo[];
  existingNames: readonly string[];
}

const FALLBACK_DEFAULTS = { cpus: 2, memoryMiB: 2048, diskGiB: 20, firmware: 'bios', tpm: false, secureBoot: false };

function defaultsOf(osType: string, osTypes: readonly OsTypeInfo[]) {
  return osTypes.find((o) => o.id === osType)?.defaults ?? FALLBACK_DEFAULTS;
}

/** A fresh draft: the first OS type of the catalogue (the API's default 'linux' when it is there). */
export function initialDraft(osTypes: readonly OsTypeInfo[]): NewVmDraft {
  const osType = osTypes.find((o) => o.id === 'linux')?.id ?? osTypes[0]?.id ?? 'linux';
  const d = defaultsOf(osType, osTypes);
  return {
    name: '',
    osType,
    isoPath: '',
    memoryMiB: String(d.memoryMiB),
    cpus: String(d.cpus),
    diskMode: 'new',
    diskSize: gibText(d.diskGiB),
    diskImage: '',
    flatten: false,
    firmware: d.firmware === 'uefi' ? 'uefi' : 'bios',
    secureBoot: d.firmware === 'uefi' && d.secureBoot === true,
    tpm: d.tpm === true,
    clipboard: false,
    shares: [],
    touched: {},
  };
}

/** Changes the OS type and takes its defaults for every field the user has not edited. */
export function withOsType(draft: NewVmDraft, osType: string, osTypes: readonly OsTypeInfo[]): NewVmDraft {
  const d = defaultsOf(osType, osTypes);
  return {
    ...draft,
    osType,
    memoryMiB: draft.touched.memoryMiB ? draft.memoryMiB : String(d.memoryMiB),
    cpus: draft.touched.cpus ? draft.cpus : String(d.cpus),
    diskSize: draft.touched.diskSize ? draft.diskSize : gibText(d.diskGiB),
    firmware: draft.touched.firmware ? draft.firmware : d.firmware === 'uefi' ? 'uefi' : 'bios',
    secureBoot: draft.touched.secureBoot ? draft.secureBoot : (draft.touched.firmware ? draft.firmware : d.firmware) === 'uefi' && d.secureBoot === true,
    tpm: draft.touched.tpm ? draft.tpm : d.tpm === true,
  };
}

/** Sets a field the user typed into, remembering that it was edited. */
export function editDraft<K extends keyof Omit<NewVmDraft, 'touched'>>(draft: NewVmDraft, key: K, value: NewVmDraft[K]): NewVmDraft {
  const remembered = ['memoryMiB', 'cpus', 'diskSize', 'firmware', 'secureBoot', 'tpm'];
  const touched = remembered.includes(key) ? { ...draft.touched, [key]: true } : draft.touched;
  const next = { ...draft, [key]: value, touched };
  // BIOS has no Secure Boot.
  if (key === 'firmware' && value === 'bios') next.secureBoot = false;
  return next;
}

/** The problems of one step (0-based); an invalid step cannot advance. */
export function validateStep(step: number, draft: NewVmDraft, ctx: WizardContext): FieldIssue[] {
  switch (WIZARD_STEPS[step]?.key) {
    case 'name': {
      const issues = issuesToFields('name', nameIssues(draft.name, ctx.existingNames));
      if (!ctx.osTypes.some((o) => o.id === draft.osType)) issues.push({ field: 'osType', message: `unknown OS type '${draft.osType}'` });
      return issues;
    }
    case 'media':
      return draft.isoPath.trim() === '' ? [] : issuesToFields('isoPath', pathIssues(draft.isoPath, 'an ISO image'));
    case 'hardware':
      return [...issuesToFields('memoryMiB', memoryIssues(draft.memoryMiB)), ...issuesToFields('cpus', cpusIssues(draft.cpus))];
    case 'disk':
      switch (draft.diskMode) {
        case 'new': {
          const r = parseSize(draft.diskSize);
          return r.ok ? [] : [{ field: 'diskSize', message: r.message }];
        }
        case 'existing':
          return issuesToFields('diskImage', pathIssues(draft.diskImage, 'a disk image'));
        case 'none':
          return [];
      }
      return [];
    case 'guest': {
      const issues = shareIssues(draft.shares);
      if (draft.secureBoot && draft.firmware !== 'uefi') issues.push({ field: 'secureBoot', message: 'Secure Boot needs UEFI firmware' });
      return issues;
    }
    case 'summary':
      return [];
    default:
      return [{ field: '', message: `no step ${step}` }];
  }
}

/** The first step with a problem, or -1 when the whole draft is valid. */
export function firstInvalidStep(draft: NewVmDraft, ctx: WizardContext): number {
  for (let i = 0; i < WIZARD_STEPS.length; i++) if (validateStep(i, draft, ctx).length) return i;
  return -1;
}

/** The `vm.create` input for a valid draft. */
export function toCreateInput(draft: NewVmDraft): VmCreateInput {
  const input: VmCreateInput = {
    name: draft.name,
    osType: draft.osType,
    system: { memoryMiB: Number(draft.memoryMiB.trim()), cpus: Number(draft.cpus.trim()) },
  };
  if (draft.isoPath.trim() !== '') input.iso = draft.isoPath.trim();
  if (draft.diskMode === 'new') {
    const r = parseSize(draft.diskSize);
    if (r.ok) input.disk = { sizeBytes: r.bytes };
  } else if (draft.diskMode === 'existing') input.disk = { image: draft.diskImage.trim(), ...(draft.flatten ? { flatten: true } : {}) };
  input.firmware = { type: draft.firmware, ...(draft.firmware === 'uefi' ? { secureBoot: draft.secureBoot } : {}) };
  input.tpm = draft.tpm;
  input.display = { clipboard: draft.clipboard };
  if (draft.shares.length) input.shares = draft.shares.map(shareRequest);
  return input;
}

/** The wizard's field for a path of the `vm.create` request. */
export function fieldForCreatePath(path: string, draft: Pick<NewVmDraft, 'diskMode'>): string | undefined {
  if (path === 'name' || path === 'osType') return path;
  if (under(path, 'iso')) return 'isoPath';
  if (under(path, 'system.memoryMiB')) return 'memoryMiB';
  if (under(path, 'system.cpus')) return 'cpus';
  if (under(path, 'disk')) return draft.diskMode === 'existing' ? 'diskImage' : 'diskSize';
  if (under(path, 'firmware.secureBoot')) return 'secureBoot';
  if (under(path, 'firmware')) return 'firmware';
  if (under(path, 'tpm')) return 'tpm';
  return shareField(path);
}

const STEP_OF_FIELD: Readonly<Record<string, number>> = { name: 0, osType: 0, isoPath: 1, memoryMiB: 2, cpus: 2, diskSize: 3, diskImage: 3, firmware: 4, secureBoot: 4, tpm: 4 };
const stepOfField = (field: string) => STEP_OF_FIELD[field] ?? (field.startsWith('shares.') ? 4 : undefined);

export interface CreateErrorPlacement {
  /** the step to show: the first that holds a problem, else the summary */
  step: number;
  fields: FieldIssue[];
  /** what no field holds */
  general: string[];
  /** the image given reads other files: the wizard offers to copy it with them */
  readsOtherFiles: boolean;
}

/** Where a `vm.create` error belongs in the wizard, from the problems it carries (never its wording). */
export function placeCreateError(e: { message: string; details?: unknown }, draft: Pick<NewVmDraft, 'diskMode'>): CreateErrorPlacement {
  const placed = placeServerError(e, (p) => fieldForCreatePath(p, draft));
  const steps = placed.fields.map((f) => stepOfField(f.field) ?? WIZARD_STEPS.length - 1);
  const readsOtherFiles = placed.issues.some((i) => i.code === IMAGE_READS_OTHER_FILES);
  const fields = placed.fields.map((f) =>
    readsOtherFiles && f.field === 'diskImage' ? { ...f, message: `${f.message}. To use it, tick “Copy the image into the VM's folder”: the copy takes in what it reads.` } : f,
  );
  return { step: steps.length ? Math.min(...steps) : WIZARD_STEPS.length - 1, fields, general: placed.general, readsOtherFiles };
}

export interface SummaryRow {
  label: string;
  value: string;
}

export function summaryRows(draft: NewVmDraft, ctx: WizardContext): SummaryRow[] {
  const os = ctx.osTypes.find((o) => o.id === draft.osType);
  const size = parseSize(draft.diskSize);
  const disk =
    draft.diskMode === 'new'
      ? `New disk, ${size.ok ? formatBytes(size.bytes) : draft.diskSize}`
      : draft.diskMode === 'existing'
        ? `Existing image ${draft.diskImage.trim()}`
        : 'No disk';
  return [
    { label: 'Name', value: draft.name },
    { label: 'OS type', value: os?.label ?? draft.osType },
    { label: 'Installation medium', value: draft.isoPath.trim() || 'None' },
    { label: 'Memory', value: `${draft.memoryMiB.trim()} MiB` },
    { label: 'CPUs', value: draft.cpus.trim() },
    { label: 'Hard disk', value: disk },
    { label: 'Firmware', value: draft.firmware === 'uefi' ? `UEFI${draft.secureBoot ? ', Secure Boot' : ''}` : 'BIOS' },
    { label: 'TPM', value: draft.tpm ? 'TPM 2.0' : 'None' },
    { label: 'Clipboard', value: draft.clipboard ? 'Shared with the guest' : 'Not shared' },
    { label: 'Shared folders', value: draft.shares.length ? draft.shares.map((x) => `${effectiveTag(x)} → ${x.hostPath.trim()}${x.readOnly ? ' (read-only)' : ''}`).join('; ') : 'None' },
  ];
}

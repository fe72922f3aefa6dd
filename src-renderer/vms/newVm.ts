// The New VM wizard as pure step logic: a draft of what the user typed, one validator per step built
// from the API's own rules, the create input, and where a server error belongs.
import type { ApiInput, OsTypeInfo } from '../api/apiTypes.js';
import { placeServerError, under } from '../api/serverIssues.js';
import { IMAGE_READS_OTHER_FILES } from '../../src-main/api/issueCodes.js';
import { cpusIssues, issuesToFields, memoryIssues, messagesOf, nameIssues, pathIssues, type FieldIssue } from '../components/fields.js';
import { Hostname, LinuxUser } from '../../src-vmm/model/guestAccess.js';
import { userDataProblem } from '../../src-main/quickcreate/cloudConfig.js';
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

/** The steps' labels for a draft: from a cloud image, the media step is the image and its account. */
export function stepLabels(draft: Pick<NewVmDraft, 'source'>): string[] {
  return WIZARD_STEPS.map((s) => (s.key === 'media' && draft.source === 'cloud' ? 'Cloud image' : s.label));
}

export type DiskMode = 'new' | 'existing' | 'none';
/** media: an installer ISO (or none) and a disk; cloud: a cloud image with cloud-init, reached with SSH */
export type VmSource = 'media' | 'cloud';
/** The key a cloud VM's account gets: a .pub file of the person's, or a new one Hangar makes for the VM. */
export const NEW_KEY = 'new';

/** What detection said of the ISO picked (os.detect). */
export interface MediaDetection {
  path: string;
  known: boolean;
  name: string | null;
  osType: string | null;
  unattended: boolean;
  unattendedUnavailable: string | null;
}

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
  /** the network its card is on, by id; '' is user-mode NAT of its own */
  network: string;
  source: VmSource;
  /** a library image's id, or an image file's path (added to the library) */
  cloudImage: string;
  /** '' : the owner's default (the person's login name) */
  cloudUser: string;
  /** a .pub file, or NEW_KEY */
  sshKey: string;
  cloudPassword: string;
  /** '' : from the VM's name */
  hostname: string;
  userData: string;
  /** what detection said of the ISO, when it has answered for the current one */
  detected: MediaDetection | null;
  unattended: boolean;
  installUser: string;
  installPassword: string;
  firmware: 'bios' | 'uefi';
  /** UEFI only */
  secureBoot: boolean;
  tpm: boolean;
  clipboard: boolean;
  shares: ShareDraft[];
  /** fields the user changed by hand keep their value when the OS type changes */
  touched: { memoryMiB?: boolean; cpus?: boolean; diskSize?: boolean; osType?: boolean; firmware?: boolean; secureBoot?: boolean; tpm?: boolean };
}

export interface WizardContext {
  osTypes: readonly OsTypeInfo[];
  existingNames: readonly string[];
  /** the networks a card may be on (absent: none known yet) */
  networks?: readonly { id: string; name: string; mode: string }[];
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
    network: '',
    firmware: d.firmware === 'uefi' ? 'uefi' : 'bios',
    secureBoot: d.firmware === 'uefi' && d.secureBoot === true,
    tpm: d.tpm === true,
    clipboard: false,
    shares: [],
    touched: {},
    source: 'media',
    cloudImage: '',
    cloudUser: '',
    sshKey: NEW_KEY,
    cloudPassword: '',
    hostname: '',
    userData: '',
    detected: null,
    unattended: false,
    installUser: '',
    installPassword: '',
  };
}

/**
 * What detection of the ISO means for the draft: a known OS sets the OS type and its defaults (unless
 * the person chose the OS type by hand); unattended installation is offered only where it is available.
 */
export function withDetection(draft: NewVmDraft, d: MediaDetection, osTypes: readonly OsTypeInfo[]): NewVmDraft {
  if (d.path !== draft.isoPath.trim()) return draft;
  const next = { ...draft, detected: d, unattended: d.unattended ? draft.unattended : false };
  if (!d.known || !d.osType || draft.touched.osType || !osTypes.some((o) => o.id === d.osType)) return next;
  return withOsType(next, d.osType, osTypes);
}

/** The sentence the media step shows about what detection found. */
export function detectionText(d: MediaDetection | null, osTypes: readonly OsTypeInfo[], chosen?: string): string | null {
  if (!d) return null;
  if (!d.known) return 'Hangar does not know this media: choose its OS type on the first step.';
  const label = (id: string | null) => osTypes.find((o) => o.id === id)?.label ?? id;
  if (chosen !== undefined && d.osType !== null && chosen !== d.osType) return `Detected ${d.name}, whose OS type is ${label(d.osType)}; the OS type you chose, ${label(chosen)}, is kept.`;
  return `Detected ${d.name}: OS type ${label(d.osType)}.`;
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
    case 'media': {
      if (draft.source === 'cloud') {
        const issues: FieldIssue[] = [];
        if (draft.cloudImage.trim() === '') issues.push({ field: 'cloudImage', message: 'choose a cloud image' });
        else if (draft.cloudImage.startsWith('/')) issues.push(...issuesToFields('cloudImage', pathIssues(draft.cloudImage, 'a cloud image')));
        if (draft.cloudUser !== '') issues.push(...issuesToFields('cloudUser', messagesOf(LinuxUser.safeParse(draft.cloudUser))));
        if (draft.cloudPassword !== '' && draft.cloudUser === '') issues.push({ field: 'cloudPassword', message: 'a password needs the account it is for: fill in the user' });
        if (draft.sshKey !== NEW_KEY) issues.push(...issuesToFields('sshKey', pathIssues(draft.sshKey, 'a public key file')));
        if (draft.hostname !== '') issues.push(...issuesToFields('hostname', messagesOf(Hostname.safeParse(draft.hostname))));
        const ud = draft.userData.trim() === '' ? null : userDataProblem(draft.userData);
        if (ud) issues.push({ field: 'userData', message: `user-data ${ud}` });
        return issues;
      }
      const issues = draft.isoPath.trim() === '' ? [] : issuesToFields('isoPath', pathIssues(draft.isoPath, 'an ISO image'));
      if (draft.unattended) {
        issues.push(...issuesToFields('installUser', messagesOf(LinuxUser.safeParse(draft.installUser))));
        if (draft.installPassword === '') issues.push({ field: 'installPassword', message: 'the account needs a password' });
      }
      return issues;
    }
    case 'hardware': {
      const issues = [...issuesToFields('memoryMiB', memoryIssues(draft.memoryMiB)), ...issuesToFields('cpus', cpusIssues(draft.cpus))];
      if (draft.network !== '' && ctx.networks && !ctx.networks.some((n) => n.id === draft.network)) issues.push({ field: 'network', message: 'that network no longer exists' });
      return issues;
    }
    case 'disk':
      if (draft.source === 'cloud') {
        const r = parseSize(draft.diskSize);
        return r.ok ? [] : [{ field: 'diskSize', message: r.message }];
      }
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
  if (draft.source === 'cloud') {
    const r = parseSize(draft.diskSize);
    return {
      ...input,
      image: draft.cloudImage.trim(),
      ...(r.ok ? { disk: { sizeBytes: r.bytes } } : {}),
      cloudInit: {
        ...(draft.cloudUser !== '' ? { user: draft.cloudUser } : {}),
        ...(draft.sshKey !== NEW_KEY ? { sshKeyFile: draft.sshKey } : {}),
        ...(draft.cloudPassword !== '' ? { password: draft.cloudPassword } : {}),
        ...(draft.hostname !== '' ? { hostname: draft.hostname } : {}),
        ...(draft.userData.trim() !== '' ? { userData: draft.userData } : {}),
      },
    };
  }
  if (draft.unattended && draft.isoPath.trim() !== '') {
    input.unattended = { user: draft.installUser, password: draft.installPassword, ...(draft.hostname !== '' ? { hostname: draft.hostname } : {}) };
  }
  if (draft.isoPath.trim() !== '') input.iso = draft.isoPath.trim();
  if (draft.diskMode === 'new') {
    const r = parseSize(draft.diskSize);
    if (r.ok) input.disk = { sizeBytes: r.bytes };
  } else if (draft.diskMode === 'existing') input.disk = { image: draft.diskImage.trim(), ...(draft.flatten ? { flatten: true } : {}) };
  if (draft.network !== '') input.nics = [{ network: draft.network }];
  input.firmware = { type: draft.firmware, ...(draft.firmware === 'uefi' ? { secureBoot: draft.secureBoot } : {}) };
  input.tpm = draft.tpm;
  input.display = { clipboard: draft.clipboard };
  if (draft.shares.length) input.shares = draft.shares.map(shareRequest);
  return input;
}

/** The wizard's field for a path of the `vm.create` request. */
export function fieldForCreatePath(path: string, draft: Pick<NewVmDraft, 'diskMode'> & { source?: VmSource }): string | undefined {
  if (path === 'name' || path === 'osType') return path;
  if (under(path, 'iso')) return 'isoPath';
  if (under(path, 'image')) return draft.source === 'cloud' ? 'cloudImage' : 'isoPath';
  if (under(path, 'cloudInit.user')) return 'cloudUser';
  if (under(path, 'cloudInit.sshKeyFile')) return 'sshKey';
  if (under(path, 'cloudInit.password')) return 'cloudPassword';
  if (under(path, 'cloudInit.hostname') || under(path, 'unattended.hostname')) return 'hostname';
  if (under(path, 'cloudInit.userData')) return 'userData';
  if (under(path, 'unattended.user')) return 'installUser';
  if (under(path, 'unattended.password')) return 'installPassword';
  if (under(path, 'unattended')) return 'isoPath';
  if (under(path, 'disk') && draft.source === 'cloud') return 'diskSize';
  if (under(path, 'system.memoryMiB')) return 'memoryMiB';
  if (under(path, 'system.cpus')) return 'cpus';
  if (under(path, 'disk')) return draft.diskMode === 'existing' ? 'diskImage' : 'diskSize';
  if (under(path, 'nics')) return 'network';
  if (under(path, 'firmware.secureBoot')) return 'secureBoot';
  if (under(path, 'firmware')) return 'firmware';
  if (under(path, 'tpm')) return 'tpm';
  return shareField(path);
}

const STEP_OF_FIELD: Readonly<Record<string, number>> = {
  name: 0,
  osType: 0,
  isoPath: 1,
  cloudImage: 1,
  cloudUser: 1,
  sshKey: 1,
  cloudPassword: 1,
  hostname: 1,
  userData: 1,
  installUser: 1,
  installPassword: 1,
  memoryMiB: 2,
  cpus: 2,
  network: 2,
  diskSize: 3,
  diskImage: 3,
  firmware: 4,
  secureBoot: 4,
  tpm: 4,
};
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
export function placeCreateError(e: { message: string; details?: unknown }, draft: Pick<NewVmDraft, 'diskMode'> & { source?: VmSource }): CreateErrorPlacement {
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

export function summaryRows(draft: NewVmDraft, ctx: WizardContext & { imageName?: (ref: string) => string }): SummaryRow[] {
  const os = ctx.osTypes.find((o) => o.id === draft.osType);
  const size = parseSize(draft.diskSize);
  if (draft.source === 'cloud') {
    return [
      { label: 'Name', value: draft.name },
      { label: 'OS type', value: os?.label ?? draft.osType },
      { label: 'Cloud image', value: ctx.imageName?.(draft.cloudImage) ?? draft.cloudImage },
      { label: 'Account', value: `${draft.cloudUser || 'your login name'}${draft.cloudPassword ? ', with a password' : ''}` },
      { label: 'SSH key', value: draft.sshKey === NEW_KEY ? 'a new key made for this VM' : draft.sshKey },
      { label: 'Hostname', value: draft.hostname || 'from the name' },
      { label: 'Memory', value: `${draft.memoryMiB.trim()} MiB` },
      { label: 'CPUs', value: draft.cpus.trim() },
      { label: 'Hard disk', value: `The image, grown to ${size.ok ? formatBytes(size.bytes) : draft.diskSize}` },
    ];
  }
  const disk =
    draft.diskMode === 'new'
      ? `New disk, ${size.ok ? formatBytes(size.bytes) : draft.diskSize}`
      : draft.diskMode === 'existing'
        ? `Existing image ${draft.diskImage.trim()}`
        : 'No disk';
  return [
    { label: 'Name', value: draft.name },
    { label: 'OS type', value: os?.label ?? draft.osType },
    { label: 'Installation medium', value: draft.isoPath.trim() ? `${draft.isoPath.trim()}${draft.unattended ? ` (unattended installation as ${draft.installUser})` : ''}` : 'None' },
    { label: 'Memory', value: `${draft.memoryMiB.trim()} MiB` },
    { label: 'CPUs', value: draft.cpus.trim() },
    { label: 'Network', value: draft.network === '' ? 'NAT (user mode)' : (ctx.networks?.find((n) => n.id === draft.network)?.name ?? draft.network) },
    { label: 'Hard disk', value: disk },
    { label: 'Firmware', value: draft.firmware === 'uefi' ? `UEFI${draft.secureBoot ? ', Secure Boot' : ''}` : 'BIOS' },
    { label: 'TPM', value: draft.tpm ? 'TPM 2.0' : 'None' },
    { label: 'Clipboard', value: draft.clipboard ? 'Shared with the guest' : 'Not shared' },
    { label: 'Shared folders', value: draft.shares.length ? draft.shares.map((x) => `${effectiveTag(x)} → ${x.hostPath.trim()}${x.readOnly ? ' (read-only)' : ''}`).join('; ') : 'None' },
  ];
}

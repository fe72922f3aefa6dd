// The Import Appliance dialog as pure logic (after VirtualBox's "Appliance settings"): a draft per
// machine made from `appliance.review`, validation with the API's own rules (the same applyEdits
// and configFromPlan the owner runs), the `appliance.import` input, what the package's manifest and
// certificate say, and the `#import=<path>` deep link of the web mode.
import { errorIssues } from '../../src-vmm/base/errors.js';
import { applyEdits, configFromPlan, type MachineEdits } from '../../src-main/appliances/review.js';
import type { ApiInput, ApiOutput, OsTypeInfo } from '../api/apiTypes.js';
import { cpusIssues, issuesToFields, memoryIssues, nameIssues, numberFromText, pathIssues, type FieldIssue } from '../components/fields.js';
import { formatBytes } from '../components/size.js';
import { nameKey } from '../../src-main/inventory/rows.js';
import { networkNameProblems, type NetworkMode } from '../../src-main/networks/model.js';
import type { NetworkMapping, NetworkTarget } from '../../src-main/appliances/networkMap.js';

export type ImportReview = ApiOutput<'appliance.review'>;
export type ImportInput = ApiInput<'appliance.import'>;
export type MachinePlan = ImportReview['machines'][number];
export type PlannedDisk = MachinePlan['disks'][number];
export type PlannedNic = MachinePlan['nics'][number];
export type SourceFile = NonNullable<PlannedDisk['file']>;
export type CertificateReport = NonNullable<ImportReview['certificate']>;
export type DiskBus = PlannedDisk['bus'];
export type NicModel = PlannedNic['model'];
export type Firmware = MachinePlan['firmware'];
export type MacPolicy = 'new' | 'keep';
export type { MachineEdits };

export const IMPORT_STEPS = [
  { key: 'file', label: 'Appliance to import' },
  { key: 'settings', label: 'Appliance settings' },
  { key: 'import', label: 'Import' },
] as const;
export type ImportStepKey = (typeof IMPORT_STEPS)[number]['key'];

export const MAC_POLICY_SENTENCES: Record<MacPolicy, string> = {
  new: 'Give every network card a new MAC address (the usual choice: the appliance may be imported more than once).',
  keep: "Keep the MAC addresses the appliance lists, where they are free: only when the guest's setup depends on them.",
};

/** What the user can change about one machine, as typed. */
export interface MachineDraft {
  name: string;
  osType: string;
  cpus: string;
  memoryMiB: string;
  firmware: Firmware;
  /** one per planned disk, in plan order */
  disks: { include: boolean; bus: DiskBus }[];
  /** one per planned NIC, in plan order */
  nics: { include: boolean; model: NicModel }[];
  macPolicy: MacPolicy;
  /** the machine's license agreements were accepted (meaningless when it has none) */
  eulaAccepted: boolean;
}

export interface ImportContext {
  /** the names of the VMs that exist */
  existingNames: readonly string[];
  /** the OS catalogue; empty while it loads (then the OS type is not checked) */
  osTypes: readonly OsTypeInfo[];
}

export function draftFromPlan(plan: MachinePlan): MachineDraft {
  return {
    name: plan.name,
    osType: plan.osType,
    cpus: String(plan.cpus),
    memoryMiB: String(plan.memoryMiB),
    firmware: plan.firmware,
    disks: plan.disks.map((d) => ({ include: d.include, bus: d.bus })),
    nics: plan.nics.map((n) => ({ include: true, model: n.model })),
    macPolicy: 'new',
    eulaAccepted: false,
  };
}

export function draftsFromReview(review: ImportReview): MachineDraft[] {
  return review.machines.map(draftFromPlan);
}

/** The drafts still describe this review (same number of machines, disks and NICs): edits can be kept. */
export function draftsFit(drafts: readonly MachineDraft[] | null, review: ImportReview): drafts is MachineDraft[] {
  return (
    drafts !== null &&
    drafts.length === review.machines.length &&
    review.machines.every((m, i) => drafts[i]!.disks.length === m.disks.length && drafts[i]!.nics.length === m.nics.length)
  );
}

const same = <T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean) => a.length === b.length && a.every((x, i) => eq(x, b[i]!));

/**
 * The `appliance.import` edits of one machine: name, CPUs, memory, firmware and MAC policy always;
 * the OS type, disks and NICs only when they differ from the plan. Numbers must be valid.
 */
export function toMachineEdits(plan: MachinePlan, draft: MachineDraft): MachineEdits {
  const edits: MachineEdits = {
    name: draft.name,
    cpus: Number(draft.cpus.trim()),
    memoryMiB: Number(draft.memoryMiB.trim()),
    firmware: draft.firmware,
    macPolicy: draft.macPolicy,
  };
  if (draft.osType !== plan.osType) edits.osType = draft.osType;
  if (!same(draft.disks, plan.disks, (a, b) => a.include === b.include && a.bus === b.bus)) edits.disks = draft.disks.map((d) => ({ include: d.include, bus: d.bus }));
  if (!draft.nics.every((n, i) => n.include && n.model === plan.nics[i]?.model)) edits.nics = draft.nics.map((n) => ({ include: n.include, model: n.model }));
  return edits;
}

/** Where each of the appliance's networks goes, as chosen (by source name); see networkChoicesFromReview. */
export type NetworkChoices = Record<string, NetworkTarget>;

/** The review's suggestions: the Hangar network of the same name, else user-mode NAT. */
export function networkChoicesFromReview(review: ImportReview): NetworkChoices {
  return Object.fromEntries(review.networks.map((n) => [n.source, n.suggested]));
}

/** What "create" proposes for a source network: its name made a valid network name, host-only. */
export function proposedNetwork(source: string): { kind: 'create'; name: string; mode: NetworkMode } {
  const name = source.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 32) || 'imported';
  return { kind: 'create', name, mode: 'hostonly' };
}

/** Problems of the network choices, at fields `network.<source>`: names of networks to create. */
export function validateNetworkChoices(choices: NetworkChoices, existingNetworks: readonly { name: string }[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // (two source networks may both ask for one new network by the same name: they share it)
  for (const [source, t] of Object.entries(choices)) {
    if (t.kind !== 'create') continue;
    const field = `network.${source}`;
    for (const message of networkNameProblems(t.name)) issues.push({ field, message });
    if (existingNetworks.some((n) => n.name.toLowerCase() === t.name.toLowerCase())) issues.push({ field, message: `a network named '${t.name}' already exists: choose it instead` });
  }
  return issues;
}

/** The `appliance.import` input for valid drafts (one per machine, by index) and network choices. */
export function toImportInput(review: ImportReview, drafts: readonly MachineDraft[], networks: NetworkChoices = networkChoicesFromReview(review)): ImportInput {
  const mappings: NetworkMapping[] = review.networks.map((n) => ({ source: n.source, target: networks[n.source] ?? n.suggested }));
  return { path: review.file, machines: review.machines.map((m, i) => toMachineEdits(m, drafts[i]!)), ...(mappings.length ? { networks: mappings } : {}) };
}

const PREVIEW_ID = '00000000-0000-4000-8000-000000000000';
const previewMac = (i: number) => `0a:48:47:00:00:${i.toString(16).padStart(2, '0')}`;

/**
 * The problems of machine `index`: fields `name`, `osType`, `cpus`, `memoryMiB`, `eula`, and what
 * only the whole configuration shows (IDE on q35, too many devices on a bus: see configIssues), in
 * the words the owner would use.
 */
export function validateMachine(review: ImportReview, drafts: readonly MachineDraft[], index: number, ctx: ImportContext): FieldIssue[] {
  const plan = review.machines[index]!;
  const draft = drafts[index]!;
  const issues: FieldIssue[] = [];
  const nameProblems = nameIssues(draft.name, ctx.existingNames);
  issues.push(...issuesToFields('name', nameProblems));
  if (nameProblems.length === 0) {
    const twin = drafts.findIndex((d, j) => j !== index && nameKey(d.name) === nameKey(draft.name));
    if (twin >= 0) issues.push({ field: 'name', message: `machine ${twin + 1} of this appliance is also named '${drafts[twin]!.name}'` });
  }
  if (ctx.osTypes.length && !ctx.osTypes.some((o) => o.id === draft.osType)) issues.push({ field: 'osType', message: `unknown OS type '${draft.osType}'` });
  issues.push(...issuesToFields('cpus', cpusIssues(draft.cpus)));
  issues.push(...issuesToFields('memoryMiB', memoryIssues(draft.memoryMiB)));
  if (plan.eulas.length && !draft.eulaAccepted) issues.push({ field: 'eula', message: 'accept the license agreement to import this machine' });
  if (issues.some((i) => i.field !== 'eula')) return issues;
  // The fields are fine: build the configuration the owner would register, with its rules.
  try {
    const planned = applyEdits(plan, toMachineEdits(plan, draft));
    const included = planned.disks.filter((d) => d.include);
    configFromPlan(planned, {
      id: PREVIEW_ID,
      diskPaths: included.map((_, i) => `/preview/disk${i}.qcow2`),
      isoPaths: planned.opticals.map((o, i) => (o.file ? `/preview/cd${i}.iso` : null)),
      macs: planned.nics.map((_, i) => previewMac(i + 1)),
    });
  } catch (e) {
    issues.push(...configIssues(e, plan, draft));
  }
  return issues;
}

/**
 * The owner's verdict on a whole configuration, placed by the paths its issues carry (the config's
 * own: `disks[0].bus`, `opticals[1].bus`, `nics[0].model`): `disks.<i>.bus` for a disk by its row in
 * the review (counted among all the appliance's disks, not only the imported ones), `opticals.<i>`,
 * `nics.<i>`, else `machine`. The message is never read for meaning.
 */
export function configIssues(e: unknown, plan: MachinePlan, draft: MachineDraft): FieldIssue[] {
  const issues = e instanceof Error || (typeof e === 'object' && e !== null) ? errorIssues(e as { details?: unknown }) : [];
  if (issues.length === 0) return [{ field: 'machine', message: e instanceof Error ? e.message : String(e) }];
  const includedDisks = draft.disks.flatMap((d, i) => (d.include ? [i] : []));
  const keptNics = draft.nics.flatMap((n, i) => (n.include ? [i] : []));
  return issues.map((issue): FieldIssue => {
    const m = /^(disks|opticals|nics)\[(\d+)\](?:\.(\w+))?$/.exec(issue.path);
    if (!m) return { field: 'machine', message: issue.path ? `${issue.path}: ${issue.message}` : issue.message };
    const [, kind, index, key] = m as unknown as [string, 'disks' | 'opticals' | 'nics', string, string | undefined];
    const i = Number(index);
    if (kind === 'disks' && includedDisks[i] !== undefined) return { field: `disks.${includedDisks[i]}.${key ?? 'bus'}`, message: `disk ${includedDisks[i] + 1}: ${issue.message}` };
    if (kind === 'nics' && keptNics[i] !== undefined) return { field: `nics.${keptNics[i]}`, message: `network card ${keptNics[i] + 1}: ${issue.message}` };
    if (kind === 'opticals' && i < plan.opticals.length) {
      // The review cannot move optical drives: say what can be done instead.
      const ideUnderUefi = key === 'bus' && plan.opticals[i]!.bus === 'ide' && draft.firmware === 'uefi';
      return { field: `opticals.${i}`, message: `optical drive ${i + 1}: ${ideUnderUefi ? 'it is on IDE, which the q35 chipset that UEFI needs does not have: keep BIOS firmware' : issue.message}` };
    }
    return { field: 'machine', message: `${issue.path}: ${issue.message}` };
  });
}

/** Every machine's problems, by machine index. */
export function validateAll(review: ImportReview, drafts: readonly MachineDraft[], ctx: ImportContext): FieldIssue[][] {
  return review.machines.map((_, i) => validateMachine(review, drafts, i, ctx));
}

/** Import can start: every machine is valid and every license accepted. */
export function canImport(review: ImportReview, drafts: readonly MachineDraft[], ctx: ImportContext): boolean {
  return review.machines.length > 0 && validateAll(review, drafts, ctx).every((issues) => issues.length === 0);
}

/** The problem with the typed file path (step 1), or undefined. */
export function appliancePathIssue(path: string): string | undefined {
  const problems = pathIssues(path, 'an appliance (.ova or .ovf) or a machine (.vbox or .vmx)');
  if (problems.length) return problems[0];
  return /\.(ova|ovf|vbox|vmx)$/i.test(path.trim()) ? undefined : 'choose an .ova file, an .ovf file with its disks beside it, or a VirtualBox (.vbox) or VMware (.vmx) machine';
}

/** The chipset the machine gets with these edits ('q35' for UEFI), or the plan's when edits are invalid. */
export function plannedChipset(plan: MachinePlan, draft: MachineDraft): MachinePlan['chipset'] {
  try {
    const cpus = numberFromText(draft.cpus);
    const memory = numberFromText(draft.memoryMiB);
    const edits = toMachineEdits(plan, draft);
    if (!Number.isFinite(cpus)) delete edits.cpus;
    if (!Number.isFinite(memory)) delete edits.memoryMiB;
    return applyEdits(plan, edits).chipset;
  } catch {
    return plan.chipset;
  }
}

// ---------------------------------------------------------------- what the review says, for people

export type Severity = 'success' | 'info' | 'warning' | 'error';

export interface Status {
  severity: Severity;
  /** one line */
  title: string;
  /** further lines */
  lines: string[];
}

/** The manifest: its algorithms and entries, or the warning that there is none. */
export function manifestStatus(review: ImportReview): Status {
  const m = review.manifest;
  if (!m) return { severity: 'warning', title: 'No manifest', lines: ['The appliance has no manifest: its files cannot be checked for damage.'] };
  const algorithms = m.algorithms.length ? m.algorithms.join(', ') : 'no digests';
  const files = `${m.entries} ${m.entries === 1 ? 'file' : 'files'}`;
  return {
    severity: m.algorithms.length && m.algorithms.every((a) => /md5/i.test(a)) ? 'warning' : 'success',
    title: `Manifest ${m.file}: ${files}, ${algorithms}`,
    lines: ['The descriptor was checked against it; each disk is checked while it is imported.'],
  };
}

/** The certificate: who signed, whether the signature holds, dates and trust. */
export function certificateStatus(cert: CertificateReport | null): Status {
  if (!cert) return { severity: 'info', title: 'Not signed', lines: ['The appliance carries no certificate: who made it cannot be checked.'] };
  const lines: string[] = [];
  lines.push(cert.selfSigned ? 'Self-signed certificate' : `Issued by ${cert.issuer}`);
  lines.push(`Valid from ${certificateDate(cert.validFrom)} to ${certificateDate(cert.validTo)}`);
  if (cert.problem) return { severity: 'error', title: `Signed by ${cert.subject}: the signature could not be checked`, lines: [cert.problem, ...lines] };
  if (!cert.signatureValid) return { severity: 'error', title: `Signed by ${cert.subject}: the signature is invalid`, lines: ['The appliance was changed after it was signed.', ...lines] };
  if (cert.expired) return { severity: 'warning', title: `Signed by ${cert.subject}: the certificate has expired`, lines };
  if (cert.notYetValid) return { severity: 'warning', title: `Signed by ${cert.subject}: the certificate is not valid yet`, lines };
  if (!cert.trustedBySystem) return { severity: 'warning', title: `Signed by ${cert.subject}: valid signature, not trusted`, lines: ['This system does not trust the certificate.', ...lines] };
  return { severity: 'success', title: `Signed by ${cert.subject}: valid signature, trusted`, lines };
}

/** A certificate date as a day ('1 Aug 2024', in the user's locale), or as given when it is no date. */
export function certificateDate(text: string, locale?: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toLocaleDateString(locale, { dateStyle: 'medium', timeZone: 'UTC' } as Intl.DateTimeFormatOptions);
}

/** Where the appliance connected a card, and what it becomes (every Hangar card uses NAT). */
export function networkLabel(network: string): string {
  const n = network.trim();
  if (n === '' || /^nat$/i.test(n)) return 'NAT';
  return `${n} (becomes NAT)`;
}

/** The source of a disk for people: `disk1.vmdk, 182 MiB, gzip`, or `new empty disk`. */
export function sourceFileLabel(file: SourceFile | null): string {
  if (!file) return 'New empty disk';
  const parts = [file.href];
  if (file.sizeBytes !== null) parts.push(formatBytes(file.sizeBytes));
  if (file.compression === 'gzip') parts.push('gzip');
  if (file.chunkSize !== null) parts.push('in chunks');
  return parts.join(', ');
}

/** A disk's capacity, or 'unknown' when the descriptor does not say. */
export function capacityLabel(bytes: number): string {
  return bytes > 0 ? formatBytes(bytes) : 'unknown';
}

/** "VirtualBox Appliance 7.0 by Example Corp" style product lines, label → value, only those given. */
export function productRows(product: MachinePlan['product']): { label: string; value: string }[] {
  if (!product) return [];
  const rows = [
    { label: 'Product', value: product.product },
    { label: 'Vendor', value: product.vendor },
    { label: 'Version', value: product.fullVersion || product.version },
    { label: 'Product URL', value: product.productUrl },
    { label: 'Vendor URL', value: product.vendorUrl },
  ];
  return rows.filter((r) => r.value.trim() !== '');
}

/** An http(s) address that may be shown as a link; anything else stays text. */
export function safeLink(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- the web mode's deep link

// It lives beside the command that makes it (`hangar open`); kept here under its old names.
export { IMPORT_HASH_KEY, importHash, importPathFromHash, hashWithoutImport } from '../../src-main/desktop/deepLink.js';

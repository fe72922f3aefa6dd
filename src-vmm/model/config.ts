// The whole VM configuration: the section schemas put together, and the rules that span sections.
import { z } from 'zod';
import { formatIssuePath } from '../base/errors.js';
import { fail, ok, type Result } from '../base/result.js';
import { BootSection } from './boot.js';
import { DisksSection, OpticalsSection } from './disks.js';
import { DisplaySection } from './display.js';
import { FeaturesSection } from './features.js';
import { FirmwareSection } from './firmware.js';
import { CloudInitSection, InstallSection } from './guestAccess.js';
import { MAX_DESCRIPTION_LENGTH, MAX_IDE_DEVICES_PC, MAX_SATA_DEVICES } from './limits.js';
import { CURRENT_SCHEMA_VERSION, tooNewMessage } from './migrations.js';
import { VmId, VmName } from './names.js';
import { NicsSection } from './nics.js';
import { OsTypeId } from './osCatalogue.js';
import { RecoverySection } from './recovery.js';
import { SerialSection } from './serial.js';
import { SharesSection } from './shares.js';
import { TpmSection } from './tpm.js';
import { UsbSection } from './usb.js';
import { SystemSection } from './system.js';

export interface ConfigIssue {
  /** where, e.g. 'system.cpus' or 'disks[1].bus'; '' for the config as a whole */
  path: string;
  message: string;
}

const SchemaVersion = z.literal(CURRENT_SCHEMA_VERSION, {
  error: (issue) =>
    typeof issue.input === 'number' && Number.isInteger(issue.input) && issue.input > CURRENT_SCHEMA_VERSION
      ? tooNewMessage(issue.input)
      : `schemaVersion must be ${CURRENT_SCHEMA_VERSION}`,
});

export const VmConfigSchema = z
  .object({
    schemaVersion: SchemaVersion,
    id: VmId,
    name: VmName,
    osType: OsTypeId,
    description: z.string({ error: 'description must be a string' }).max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`),
    system: SystemSection,
    firmware: FirmwareSection,
    disks: DisksSection,
    opticals: OpticalsSection,
    nics: NicsSection,
    display: DisplaySection,
    serial: SerialSection,
    features: FeaturesSection,
    boot: BootSection,
    /** absent in configs saved before it existed: never restart on crash */
    recovery: RecoverySection.optional(),
    /** absent in configs saved before shared folders existed: none */
    shares: SharesSection.optional(),
    /** absent in configs saved before it, and when the VM has no TPM */
    tpm: TpmSection.optional(),
    /** a VM made from a cloud image (absent otherwise, and in configs saved before it existed) */
    cloudInit: CloudInitSection.optional(),
    /** an unattended installation that has not finished yet */
    install: InstallSection.optional(),
    /** USB devices on an xHCI controller (absent in configs saved before it: no USB devices, xHCI only with a display) */
    usb: UsbSection.optional(),
  })
  .strict();
/** The schema under the name callers use for values and parsing alike (`VmConfig.parse`). */
export const VmConfig = VmConfigSchema;
export type VmConfig = z.infer<typeof VmConfigSchema>;
/** What a caller may hand in: defaults (such as a forward's host address) not yet filled. */
export type VmConfigInput = z.input<typeof VmConfigSchema>;

export const formatPath = formatIssuePath;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * zod's issues as ConfigIssues: one per problem, with a readable path. `input` is what was parsed,
 * to tell a missing field from a wrong one.
 */
export function issuesFromZod(error: z.ZodError, input: unknown): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    else if (issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined) message = 'is missing';
    return { path: formatPath(issue.path), message };
  });
}

/** Rules that span fields; the config has already passed the schema. */
export function crossFieldIssues(c: VmConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  if (c.firmware.type === 'uefi' && c.system.chipset !== 'q35') add('firmware.type', 'UEFI firmware needs the q35 chipset');
  if (c.firmware.secureBoot && c.firmware.type !== 'uefi') add('firmware.secureBoot', 'Secure Boot needs UEFI firmware');
  if (c.features.nested && c.system.accel === 'tcg') add('features.nested', "nested virtualization needs the KVM accelerator (accel is 'tcg')");

  const storage = [
    ...c.disks.map((d, i) => ({ kind: 'disks', i, bus: d.bus as string })),
    ...c.opticals.map((o, i) => ({ kind: 'opticals', i, bus: o.bus as string })),
  ];
  if (c.system.chipset === 'q35') {
    for (const s of storage) if (s.bus === 'ide') add(`${s.kind}[${s.i}].bus`, 'IDE is not available on the q35 chipset: use sata');
  } else {
    const ide = storage.filter((s) => s.bus === 'ide').length;
    if (ide > MAX_IDE_DEVICES_PC) add('', `at most ${MAX_IDE_DEVICES_PC} IDE devices (disks and optical drives) fit on the pc chipset; this VM has ${ide}`);
  }
  const sata = storage.filter((s) => s.bus === 'sata').length;
  if (sata > MAX_SATA_DEVICES) add('', `at most ${MAX_SATA_DEVICES} SATA devices (disks and optical drives) fit on the SATA controller; this VM has ${sata}`);

  c.disks.forEach((d, i) => {
    // QEMU's ide-hd (IDE and SATA) refuses a read-only block node: "Block node is read-only".
    if (d.readOnly && (d.bus === 'ide' || d.bus === 'sata')) add(`disks[${i}].readOnly`, `a read-only disk cannot use the ${d.bus} bus: use virtio, scsi or nvme`);
  });

  const ids = new Set<string>();
  const devices = [
    ...c.disks.map((d, i) => ({ path: `disks[${i}].id`, id: d.id })),
    ...c.opticals.map((o, i) => ({ path: `opticals[${i}].id`, id: o.id })),
    ...c.nics.map((n, i) => ({ path: `nics[${i}].id`, id: n.id })),
    ...(c.usb?.devices ?? []).map((u, i) => ({ path: `usb.devices[${i}].id`, id: u.id })),
  ];
  for (const d of devices) {
    if (ids.has(d.id)) add(d.path, `device id '${d.id}' is used more than once`);
    ids.add(d.id);
  }

  const paths = new Set<string>();
  c.disks.forEach((d, i) => {
    if (paths.has(d.path)) add(`disks[${i}].path`, `disk image ${d.path} is used by more than one disk`);
    paths.add(d.path);
  });

  (c.usb?.devices ?? []).forEach((u, i) => {
    if (u.kind === 'storage' && paths.has(u.path)) add(`usb.devices[${i}].path`, `disk image ${u.path} is used by more than one disk`);
    if (u.kind === 'storage') paths.add(u.path);
  });

  const tags = new Set<string>();
  (c.shares ?? []).forEach((s, i) => {
    if (tags.has(s.tag)) add(`shares[${i}].tag`, `share tag '${s.tag}' is used by more than one shared folder`);
    tags.add(s.tag);
  });

  const macs = new Set<string>();
  c.nics.forEach((n, i) => {
    if (macs.has(n.mac)) add(`nics[${i}].mac`, `MAC address ${n.mac} is used by more than one NIC`);
    macs.add(n.mac);
  });

  // A host port can be bound once per protocol and address; 0.0.0.0 covers every address.
  const forwards: { protocol: string; hostAddress: string; hostPort: number }[] = [];
  c.nics.forEach((n, i) =>
    n.forwards.forEach((f, j) => {
      const clash = forwards.some(
        (g) => g.protocol === f.protocol && g.hostPort === f.hostPort && (g.hostAddress === f.hostAddress || g.hostAddress === '0.0.0.0' || f.hostAddress === '0.0.0.0'),
      );
      if (clash) add(`nics[${i}].forwards[${j}]`, `host port ${f.protocol} ${f.hostAddress}:${f.hostPort} is forwarded more than once`);
      forwards.push(f);
    }),
  );

  // The seed answers cloud-init on every boot (a VM without it would look like a new instance); the
  // installer media stays until its installation has finished.
  if (c.cloudInit && !c.opticals.some((o) => o.path === c.cloudInit!.seed)) add('cloudInit.seed', 'the cloud-init seed must stay in an optical drive');
  if (c.install && !c.opticals.some((o) => o.path === c.install!.media)) add('install.media', 'the installer media must stay in an optical drive until the installation has finished');

  if (c.boot.kernel === undefined) {
    if (c.boot.initrd !== undefined) add('boot.initrd', 'an initrd needs a kernel (boot.kernel)');
    if (c.boot.append !== undefined) add('boot.append', 'a kernel command line (append) needs a kernel (boot.kernel)');
  }
  return issues;
}

/** Schema parse plus the cross-field rules; on success the value is a fresh, normalized config. */
export function validateConfig(raw: unknown): Result<VmConfig, ConfigIssue[]> {
  const parsed = VmConfigSchema.safeParse(raw);
  if (!parsed.success) return fail(issuesFromZod(parsed.error, raw));
  const issues = crossFieldIssues(parsed.data);
  return issues.length ? fail(issues) : ok(parsed.data);
}

/** Issues as one line for a person: "system.cpus: a VM can have at most 64 CPUs; UEFI …". */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  if (issues.length === 0) return 'the configuration is valid';
  return issues
    .map((i) => {
      const message = i.message.replace(/\s*\n\s*/g, ' ');
      // 'name must not be empty' already says where; don't print 'name: name must …'.
      return i.path === '' || message.startsWith(`${i.path} `) ? message : `${i.path}: ${message}`;
    })
    .join('; ');
}

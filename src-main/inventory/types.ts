// The inventory's interfaces and row types (pure). The factory lives in inventory.node.ts.
// The inventory is generic over the VM config type: it only needs an id and a name, and a parser
// that checks (and migrates) a stored config on every read.
import type { VmState } from '../../src-vmm/protocol/states.js';

export type { VmState };

/** What every VM config has; the real type comes from src-vmm/model. */
export interface ConfigBase {
  id: string;
  name: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface InventoryOptions<TConfig extends ConfigBase> {
  /** Validates (and migrates) a config read from the database or about to be written. */
  parseConfig: (raw: unknown) => ParseResult<TConfig>;
  log?: (line: string) => void;
  /** for tests: the clock that stamps rows */
  now?: () => Date;
}

export type Accelerator = 'kvm' | 'tcg';
export const ACCELERATORS: readonly Accelerator[] = ['kvm', 'tcg'];

export interface VmRow<TConfig> {
  id: string;
  name: string;
  config: TConfig;
  state: VmState;
  /** why the VM is in this state (an abort's cause), or null */
  stateReason: string | null;
  accelerator: Accelerator | null;
  createdAt: string;
  updatedAt: string;
  /** the group it is in ('/': none), such as '/lab/web' */
  group: string;
  /** free tags, in the order they were given */
  tags: string[];
}

export const IMAGE_ROLES = ['disk', 'frozen', 'base', 'library'] as const;
/** disk: a VM's current top image; frozen: a snapshot's read-only image; base: shared by linked clones;
 * library: a base image of the image library (owned by no VM, kept until the library lets it go) */
export type ImageRole = (typeof IMAGE_ROLES)[number];

export interface ImageRow {
  /** absolute */
  path: string;
  /** null for an image no VM owns */
  vmId: string | null;
  format: string;
  virtualSize: number;
  backingPath: string | null;
  /** true when the file lives in the VM's folder and is deleted with it */
  owned: boolean;
  role: ImageRole;
  createdAt: string;
}

export interface ImageInput {
  path: string;
  vmId: string | null;
  format: string;
  virtualSize: number;
  backingPath?: string | null;
  owned: boolean;
  role: ImageRole;
  createdAt?: string;
}

export interface SnapshotDisk {
  /** the id of the disk in the VM config */
  diskId: string;
  /** the frozen image */
  path: string;
  format: string;
}

export interface SnapshotRow<TConfig> {
  id: string;
  vmId: string;
  parentId: string | null;
  name: string;
  description: string;
  createdAt: string;
  /** the hardware config when the snapshot was taken */
  config: TConfig;
  /** taken while running: stateFile holds the RAM and device state */
  live: boolean;
  stateFile: string | null;
  disks: SnapshotDisk[];
  /** how it was taken */
  facts: SnapshotFacts;
  /** the guest's file systems were frozen by its agent around the disk switch */
  quiesced: boolean;
}

/** What is known of how a snapshot was taken; every field optional (older snapshots have none). */
export interface SnapshotFacts {
  /** a live snapshot's RAM: written while the guest ran ('background'), or with the guest paused */
  liveMethod?: 'background' | 'paused';
  /** how long the guest was paused, in ms */
  pauseMs?: number;
}

export interface SnapshotInput<TConfig> {
  id: string;
  vmId: string;
  parentId: string | null;
  name: string;
  description?: string;
  createdAt?: string;
  config: TConfig;
  live: boolean;
  stateFile?: string | null;
  disks: SnapshotDisk[];
  facts?: SnapshotFacts;
  quiesced?: boolean;
}

export const TASK_STATES = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export type TaskEndState = Exclude<TaskState, 'running'>;

export interface TaskRow {
  id: string;
  kind: string;
  vmId: string | null;
  /** the VM's name when the task started */
  vm: string | null;
  state: TaskState;
  /** 0 … 1 */
  progress: number;
  phase: string | null;
  message: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** what the task is about besides its VM: a snapshot's name, a clone's source */
  subject: string | null;
  /** how it ended, in one sentence, when it succeeded */
  outcome: string | null;
}

export interface QuarantineRow {
  id: number;
  source: string;
  /** the row as it was, JSON */
  row: string;
  reason: string;
  at: string;
}

export interface VmRepository<TConfig extends ConfigBase> {
  /** The id and name come from the config. A duplicate name (any case) → ALREADY_EXISTS. */
  insert(input: { config: TConfig; state: VmState; accelerator?: Accelerator | null }): VmRow<TConfig>;
  get(id: string): VmRow<TConfig> | undefined;
  /** case-insensitive */
  findByName(name: string): VmRow<TConfig> | undefined;
  /** an exact id, else a case-insensitive name */
  findByRef(ref: string): VmRow<TConfig> | undefined;
  /** in creation order; rows that fail validation are quarantined and left out */
  list(): VmRow<TConfig>[];
  /** Replaces the config, keeping the name columns in sync. NOT_FOUND, ALREADY_EXISTS (name). */
  updateConfig(id: string, config: TConfig): VmRow<TConfig>;
  /** A new state clears the previous reason. The accelerator is kept when not given; null clears it. */
  setState(id: string, state: VmState, reason?: string | null, accelerator?: Accelerator | null): void;
  /** Its group and tags (checked by the caller: src-main/groups/rules.ts). NOT_FOUND. */
  setPlacement(id: string, placement: { group: string; tags: readonly string[] }): void;
  /** Deletes the VM with its image rows, snapshots and current pointer (not files). STATE_CONFLICT
   * when images of other VMs are based on its images. Returns whether a row was deleted. */
  delete(id: string): boolean;
}

export interface ImageRepository {
  /** ALREADY_EXISTS for a known path; NOT_FOUND for an unknown VM or backing image */
  add(input: ImageInput): ImageRow;
  get(path: string): ImageRow | undefined;
  list(): ImageRow[];
  listForVm(vmId: string): ImageRow[];
  /** NOT_FOUND for unknown paths; INVALID_INPUT when it would make a loop */
  setBacking(path: string, backingPath: string | null): void;
  setRole(path: string, role: ImageRole): void;
  /** after the image grew (disk resize); NOT_FOUND for unknown paths, INVALID_INPUT for a bad size */
  setVirtualSize(path: string, bytes: number): void;
  /** null: the image is kept for other VMs' sake after its VM is gone */
  setVm(path: string, vmId: string | null): void;
  /** STATE_CONFLICT while other images are based on it. Returns whether a row was deleted. */
  delete(path: string): boolean;
  /** images whose backing image is `path` */
  dependents(path: string): ImageRow[];
}

export interface SnapshotRepository<TConfig extends ConfigBase> {
  /** ALREADY_EXISTS, NOT_FOUND (VM or parent), INVALID_INPUT (parent of another VM) */
  insert(input: SnapshotInput<TConfig>): SnapshotRow<TConfig>;
  get(id: string): SnapshotRow<TConfig> | undefined;
  /** oldest first */
  listForVm(vmId: string): SnapshotRow<TConfig>[];
  children(id: string): SnapshotRow<TConfig>[];
  /** `disks`: the frozen images again (a delete that commits a child down names the image that took its data) */
  update(id: string, patch: { name?: string; description?: string; parentId?: string | null; disks?: SnapshotDisk[] }): SnapshotRow<TConfig>;
  /** STATE_CONFLICT while it has children or is the VM's current snapshot */
  delete(id: string): boolean;
  current(vmId: string): SnapshotRow<TConfig> | undefined;
  /** null: the VM has no current snapshot */
  setCurrent(vmId: string, snapshotId: string | null): void;
}

export interface TaskRepository {
  create(input: { id: string; kind: string; vmId?: string | null; vmName?: string | null; startedAt?: string; subject?: string | null }): TaskRow;
  get(id: string): TaskRow | undefined;
  /** progress is clamped to 0 … 1; returns whether the task exists */
  update(id: string, patch: { progress?: number; phase?: string | null; message?: string | null }): boolean;
  finish(id: string, state: TaskEndState, error?: string | null, outcome?: string | null): boolean;
  /** newest first */
  list(opts?: { limit?: number }): TaskRow[];
  /** At start-up: every task still 'running' belonged to an owner that died. Returns how many. */
  markInterrupted(): number;
}

export const LIBRARY_KINDS = ['disk', 'iso'] as const;
export type LibraryKind = (typeof LIBRARY_KINDS)[number];

/** A base image of the image library. */
export interface LibraryImageRow {
  id: string;
  name: string;
  /** absolute, in <home>/library/ */
  path: string;
  kind: LibraryKind;
  format: string;
  virtualSize: number;
  sizeBytes: number;
  osType: string | null;
  osinfoId: string | null;
  osName: string | null;
  osVersion: string | null;
  source: string;
  sha256: string;
  createdAt: string;
}

export type LibraryImageInput = Omit<LibraryImageRow, 'createdAt'> & { createdAt?: string };

export interface LibraryRepository {
  /** ALREADY_EXISTS for a name (any case) or a path the library has; a disk image's images row must exist */
  insert(input: LibraryImageInput): LibraryImageRow;
  get(id: string): LibraryImageRow | undefined;
  findByName(name: string): LibraryImageRow | undefined;
  /** an exact id, else a case-insensitive name */
  findByRef(ref: string): LibraryImageRow | undefined;
  findByPath(path: string): LibraryImageRow | undefined;
  /** in the order they were added */
  list(): LibraryImageRow[];
  /** Returns whether a row was deleted. */
  delete(id: string): boolean;
}

export interface Inventory<TConfig extends ConfigBase> {
  vms: VmRepository<TConfig>;
  images: ImageRepository;
  library: LibraryRepository;
  snapshots: SnapshotRepository<TConfig>;
  tasks: TaskRepository;
  quarantine: { list(): QuarantineRow[] };
  /** Runs fn in one transaction (a savepoint when nested); a throw rolls everything back. fn must be synchronous. */
  transaction<T>(fn: () => T): T;
}

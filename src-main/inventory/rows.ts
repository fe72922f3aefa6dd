// Rows as read from SQLite, checked as untrusted input (pure). A row that does not check out is
// reported with a reason that says what is wrong, never thrown.
import { z } from 'zod';
import { VM_STATES } from '../../src-vmm/protocol/states.js';
import { groupPathProblem, ROOT_GROUP, TagList } from '../groups/rules.js';
import {
  ACCELERATORS,
  IMAGE_ROLES,
  LIBRARY_KINDS,
  TASK_STATES,
  type Accelerator,
  type LibraryImageRow,
  type ConfigBase,
  type ImageRow,
  type ParseResult,
  type SnapshotRow,
  type TaskRow,
  type VmRow,
} from './types.js';

/** The key that makes VM names unique without regard to case (or Unicode composition). */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

const text = z.string();
const textOrNull = z.string().nullable();
const flag = z.union([z.literal(0), z.literal(1)]);

const VmDbRow = z.object({
  id: text.min(1),
  name: text,
  name_key: text,
  config: text,
  state: text,
  state_reason: textOrNull,
  accelerator: textOrNull,
  created_at: text,
  updated_at: text,
  // migration 7; absent in rows of tests that build them by hand
  group_path: z.unknown().optional(),
  tags: z.unknown().optional(),
});

const ImageDbRow = z.object({
  path: text.min(1),
  vm_id: textOrNull,
  format: text,
  virtual_size: z.number().int().nonnegative(),
  backing_path: textOrNull,
  owned: flag,
  role: z.enum(IMAGE_ROLES),
  created_at: text,
});

const SnapshotDisk = z.object({ diskId: z.string(), path: z.string(), format: z.string() }).strict();
const SnapshotDbRow = z.object({
  id: text.min(1),
  vm_id: text,
  parent_id: textOrNull,
  name: text,
  description: text,
  created_at: text,
  config: text,
  live: flag,
  state_file: textOrNull,
  disks: text,
  facts: text.optional(),
  /** added by a later migration: absent in a row read through an older view */
  quiesced: flag.optional(),
});
const SnapshotFactsJson = z
  .object({ liveMethod: z.enum(['background', 'paused']).optional(), pauseMs: z.number().nonnegative().optional() })
  .loose();

const TaskDbRow = z.object({
  id: text.min(1),
  kind: text,
  vm_id: textOrNull,
  vm_name: textOrNull,
  state: z.enum(TASK_STATES),
  progress: z.number().min(0).max(1),
  phase: textOrNull,
  message: textOrNull,
  error: textOrNull,
  started_at: text,
  finished_at: textOrNull,
  // added by migration 2
  subject: textOrNull.optional(),
  outcome: textOrNull.optional(),
});

function issues(e: z.ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

function parseJson(textValue: string, what: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(textValue) as unknown };
  } catch (e) {
    return { ok: false, reason: `${what} is not valid JSON (${(e as Error).message})` };
  }
}

function parseConfigColumn<TConfig extends ConfigBase>(
  raw: string,
  vmId: string,
  parseConfig: (raw: unknown) => ParseResult<TConfig>,
): ParseResult<TConfig> {
  const json = parseJson(raw, 'config');
  if (!json.ok) return json;
  const config = parseConfig(json.value);
  if (!config.ok) return { ok: false, reason: `config is not valid: ${config.reason}` };
  if (config.value.id !== vmId) return { ok: false, reason: `config is for VM '${config.value.id}', not '${vmId}'` };
  return config;
}

/** Whether two rows read from the database hold the same columns with the same values. */
export function sameColumns(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  let n = 0;
  for (const k in b) {
    if (!Object.is(a[k], b[k])) return false;
    n++;
  }
  return Object.keys(a).length === n;
}

/** Freezes a parsed value and everything in it (a row shared between readers must not change under them). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function parseVmRow<TConfig extends ConfigBase>(raw: unknown, parseConfig: (raw: unknown) => ParseResult<TConfig>): ParseResult<VmRow<TConfig>> {
  const r = VmDbRow.safeParse(raw);
  if (!r.success) return { ok: false, reason: `malformed row (${issues(r.error)})` };
  const row = r.data;
  if (!(VM_STATES as readonly string[]).includes(row.state)) return { ok: false, reason: `unknown state '${row.state}'` };
  const config = parseConfigColumn(row.config, row.id, parseConfig);
  if (!config.ok) return config;
  // A damaged accelerator is not worth losing a VM over: it is only a record of the last run.
  const accelerator = (ACCELERATORS as readonly string[]).includes(row.accelerator ?? '') ? (row.accelerator as Accelerator) : null;
  return {
    ok: true,
    value: {
      id: row.id,
      // the config is the source of truth for the name
      name: config.value.name,
      config: config.value,
      state: row.state as VmRow<TConfig>['state'],
      stateReason: row.state_reason,
      accelerator,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...placementColumns(row.group_path, row.tags),
    },
  };
}

/**
 * A VM's group and tags: a damaged value is not worth losing a VM over (they only sort it), so it
 * reads as no group or no tags.
 */
function placementColumns(group: unknown, tags: unknown): { group: string; tags: string[] } {
  const g = typeof group === 'string' && groupPathProblem(group) === null ? group : ROOT_GROUP;
  let list: unknown;
  try {
    list = typeof tags === 'string' ? JSON.parse(tags) : [];
  } catch {
    list = [];
  }
  const t = TagList.safeParse(list);
  return { group: g, tags: t.success ? t.data : [] };
}

export function parseImageRow(raw: unknown): ParseResult<ImageRow> {
  const r = ImageDbRow.safeParse(raw);
  if (!r.success) return { ok: false, reason: `malformed row (${issues(r.error)})` };
  const row = r.data;
  return {
    ok: true,
    value: {
      path: row.path,
      vmId: row.vm_id,
      format: row.format,
      virtualSize: row.virtual_size,
      backingPath: row.backing_path,
      owned: row.owned === 1,
      role: row.role,
      createdAt: row.created_at,
    },
  };
}

export function parseSnapshotRow<TConfig extends ConfigBase>(
  raw: unknown,
  parseConfig: (raw: unknown) => ParseResult<TConfig>,
): ParseResult<SnapshotRow<TConfig>> {
  const r = SnapshotDbRow.safeParse(raw);
  if (!r.success) return { ok: false, reason: `malformed row (${issues(r.error)})` };
  const row = r.data;
  const config = parseConfigColumn(row.config, row.vm_id, parseConfig);
  if (!config.ok) return config;
  const disksJson = parseJson(row.disks, 'disks');
  if (!disksJson.ok) return disksJson;
  const disks = z.array(SnapshotDisk).safeParse(disksJson.value);
  if (!disks.success) return { ok: false, reason: `disks are not valid (${issues(disks.error)})` };
  // Facts are bookkeeping: unreadable ones are dropped, never the snapshot.
  const factsJson = parseJson(row.facts ?? '{}', 'facts');
  const facts = factsJson.ok ? SnapshotFactsJson.safeParse(factsJson.value) : undefined;
  const { liveMethod, pauseMs } = facts?.success ? facts.data : {};
  return {
    ok: true,
    value: {
      id: row.id,
      vmId: row.vm_id,
      parentId: row.parent_id,
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
      config: config.value,
      live: row.live === 1,
      stateFile: row.state_file,
      disks: disks.data,
      facts: { ...(liveMethod ? { liveMethod } : {}), ...(pauseMs !== undefined ? { pauseMs } : {}) },
      quiesced: row.quiesced === 1,
    },
  };
}

export function parseTaskRow(raw: unknown): ParseResult<TaskRow> {
  const r = TaskDbRow.safeParse(raw);
  if (!r.success) return { ok: false, reason: `malformed row (${issues(r.error)})` };
  const row = r.data;
  return {
    ok: true,
    value: {
      id: row.id,
      kind: row.kind,
      vmId: row.vm_id,
      vm: row.vm_name,
      state: row.state,
      progress: row.progress,
      phase: row.phase,
      message: row.message,
      error: row.error,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      subject: row.subject ?? null,
      outcome: row.outcome ?? null,
    },
  };
}

const LibraryDbRow = z.object({
  id: text.min(1),
  name: text.min(1),
  name_key: text,
  path: text.min(1),
  kind: z.enum(LIBRARY_KINDS),
  format: text,
  virtual_size: z.number().int().nonnegative(),
  size_bytes: z.number().int().nonnegative(),
  os_type: textOrNull,
  osinfo_id: textOrNull,
  os_name: textOrNull,
  os_version: textOrNull,
  source: text,
  sha256: text,
  created_at: text,
});

export function parseLibraryRow(raw: unknown): ParseResult<LibraryImageRow> {
  const r = LibraryDbRow.safeParse(raw);
  if (!r.success) return { ok: false, reason: `malformed row (${issues(r.error)})` };
  const row = r.data;
  return {
    ok: true,
    value: {
      id: row.id,
      name: row.name,
      path: row.path,
      kind: row.kind,
      format: row.format,
      virtualSize: row.virtual_size,
      sizeBytes: row.size_bytes,
      osType: row.os_type,
      osinfoId: row.osinfo_id,
      osName: row.os_name,
      osVersion: row.os_version,
      source: row.source,
      sha256: row.sha256,
      createdAt: row.created_at,
    },
  };
}

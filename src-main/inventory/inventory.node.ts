// The inventory's repositories over one SQLite connection (see db.node.ts for opening it).
// Every row is checked on read as untrusted input: a VM row that fails is moved to `quarantine` with
// the reason and left out, so one damaged row never takes the app down. Image, snapshot and task rows
// that fail are left out and logged once, but stay in place: other rows may refer to them.
import { isAbsolute } from 'node:path';
import type Database from 'better-sqlite3';
import { HangarError } from '../../src-vmm/base/errors.js';
import { VM_STATES, type VmState } from '../../src-vmm/protocol/states.js';
import { deepFreeze, nameKey, parseImageRow, parseLibraryRow, parseSnapshotRow, parseTaskRow, parseVmRow, sameColumns } from './rows.js';
import {
  ACCELERATORS,
  IMAGE_ROLES,
  TASK_STATES,
  type Accelerator,
  type ConfigBase,
  type ImageRepository,
  type ImageRole,
  type ImageRow,
  type Inventory,
  type InventoryOptions,
  type LibraryImageRow,
  type LibraryRepository,
  type QuarantineRow,
  type SnapshotRepository,
  type SnapshotRow,
  type TaskEndState,
  type TaskRepository,
  type TaskRow,
  type VmRepository,
  type VmRow,
} from './types.js';

export * from './types.js';
export { nameKey } from './rows.js';

type Raw = Record<string, unknown>;

const DEFAULT_TASK_LIST_LIMIT = 50;
/** No backing chain or snapshot tree is deeper than this; a walk that goes further has met a loop. */
const MAX_DEPTH = 10_000;
const INTERRUPTED_ERROR = 'the Hangar process running this task stopped before it ended';

function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function assertVmState(state: string): asserts state is VmState {
  if (!(VM_STATES as readonly string[]).includes(state)) {
    throw new HangarError('INVALID_INPUT', `unknown VM state '${state}' (one of ${VM_STATES.join(', ')})`);
  }
}

function assertAccelerator(a: Accelerator | null | undefined): void {
  if (a != null && !ACCELERATORS.includes(a)) throw new HangarError('INVALID_INPUT', `unknown accelerator '${String(a)}' (kvm or tcg)`);
}

export function createInventory<TConfig extends ConfigBase>(db: Database.Database, opts: InventoryOptions<TConfig>): Inventory<TConfig> {
  const log = opts.log ?? (() => {});
  const clock = opts.now ?? (() => new Date());
  const now = () => clock().toISOString();
  const reported = new Set<string>();
  const reportOnce = (key: string, line: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    log(line);
  };
  const transaction = <T>(fn: () => T): T => db.transaction(fn)();

  /** What is written must read back: check it exactly as a read would (through JSON). */
  const checkConfig = (config: TConfig, what: string): TConfig => {
    let json: unknown;
    try {
      json = JSON.parse(JSON.stringify(config)) as unknown;
    } catch (e) {
      throw new HangarError('INVALID_INPUT', `${what} cannot be stored as JSON: ${(e as Error).message}`, { cause: e });
    }
    const r = opts.parseConfig(json);
    if (!r.ok) throw new HangarError('INVALID_INPUT', `${what} is not valid: ${r.reason}`);
    return r.value;
  };

  const exists = {
    vm: db.prepare<[string], 1>('SELECT 1 FROM vms WHERE id = ?').pluck(),
    image: db.prepare<[string], 1>('SELECT 1 FROM images WHERE path = ?').pluck(),
  };

  // ------------------------------------------------------------------ quarantine

  const q = {
    insert: db.prepare<[string, string, string, string]>('INSERT INTO quarantine (source, row, reason, at) VALUES (?, ?, ?, ?)'),
    list: db.prepare<[], Raw>('SELECT id, source, row, reason, at FROM quarantine ORDER BY id'),
    imagesOf: db.prepare<[string], Raw>('SELECT * FROM images WHERE vm_id = ?'),
    snapshotsOf: db.prepare<[string], Raw>('SELECT * FROM snapshots WHERE vm_id = ?'),
    currentOf: db.prepare<[string], Raw>('SELECT * FROM vm_current_snapshot WHERE vm_id = ?'),
    detachImages: db.prepare<[string]>('UPDATE images SET vm_id = NULL WHERE vm_id = ?'),
    dropCurrent: db.prepare<[string]>('DELETE FROM vm_current_snapshot WHERE vm_id = ?'),
    dropSnapshots: db.prepare<[string]>('DELETE FROM snapshots WHERE vm_id = ?'),
    dropVm: db.prepare<[number]>('DELETE FROM vms WHERE rowid = ?'),
  };

  /**
   * Moves a VM row that failed validation to the quarantine table, with its snapshots and current
   * pointer (kept in the quarantined JSON). Its image rows stay, detached from the VM: the files
   * still exist and other VMs' images may be based on them.
   */
  const quarantineVm = (raw: Raw, reason: string): void => {
    const { rid, ...row } = raw;
    const id = typeof row.id === 'string' ? row.id : undefined;
    const label = id !== undefined ? `'${id}'${typeof row.name === 'string' ? ` (${row.name})` : ''}` : `at rowid ${String(rid)}`;
    try {
      transaction(() => {
        const images = id !== undefined ? q.imagesOf.all(id) : [];
        const snapshots = id !== undefined ? q.snapshotsOf.all(id) : [];
        const current = id !== undefined ? (q.currentOf.get(id) ?? null) : null;
        q.insert.run('vms', JSON.stringify({ vm: row, images, snapshots, current }), reason, now());
        if (id !== undefined) {
          q.detachImages.run(id);
          q.dropCurrent.run(id);
          q.dropSnapshots.run(id);
        }
        q.dropVm.run(Number(rid));
      });
      log(`inventory: VM ${label} moved to quarantine: ${reason}`);
    } catch (e) {
      reportOnce(`vms:${String(rid)}`, `inventory: VM ${label} is not valid (${reason}) and could not be moved to quarantine (${(e as Error).message}); it is left out`);
    }
  };

  // ------------------------------------------------------------------ vms

  const v = {
    byId: db.prepare<[string], Raw>('SELECT rowid AS rid, * FROM vms WHERE id = ?'),
    byKey: db.prepare<[string], Raw>('SELECT rowid AS rid, * FROM vms WHERE name_key = ?'),
    all: db.prepare<[], Raw>('SELECT rowid AS rid, * FROM vms ORDER BY created_at, rowid'),
    nameOfKey: db.prepare<[string], string>('SELECT name FROM vms WHERE name_key = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO vms (id, name, name_key, config, state, state_reason, accelerator, created_at, updated_at)
       VALUES (@id, @name, @nameKey, @config, @state, NULL, @accelerator, @at, @at)`,
    ),
    updateConfig: db.prepare('UPDATE vms SET name = @name, name_key = @nameKey, config = @config, updated_at = @at WHERE id = @id'),
    setState: db.prepare('UPDATE vms SET state = @state, state_reason = @reason, updated_at = @at WHERE id = @id'),
    setStateAccel: db.prepare('UPDATE vms SET state = @state, state_reason = @reason, accelerator = @accelerator, updated_at = @at WHERE id = @id'),
    delete: db.prepare<[string]>('DELETE FROM vms WHERE id = ?'),
    setPlacement: db.prepare('UPDATE vms SET group_path = @group, tags = @tags, updated_at = @at WHERE id = @id'),
    rawName: db.prepare<[string], string>('SELECT name FROM vms WHERE id = ?').pluck(),
    /** images of other VMs (or of none) based on an image of this VM */
    foreignDependents: db.prepare<[string, string], { path: string }>(
      `SELECT d.path AS path FROM images b JOIN images d ON d.backing_path = b.path
       WHERE b.vm_id = ? AND (d.vm_id IS NULL OR d.vm_id <> ?) ORDER BY d.path`,
    ),
  };

  /**
   * The last parse of each VM row, kept with the columns it came from: the same columns parse to the
   * same row, so listing 10,000 VMs validates only the ones that changed. The rows handed out are
   * frozen, as they are shared between readers.
   */
  let parsedVms = new Map<string, { raw: Raw; row: VmRow<TConfig> }>();
  /**
   * Which writes the database has seen: `data_version` changes when another connection commits,
   * `total_changes()` counts this connection's row changes (a rollback does not take them back, so
   * nothing read inside a transaction is kept).
   */
  const totalChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
  const writeStamp = () => `${String(db.pragma('data_version', { simple: true }))}:${totalChanges.get()}`;
  let listed: { stamp: string; rows: VmRow<TConfig>[] } | undefined;
  const readVm = (raw: Raw | undefined): VmRow<TConfig> | undefined => {
    if (raw === undefined) return undefined;
    const id = typeof raw.id === 'string' ? raw.id : undefined;
    const known = id === undefined ? undefined : parsedVms.get(id);
    if (known && sameColumns(known.raw, raw)) return known.row;
    const r = parseVmRow(raw, opts.parseConfig);
    if (r.ok) {
      const row = deepFreeze(r.value);
      parsedVms.set(row.id, { raw, row });
      return row;
    }
    quarantineVm(raw, r.reason);
    return undefined;
  };

  const mustGetVm = (id: string): VmRow<TConfig> => {
    const row = readVm(v.byId.get(id));
    if (!row) throw new HangarError('INTERNAL', `VM '${id}' was written but does not read back`);
    return row;
  };

  const vmWriteError = (e: unknown, c: TConfig): unknown => {
    const code = sqliteCode(e);
    if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
      const existing = v.nameOfKey.get(nameKey(c.name)) ?? c.name;
      return new HangarError('ALREADY_EXISTS', `a VM named '${existing}' already exists`, { cause: e });
    }
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new HangarError('ALREADY_EXISTS', `a VM with id '${c.id}' already exists`, { cause: e });
    return e;
  };

  const vms: VmRepository<TConfig> = {
    insert({ config, state, accelerator }) {
      assertVmState(state);
      assertAccelerator(accelerator);
      const c = checkConfig(config, `the config of VM '${config.name}'`);
      try {
        v.insert.run({ id: c.id, name: c.name, nameKey: nameKey(c.name), config: JSON.stringify(c), state, accelerator: accelerator ?? null, at: now() });
      } catch (e) {
        throw vmWriteError(e, c);
      }
      return mustGetVm(c.id);
    },
    get: (id) => readVm(v.byId.get(id)),
    findByName: (name) => readVm(v.byKey.get(nameKey(name))),
    findByRef(ref) {
      return vms.get(ref) ?? vms.findByName(ref);
    },
    list() {
      // Nothing written since the last list, by this connection or another: the same rows.
      const stamp = db.inTransaction ? null : writeStamp();
      if (stamp !== null && listed?.stamp === stamp) return listed.rows.slice();
      const out: VmRow<TConfig>[] = [];
      for (const raw of v.all.all()) {
        const row = readVm(raw);
        if (row) out.push(row);
      }
      // Parses of VMs that are gone are forgotten.
      if (parsedVms.size > out.length) parsedVms = new Map(out.map((row) => [row.id, parsedVms.get(row.id)!]));
      // A quarantine on the way wrote: the stamp is taken again.
      listed = stamp === null ? undefined : { stamp: writeStamp(), rows: out.slice() };
      return out;
    },
    updateConfig(id, config) {
      if (config.id !== id) throw new HangarError('INVALID_INPUT', `the config is for VM '${config.id}', not '${id}'`);
      const c = checkConfig(config, `the config of VM '${config.name}'`);
      let changes: number;
      try {
        changes = v.updateConfig.run({ id, name: c.name, nameKey: nameKey(c.name), config: JSON.stringify(c), at: now() }).changes;
      } catch (e) {
        throw vmWriteError(e, c);
      }
      if (changes === 0) throw new HangarError('NOT_FOUND', `no VM with id '${id}'`);
      return mustGetVm(id);
    },
    setState(id, state, reason, accelerator) {
      assertVmState(state);
      assertAccelerator(accelerator);
      const params = { id, state, reason: reason ?? null, at: now() };
      const r = accelerator === undefined ? v.setState.run(params) : v.setStateAccel.run({ ...params, accelerator });
      if (r.changes === 0) throw new HangarError('NOT_FOUND', `no VM with id '${id}'`);
    },
    setPlacement(id, { group, tags }) {
      if (v.setPlacement.run({ id, group, tags: JSON.stringify(tags), at: now() }).changes === 0) throw new HangarError('NOT_FOUND', `no VM with id '${id}'`);
    },
    delete(id) {
      return transaction(() => {
        const name = v.rawName.get(id);
        if (name === undefined) return false;
        const foreign = v.foreignDependents.all(id, id);
        if (foreign.length) {
          throw new HangarError(
            'STATE_CONFLICT',
            `VM '${name}' cannot be deleted: ${foreign.length} image(s) of other VMs are based on its disks (linked clones), such as ${foreign[0]!.path}`,
            { details: { dependents: foreign.map((f) => f.path) } },
          );
        }
        return v.delete.run(id).changes > 0;
      });
    },
  };

  // ------------------------------------------------------------------ images

  const i = {
    get: db.prepare<[string], Raw>('SELECT * FROM images WHERE path = ?'),
    all: db.prepare<[], Raw>('SELECT * FROM images ORDER BY created_at, rowid'),
    forVm: db.prepare<[string], Raw>('SELECT * FROM images WHERE vm_id = ? ORDER BY created_at, rowid'),
    dependents: db.prepare<[string], Raw>('SELECT * FROM images WHERE backing_path = ? ORDER BY created_at, rowid'),
    backingOf: db.prepare<[string], string | null>('SELECT backing_path FROM images WHERE path = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO images (path, vm_id, format, virtual_size, backing_path, owned, role, created_at)
       VALUES (@path, @vmId, @format, @virtualSize, @backingPath, @owned, @role, @createdAt)`,
    ),
    setBacking: db.prepare<[string | null, string]>('UPDATE images SET backing_path = ? WHERE path = ?'),
    setRole: db.prepare<[string, string]>('UPDATE images SET role = ? WHERE path = ?'),
    setVirtualSize: db.prepare<[number, string]>('UPDATE images SET virtual_size = ? WHERE path = ?'),
    setVm: db.prepare<[string | null, string]>('UPDATE images SET vm_id = ? WHERE path = ?'),
    delete: db.prepare<[string]>('DELETE FROM images WHERE path = ?'),
  };

  const readImages = (raws: Raw[]): ImageRow[] => {
    const out: ImageRow[] = [];
    for (const raw of raws) {
      const r = parseImageRow(raw);
      if (r.ok) out.push(r.value);
      else reportOnce(`images:${String(raw.path)}`, `inventory: image row ${String(raw.path)} is not valid (${r.reason}); it is left out`);
    }
    return out;
  };

  const assertRole = (role: string): void => {
    if (!(IMAGE_ROLES as readonly string[]).includes(role)) throw new HangarError('INVALID_INPUT', `unknown image role '${role}' (one of ${IMAGE_ROLES.join(', ')})`);
  };

  const assertImageKnown = (path: string, what: string): void => {
    if (!exists.image.get(path)) throw new HangarError('NOT_FOUND', `${what} ${path} is not in the inventory`);
  };

  const images: ImageRepository = {
    add(input) {
      if (!isAbsolute(input.path)) throw new HangarError('INVALID_INPUT', `an image path must be absolute, not '${input.path}'`);
      assertRole(input.role);
      if (!Number.isSafeInteger(input.virtualSize) || input.virtualSize < 0) {
        throw new HangarError('INVALID_INPUT', `the virtual size of ${input.path} must be a whole number of bytes, not ${input.virtualSize}`);
      }
      return transaction(() => {
        if (input.vmId !== null && !exists.vm.get(input.vmId)) throw new HangarError('NOT_FOUND', `no VM with id '${input.vmId}'`);
        if (input.backingPath) assertImageKnown(input.backingPath, 'the backing image');
        try {
          i.insert.run({
            path: input.path,
            vmId: input.vmId,
            format: input.format,
            virtualSize: input.virtualSize,
            backingPath: input.backingPath ?? null,
            owned: input.owned ? 1 : 0,
            role: input.role,
            createdAt: input.createdAt ?? now(),
          });
        } catch (e) {
          if (sqliteCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new HangarError('ALREADY_EXISTS', `${input.path} is already in the inventory`, { cause: e });
          throw e;
        }
        const row = readImages(i.get.all(input.path))[0];
        if (!row) throw new HangarError('INTERNAL', `image ${input.path} was written but does not read back`);
        return row;
      });
    },
    get: (path) => readImages(i.get.all(path))[0],
    list: () => readImages(i.all.all()),
    listForVm: (vmId) => readImages(i.forVm.all(vmId)),
    setBacking(path, backingPath) {
      transaction(() => {
        assertImageKnown(path, 'image');
        if (backingPath !== null) {
          assertImageKnown(backingPath, 'the backing image');
          // Walk down from the new backing image: meeting `path` means the chain would loop.
          let p: string | null | undefined = backingPath;
          for (let depth = 0; p != null && depth < MAX_DEPTH; depth++) {
            if (p === path) throw new HangarError('INVALID_INPUT', `${path} cannot be based on ${backingPath}: the backing chain would loop`);
            p = i.backingOf.get(p);
          }
        }
        i.setBacking.run(backingPath, path);
      });
    },
    setRole(path, role: ImageRole) {
      assertRole(role);
      if (i.setRole.run(role, path).changes === 0) throw new HangarError('NOT_FOUND', `image ${path} is not in the inventory`);
    },
    setVirtualSize(path, bytes) {
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw new HangarError('INVALID_INPUT', `the virtual size of ${path} must be a whole number of bytes, not ${bytes}`);
      if (i.setVirtualSize.run(bytes, path).changes === 0) throw new HangarError('NOT_FOUND', `image ${path} is not in the inventory`);
    },
    setVm(path, vmId: string | null) {
      if (i.setVm.run(vmId, path).changes === 0) throw new HangarError('NOT_FOUND', `image ${path} is not in the inventory`);
    },
    delete(path) {
      return transaction(() => {
        const deps = i.dependents.all(path);
        if (deps.length) {
          throw new HangarError(
            'STATE_CONFLICT',
            `${path} is still the base of ${deps.length} other image(s), such as ${String(deps[0]!.path)}`,
            { details: { dependents: deps.map((d) => d.path) } },
          );
        }
        return i.delete.run(path).changes > 0;
      });
    },
    dependents: (path) => readImages(i.dependents.all(path)),
  };

  // ------------------------------------------------------------------ the image library

  const l = {
    get: db.prepare<[string], Raw>('SELECT * FROM library_images WHERE id = ?'),
    byKey: db.prepare<[string], Raw>('SELECT * FROM library_images WHERE name_key = ?'),
    byPath: db.prepare<[string], Raw>('SELECT * FROM library_images WHERE path = ?'),
    all: db.prepare<[], Raw>('SELECT * FROM library_images ORDER BY created_at, rowid'),
    nameOfKey: db.prepare<[string], string>('SELECT name FROM library_images WHERE name_key = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO library_images (id, name, name_key, path, kind, format, virtual_size, size_bytes, os_type, osinfo_id, os_name, os_version, source, sha256, created_at)
       VALUES (@id, @name, @nameKey, @path, @kind, @format, @virtualSize, @sizeBytes, @osType, @osinfoId, @osName, @osVersion, @source, @sha256, @createdAt)`,
    ),
    delete: db.prepare<[string]>('DELETE FROM library_images WHERE id = ?'),
  };

  const readLibrary = (raws: Raw[]): LibraryImageRow[] => {
    const out: LibraryImageRow[] = [];
    for (const raw of raws) {
      const r = parseLibraryRow(raw);
      if (r.ok) out.push(r.value);
      else reportOnce(`library:${String(raw.id)}`, `inventory: library image ${String(raw.id)} is not valid (${r.reason}); it is left out`);
    }
    return out;
  };

  const library: LibraryRepository = {
    insert(input) {
      if (!isAbsolute(input.path)) throw new HangarError('INVALID_INPUT', `a library image's path must be absolute, not '${input.path}'`);
      return transaction(() => {
        if (input.kind === 'disk') assertImageKnown(input.path, 'the library image');
        try {
          l.insert.run({ ...input, nameKey: nameKey(input.name), createdAt: input.createdAt ?? now() });
        } catch (e) {
          const code = sqliteCode(e);
          if (code === 'SQLITE_CONSTRAINT_UNIQUE' && l.nameOfKey.get(nameKey(input.name)) !== undefined) {
            throw new HangarError('ALREADY_EXISTS', `the library already has an image named '${l.nameOfKey.get(nameKey(input.name))}'`, { cause: e });
          }
          if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new HangarError('ALREADY_EXISTS', `${input.path} is already in the library`, { cause: e });
          throw e;
        }
        const row = readLibrary(l.get.all(input.id))[0];
        if (!row) throw new HangarError('INTERNAL', `library image ${input.id} was written but does not read back`);
        return row;
      });
    },
    get: (id) => readLibrary(l.get.all(id))[0],
    findByName: (name) => readLibrary(l.byKey.all(nameKey(name)))[0],
    findByRef: (ref) => library.get(ref) ?? library.findByName(ref),
    findByPath: (path) => readLibrary(l.byPath.all(path))[0],
    list: () => readLibrary(l.all.all()),
    delete: (id) => l.delete.run(id).changes > 0,
  };

  // ------------------------------------------------------------------ snapshots

  const s = {
    get: db.prepare<[string], Raw>('SELECT * FROM snapshots WHERE id = ?'),
    forVm: db.prepare<[string], Raw>('SELECT * FROM snapshots WHERE vm_id = ? ORDER BY created_at, rowid'),
    children: db.prepare<[string], Raw>('SELECT * FROM snapshots WHERE parent_id = ? ORDER BY created_at, rowid'),
    meta: db.prepare<[string], { vm_id: string; parent_id: string | null; name: string }>('SELECT vm_id, parent_id, name FROM snapshots WHERE id = ?'),
    insert: db.prepare(
      `INSERT INTO snapshots (id, vm_id, parent_id, name, description, created_at, config, live, state_file, disks, facts, quiesced)
       VALUES (@id, @vmId, @parentId, @name, @description, @createdAt, @config, @live, @stateFile, @disks, @facts, @quiesced)`,
    ),
    update: db.prepare('UPDATE snapshots SET name = @name, description = @description, parent_id = @parentId WHERE id = @id'),
    setDisks: db.prepare<[string, string]>('UPDATE snapshots SET disks = ? WHERE id = ?'),
    delete: db.prepare<[string]>('DELETE FROM snapshots WHERE id = ?'),
    childCount: db.prepare<[string], number>('SELECT count(*) FROM snapshots WHERE parent_id = ?').pluck(),
    currentId: db.prepare<[string], string>('SELECT snapshot_id FROM vm_current_snapshot WHERE vm_id = ?').pluck(),
    isCurrent: db.prepare<[string], 1>('SELECT 1 FROM vm_current_snapshot WHERE snapshot_id = ?').pluck(),
    setCurrent: db.prepare<[string, string]>(
      'INSERT INTO vm_current_snapshot (vm_id, snapshot_id) VALUES (?, ?) ON CONFLICT(vm_id) DO UPDATE SET snapshot_id = excluded.snapshot_id',
    ),
    clearCurrent: db.prepare<[string]>('DELETE FROM vm_current_snapshot WHERE vm_id = ?'),
  };

  const readSnapshots = (raws: Raw[]): SnapshotRow<TConfig>[] => {
    const out: SnapshotRow<TConfig>[] = [];
    for (const raw of raws) {
      const r = parseSnapshotRow(raw, opts.parseConfig);
      if (r.ok) out.push(r.value);
      else reportOnce(`snapshots:${String(raw.id)}`, `inventory: snapshot ${String(raw.id)} is not valid (${r.reason}); it is left out`);
    }
    return out;
  };

  const mustGetSnapshot = (id: string): SnapshotRow<TConfig> => {
    const row = readSnapshots(s.get.all(id))[0];
    if (!row) throw new HangarError('INTERNAL', `snapshot '${id}' does not read back`);
    return row;
  };

  /** The parent must exist, belong to the same VM and not be `self` or one of its descendants. */
  const checkParent = (vmId: string, parentId: string, self?: string): void => {
    const parent = s.meta.get(parentId);
    if (!parent) throw new HangarError('NOT_FOUND', `no snapshot with id '${parentId}'`);
    if (parent.vm_id !== vmId) throw new HangarError('INVALID_INPUT', `snapshot '${parent.name}' belongs to another VM`);
    let p: string | null = parentId;
    for (let depth = 0; self !== undefined && p !== null && depth < MAX_DEPTH; depth++) {
      if (p === self) throw new HangarError('INVALID_INPUT', 'a snapshot cannot be moved under itself or one of its descendants');
      p = s.meta.get(p)?.parent_id ?? null;
    }
  };

  const snapshots: SnapshotRepository<TConfig> = {
    insert(input) {
      const c = checkConfig(input.config, `the config of snapshot '${input.name}'`);
      if (c.id !== input.vmId) throw new HangarError('INVALID_INPUT', `the config of snapshot '${input.name}' is for VM '${c.id}', not '${input.vmId}'`);
      return transaction(() => {
        if (!exists.vm.get(input.vmId)) throw new HangarError('NOT_FOUND', `no VM with id '${input.vmId}'`);
        if (input.parentId !== null) checkParent(input.vmId, input.parentId);
        try {
          s.insert.run({
            id: input.id,
            vmId: input.vmId,
            parentId: input.parentId,
            name: input.name,
            description: input.description ?? '',
            createdAt: input.createdAt ?? now(),
            config: JSON.stringify(c),
            live: input.live ? 1 : 0,
            stateFile: input.stateFile ?? null,
            disks: JSON.stringify(input.disks),
            facts: JSON.stringify(input.facts ?? {}),
            quiesced: input.quiesced ? 1 : 0,
          });
        } catch (e) {
          if (sqliteCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new HangarError('ALREADY_EXISTS', `a snapshot with id '${input.id}' already exists`, { cause: e });
          throw e;
        }
        return mustGetSnapshot(input.id);
      });
    },
    get: (id) => readSnapshots(s.get.all(id))[0],
    listForVm: (vmId) => readSnapshots(s.forVm.all(vmId)),
    children: (id) => readSnapshots(s.children.all(id)),
    update(id, patch) {
      return transaction(() => {
        const cur = s.meta.get(id);
        if (!cur) throw new HangarError('NOT_FOUND', `no snapshot with id '${id}'`);
        const raw = s.get.get(id)!;
        const parentId = patch.parentId === undefined ? cur.parent_id : patch.parentId;
        if (patch.parentId !== undefined && parentId !== null) checkParent(cur.vm_id, parentId, id);
        s.update.run({ id, name: patch.name ?? cur.name, description: patch.description ?? String(raw.description), parentId });
        if (patch.disks !== undefined) s.setDisks.run(JSON.stringify(patch.disks), id);
        return mustGetSnapshot(id);
      });
    },
    delete(id) {
      return transaction(() => {
        const cur = s.meta.get(id);
        if (!cur) return false;
        const n = s.childCount.get(id) ?? 0;
        if (n > 0) throw new HangarError('STATE_CONFLICT', `snapshot '${cur.name}' has ${n} child snapshot(s): move them to another parent first`);
        if (s.isCurrent.get(id)) throw new HangarError('STATE_CONFLICT', `snapshot '${cur.name}' is its VM's current snapshot: move the current pointer first`);
        return s.delete.run(id).changes > 0;
      });
    },
    current(vmId) {
      const id = s.currentId.get(vmId);
      return id === undefined ? undefined : snapshots.get(id);
    },
    setCurrent(vmId, snapshotId) {
      transaction(() => {
        if (!exists.vm.get(vmId)) throw new HangarError('NOT_FOUND', `no VM with id '${vmId}'`);
        if (snapshotId === null) {
          s.clearCurrent.run(vmId);
          return;
        }
        const snap = s.meta.get(snapshotId);
        if (!snap) throw new HangarError('NOT_FOUND', `no snapshot with id '${snapshotId}'`);
        if (snap.vm_id !== vmId) throw new HangarError('INVALID_INPUT', `snapshot '${snap.name}' belongs to another VM`);
        s.setCurrent.run(vmId, snapshotId);
      });
    },
  };

  // ------------------------------------------------------------------ tasks

  const t = {
    insert: db.prepare(
      `INSERT INTO tasks (id, kind, vm_id, vm_name, state, progress, phase, message, error, started_at, finished_at, subject)
       VALUES (@id, @kind, @vmId, @vmName, 'running', 0, NULL, NULL, NULL, @startedAt, NULL, @subject)`,
    ),
    get: db.prepare<[string], Raw>('SELECT * FROM tasks WHERE id = ?'),
    list: db.prepare<[number], Raw>('SELECT * FROM tasks ORDER BY started_at DESC, rowid DESC LIMIT ?'),
    finish: db.prepare(
      `UPDATE tasks SET state = @state, error = @error, outcome = @outcome, finished_at = @at,
         progress = CASE WHEN @state = 'succeeded' THEN 1 ELSE progress END
       WHERE id = @id`,
    ),
    /** one statement per combination of fields (at most 7) */
    updates: new Map<string, Database.Statement>(),
    interrupt: db.prepare<[string, string]>(`UPDATE tasks SET state = 'interrupted', finished_at = ?, error = coalesce(error, ?) WHERE state = 'running'`),
  };

  const readTasks = (raws: Raw[]): TaskRow[] => {
    const out: TaskRow[] = [];
    for (const raw of raws) {
      const r = parseTaskRow(raw);
      if (r.ok) out.push(r.value);
      else reportOnce(`tasks:${String(raw.id)}`, `inventory: task ${String(raw.id)} is not valid (${r.reason}); it is left out`);
    }
    return out;
  };

  const tasks: TaskRepository = {
    create(input) {
      try {
        t.insert.run({ id: input.id, kind: input.kind, vmId: input.vmId ?? null, vmName: input.vmName ?? null, startedAt: input.startedAt ?? now(), subject: input.subject ?? null });
      } catch (e) {
        if (sqliteCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new HangarError('ALREADY_EXISTS', `a task with id '${input.id}' already exists`, { cause: e });
        throw e;
      }
      const row = readTasks(t.get.all(input.id))[0];
      if (!row) throw new HangarError('INTERNAL', `task '${input.id}' was written but does not read back`);
      return row;
    },
    get: (id) => readTasks(t.get.all(id))[0],
    update(id, patch) {
      const sets: string[] = [];
      const params: Record<string, unknown> = { id };
      if (patch.progress !== undefined && Number.isFinite(patch.progress)) {
        sets.push('progress = @progress');
        params.progress = Math.min(1, Math.max(0, patch.progress));
      }
      if (patch.phase !== undefined) {
        sets.push('phase = @phase');
        params.phase = patch.phase;
      }
      if (patch.message !== undefined) {
        sets.push('message = @message');
        params.message = patch.message;
      }
      if (!sets.length) return t.get.get(id) !== undefined;
      const sql = `UPDATE tasks SET ${sets.join(', ')} WHERE id = @id`;
      let stmt = t.updates.get(sql);
      if (!stmt) t.updates.set(sql, (stmt = db.prepare(sql)));
      return stmt.run(params).changes > 0;
    },
    finish(id, state: TaskEndState, error, outcome) {
      if (state === ('running' as string) || !(TASK_STATES as readonly string[]).includes(state)) {
        throw new HangarError('INVALID_INPUT', `a task cannot finish as '${state}'`);
      }
      return t.finish.run({ id, state, error: error ?? null, outcome: outcome ?? null, at: now() }).changes > 0;
    },
    list(o = {}) {
      const limit = Math.max(1, Math.floor(o.limit ?? DEFAULT_TASK_LIST_LIMIT));
      return readTasks(t.list.all(limit));
    },
    markInterrupted() {
      return t.interrupt.run(now(), INTERRUPTED_ERROR).changes;
    },
  };

  // ------------------------------------------------------------------ all together

  return {
    vms,
    images,
    library,
    snapshots,
    tasks,
    quarantine: {
      list: () =>
        q.list.all().map(
          (r): QuarantineRow => ({ id: Number(r.id), source: String(r.source ?? ''), row: String(r.row ?? ''), reason: String(r.reason ?? ''), at: String(r.at ?? '') }),
        ),
    },
    transaction,
  };
}

// The inventory's schema as numbered migrations (pure data). `PRAGMA user_version` holds the number
// of the last one applied; openDatabase (db.node.ts) runs the pending ones in one transaction.
// A migration is never edited once released: a change of schema is a new entry at the end.

export interface Migration {
  /** 1, 2, 3, …: the user_version after it has run */
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'vms, images, snapshots, tasks, quarantine',
    sql: `
CREATE TABLE vms (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  -- the lower-cased name: VM names are unique without regard to case
  name_key     TEXT NOT NULL UNIQUE,
  -- the VmConfig as JSON, validated on every read
  config       TEXT NOT NULL,
  state        TEXT NOT NULL,
  state_reason TEXT,
  -- 'kvm' | 'tcg' while a VMM host runs the VM (the last one used afterwards)
  accelerator  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE images (
  path         TEXT PRIMARY KEY,
  -- NULL for an image that no VM owns (a base shared by linked clones)
  vm_id        TEXT REFERENCES vms(id) ON DELETE CASCADE,
  format       TEXT NOT NULL,
  virtual_size INTEGER NOT NULL,
  -- no cascade: an image that others are based on cannot be deleted under them
  backing_path TEXT REFERENCES images(path),
  -- 1 when the file lives in the VM's folder and is deleted with it
  owned        INTEGER NOT NULL,
  -- 'disk' (a VM's current top image) | 'frozen' (a snapshot's read-only image) | 'base'
  role         TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX images_vm ON images(vm_id);
CREATE INDEX images_backing ON images(backing_path);

CREATE TABLE snapshots (
  id          TEXT PRIMARY KEY,
  vm_id       TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  -- no cascade: a snapshot with children is merged, never dropped with them
  parent_id   TEXT REFERENCES snapshots(id),
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  -- the VmConfig at that moment, as JSON
  config      TEXT NOT NULL,
  -- 1 when taken while running (RAM and device state in state_file)
  live        INTEGER NOT NULL,
  state_file  TEXT,
  -- JSON: [{ diskId, path, format }], the frozen image of each disk
  disks       TEXT NOT NULL
);
CREATE INDEX snapshots_vm ON snapshots(vm_id);
CREATE INDEX snapshots_parent ON snapshots(parent_id);

-- "You are here" in each VM's snapshot tree: the snapshot its current overlays sit on.
-- No cascade on snapshot_id: the current snapshot is deleted only after the pointer has moved.
CREATE TABLE vm_current_snapshot (
  vm_id       TEXT PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id)
);
CREATE INDEX vm_current_snapshot_snapshot ON vm_current_snapshot(snapshot_id);

-- No foreign key to vms: the history of a task outlives its VM.
CREATE TABLE tasks (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  vm_id       TEXT,
  vm_name     TEXT,
  -- running | succeeded | failed | cancelled | interrupted
  state       TEXT NOT NULL,
  progress    REAL NOT NULL,
  phase       TEXT,
  message     TEXT,
  error       TEXT,
  started_at  TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX tasks_started ON tasks(started_at);
CREATE INDEX tasks_state ON tasks(state);

-- Rows that failed validation on read, moved here with the reason instead of crashing the app.
CREATE TABLE quarantine (
  id     INTEGER PRIMARY KEY,
  source TEXT,
  row    TEXT,
  reason TEXT,
  at     TEXT
);
`,
  },
  // 2 and 3 are main's (copied word for word so that the numbers match once this branch is merged).
  {
    version: 2,
    name: 'tasks: subject and outcome',
    sql: `
-- What a task is about besides its VM (a snapshot's name, a clone's source), and its outcome in one
-- sentence when it succeeded. Both are for people; rows written before have neither.
ALTER TABLE tasks ADD COLUMN subject TEXT;
ALTER TABLE tasks ADD COLUMN outcome TEXT;
`,
  },
  {
    version: 3,
    name: 'snapshot facts',
    sql: `
-- Facts about how a snapshot was taken, as JSON: { liveMethod: 'background' | 'paused', pauseMs, … }.
-- '{}' for snapshots taken before it existed.
ALTER TABLE snapshots ADD COLUMN facts TEXT NOT NULL DEFAULT '{}';
`,
  },
  {
    version: 4,
    name: 'snapshots: quiesced',
    sql: `
-- 1 when the guest's file systems were frozen by its agent around the snapshot's disk switch
ALTER TABLE snapshots ADD COLUMN quiesced INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 5,
    name: 'networks and their address reservations',
    sql: `
CREATE TABLE networks (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  -- the lower-cased name: network names are unique without regard to case
  name_key   TEXT NOT NULL UNIQUE,
  -- 'nat' | 'hostonly' | 'internal' | 'bridged'
  mode       TEXT NOT NULL,
  -- CIDR, or NULL (bridged; internal without DHCP)
  subnet     TEXT,
  dhcp       INTEGER NOT NULL,
  -- the bridge Hangar makes (or, bridged, the host's own)
  bridge     TEXT NOT NULL,
  -- internal networks run without privileges: the multicast group:port of QEMU's socket netdev
  mcast      TEXT,
  created_at TEXT NOT NULL
);

-- The address each card on a network is given (dnsmasq's dhcp-host entries), kept stable across starts.
CREATE TABLE network_reservations (
  network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  mac        TEXT NOT NULL,
  address    TEXT NOT NULL,
  -- the DNS name dnsmasq answers for it (the VM's name as a DNS label), or NULL
  hostname   TEXT,
  vm_id      TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  PRIMARY KEY (network_id, mac),
  UNIQUE (network_id, address)
);
CREATE INDEX network_reservations_vm ON network_reservations(vm_id);
`,
  },
  {
    version: 6,
    name: 'the image library',
    sql: `
-- Base images kept once in the home (<home>/library/), read-only: cloud images and ISOs. A disk image is
-- also a row of images (role 'library', owned by no VM): the overlays of VMs made from it name it as
-- their backing image, so the backing links count who uses it, as they do for a linked clone's base.
CREATE TABLE library_images (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  -- the lower-cased name: library names are unique without regard to case
  name_key     TEXT NOT NULL UNIQUE,
  path         TEXT NOT NULL UNIQUE,
  -- 'disk' (a qcow2 VMs are overlays on) | 'iso' (installer or live media)
  kind         TEXT NOT NULL,
  format       TEXT NOT NULL,
  virtual_size INTEGER NOT NULL,
  size_bytes   INTEGER NOT NULL,
  -- what detection found (libosinfo's database): Hangar's OS type, libosinfo's id, its name and version
  os_type      TEXT,
  osinfo_id    TEXT,
  os_name      TEXT,
  os_version   TEXT,
  -- the file it was added from, and the SHA-256 of what was kept
  source       TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
`,
  },
  {
    version: 7,
    name: 'VM groups and tags',
    sql: `
-- The group a VM is in, as a path ('/': no group; '/lab/web'), and its free tags as a JSON array of
-- strings. Neither is part of the VM's config: restoring a snapshot does not move a VM or change its tags.
ALTER TABLE vms ADD COLUMN group_path TEXT NOT NULL DEFAULT '/';
ALTER TABLE vms ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
CREATE INDEX vms_group ON vms(group_path);
`,
  },
  {
    version: 8,
    name: 'snapshot schedules',
    sql: `
-- A VM's scheduled snapshots (VMware's AutoProtect): one every every_seconds while it runs, keeping the
-- last keep of them. Times are ISO 8601.
CREATE TABLE snapshot_schedules (
  vm_id         TEXT PRIMARY KEY REFERENCES vms(id) ON DELETE CASCADE,
  every_seconds INTEGER NOT NULL,
  keep          INTEGER NOT NULL,
  set_at        TEXT NOT NULL,
  last_run_at   TEXT,
  -- what the last run did, in one sentence (taken, skipped and why, failed and why)
  last_result   TEXT
);
-- The snapshots a schedule took, with the name it gave them: only these are ever pruned, and only while
-- they keep that name (one a person renamed is theirs). They go with the snapshot.
CREATE TABLE scheduled_snapshots (
  snapshot_id TEXT PRIMARY KEY REFERENCES snapshots(id) ON DELETE CASCADE,
  vm_id       TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  taken_as    TEXT NOT NULL
);
CREATE INDEX scheduled_snapshots_vm ON scheduled_snapshots(vm_id);
`,
  },
  {
    version: 9,
    name: 'remotes (libvirt hosts)',
    sql: `
-- The libvirt hosts Hangar manages (src-main/remotes): a name people use as REMOTE in REMOTE/DOMAIN and
-- the libvirt URI virsh connects with. Their domains stay libvirt's: nothing of them is kept here.
CREATE TABLE remotes (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  -- the lower-cased name: remote names are unique without regard to case
  name_key   TEXT NOT NULL UNIQUE,
  uri        TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`,
  },
];

/** The schema version this build writes and understands. */
export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The migrations to run on a database at `current`, in order. */
export function pendingMigrations(current: number, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  return [...migrations].filter((m) => m.version > current).sort((a, b) => a.version - b.version);
}

/** Numbers must run 1, 2, 3, … without gaps or repeats (checked by a unit test and at open). */
export function checkMigrations(migrations: readonly Migration[]): string | undefined {
  for (const [i, m] of migrations.entries()) {
    if (m.version !== i + 1) return `migration '${m.name}' has version ${m.version}, expected ${i + 1}`;
    if (!m.sql.trim()) return `migration ${m.version} has no SQL`;
  }
  return undefined;
}

// Typed QMP commands and events: only what Hangar uses, shaped after QEMU 7.2's QAPI schema
// (qapi/*.json). Fields Hangar never reads are left out of return types; QEMU may send more.

/** Nothing: commands without arguments, replies and events without data. */
export type QmpEmpty = Record<string, never>;

export interface QmpVersionTriple {
  major: number;
  minor: number;
  micro: number;
}

/** `query-version`, and the `version` of the greeting. */
export interface QmpVersionInfo {
  qemu: QmpVersionTriple;
  /** Distribution package string, e.g. " (Debian 1:7.2+dfsg-7)". */
  package: string;
}

/** The first line QEMU sends on a new QMP connection. */
export interface QmpGreeting {
  QMP: { version: QmpVersionInfo; capabilities: string[] };
}

export type QmpRunState =
  | 'debug'
  | 'inmigrate'
  | 'internal-error'
  | 'io-error'
  | 'paused'
  | 'postmigrate'
  | 'prelaunch'
  | 'finish-migrate'
  | 'restore-vm'
  | 'running'
  | 'save-vm'
  | 'shutdown'
  | 'suspended'
  | 'watchdog'
  | 'guest-panicked'
  | 'colo';

export interface QmpStatusInfo {
  running: boolean;
  status: QmpRunState;
  /** Deprecated; present in QEMU 7.2. */
  singlestep?: boolean;
}

export type QmpShutdownCause =
  | 'none'
  | 'host-error'
  | 'host-qmp-quit'
  | 'host-qmp-system-reset'
  | 'host-signal'
  | 'host-ui'
  | 'guest-shutdown'
  | 'guest-reset'
  | 'guest-panic'
  | 'subsystem-reset'
  | 'snapshot-load';

export type QmpMigrationStatus =
  | 'none'
  | 'setup'
  | 'cancelling'
  | 'cancelled'
  | 'active'
  | 'postcopy-active'
  | 'postcopy-paused'
  | 'postcopy-recover'
  | 'completed'
  | 'failed'
  | 'colo'
  | 'pre-switchover'
  | 'device'
  | 'wait-unplug';

export interface QmpMigrationStats {
  transferred: number;
  remaining: number;
  total: number;
  duplicate: number;
  normal: number;
  'normal-bytes': number;
  'dirty-pages-rate': number;
  mbps: number;
  'dirty-sync-count': number;
  'page-size': number;
}

export interface QmpMigrationInfo {
  status?: QmpMigrationStatus;
  ram?: QmpMigrationStats;
  'total-time'?: number;
  'expected-downtime'?: number;
  downtime?: number;
  'setup-time'?: number;
  'error-desc'?: string;
}

export type QmpMigrationCapabilityName =
  | 'xbzrle'
  | 'rdma-pin-all'
  | 'auto-converge'
  | 'zero-blocks'
  | 'compress'
  | 'events'
  | 'postcopy-ram'
  | 'x-colo'
  | 'release-ram'
  | 'block'
  | 'return-path'
  | 'pause-before-switchover'
  | 'multifd'
  | 'dirty-bitmaps'
  | 'postcopy-blocktime'
  | 'late-block-activate'
  | 'x-ignore-shared'
  | 'validate-uuid'
  | 'background-snapshot'
  | 'zero-copy-send'
  | 'postcopy-preempt';

export interface QmpMigrateSetParametersArgs {
  'max-bandwidth'?: number;
  'downtime-limit'?: number;
  'multifd-channels'?: number;
  'xbzrle-cache-size'?: number;
  'max-cpu-throttle'?: number;
  'cpu-throttle-initial'?: number;
  'cpu-throttle-increment'?: number;
  'compress-level'?: number;
  'compress-threads'?: number;
  'decompress-threads'?: number;
}

export interface QmpImageInfo {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'cluster-size'?: number;
  'dirty-flag'?: boolean;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'backing-filename-format'?: string;
  'backing-image'?: QmpImageInfo;
  snapshots?: { id: string; name: string; 'vm-state-size': number; 'date-sec': number; 'date-nsec': number }[];
}

/** A block node as `query-named-block-nodes` and `query-block`'s `inserted` describe it. */
export interface QmpBlockDeviceInfo {
  file: string;
  'node-name'?: string;
  ro: boolean;
  drv: string;
  backing_file?: string;
  backing_file_depth: number;
  encrypted: boolean;
  image: QmpImageInfo;
}

export interface QmpBlockInfo {
  device: string;
  qdev?: string;
  type: string;
  removable: boolean;
  locked: boolean;
  inserted?: QmpBlockDeviceInfo;
  tray_open?: boolean;
}

export type QmpJobStatus =
  | 'undefined'
  | 'created'
  | 'running'
  | 'paused'
  | 'ready'
  | 'standby'
  | 'waiting'
  | 'pending'
  | 'aborting'
  | 'concluded'
  | 'null';

export type QmpJobType = 'commit' | 'stream' | 'mirror' | 'backup' | 'create' | 'amend' | 'snapshot-load' | 'snapshot-save' | 'snapshot-delete';

/** A job as `query-jobs` reports it. `error` is present once a job that failed (or was cancelled) has concluded. */
export interface QmpJobInfo {
  id: string;
  type: QmpJobType;
  status: QmpJobStatus;
  /** progress in units of the job's own choosing (bytes for block jobs), out of `total-progress` */
  'current-progress': number;
  'total-progress': number;
  error?: string;
}

export type QmpBlockdevOnError = 'report' | 'ignore' | 'enospc' | 'stop' | 'auto';

export interface QmpBlockdevSnapshotSyncArgs {
  /** The device (drive id) or `node-name` to put the overlay on; give one of the two. */
  device?: string;
  'node-name'?: string;
  'snapshot-file': string;
  'snapshot-node-name'?: string;
  format?: string;
  mode?: 'existing' | 'absolute-paths';
}

export type QmpTransactionAction =
  | { type: 'blockdev-snapshot-sync'; data: QmpBlockdevSnapshotSyncArgs }
  | { type: 'blockdev-snapshot'; data: { node: string; overlay: string } }
  | { type: 'block-dirty-bitmap-add'; data: { node: string; name: string; granularity?: number; persistent?: boolean; disabled?: boolean } }
  | { type: 'block-dirty-bitmap-clear'; data: { node: string; name: string } }
  | { type: 'abort'; data: QmpEmpty };

export interface QmpBlockJobCommonArgs {
  'job-id'?: string;
  speed?: number;
  'on-error'?: QmpBlockdevOnError;
  'filter-node-name'?: string;
  'auto-finalize'?: boolean;
  'auto-dismiss'?: boolean;
}

export interface QmpObjectPropertyInfo {
  name: string;
  type: string;
  description?: string;
  'default-value'?: unknown;
}

export type QmpCapability = 'oob';

interface Cmd<A, R> {
  args: A;
  returns: R;
}
/** A command that takes no arguments. */
type NoArgs = undefined;

/** The commands Hangar sends: `QmpCommands['query-status']['returns']` is what `execute` resolves to. */
export interface QmpCommands {
  qmp_capabilities: Cmd<{ enable?: QmpCapability[] } | undefined, QmpEmpty>;
  'query-version': Cmd<NoArgs, QmpVersionInfo>;
  'query-status': Cmd<NoArgs, QmpStatusInfo>;
  stop: Cmd<NoArgs, QmpEmpty>;
  cont: Cmd<NoArgs, QmpEmpty>;
  system_powerdown: Cmd<NoArgs, QmpEmpty>;
  system_reset: Cmd<NoArgs, QmpEmpty>;
  quit: Cmd<NoArgs, QmpEmpty>;
  screendump: Cmd<{ filename: string; format?: 'ppm' | 'png'; device?: string; head?: number }, QmpEmpty>;
  migrate: Cmd<{ uri: string; detach?: boolean; resume?: boolean }, QmpEmpty>;
  'migrate-incoming': Cmd<{ uri: string }, QmpEmpty>;
  migrate_cancel: Cmd<NoArgs, QmpEmpty>;
  'query-migrate': Cmd<NoArgs, QmpMigrationInfo>;
  'migrate-set-capabilities': Cmd<{ capabilities: { capability: QmpMigrationCapabilityName; state: boolean }[] }, QmpEmpty>;
  'migrate-set-parameters': Cmd<QmpMigrateSetParametersArgs, QmpEmpty>;
  /** HMP passthrough, for what QMP lacks (savevm/loadvm in 7.2); the reply is HMP's text output. */
  'human-monitor-command': Cmd<{ 'command-line': string; 'cpu-index'?: number }, string>;
  'query-block': Cmd<NoArgs, QmpBlockInfo[]>;
  /** Each drive's I/O counters (bytes and operations since QEMU started); only the top-level `stats` are read. */
  'query-blockstats': Cmd<{ 'query-nodes'?: boolean } | undefined, { device?: string; qdev?: string; 'node-name'?: string; stats: { rd_bytes: number; wr_bytes: number } }[]>;
  'query-named-block-nodes': Cmd<{ flat?: boolean } | undefined, QmpBlockDeviceInfo[]>;
  transaction: Cmd<{ actions: QmpTransactionAction[]; properties?: { 'completion-mode'?: 'individual' | 'grouped' } }, QmpEmpty>;
  /** Commits `top-node` (default: `device`, the active layer: an active commit) into `base-node`. The deprecated `base`/`top` file names are left out. */
  'block-commit': Cmd<QmpBlockJobCommonArgs & { device: string; 'base-node'?: string; 'top-node'?: string; 'backing-file'?: string }, QmpEmpty>;
  /** Copies into `device` the data of the images between it and `base-node` (all of them without one). */
  'block-stream': Cmd<QmpBlockJobCommonArgs & { device: string; base?: string; 'base-node'?: string; bottom?: string; 'backing-file'?: string }, QmpEmpty>;
  'query-jobs': Cmd<NoArgs, QmpJobInfo[]>;
  /** Ends a job that is `ready` (an active commit then pivots to its base). */
  'job-complete': Cmd<{ id: string }, QmpEmpty>;
  /** Removes a `concluded` job (one started with auto-dismiss off) once its outcome has been read. */
  'job-dismiss': Cmd<{ id: string }, QmpEmpty>;
  'job-cancel': Cmd<{ id: string }, QmpEmpty>;
  'device-list-properties': Cmd<{ typename: string }, QmpObjectPropertyInfo[]>;
  /** Every chardev; `frontend-open` tells whether the guest side of a virtio-serial port is open. */
  'query-chardev': Cmd<NoArgs, { label: string; filename: string; 'frontend-open': boolean }[]>;
  /** The QAPI schema as SchemaInfo entries; large (about 200 KiB), so callers inspect what they need. */
  'query-qmp-schema': Cmd<NoArgs, unknown[]>;
  /** A network backend (Netdev: type user, tap, socket, …), as qemu/devices.ts netdevProps builds it. */
  netdev_add: Cmd<{ type: string; id: string; [key: string]: unknown }, QmpEmpty>;
  netdev_del: Cmd<{ id: string }, QmpEmpty>;
  /** A device, as qemu/devices.ts builds its properties (the same object as -device at launch). */
  device_add: Cmd<{ driver: string; id: string; [key: string]: unknown }, QmpEmpty>;
  /** Asks the guest to release a device; DEVICE_DELETED says when it is gone. */
  device_del: Cmd<{ id: string }, QmpEmpty>;
  /** Grows (or shrinks: Hangar never asks) the image of a block node; the device tells the guest. */
  block_resize: Cmd<{ 'node-name': string; size: number }, QmpEmpty>;
  /** A block node, as qemu/devices.ts builds it (the same object as -blockdev at launch), or live migration's NBD client of the target's export. */
  'blockdev-add': Cmd<{ driver: string; 'node-name': string; [key: string]: unknown }, QmpEmpty>;
  'blockdev-del': Cmd<{ 'node-name': string }, QmpEmpty>;
  /** A network card's link (its cable), by the card's device id. */
  set_link: Cmd<{ name: string; up: boolean }, QmpEmpty>;
  /** Copies a disk's whole chain into `target` and keeps it in sync (the job is `ready` once caught up). */
  'blockdev-mirror': Cmd<QmpBlockJobCommonArgs & { device: string; target: string; sync: 'full' | 'top' | 'none'; 'copy-mode'?: 'background' | 'write-blocking' }, QmpEmpty>;
  /** A ready mirror cancelled ends in sync with its source, without pivoting to its target. */
  'block-job-cancel': Cmd<{ device: string; force?: boolean }, QmpEmpty>;
  'nbd-server-start': Cmd<{ addr: { type: 'unix'; data: { path: string } } }, QmpEmpty>;
  'nbd-server-stop': Cmd<NoArgs, QmpEmpty>;
  'block-export-add': Cmd<{ type: 'nbd'; id: string; 'node-name': string; name?: string; writable?: boolean }, QmpEmpty>;
  'block-export-del': Cmd<{ id: string; mode?: 'safe' | 'hard' }, QmpEmpty>;
}

export type QmpCommandName = keyof QmpCommands;
export type QmpArgs<K extends QmpCommandName> = QmpCommands[K]['args'];
export type QmpReturn<K extends QmpCommandName> = QmpCommands[K]['returns'];

/** The events Hangar listens to, name → `data` (events without data get `{}`). */
export interface QmpEvents {
  STOP: QmpEmpty;
  RESUME: QmpEmpty;
  SHUTDOWN: { guest: boolean; reason: QmpShutdownCause };
  RESET: { guest: boolean; reason: QmpShutdownCause };
  POWERDOWN: QmpEmpty;
  MIGRATION: { status: QmpMigrationStatus };
  /** Every status change of every job: the one event that tells a job's whole course, completion included. */
  JOB_STATUS_CHANGE: { id: string; status: QmpJobStatus };
  /** The guest opened or closed a virtio-serial port (`id` is the port device's id). */
  VSERPORT_CHANGE: { id: string; open: boolean };
  /** A device (device_del) is gone: `device` is its id. */
  DEVICE_DELETED: { device?: string; path: string };
}

export type QmpEventName = keyof QmpEvents;

/** An event as it arrived. */
export interface QmpEventMessage<K extends string = string> {
  event: K;
  data: K extends QmpEventName ? QmpEvents[K] : unknown;
  timestamp: { seconds: number; microseconds: number };
}

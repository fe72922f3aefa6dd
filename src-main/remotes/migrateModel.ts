// Live migration between two remotes (libvirt hosts), pure: the `virsh migrate` arguments, the reading
// of `virsh domjobinfo --rawstats`, and the progress that makes. The task is migrateRemote.node.ts.
import { xmlEscape } from './domainXml.js';

export interface RemoteMigrateOptions {
  /** copy the disks into the target's pool while the guest runs (--copy-storage-all) */
  copyStorage: boolean;
  /** MiB/s for the migration stream */
  bandwidthMiBs?: number;
}

/** The host a libvirt URI names ('' for none: a daemon of this machine, e.g. qemu:///system). */
export function uriHost(uri: string): string {
  const m = /^[a-z0-9+]+:\/\/(?:[^@/?]*@)?(\[[^\]]*\]|[^:/?]*)/i.exec(uri);
  return (m?.[1] ?? '').replace(/^\[|\]$/g, '').toLowerCase();
}

/** Whether a URI reaches a daemon of this machine: no host, or a loopback one. */
export function onThisMachine(uri: string): boolean {
  const h = uriHost(uri);
  return h === '' || h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * `virsh -c SOURCE` arguments of the migration: live, the domain defined on the target and undefined
 * on the source once it runs there (libvirt does both). Two daemons of this machine: libvirt refuses
 * a loopback migration_address/migration_host in qemu.conf and would give the source this machine's
 * hostname, so the client names loopback for the stream (--listen-address, --migrateuri); and a local
 * file is seen by both daemons, which libvirt cannot tell ("Migration without shared storage is
 * unsafe"), so --unsafe says it when the disks are not copied.
 */
export function migrateArgs(domain: string, targetUri: string, o: RemoteMigrateOptions & { sameMachine: boolean; xmlFile?: string }): string[] {
  return [
    'migrate',
    '--live',
    '--persistent',
    '--undefinesource',
    ...(o.copyStorage ? ['--copy-storage-all'] : o.sameMachine ? ['--unsafe'] : []),
    ...(o.sameMachine ? ['--listen-address', '127.0.0.1', '--migrateuri', 'tcp://127.0.0.1'] : []),
    ...(o.bandwidthMiBs !== undefined ? ['--bandwidth', String(Math.max(1, Math.ceil(o.bandwidthMiBs)))] : []),
    ...(o.xmlFile ? ['--xml', o.xmlFile] : []),
    '--',
    domain,
    targetUri,
  ];
}

export interface JobStats {
  /** a job runs (libvirt's job type is not 0, none) */
  active: boolean;
  elapsedMs: number;
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  memoryTotal: number;
  memoryRemaining: number;
  diskTotal: number;
  diskProcessed: number;
  /** the guest's pause at the switch-over (a completed job's), or the most allowed (a running one's) */
  downtimeMs: number | null;
}

/** `virsh domjobinfo --rawstats [--completed]`: "Job type: N" then "name: value" lines. */
export function parseJobStats(text: string): JobStats {
  const v = new Map<string, number>();
  let type = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_ ]+?)\s*:\s*(-?\d+)\s*$/.exec(line);
    if (!m) continue;
    if (m[1] === 'Job type') type = Number(m[2]);
    else v.set(m[1]!, Number(m[2]));
  }
  const n = (k: string) => v.get(k) ?? 0;
  return {
    active: type !== 0,
    elapsedMs: n('time_elapsed'),
    dataTotal: n('data_total'),
    dataProcessed: n('data_processed'),
    dataRemaining: n('data_remaining'),
    memoryTotal: n('memory_total'),
    memoryRemaining: n('memory_remaining'),
    diskTotal: n('disk_total'),
    diskProcessed: n('disk_processed'),
    downtimeMs: v.has('downtime') ? n('downtime') : null,
  };
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

/** How far a running migration is (never going back: memory the guest dirties again is sent again), and a line saying it. */
export function migrationProgress(s: JobStats, before: number): { fraction: number; message: string } {
  if (!s.active || s.dataTotal === 0) return { fraction: before, message: 'starting on the target' };
  const done = s.dataProcessed / (s.dataProcessed + s.dataRemaining || 1);
  return { fraction: Math.max(before, Math.min(0.99, done)), message: `${mib(s.dataProcessed)} sent, ${mib(s.dataRemaining)} to go` };
}

/** The domain's XML for the target with each disk moved to its new path (--copy-storage into the target's pool). */
export function movedDisksXml(xml: string, moves: Record<string, string>): string {
  let out = xml;
  for (const [from, to] of Object.entries(moves)) {
    const attr = `file='${xmlEscape(from)}'`;
    if (!out.includes(attr)) throw new Error(`no disk at ${from} in the domain's XML`);
    out = out.split(attr).join(`file='${xmlEscape(to)}'`);
  }
  return out;
}

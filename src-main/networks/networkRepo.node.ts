// The inventory's networks and their address reservations, over the inventory's SQLite connection.
// Rows are checked on read like every other row: one that fails is left out and logged once.
import type Database from 'better-sqlite3';
import { HangarError } from '../../src-vmm/base/errors.js';
import { NETWORK_MODES, type NetworkMode, type NetworkRecord } from './model.js';

type Raw = Record<string, unknown>;

export interface Reservation {
  networkId: string;
  mac: string;
  address: string;
  hostname: string | null;
  vmId: string;
}

export interface NetworkRepository {
  /** ALREADY_EXISTS for a name taken (any case) */
  insert(n: NetworkRecord): NetworkRecord;
  get(id: string): NetworkRecord | undefined;
  /** an exact id, else a case-insensitive name */
  findByRef(ref: string): NetworkRecord | undefined;
  /** in creation order */
  list(): NetworkRecord[];
  /** with its reservations; returns whether a row was deleted */
  delete(id: string): boolean;
  reservations(networkId: string): Reservation[];
  reservationsOfVm(vmId: string): Reservation[];
  /** adds or replaces the reservation of (network, mac) */
  reserve(r: Reservation): void;
  release(networkId: string, mac: string): void;
}

const MODES: readonly string[] = NETWORK_MODES.map((m) => m.value);

function readNetwork(raw: Raw): NetworkRecord | string {
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const id = str('id');
  const name = str('name');
  const mode = str('mode');
  const bridge = str('bridge');
  const createdAt = str('created_at');
  if (!id || !name || !bridge || !createdAt) return 'a field is missing';
  if (!mode || !MODES.includes(mode)) return `unknown mode '${String(raw.mode)}'`;
  if (raw.subnet !== null && typeof raw.subnet !== 'string') return 'subnet is not text';
  if (raw.mcast !== null && typeof raw.mcast !== 'string') return 'mcast is not text';
  return { id, name, mode: mode as NetworkMode, subnet: (raw.subnet as string | null) ?? null, dhcp: raw.dhcp === 1, bridge, mcast: (raw.mcast as string | null) ?? null, createdAt };
}

export function createNetworkRepository(db: Database.Database, log: (line: string) => void = () => {}): NetworkRepository {
  const reported = new Set<string>();
  const q = {
    insert: db.prepare(
      `INSERT INTO networks (id, name, name_key, mode, subnet, dhcp, bridge, mcast, created_at)
       VALUES (@id, @name, @nameKey, @mode, @subnet, @dhcp, @bridge, @mcast, @createdAt)`,
    ),
    byId: db.prepare<[string], Raw>('SELECT * FROM networks WHERE id = ?'),
    byKey: db.prepare<[string], Raw>('SELECT * FROM networks WHERE name_key = ?'),
    all: db.prepare<[], Raw>('SELECT * FROM networks ORDER BY created_at, rowid'),
    delete: db.prepare<[string]>('DELETE FROM networks WHERE id = ?'),
    reservations: db.prepare<[string], Raw>('SELECT * FROM network_reservations WHERE network_id = ? ORDER BY address'),
    ofVm: db.prepare<[string], Raw>('SELECT * FROM network_reservations WHERE vm_id = ? ORDER BY network_id, mac'),
    reserve: db.prepare(
      `INSERT INTO network_reservations (network_id, mac, address, hostname, vm_id) VALUES (@networkId, @mac, @address, @hostname, @vmId)
       ON CONFLICT(network_id, mac) DO UPDATE SET address = excluded.address, hostname = excluded.hostname, vm_id = excluded.vm_id`,
    ),
    release: db.prepare<[string, string]>('DELETE FROM network_reservations WHERE network_id = ? AND mac = ?'),
  };
  const read = (raws: Raw[]): NetworkRecord[] => {
    const out: NetworkRecord[] = [];
    for (const raw of raws) {
      const r = readNetwork(raw);
      if (typeof r !== 'string') out.push(r);
      else if (!reported.has(String(raw.id))) {
        reported.add(String(raw.id));
        log(`inventory: network ${String(raw.id)} is not valid (${r}); it is left out`);
      }
    }
    return out;
  };
  const readReservations = (raws: Raw[]): Reservation[] =>
    raws.map((r) => ({ networkId: String(r.network_id), mac: String(r.mac), address: String(r.address), hostname: typeof r.hostname === 'string' ? r.hostname : null, vmId: String(r.vm_id) }));

  const repo: NetworkRepository = {
    insert(n) {
      try {
        q.insert.run({ id: n.id, name: n.name, nameKey: n.name.toLowerCase(), mode: n.mode, subnet: n.subnet, dhcp: n.dhcp ? 1 : 0, bridge: n.bridge, mcast: n.mcast, createdAt: n.createdAt });
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          const other = read(q.byKey.all(n.name.toLowerCase()))[0];
          throw new HangarError('ALREADY_EXISTS', `a network named '${other?.name ?? n.name}' already exists`, {
            cause: e,
            details: { issues: [{ path: 'name', message: `a network named '${other?.name ?? n.name}' already exists` }] },
          });
        }
        throw e;
      }
      const row = repo.get(n.id);
      if (!row) throw new HangarError('INTERNAL', `network '${n.name}' was written but does not read back`);
      return row;
    },
    get: (id) => read(q.byId.all(id))[0],
    findByRef: (ref) => repo.get(ref) ?? read(q.byKey.all(ref.toLowerCase()))[0],
    list: () => read(q.all.all()),
    delete: (id) => q.delete.run(id).changes > 0,
    reservations: (networkId) => readReservations(q.reservations.all(networkId)),
    reservationsOfVm: (vmId) => readReservations(q.ofVm.all(vmId)),
    reserve: (r) => void q.reserve.run({ networkId: r.networkId, mac: r.mac, address: r.address, hostname: r.hostname, vmId: r.vmId }),
    release: (networkId, mac) => void q.release.run(networkId, mac),
  };
  return repo;
}

// Saved configs carry schemaVersion. Loading runs them through pure migrations up to the current
// version; a version from a newer Hangar is refused, never guessed at.
import { HangarError } from '../base/errors.js';

export const CURRENT_SCHEMA_VERSION = 1;

/** MIGRATIONS[n] turns a version-n config into version n+1. None yet: version 1 is the first. */
const MIGRATIONS: Readonly<Record<number, (raw: Record<string, unknown>) => Record<string, unknown>>> = {};

export function tooNewMessage(version: number): string {
  return `this VM was saved by a newer Hangar (schema version ${version}); update Hangar to open it`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Brings a stored config to CURRENT_SCHEMA_VERSION. Anything that is not an object with an integer
 * schemaVersion passes through unchanged, for validateConfig to report. Throws UNSUPPORTED for a
 * version newer than this Hangar knows.
 */
export function migrateConfig(raw: unknown): unknown {
  if (!isRecord(raw) || typeof raw.schemaVersion !== 'number' || !Number.isInteger(raw.schemaVersion)) return raw;
  let version = raw.schemaVersion;
  if (version > CURRENT_SCHEMA_VERSION) throw new HangarError('UNSUPPORTED', tooNewMessage(version), { details: { schemaVersion: version } });
  if (version < 1) return raw;
  let config = raw;
  while (version < CURRENT_SCHEMA_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new HangarError('INTERNAL', `no migration from config schema version ${version}`);
    config = { ...step(config), schemaVersion: version + 1 };
    version += 1;
  }
  return config;
}

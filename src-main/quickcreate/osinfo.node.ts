// OS detection with libosinfo's database (Debian's osinfo-db, the data GNOME Boxes and virt-manager
// use), and the answer files of its install scripts (osinfo-install-script, libosinfo-bin). Hangar adds a
// small supplement (resources/osinfo: OSes newer than the installed database, such as Debian 12 on
// Debian 12's osinfo-db) that libosinfo's own tools read too, through OSINFO_USER_DIR.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HangarError } from '../../src-vmm/base/errors.js';
import { hangarOsType, unattendedPlan, type UnattendedPlan } from './osMapping.js';
import { identifyMedia, parseOsinfoFile, type IsoFacts, type OsinfoMedia, type OsinfoOs } from './osinfoDb.js';
import { runTool } from './tools.node.js';

/** Hangar's supplement to the installed database (beside the build). */
export const OSINFO_SUPPLEMENT_DIR = fileURLToPath(new URL('../../../resources/osinfo', import.meta.url));

export interface OsinfoDirs {
  /** the installed database: $OSINFO_SYSTEM_DIR or /usr/share/osinfo */
  system: string;
  supplement: string;
}

export function osinfoDirs(env: NodeJS.ProcessEnv = process.env): OsinfoDirs {
  return { system: env.OSINFO_SYSTEM_DIR || '/usr/share/osinfo', supplement: OSINFO_SUPPLEMENT_DIR };
}

/** The environment libosinfo's tools run in, so they read the supplement too. */
export function osinfoEnv(dirs: OsinfoDirs): Record<string, string> {
  return { OSINFO_USER_DIR: dirs.supplement, OSINFO_SYSTEM_DIR: dirs.system };
}

let cache: { key: string; db: OsinfoOs[] } | undefined;

function xmlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.xml')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Every OS of the database, the supplement's first (an entry there replaces the installed one with the
 * same id). UNSUPPORTED when osinfo-db is not installed.
 */
export function loadOsinfoDb(dirs: OsinfoDirs = osinfoDirs(), log?: (line: string) => void): OsinfoOs[] {
  const osDir = join(dirs.system, 'os');
  if (!existsSync(osDir)) throw new HangarError('UNSUPPORTED', `libosinfo's database is not installed (${osDir} does not exist): install the Debian package osinfo-db`);
  const files = [...xmlFiles(join(dirs.supplement, 'os')), ...xmlFiles(osDir)];
  const key = `${dirs.system}|${dirs.supplement}|${files.length}|${files.map((f) => statSync(f).mtimeMs).reduce((a, b) => Math.max(a, b), 0)}`;
  if (cache?.key === key) return cache.db;
  const seen = new Set<string>();
  const db: OsinfoOs[] = [];
  for (const file of files) {
    let entries: OsinfoOs[];
    try {
      entries = parseOsinfoFile(readFileSync(file, 'utf8'), file);
    } catch (e) {
      log?.(`osinfo: ${file} is left out: ${(e as Error).message}`);
      continue;
    }
    for (const os of entries) {
      if (seen.has(os.id)) continue;
      seen.add(os.id);
      db.push(os);
    }
  }
  cache = { key, db };
  return db;
}

/** The identifiers of an ISO 9660 image (its primary volume descriptor) and whether it boots (El Torito). Null: not ISO 9660. */
export function readIsoFacts(path: string): IsoFacts | null {
  const fd = openSync(path, 'r');
  try {
    const sector = Buffer.alloc(2048);
    let facts: Omit<IsoFacts, 'bootable'> | null = null;
    let bootable = false;
    // Volume descriptors start at sector 16 and end with a terminator (type 255).
    for (let s = 16; s < 16 + 64; s++) {
      if (readSync(fd, sector, 0, 2048, s * 2048) < 2048) break;
      if (sector.subarray(1, 6).toString('latin1') !== 'CD001') break;
      const type = sector[0];
      if (type === 255) break;
      if (type === 0 && sector.subarray(7, 7 + 23).toString('latin1') === 'EL TORITO SPECIFICATION') bootable = true;
      if (type === 1 && !facts) {
        const text = (from: number, length: number) => sector.subarray(from, from + length).toString('latin1').replace(/[\s\0]+$/, '');
        facts = {
          systemId: text(8, 32),
          volumeId: text(40, 32),
          publisherId: text(318, 128),
          applicationId: text(574, 128),
          volumeSizeBytes: sector.readUInt32LE(80) * sector.readUInt16LE(128),
        };
      }
    }
    return facts ? { ...facts, bootable } : null;
  } finally {
    closeSync(fd);
  }
}

export interface Detection {
  osType: string;
  osinfoId: string;
  shortId: string;
  name: string;
  version: string;
  family: string;
  /** live media (runs without installing) */
  live: boolean;
  /** Hangar can install it unattended */
  unattended: boolean;
  /** why not, when it cannot */
  unattendedUnavailable?: string;
  media: OsinfoMedia;
  os: OsinfoOs;
  plan?: UnattendedPlan;
}

/** What the ISO at `path` is, by libosinfo's database; null for media it does not know (or not an ISO). */
export function detectIso(path: string, db: readonly OsinfoOs[]): Detection | null {
  const facts = readIsoFacts(path);
  if (!facts) return null;
  const found = identifyMedia(db, facts);
  if (!found) return null;
  const { os, media } = found;
  const plan = unattendedPlan(os, media);
  return {
    osType: hangarOsType(os),
    osinfoId: os.id,
    shortId: os.shortIds[0] ?? '',
    name: os.name,
    version: os.version,
    family: os.family,
    live: media.live,
    unattended: !('unavailable' in plan),
    ...('unavailable' in plan ? { unattendedUnavailable: plan.unavailable } : { plan }),
    media,
    os,
  };
}

export interface AnswerFileConfig {
  user: string;
  password: string;
  hostname: string;
  /** en_US */
  language: string;
  timezone: string;
  keyboard: string;
}

/**
 * The answer file libosinfo's install script makes for the OS (osinfo-install-script): the passwords go
 * in a private config file, never on its command line. Returns the file's name and text.
 */
export async function generateAnswerFile(
  dirs: OsinfoDirs,
  o: { os: OsinfoOs; plan: UnattendedPlan; config: AnswerFileConfig; workDir: string; signal?: AbortSignal },
): Promise<{ fileName: string; text: string }> {
  const dir = mkdtempSync(join(o.workDir, 'answer-'));
  try {
    const c = o.config;
    const configFile = join(dir, 'config.ini');
    // GKeyFile syntax: one key per line; values are taken to the end of the line.
    const clean = (v: string) => v.replace(/[\r\n]/g, '');
    writeFileSync(
      configFile,
      [
        '[install-script]',
        `admin-password=${clean(c.password)}`,
        `user-login=${clean(c.user)}`,
        `user-password=${clean(c.password)}`,
        `user-realname=${clean(c.user)}`,
        `hostname=${clean(c.hostname)}`,
        `l10n-language=${clean(c.language)}`,
        `l10n-timezone=${clean(c.timezone)}`,
        `l10n-keyboard=${clean(c.keyboard)}`,
        'hardware-arch=x86_64',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const out = join(dir, 'out');
    mkdirSync(out, { mode: 0o700 });
    await runTool('osinfo-install-script', ['--profile', o.plan.profile, '--config-file', configFile, '--output-dir', out, '--quiet', o.os.id], {
      ...(o.signal ? { signal: o.signal } : {}),
      timeoutMs: 60_000,
      what: 'osinfo-install-script',
      envExtra: osinfoEnv(dirs),
    });
    const made = readdirSync(out);
    if (made.length !== 1) throw new HangarError('INTERNAL', `osinfo-install-script wrote ${made.length} files for ${o.os.name}, expected one`);
    return { fileName: made[0]!, text: readFileSync(join(out, made[0]!), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

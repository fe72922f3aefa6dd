// libosinfo's database, read (pure): the operating systems with their installer and live media, how
// each medium is recognised (the volume, system, publisher and application identifiers of its ISO 9660
// volume, as regular expressions), where its kernel and initrd are, and which install scripts exist for
// it. Matching follows libosinfo's osinfo_db_identify_media: a medium matches when every identifier its
// entry gives matches the ISO's (an unanchored search), and an entry without identifiers never matches.
// The same files libosinfo's tools read; an integration test checks the verdicts against osinfo-detect.
import { attr, child, childText, children, parseXml, type XmlElement } from '../appliances/xml.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface OsinfoMedia {
  arch: string;
  live: boolean;
  /** false: libosinfo says install scripts do not work with this medium */
  installerScript: boolean;
  volumeId?: string;
  systemId?: string;
  publisherId?: string;
  applicationId?: string;
  volumeSize?: number;
  /** paths inside the ISO */
  kernel?: string;
  initrd?: string;
  /** the medium's own install scripts (ids); empty: the OS's */
  scripts: string[];
}

export interface OsinfoOs {
  id: string;
  shortIds: string[];
  name: string;
  version: string;
  family: string;
  distro: string;
  /** 'bookworm' */
  codename?: string;
  releaseDate?: string;
  media: OsinfoMedia[];
  /** install scripts (ids) of the OS */
  scripts: string[];
  /** minimum RAM and recommended storage in bytes, when the database gives them */
  minRamBytes?: number;
  recommendedStorageBytes?: number;
}

/** The PVD fields of an ISO 9660 image, blank-trimmed as libosinfo compares them. */
export interface IsoFacts {
  volumeId: string;
  systemId: string;
  publisherId: string;
  applicationId: string;
  volumeSizeBytes: number;
  /** has an El Torito boot record: libosinfo identifies bootable media only */
  bootable: boolean;
}

function untranslated(el: XmlElement, local: string): string | undefined {
  const all = children(el, local);
  const plain = all.find((e) => attr(e, 'lang', XML_NS) === undefined) ?? all[0];
  return plain?.text.trim();
}

function scriptsOf(el: XmlElement | undefined): string[] {
  if (!el) return [];
  return children(el, 'script')
    .map((s) => attr(s, 'id'))
    .filter((x): x is string => x !== undefined);
}

/** The OS entries of one database file (an <libosinfo> document). Other elements are ignored. */
export function parseOsinfoFile(xml: string, what: string): OsinfoOs[] {
  const root = parseXml(xml, what);
  const out: OsinfoOs[] = [];
  for (const os of children(root, 'os')) {
    const id = attr(os, 'id');
    if (!id) continue;
    const media = children(os, 'media').map((m): OsinfoMedia => {
      const iso = child(m, 'iso');
      const text = (local: string) => (iso ? childText(iso, local)?.trim() : undefined) || undefined;
      const size = text('volume-size');
      return {
        arch: attr(m, 'arch') ?? 'all',
        live: attr(m, 'live') === 'true',
        installerScript: attr(m, 'installer-script') !== 'false',
        ...(text('volume-id') ? { volumeId: text('volume-id')! } : {}),
        ...(text('system-id') ? { systemId: text('system-id')! } : {}),
        ...(text('publisher-id') ? { publisherId: text('publisher-id')! } : {}),
        ...(text('application-id') ? { applicationId: text('application-id')! } : {}),
        ...(size && /^\d+$/.test(size) ? { volumeSize: Number(size) } : {}),
        ...(childText(m, 'kernel')?.trim() ? { kernel: childText(m, 'kernel')!.trim() } : {}),
        ...(childText(m, 'initrd')?.trim() ? { initrd: childText(m, 'initrd')!.trim() } : {}),
        scripts: scriptsOf(child(m, 'installer')),
      };
    });
    const bytes = (path: string[]): number | undefined => {
      for (const res of children(os, 'resources')) {
        let el: XmlElement | undefined = res;
        for (const p of path) el = el ? child(el, p) : undefined;
        const v = el?.text.trim();
        if (v && /^\d+$/.test(v)) return Number(v);
      }
      return undefined;
    };
    const minRam = bytes(['minimum', 'ram']);
    const storage = bytes(['recommended', 'storage']);
    out.push({
      id,
      shortIds: children(os, 'short-id').map((s) => s.text.trim()),
      name: untranslated(os, 'name') ?? id,
      version: childText(os, 'version')?.trim() ?? '',
      family: childText(os, 'family')?.trim() ?? '',
      distro: childText(os, 'distro')?.trim() ?? '',
      ...(childText(os, 'codename')?.trim() ? { codename: childText(os, 'codename')!.trim() } : {}),
      ...(childText(os, 'release-date')?.trim() ? { releaseDate: childText(os, 'release-date')!.trim() } : {}),
      media,
      scripts: scriptsOf(child(os, 'installer')),
      ...(minRam !== undefined ? { minRamBytes: minRam } : {}),
      ...(storage !== undefined ? { recommendedStorageBytes: storage } : {}),
    });
  }
  return out;
}

const regexCache = new Map<string, RegExp | null>();

/** libosinfo's patterns are GLib (PCRE) regular expressions; the few JavaScript cannot read never match. */
function pattern(source: string): RegExp | null {
  if (!regexCache.has(source)) {
    let re: RegExp | null;
    try {
      re = new RegExp(source);
    } catch {
      re = null;
    }
    regexCache.set(source, re);
  }
  return regexCache.get(source)!;
}

function matches(source: string | undefined, value: string): boolean {
  if (source === undefined) return true;
  if (value === '') return false;
  return pattern(source)?.test(value) ?? false;
}

export function mediaMatches(m: OsinfoMedia, iso: IsoFacts): boolean {
  if (m.volumeId === undefined && m.systemId === undefined && m.publisherId === undefined && m.applicationId === undefined) return false;
  return (
    matches(m.volumeId, iso.volumeId) &&
    matches(m.systemId, iso.systemId) &&
    matches(m.publisherId, iso.publisherId) &&
    matches(m.applicationId, iso.applicationId) &&
    (m.volumeSize === undefined || m.volumeSize === iso.volumeSizeBytes)
  );
}

/** The first OS and medium the ISO is (libosinfo's order: the database's), or null. x86_64 media first. */
export function identifyMedia(db: readonly OsinfoOs[], iso: IsoFacts): { os: OsinfoOs; media: OsinfoMedia } | null {
  if (!iso.bootable) return null;
  let other: { os: OsinfoOs; media: OsinfoMedia } | null = null;
  for (const os of db) {
    for (const media of os.media) {
      if (!mediaMatches(media, iso)) continue;
      if (media.arch === 'x86_64' || media.arch === 'all') return { os, media };
      other ??= { os, media };
    }
  }
  return other;
}

/** The install scripts that apply to a medium: its own, else its OS's; none when libosinfo says they do not work with it. */
export function scriptsFor(os: OsinfoOs, media: OsinfoMedia): string[] {
  if (!media.installerScript) return [];
  return media.scripts.length ? media.scripts : os.scripts;
}

// From what libosinfo knows of an OS to what Hangar makes of it (pure): Hangar's OS type (which gives
// the machine's defaults), and whether and how Hangar can install it unattended.
import type { AnswerFormat } from '../../src-vmm/model/index.js';
import type { OsinfoMedia, OsinfoOs } from './osinfoDb.js';
import { scriptsFor } from './osinfoDb.js';

/** Hangar's OS type for an OS libosinfo knows. */
export function hangarOsType(os: Pick<OsinfoOs, 'family' | 'distro' | 'version' | 'shortIds' | 'releaseDate'>): string {
  const short = os.shortIds[0] ?? '';
  switch (os.family) {
    case 'linux': {
      // Guests older than virtio's arrival in their kernels (2.6.25, 2008) get the emulated devices.
      const year = Number((os.releaseDate ?? '').slice(0, 4));
      return Number.isFinite(year) && year > 0 && year < 2009 ? 'linux-legacy' : 'linux';
    }
    case 'winnt': {
      if (/^win(11|2k22|2k25)$/.test(short) || short === 'win11') return short === 'win11' ? 'windows11' : 'windows10';
      if (/^win(10|8|8\.1|2k12|2k12r2|2k16|2k19)$/.test(short)) return 'windows10';
      if (/^win(7|vista|2k8|2k8r2)$/.test(short)) return 'windows7';
      return 'other';
    }
    case 'freebsd':
      return 'freebsd';
    case 'openbsd':
      return 'openbsd';
    default:
      return 'other';
  }
}

export interface UnattendedPlan {
  /** the libosinfo install script to use */
  script: string;
  profile: 'jeos' | 'desktop';
  format: AnswerFormat;
  /** the file name the installer looks for */
  fileName: string;
}

/** What an install script id says about its format and profile ('http://debian.org/debian/preseed/jeos'). */
export function scriptKind(id: string): { format: AnswerFormat | null; profile: 'jeos' | 'desktop' | null } {
  const profile = /\/jeos$/.test(id) ? 'jeos' : /\/desktop$/.test(id) ? 'desktop' : null;
  const format = /\/preseed\//.test(id) ? 'preseed' : /\/kickstart\//.test(id) ? 'kickstart' : /\/unattend\//.test(id) ? 'autounattend' : null;
  return { format, profile };
}

/**
 * How Hangar installs this medium unattended, or why it cannot (one line for the person). Hangar hands
 * the answer file to the installer in its initrd (Debian's and Ubuntu's preseed, Fedora's kickstart),
 * the way those scripts say they take it, and follows the installer on the serial console.
 */
export function unattendedPlan(os: OsinfoOs, media: OsinfoMedia): UnattendedPlan | { unavailable: string } {
  const scripts = scriptsFor(os, media);
  if (scripts.length === 0) {
    return { unavailable: media.installerScript ? `libosinfo has no install script for ${os.name}` : `libosinfo says this ${os.name} media cannot be installed with an install script` };
  }
  const usable = scripts
    .map((script) => ({ script, ...scriptKind(script) }))
    .filter((s): s is { script: string; format: AnswerFormat; profile: 'jeos' | 'desktop' } => s.profile !== null && (s.format === 'preseed' || s.format === 'kickstart'));
  const pick = usable.find((s) => s.profile === 'jeos') ?? usable[0];
  if (!pick) return { unavailable: `Hangar cannot hand ${os.name}'s install script (${scripts.map((s) => scriptKind(s).format ?? s).join(', ')}) to its installer` };
  if (!media.kernel || !media.initrd) return { unavailable: `libosinfo does not say where the installer of ${os.name} keeps its kernel and initrd on this media` };
  return { script: pick.script, profile: pick.profile, format: pick.format, fileName: pick.format === 'preseed' ? 'preseed.cfg' : `${os.distro || 'os'}.ks` };
}

// How Hangar runs an installer unattended (pure): what it adds to the answer file libosinfo makes, the
// kernel command line the installer is started with, and how its progress reads on the serial console.
//   - The installer gets its answer file in its initrd (the injection method libosinfo's preseed and
//     kickstart scripts name), and the command line those scripts' templates give, plus the serial
//     console, on which Hangar follows it.
//   - At the end it powers the machine off instead of rebooting: the kernel and initrd Hangar boots
//     directly would start the installer again. Hangar then ejects the media and the VM boots its disk.
import type { AnswerFormat } from '../../src-vmm/model/index.js';

export interface InstallerSettings {
  /** en_US */
  language: string;
  keyboard: string;
  hostname: string;
  /** the OS's version, for kickstart's inst.ks (Fedora 33 on) or ks (older) */
  version: string;
  distro: string;
}

/**
 * The answer file as the installer gets it: libosinfo's, with the machine powered off at the end. A
 * Debian netboot installer is also told its own release's archive (deb.debian.org, the suite of its
 * codename): left to itself it checks the mirror's current stable release, and when that is a newer
 * Debian than the installer it stops with a question ("Choose a mirror of the Debian archive").
 */
export function finishAnswerFile(format: AnswerFormat, text: string, os: { distro?: string; codename?: string } = {}): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (format === 'preseed') {
    if (os.distro === 'ubuntu' && /ubiquity/.test(text)) return `${body}\n# Hangar: power off at the end, so that the media can be ejected before the first boot.\nubiquity ubiquity/poweroff boolean true\n`;
    const mirror =
      os.distro === 'debian' && os.codename && !/^d-i mirror\/http\/hostname /m.test(text)
        ? [
            "# Hangar: the archive of the installer's own release.",
            'd-i mirror/country string manual',
            'd-i mirror/http/hostname string deb.debian.org',
            'd-i mirror/http/directory string /debian',
            `d-i mirror/suite string ${os.codename}`,
            `d-i mirror/codename string ${os.codename}`,
            '',
          ].join('\n')
        : '';
    return `${body}\n${mirror}# Hangar: power off at the end, so that the media can be ejected before the first boot.\nd-i debian-installer/exit/poweroff boolean true\n`;
  }
  if (format === 'kickstart') {
    const lines = body.split('\n');
    const reboot = lines.findIndex((l) => /^\s*(reboot|halt|shutdown)\b/.test(l));
    if (reboot >= 0) lines[reboot] = 'poweroff';
    const out = lines.join('\n');
    return reboot >= 0 ? out : `${out}\n# Hangar: power off at the end, so that the media can be ejected before the first boot.\npoweroff\n`;
  }
  return body;
}

/** The kernel command line: the one libosinfo's script template gives, and the serial console. */
export function installerCommandLine(format: AnswerFormat, fileName: string, s: InstallerSettings): string {
  const serial = 'console=ttyS0,115200n8';
  if (format === 'preseed') {
    if (s.distro === 'ubuntu') {
      return `file=/${fileName} locale=${s.language} keyboard-configuration/layoutcode=${s.keyboard} hostname=${s.hostname} priority=critical console-setup/ask_detect=false domain=unassigned-domain interface=auto noprompt boot=casper automatic-ubiquity ${serial}`;
    }
    return `keyboard-configuration/xkb-keymap=${s.keyboard} debconf/priority=critical ${serial}`;
  }
  if (format === 'kickstart') {
    const major = Number.parseInt(s.version, 10);
    const key = s.distro === 'fedora' && Number.isFinite(major) && major <= 32 ? 'ks' : 'inst.ks';
    return `${key}=file:/${fileName} inst.text ${serial}`;
  }
  return serial;
}

export interface ProgressMark {
  /** what the installer prints (a screen's title) */
  text: string;
  fraction: number;
  phase: string;
}

/**
 * Debian's installer (debian-installer, newt on the serial console): screens in the order they come. The
 * netboot installer loads its components (udebs, from the archive mirror) after the network and the
 * mirror, not before: 'Loading additional components' comes after 'Checking the Debian archive mirror'.
 */
const DEBIAN_MARKS: readonly ProgressMark[] = [
  { text: 'Detecting network hardware', fraction: 0.04, phase: 'detecting hardware' },
  { text: 'Configuring the network', fraction: 0.06, phase: 'configuring the network' },
  { text: 'Checking the Debian archive mirror', fraction: 0.08, phase: 'checking the archive mirror' },
  { text: 'Loading additional components', fraction: 0.1, phase: 'loading the installer' },
  { text: 'Setting up the clock', fraction: 0.14, phase: 'setting up the clock' },
  { text: 'Detecting disks and all other hardware', fraction: 0.16, phase: 'detecting disks' },
  { text: 'Starting up the partitioner', fraction: 0.18, phase: 'partitioning' },
  { text: 'Installing the base system', fraction: 0.25, phase: 'installing the base system' },
  { text: 'Configuring apt', fraction: 0.5, phase: 'configuring apt' },
  { text: 'Select and install software', fraction: 0.6, phase: 'installing software' },
  { text: 'Installing GRUB', fraction: 0.85, phase: 'installing the boot loader' },
  { text: 'Finishing the installation', fraction: 0.95, phase: 'finishing the installation' },
];

/** Fedora's installer (anaconda, text mode on the serial console). */
const ANACONDA_MARKS: readonly ProgressMark[] = [
  { text: 'Starting installer', fraction: 0.05, phase: 'starting the installer' },
  { text: 'Setting up the installation environment', fraction: 0.1, phase: 'setting up' },
  { text: 'Creating', fraction: 0.15, phase: 'partitioning' },
  { text: 'Starting package installation process', fraction: 0.25, phase: 'installing packages' },
  { text: 'Configuring installed system', fraction: 0.85, phase: 'configuring the system' },
  { text: 'Installing boot loader', fraction: 0.9, phase: 'installing the boot loader' },
  { text: 'Installation complete', fraction: 0.97, phase: 'finishing the installation' },
];

export function progressMarks(format: AnswerFormat): readonly ProgressMark[] {
  return format === 'kickstart' ? ANACONDA_MARKS : format === 'preseed' ? DEBIAN_MARKS : [];
}

/** The mark past which an installer that powers off has finished (not merely stopped). */
export function finishedMark(format: AnswerFormat): string {
  return format === 'kickstart' ? 'Installation complete' : 'Finishing the installation';
}

/** Console text without terminal control sequences (colours, cursor moves, line drawing switches). */
export function plainConsoleText(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b[()][0-9A-Za-z]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b./g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0e-\x1f\x7f]/g, '')
  );
}

/** The installation task's phase while the installer waits at a question (followed by the question). */
export const QUESTION_PHASE = 'waiting at a question of the installer (answer it on the console)';

/**
 * The question debian-installer shows, from its console text (compacted whitespace), if one is on it: the
 * title of a newt dialog with a priority mark ('[!!] Download installer components': [!!] high or critical,
 * [!] medium, [.] low) and the first sentence of its text. With an answer file, every question the
 * installer shows anyway is one it could not answer by itself (an error, a missing answer): it waits there.
 */
export function debianQuestion(compact: string): string | undefined {
  // newt draws the title into the box's top line (`lqqu [!!] Title tqqk`), its lines between `x` borders.
  const all = [...compact.matchAll(/\[(!!|!|\.)\] (.{1,100}?) t?q{2,}k? ?((?:.(?!lq{2,}u ))*)/g)];
  const m = all[all.length - 1];
  if (!m) return undefined;
  const title = m[2]!.trim();
  const body = m[3]!
    .replace(/(?:^| )x(?= |$)/g, ' ')
    .replace(/[lqkmjtu]{4,}/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const first = /^(.{1,200}?[.?!:])(?: |$)/.exec(body)?.[1];
  return first ? `${title}: ${first}` : title;
}

/**
 * Follows an installer's console: feed it the console's text as it comes; it says how far the
 * installation is (the furthest mark seen), whether the finishing screen has appeared, and (Debian)
 * the question the installer waits at, if it shows one.
 */
export class InstallerProgress {
  private window = '';
  private index = -1;
  private readonly marks: readonly ProgressMark[];
  finished = false;
  /** the question the installer shows now (title and first sentence), until the next mark */
  question: string | undefined;

  constructor(private readonly format: AnswerFormat) {
    this.marks = progressMarks(format);
  }

  /** an escape sequence that the last chunk began and the next one completes */
  private carry = '';

  /** The mark reached, when this chunk moved it forward. */
  push(chunk: string): ProgressMark | undefined {
    // The console arrives in pieces that may cut an escape sequence in two ('\x1b[' | '30m'): its
    // start waits for the rest, or its tail would read as text ("…the Debian archive30m").
    const text = this.carry + chunk;
    // eslint-disable-next-line no-control-regex
    const cut = /\x1b(?:\[[0-9;?]*[ -/]*|[()])?$/.exec(text);
    this.carry = cut ? text.slice(cut.index) : '';
    this.window = (this.window + plainConsoleText(cut ? text.slice(0, cut.index) : text)).slice(-8192);
    const compact = this.window.replace(/\s+/g, ' ');
    let moved: ProgressMark | undefined;
    for (let i = this.marks.length - 1; i > this.index; i--) {
      if (compact.includes(this.marks[i]!.text)) {
        this.index = i;
        moved = this.marks[i];
        break;
      }
    }
    if (compact.includes(finishedMark(this.format))) this.finished = true;
    if (moved) {
      this.window = this.window.slice(-256);
      this.question = undefined;
    } else if (this.format === 'preseed') {
      this.question = debianQuestion(compact) ?? this.question;
    }
    return moved;
  }

  get current(): ProgressMark | undefined {
    return this.index >= 0 ? this.marks[this.index] : undefined;
  }
}

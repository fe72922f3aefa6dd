// Guest operating systems as appliances name them, mapped onto Hangar's OS-type catalogue. Four
// vocabularies: the DMTF CIM OsType number in OperatingSystemSection ovf:id, VirtualBox's OSType
// strings (vbox:OSType, vbox:Machine OSType), VMware's guest ids (vmw:osType) and oVirt's OS ids
// (ovirt:id numbers, the unique names its engine-internal OVF writes). Free text (a Description)
// is read with the same rules. Pure.
import type { OsTypeId } from '../../src-vmm/model/index.js';

export interface OsGuess {
  /** an id of Hangar's OS-type catalogue */
  osType: OsTypeId;
  /** what was recognised, for people: 'Windows 10 64-bit', 'Ubuntu', 'Linux 2.4' */
  label: string;
  /**
   * false for a name that says little ('Other', 'Linux', 'Red Hat Enterprise Linux' without a
   * version): a more specific hint elsewhere in the descriptor should win over it
   */
  specific: boolean;
  /** set when the guest is built for another processor architecture than x86 */
  foreignArch: string | null;
}

const guess = (osType: OsTypeId, label: string, specific = true, foreignArch: string | null = null): OsGuess => ({ osType, label, specific, foreignArch });

// ------------------------------------------------------------------------------------------------
// CIM OsType (CIM_OperatingSystem.OSType, DMTF schema 2.52; VirtualBox reads 0–120).

type CimRow = readonly [OsTypeId, string, boolean?];

/** id → [catalogue id, label, specific (default true)]. */
const CIM: Readonly<Record<number, CimRow>> = {
  0: ['other', 'Unknown', false],
  1: ['other', 'Other', false],
  2: ['other', 'Mac OS'],
  3: ['other', 'AT&T UNIX'],
  4: ['other', 'DG/UX'],
  5: ['other', 'DECNT'],
  6: ['other', 'Tru64 UNIX'],
  7: ['other', 'OpenVMS'],
  8: ['other', 'HP-UX'],
  9: ['other', 'AIX'],
  10: ['other', 'MVS'],
  11: ['other', 'OS/400'],
  12: ['other', 'OS/2'],
  13: ['other', 'Java VM'],
  14: ['other', 'MS-DOS'],
  15: ['other', 'Windows 3.x'],
  16: ['other', 'Windows 95'],
  17: ['other', 'Windows 98'],
  // Some producers write WINNT for any NT-based Windows: let a more specific hint decide.
  18: ['other', 'Windows NT', false],
  19: ['other', 'Windows CE'],
  20: ['other', 'NCR3000'],
  21: ['other', 'NetWare'],
  22: ['other', 'OSF'],
  23: ['other', 'DC/OS'],
  24: ['other', 'Reliant UNIX'],
  25: ['other', 'SCO UnixWare'],
  26: ['other', 'SCO OpenServer'],
  27: ['other', 'Sequent'],
  28: ['other', 'IRIX'],
  29: ['other', 'Solaris'],
  30: ['other', 'SunOS'],
  31: ['other', 'U6000'],
  32: ['other', 'ASERIES'],
  33: ['other', 'HP NonStop OS'],
  34: ['other', 'HP NonStop OSS'],
  35: ['other', 'BS2000'],
  36: ['linux', 'Linux', false],
  37: ['other', 'Lynx'],
  38: ['other', 'XENIX'],
  39: ['other', 'VM'],
  40: ['other', 'Interactive UNIX'],
  41: ['other', 'BSD UNIX'],
  42: ['freebsd', 'FreeBSD'],
  43: ['other', 'NetBSD'],
  44: ['other', 'GNU Hurd'],
  45: ['other', 'OS9'],
  46: ['other', 'MACH Kernel'],
  47: ['other', 'Inferno'],
  48: ['other', 'QNX'],
  49: ['other', 'EPOC'],
  50: ['other', 'IxWorks'],
  51: ['other', 'VxWorks'],
  52: ['other', 'MiNT'],
  53: ['other', 'BeOS'],
  54: ['other', 'HP MPE'],
  55: ['other', 'NextStep'],
  56: ['other', 'PalmPilot'],
  57: ['other', 'Rhapsody'],
  58: ['other', 'Windows 2000'],
  59: ['other', 'Dedicated'],
  60: ['other', 'OS/390'],
  61: ['other', 'VSE'],
  62: ['other', 'TPF'],
  63: ['other', 'Windows Me'],
  64: ['other', 'Caldera Open UNIX'],
  65: ['openbsd', 'OpenBSD'],
  66: ['other', 'Not Applicable', false],
  67: ['other', 'Windows XP'],
  68: ['other', 'z/OS'],
  69: ['other', 'Windows Server 2003'],
  70: ['other', 'Windows Server 2003 64-bit'],
  71: ['other', 'Windows XP 64-bit'],
  72: ['other', 'Windows XP Embedded'],
  73: ['windows7', 'Windows Vista'],
  74: ['windows7', 'Windows Vista 64-bit'],
  75: ['other', 'Windows Embedded for Point of Service'],
  76: ['windows7', 'Windows Server 2008'],
  77: ['windows7', 'Windows Server 2008 64-bit'],
  78: ['freebsd', 'FreeBSD 64-bit'],
  79: ['linux', 'Red Hat Enterprise Linux', false],
  80: ['linux', 'Red Hat Enterprise Linux 64-bit', false],
  81: ['other', 'Solaris 64-bit'],
  82: ['linux', 'SUSE', false],
  83: ['linux', 'SUSE 64-bit', false],
  84: ['linux', 'SLES', false],
  85: ['linux', 'SLES 64-bit', false],
  86: ['linux', 'Novell OES', false],
  87: ['linux', 'Novell Linux Desktop', false],
  88: ['linux', 'Sun Java Desktop System', false],
  89: ['linux', 'Mandriva', false],
  90: ['linux', 'Mandriva 64-bit', false],
  91: ['linux', 'TurboLinux', false],
  92: ['linux', 'TurboLinux 64-bit', false],
  93: ['linux', 'Ubuntu', false],
  94: ['linux', 'Ubuntu 64-bit', false],
  95: ['linux', 'Debian', false],
  96: ['linux', 'Debian 64-bit', false],
  97: ['linux-legacy', 'Linux 2.4'],
  98: ['linux-legacy', 'Linux 2.4 64-bit'],
  99: ['linux', 'Linux 2.6', false],
  100: ['linux', 'Linux 2.6 64-bit', false],
  101: ['linux', 'Linux 64-bit', false],
  102: ['other', 'Other 64-bit', false],
  103: ['windows7', 'Windows Server 2008 R2'],
  104: ['other', 'VMware ESXi'],
  105: ['windows7', 'Windows 7'],
  106: ['linux', 'CentOS', false],
  107: ['linux', 'CentOS 64-bit', false],
  108: ['linux', 'Oracle Linux', false],
  109: ['linux', 'Oracle Linux 64-bit', false],
  110: ['other', 'eComStation'],
  111: ['windows7', 'Windows Server 2011'],
  112: ['windows10', 'Windows Server 2012'],
  // 113–120 as DMTF and VirtualBox number them; govmomi and oVirt disagree on the order, but every
  // reading is Windows 8 or later, which maps to the same catalogue entry.
  113: ['windows10', 'Windows 8'],
  114: ['windows10', 'Windows 8 64-bit'],
  115: ['windows10', 'Windows Server 2012 R2'],
  116: ['windows10', 'Windows 8.1'],
  117: ['windows10', 'Windows 8.1 64-bit'],
  118: ['windows10', 'Windows Server 2016'],
  119: ['windows10', 'Windows 10'],
  120: ['windows10', 'Windows 10 64-bit'],
};

/** The CIM OsType number; null for a number outside the table (newer CIM versions, vendor values). */
export function osFromCimId(id: number): OsGuess | null {
  if (!Number.isInteger(id)) return null;
  const row = CIM[id];
  return row ? guess(row[0], row[1], row[2] ?? true) : null;
}

// ------------------------------------------------------------------------------------------------
// Names: one rule list for free text and the vendor vocabularies after normalising them.

type Rule = readonly [RegExp, OsTypeId, string, boolean?];

/** Names are matched only over their first characters: nothing longer is an OS name. */
const MAX_NAME = 160;

const WINDOWS_RULES: readonly Rule[] = [
  [/windows[\s_-]*(11|12)|win[\s_-]?11/, 'windows11', 'Windows 11'],
  [/(server|srv|windows)[\s_-]*2025/, 'windows10', 'Windows Server 2025'],
  [/(server|srv|windows)[\s_-]*2022/, 'windows10', 'Windows Server 2022'],
  [/(server|srv|windows)[\s_-]*2019/, 'windows10', 'Windows Server 2019'],
  [/(server|srv|windows)[\s_-]*2016/, 'windows10', 'Windows Server 2016'],
  [/(server|srv|windows)[\s_-]*2012[\s_-]*r2/, 'windows10', 'Windows Server 2012 R2'],
  [/(server|srv|windows)[\s_-]*2012/, 'windows10', 'Windows Server 2012'],
  [/(server|srv|windows)[\s_-]*2011|small business server/, 'windows7', 'Windows Server 2011'],
  [/(server|srv|windows)[\s_-]*2008[\s_-]*r2/, 'windows7', 'Windows Server 2008 R2'],
  [/(server|srv|windows)[\s_-]*2008|longhorn/, 'windows7', 'Windows Server 2008'],
  [/(server|srv|windows)[\s_-]*2003|winnet/, 'other', 'Windows Server 2003'],
  [/(server|srv|windows)[\s_-]*2000|win[\s_-]*2000|win2k(?!\d)/, 'other', 'Windows 2000'],
  [/windows[\s_-]*10|win[\s_-]?10(?!\d)/, 'windows10', 'Windows 10'],
  [/windows[\s_-]*8[\s_.-]*1|windows81|win[\s_-]?8\.1/, 'windows10', 'Windows 8.1'],
  [/windows[\s_-]*8(?!\d)|win[\s_-]?8(?!\d)/, 'windows10', 'Windows 8'],
  [/windows[\s_-]*7(?!\d)|win[\s_-]?7(?!\d)/, 'windows7', 'Windows 7'],
  [/vista/, 'windows7', 'Windows Vista'],
  [/windows[\s_-]*xp|win[\s_-]*xp|winxp/, 'other', 'Windows XP'],
  [/windows[\s_-]*(me|millennium)(?![a-z])|win[\s_-]*me(?![a-z])/, 'other', 'Windows Me'],
  [/windows[\s_-]*98|win[\s_-]*98/, 'other', 'Windows 98'],
  [/windows[\s_-]*95|win[\s_-]*95/, 'other', 'Windows 95'],
  [/windows[\s_-]*3\.?[01x]|win[\s_-]*3[01x]/, 'other', 'Windows 3.x'],
  [/windows[\s_-]*nt[\s_-]*[34]|winnt/, 'other', 'Windows NT'],
  [/hyper-?v/, 'windows10', 'Hyper-V Server'],
];

const LINUX_LEGACY_RULES: readonly Rule[] = [
  [/linux[\s_-]*2\.?[024](?![\d.])|2\.[024]\.?x|(^|[^\d])2[024]x[\s_-]*linux|linux[\s_-]*2[24](?!\d)/, 'linux-legacy', 'Linux 2.4 or older'],
  [/(rhel|red[\s_-]*hat(?:[\s_-]*enterprise(?:[\s_-]*linux)?)?|centos|oracle(?:[\s_-]*linux)?)[\s_-]*([2-4])(?![\d/+]|(\.\d+|\.x)?\s*(or|and) later)/, 'linux-legacy', 'Enterprise Linux 4 or older'],
  [/(sles|suse(?:[\s_-]*linux)?(?:[\s_-]*enterprise(?:[\s_-]*server)?)?)[\s_-]*(9|10)(?![\d/+]|(\.\d+|\.x)?\s*(or|and) later)/, 'linux-legacy', 'SUSE Linux Enterprise 10 or older'],
  [/debian[\s_-]*(3|4)(?![\d/+]|(\.\d+|\.x)?\s*(or|and) later)|debian31/, 'linux-legacy', 'Debian 4 or older'],
  [/nld[\s_-]*9|novell linux desktop 9/, 'linux-legacy', 'Novell Linux Desktop 9'],
];

const DISTRO_RULES: readonly Rule[] = [
  [/ubuntu/, 'linux', 'Ubuntu'],
  [/debian/, 'linux', 'Debian'],
  [/rhcos|coreos/, 'linux', 'CoreOS'],
  [/rhel|red[\s_-]*hat/, 'linux', 'Red Hat Enterprise Linux'],
  [/centos/, 'linux', 'CentOS'],
  [/rocky/, 'linux', 'Rocky Linux'],
  [/alma/, 'linux', 'AlmaLinux'],
  [/oracle/, 'linux', 'Oracle Linux'],
  [/fedora/, 'linux', 'Fedora'],
  [/opensuse/, 'linux', 'openSUSE'],
  [/sles|suse/, 'linux', 'SUSE Linux Enterprise'],
  [/mandriva|mandrake/, 'linux', 'Mandriva'],
  [/turbo[\s_-]*linux/, 'linux', 'TurboLinux'],
  [/gentoo/, 'linux', 'Gentoo'],
  [/arch[\s_-]*linux|^archlinux/, 'linux', 'Arch Linux'],
  [/photon/, 'linux', 'VMware Photon OS'],
  [/amazon[\s_-]*linux|amazonlinux/, 'linux', 'Amazon Linux'],
  [/asianux/, 'linux', 'Asianux'],
  [/xandros/, 'linux', 'Xandros'],
  [/miracle[\s_-]*linux/, 'linux', 'MIRACLE LINUX'],
  [/kylin/, 'linux', 'Kylin'],
  [/pardus/, 'linux', 'Pardus'],
  [/mint/, 'linux', 'Linux Mint'],
  [/alpine/, 'linux', 'Alpine Linux'],
  [/slackware/, 'linux', 'Slackware'],
  [/\boes\b|open enterprise server/, 'linux', 'Novell OES'],
  [/\bnld\b|novell linux/, 'linux', 'Novell Linux Desktop'],
  [/\bsjds\b|java desktop/, 'linux', 'Sun Java Desktop System'],
  [/linux[\s_-]*(2\.?6|3|4|5|6)(?!\d)|(2\.6|[3-6])x[\s_-]*linux/, 'linux', 'Linux', false],
  [/linux/, 'linux', 'Linux', false],
];

const NON_LINUX_RULES: readonly Rule[] = [
  [/freebsd/, 'freebsd', 'FreeBSD'],
  [/openbsd/, 'openbsd', 'OpenBSD'],
  [/netbsd/, 'other', 'NetBSD'],
  [/dragonfly/, 'other', 'DragonFly BSD'],
  [/solaris|sunos|illumos|openindiana/, 'other', 'Solaris'],
  [/darwin|mac[\s_-]*os/, 'other', 'macOS'],
  [/\bos[\s/]?2\b|^os2|ecomstation|\becs\b|\bwarp\b/, 'other', 'OS/2'],
  [/ms[\s_-]*dos|(^|[^a-z])dos(?![a-z])/, 'other', 'MS-DOS'],
  [/netware/, 'other', 'NetWare'],
  [/unixware|openserver|\bsco\b/, 'other', 'SCO UNIX'],
  [/vmkernel|\besxi?\b/, 'other', 'VMware ESXi'],
  [/qnx/, 'other', 'QNX'],
  [/haiku|beos/, 'other', 'BeOS/Haiku'],
];

const GENERIC_RULES: readonly Rule[] = [
  [/windows|^win/, 'windows10', 'Windows', false],
  [/other|unknown|generic/, 'other', 'Other', false],
];

// Other systems before the distributions: 'Oracle Solaris' is not Oracle Linux.
const NAME_RULES: readonly Rule[] = [...WINDOWS_RULES, ...NON_LINUX_RULES, ...LINUX_LEGACY_RULES, ...DISTRO_RULES, ...GENERIC_RULES];

function foreignArchOf(s: string): string | null {
  if (/aarch64|arm64|(^|[^a-z])arm([^a-z]|$)|_arm|arm-/.test(s)) return 'ARM';
  if (/ppc64|ppc(?![a-z])|power\s?pc/.test(s)) return 'POWER';
  if (/s390/.test(s)) return 'IBM Z (s390x)';
  return null;
}

/** ' 64-bit' when the name says so. */
function bits(s: string): string {
  return /x64|_64|64guest|amd64|x86[_-]64|64[\s_-]*bit|[a-z]64(?!\d)/.test(s) ? ' 64-bit' : '';
}

function byRules(s: string, arch: string | null): OsGuess | null {
  for (const [re, osType, label, specific] of NAME_RULES) {
    if (re.test(s)) return guess(osType, label + bits(s), specific ?? true, arch);
  }
  return null;
}

/** Free text such as a Description: 'Microsoft Windows Server 2016 (64-bit)', 'Ubuntu Linux (64-bit)'. */
export function osFromText(text: string): OsGuess | null {
  const s = text.slice(0, MAX_NAME).toLowerCase().trim();
  if (s === '') return null;
  return byRules(s, null);
}

// VirtualBox ------------------------------------------------------------------------------------

/** VirtualBox OSType ids whose names the rules would misread. */
const VBOX_EXACT: Readonly<Record<string, readonly [OsTypeId, string, boolean?]>> = {
  other: ['other', 'Other', false],
  other_64: ['other', 'Other 64-bit', false],
  windowsnt: ['windows10', 'Other Windows', false],
  windowsnt_64: ['windows10', 'Other Windows 64-bit', false],
  windowsnt3x: ['other', 'Windows NT 3.x'],
  windowsnt4: ['other', 'Windows NT 4'],
  windows31: ['other', 'Windows 3.1'],
  linux: ['linux', 'Linux', false],
  linux_64: ['linux', 'Linux 64-bit', false],
  linux22: ['linux-legacy', 'Linux 2.2'],
  linux24: ['linux-legacy', 'Linux 2.4'],
  linux24_64: ['linux-legacy', 'Linux 2.4 64-bit'],
  linux26: ['linux', 'Linux 2.6 or later', false],
  linux26_64: ['linux', 'Linux 2.6 or later 64-bit', false],
  l4: ['other', 'L4'],
  jrockitve: ['other', 'JRockit VE'],
  vboxbs_64: ['other', 'VirtualBox Bootsector Test'],
  dos: ['other', 'DOS'],
};

const VBOX_DISTRO_NAMES: Readonly<Record<string, string>> = {
  redhat: 'Red Hat',
  oracle: 'Oracle Linux',
  debian: 'Debian',
  opensuse: 'openSUSE',
  fedora: 'Fedora',
  ubuntu: 'Ubuntu',
};

/** A VirtualBox OSType id: 'Ubuntu_64', 'Windows10_64', 'Windows11_64', 'RedHat_64', 'Debian', … */
export function osFromVirtualBox(osType: string): OsGuess | null {
  const s = osType.slice(0, MAX_NAME).toLowerCase().trim();
  if (s === '') return null;
  const arch = foreignArchOf(s);
  const exact = VBOX_EXACT[s.replace(/_x64$/, '_64')];
  if (exact) return guess(exact[0], exact[1], exact[2] ?? true, arch);
  // 'RedHat4', 'Oracle5_64', 'Debian4': the version follows the name directly.
  const m = /^(redhat|oracle|debian|opensuse|fedora|ubuntu)(\d+)/.exec(s);
  if (m) {
    const distro = m[1]!;
    const version = m[2] === '31' && distro === 'debian' ? '3.1' : m[2]!;
    const legacy = (distro === 'redhat' || distro === 'oracle' || distro === 'debian') && Number(version) <= 4;
    return guess(legacy ? 'linux-legacy' : 'linux', `${VBOX_DISTRO_NAMES[distro] ?? distro} ${version}${bits(s)}`, true, arch);
  }
  return byRules(s.replace(/^redhat/, 'red hat'), arch);
}

// VMware -----------------------------------------------------------------------------------------

/** VMware guest ids whose names do not say the version plainly. */
const VMW_WINDOWS: readonly Rule[] = [
  [/^windows2022srvnext/, 'windows10', 'Windows Server 2025'],
  [/^windows2019srvnext/, 'windows10', 'Windows Server 2022'],
  [/^windows2019srv/, 'windows10', 'Windows Server 2019'],
  [/^windows9server/, 'windows10', 'Windows Server 2016'],
  [/^windows8server/, 'windows10', 'Windows Server 2012'],
  [/^windows7server/, 'windows7', 'Windows Server 2008 R2'],
  [/^windows(11|12)/, 'windows11', 'Windows 11'],
  [/^windows9(?!\d)/, 'windows10', 'Windows 10'],
  [/^windows8/, 'windows10', 'Windows 8'],
  [/^windows7/, 'windows7', 'Windows 7'],
  [/^windowshyperv/, 'windows10', 'Hyper-V Server'],
  [/^winvista/, 'windows7', 'Windows Vista'],
  [/^winlonghorn/, 'windows7', 'Windows Server 2008'],
  [/^winnet/, 'other', 'Windows Server 2003'],
  [/^winxp/, 'other', 'Windows XP'],
  [/^win2000/, 'other', 'Windows 2000'],
  [/^winnt/, 'other', 'Windows NT'],
  [/^winme/, 'other', 'Windows Me'],
  [/^win98/, 'other', 'Windows 98'],
  [/^win95/, 'other', 'Windows 95'],
  [/^win31/, 'other', 'Windows 3.1'],
  [/^dos/, 'other', 'MS-DOS'],
  [/^other(64)?$/, 'other', 'Other', false],
  [/^other24xlinux/, 'linux-legacy', 'Linux 2.4'],
  [/^other(26x|3x|4x|5x|6x)?linux/, 'linux', 'Other Linux', false],
  [/^genericlinux/, 'linux', 'Linux', false],
  [/^(rhel|centos|oraclelinux)([2-4])(?!\d)/, 'linux-legacy', 'Enterprise Linux 4 or older'],
  [/^(centos|oraclelinux)(64)?$/, 'linux', 'Enterprise Linux', false],
  [/^redhat$/, 'linux-legacy', 'Red Hat Linux'],
  [/^sles(9|10)(?!\d)/, 'linux-legacy', 'SUSE Linux Enterprise 10 or older'],
  [/^sles(64)?$/, 'linux', 'SUSE Linux Enterprise', false],
];

/** A VMware guest id (vmw:osType): 'windows9_64Guest', 'ubuntu64Guest', 'rhel8_64Guest', … */
export function osFromVmware(guestId: string): OsGuess | null {
  const raw = guestId.slice(0, MAX_NAME).toLowerCase().trim();
  if (raw === '') return null;
  const arch = foreignArchOf(raw);
  // 'otherGuest64' and 'windows9_64Guest' alike: the 'Guest' suffix says nothing
  const s = raw.replace(/^arm-/, '').replace(/guest(64)?$/, '$1');
  for (const [re, osType, label, specific] of VMW_WINDOWS) {
    if (re.test(s)) return guess(osType, label + bits(raw), specific ?? true, arch);
  }
  return byRules(s.replace(/_/g, ' '), arch);
}

// oVirt -----------------------------------------------------------------------------------------

/** oVirt's numeric OS ids (osinfo-defaults.properties) → its unique names. */
const OVIRT_IDS: Readonly<Record<number, string>> = {
  0: 'other',
  1: 'windows_xp',
  3: 'windows_2003',
  4: 'windows_2008',
  5: 'other_linux',
  7: 'rhel_5',
  8: 'rhel_4',
  9: 'rhel_3',
  10: 'windows_2003x64',
  11: 'windows_7',
  12: 'windows_7x64',
  13: 'rhel_5x64',
  14: 'rhel_4x64',
  15: 'rhel_3x64',
  16: 'windows_2008x64',
  17: 'windows_2008R2x64',
  18: 'rhel_6',
  19: 'rhel_6x64',
  20: 'windows_8',
  21: 'windows_8x64',
  23: 'windows_2012x64',
  24: 'rhel_7x64',
  25: 'windows_2012R2x64',
  26: 'windows_10',
  27: 'windows_10x64',
  28: 'rhel_atomic7x64',
  29: 'windows_2016x64',
  31: 'windows_2019x64',
  33: 'rhel_8x64',
  35: 'rhcos_x64',
  1001: 'other_ppc64',
  1002: 'other_linux_ppc64',
  1003: 'rhel_6_ppc64',
  1004: 'sles_11_ppc64',
  1005: 'ubuntu_14_04_ppc64',
  1006: 'rhel_7_ppc64',
  1007: 'rhel_8_ppc64',
  1193: 'sles_11',
  1252: 'ubuntu_12_04',
  1253: 'ubuntu_12_10',
  1254: 'ubuntu_13_04',
  1255: 'ubuntu_13_10',
  1256: 'ubuntu_14_04',
  1300: 'debian_7',
  1500: 'freebsd',
  1501: 'freebsdx64',
  2001: 'other_s390x',
  2002: 'other_linux_s390x',
  2003: 'rhel_7_s390x',
  2004: 'sles_12_s390x',
  2005: 'ubuntu_16_04_s390x',
};

/**
 * An oVirt OS id: the number of ovirt:id ('27'), or a unique name as the engine-internal OVF writes
 * it ('rhel_8x64', 'windows_10x64', 'other_linux'; older engines 'RHEL6x64', 'OtherLinux').
 */
export function osFromOvirt(id: string): OsGuess | null {
  const t = id.slice(0, MAX_NAME).trim();
  if (t === '') return null;
  let name = t;
  if (/^\d+$/.test(t)) {
    const known = OVIRT_IDS[Number(t)];
    if (known === undefined) return null;
    name = known;
  }
  const s = name.toLowerCase();
  const arch = foreignArchOf(s);
  if (s === 'other' || s === 'unassigned' || s === 'other_ppc64' || s === 'other_s390x') return guess('other', 'Other', false, arch);
  if (s === 'other_linux' || s === 'otherlinux' || s.startsWith('other_linux_')) return guess('linux', 'Linux', false, arch);
  // 'rhel_6x64' → 'rhel 6 x64', 'windows_2008R2x64' → 'windows 2008r2 x64', 'RHEL6x64' → 'rhel6 x64'
  const spaced = s.replace(/_/g, ' ').replace(/(\d)x64/g, '$1 x64');
  const g = byRules(spaced.replace(/^rehl/, 'rhel'), arch);
  return g;
}

// Command-line parsing for `hangar` (pure): a table of commands and their flags, and a parser that
// turns argv into a typed request or a usage error (exit status 2).
import { HangarError } from '../../src-vmm/base/errors.js';

/** 'pair': a flag followed by two values (`--nic-link NIC up`), kept as 'NIC=up' entries of a list */
export type FlagKind = 'string' | 'int' | 'number' | 'bool' | 'list' | 'pair';

export interface FlagSpec {
  kind: FlagKind;
  /** one-letter alias such as 'o' for -o */
  short?: string;
  help: string;
  value?: string;
}

export interface CommandSpec {
  name: string;
  /** positional parameters; a trailing '...' takes the rest */
  args: string[];
  flags: Record<string, FlagSpec>;
  summary: string;
}

const json: Record<string, FlagSpec> = { json: { kind: 'bool', help: 'print one JSON document on stdout' } };

const hardwareFlags: Record<string, FlagSpec> = {
  os: { kind: 'string', value: 'OSTYPE', help: "OS type (see 'hangar ostypes'); picks the defaults" },
  cpus: { kind: 'int', value: 'N', help: 'virtual CPUs' },
  memory: { kind: 'int', value: 'MiB', help: 'memory in MiB' },
  disk: { kind: 'string', value: 'SIZE', help: "new disk of SIZE (such as 20G), or 'none'" },
  'disk-image': { kind: 'string', value: 'FILE', help: 'use an existing image (qcow2, raw in place; vmdk, vdi, vhdx converted)' },
  flatten: { kind: 'bool', help: 'with --disk-image: copy the image, and every file it reads (backing file, data file, extents), into one new qcow2 in the VM\'s folder' },
  iso: { kind: 'string', value: 'FILE', help: 'installation or live ISO in the optical drive' },
  firmware: { kind: 'string', value: 'bios|uefi', help: 'firmware' },
  nic: {
    kind: 'list',
    value: 'MODEL[,network=NAME][,mac=MAC]|none',
    help: "a network card (repeatable, up to 8; with modify the Nth --nic sets the Nth card): model virtio, e1000, …; on network NAME (see 'hangar network list'), else user-mode NAT; forward=tcp:H:G adds a port forward; 'none': no cards",
  },
  forward: { kind: 'list', value: 'tcp:HOSTPORT:GUESTPORT', help: 'port forward to the first card (user-mode NAT or a nat network; repeatable)' },
  kernel: { kind: 'string', value: 'FILE', help: 'boot this kernel directly' },
  initrd: { kind: 'string', value: 'FILE', help: 'initrd for --kernel' },
  append: { kind: 'string', value: 'TEXT', help: 'kernel command line for --kernel' },
  accel: { kind: 'string', value: 'auto|kvm|tcg', help: 'accelerator (auto: KVM when a probe proves it works)' },
  description: { kind: 'string', value: 'TEXT', help: 'free text' },
  'restart-on-crash': { kind: 'string', value: 'on|off', help: 'start the VM again when QEMU or its VMM host crashes' },
  'restart-limit': { kind: 'int', value: 'N', help: 'at most N automatic restarts within a minute (1-10, default 3)' },
  tpm: { kind: 'string', value: 'on|off', help: 'a TPM 2.0 (swtpm); Windows 11 has one by default' },
  'secure-boot': { kind: 'string', value: 'on|off', help: "UEFI Secure Boot with Microsoft's keys (needs --firmware uefi); Windows 11 has it by default" },
  clipboard: { kind: 'string', value: 'on|off', help: "share the display's text clipboard with the guest (its spice-vdagent); off by default: QEMU cannot save the running state of a VM that shares it" },
  share: {
    kind: 'list',
    value: 'HOSTDIR[,tag=TAG][,ro][,mode=virtiofs|9p]',
    help: "share a host folder (repeatable); the tag (default: the folder's name) is what the guest mounts; ',,' is a comma in the folder's name",
  },
};

/** Quick create: a VM from a library image (cloud-init) or an unattended installation. */
const quickCreateFlags: Record<string, FlagSpec> = {
  image: { kind: 'string', value: 'NAME|FILE', help: "a library image ('hangar image list') or an image file (added to the library): a cloud image becomes an overlay with a cloud-init seed; an ISO goes in the drive" },
  user: { kind: 'string', value: 'USER', help: 'the account cloud-init (or the unattended installer) makes; default: your login name' },
  'ssh-key': { kind: 'string', value: 'FILE.pub', help: "a public key for the account ('hangar ssh' uses the private key beside it); default: a new key made for the VM" },
  password: { kind: 'string', value: 'PASSWORD', help: "the account's password (needs --user)" },
  hostname: { kind: 'string', value: 'NAME', help: "the guest's hostname (default: from the VM's name)" },
  'user-data': { kind: 'string', value: 'FILE', help: 'your own cloud-config (#cloud-config YAML), merged with Hangar\'s' },
  unattended: { kind: 'bool', help: 'with --iso (or an ISO --image): install the OS without a question (needs --user and --password)' },
  locale: { kind: 'string', value: 'LOCALE', help: 'with --unattended: the locale, such as en_US' },
  timezone: { kind: 'string', value: 'ZONE', help: 'with --unattended: the time zone, such as Europe/Paris' },
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'list',
    args: [],
    flags: {
      group: { kind: 'string', value: '/PATH', help: 'only VMs in this group or its subgroups' },
      tag: { kind: 'string', value: 'TAG', help: 'only VMs with this tag' },
      search: { kind: 'string', value: 'TEXT', help: "only VMs with every word of TEXT in their name, a tag, the OS or the notes ('tag:T' asks for the tag T)" },
      remote: { kind: 'string', value: 'REMOTE', help: "the domains of a libvirt host (see 'hangar remote list')" },
      ...json,
    },
    summary: 'VMs with id, name, state, os, group and tags',
  },
  { name: 'show', args: ['VM'], flags: { ...json }, summary: 'full config, state, disks with chains, snapshots' },
  {
    name: 'create',
    args: [],
    flags: { name: { kind: 'string', value: 'NAME', help: 'the new VM\'s name' }, ...hardwareFlags, ...quickCreateFlags, ...json },
    summary: 'create a VM (from an ISO, a disk image, a kernel, or a library image with cloud-init)',
  },
  {
    name: 'modify',
    args: ['VM'],
    flags: {
      name: { kind: 'string', value: 'NAME', help: 'rename' },
      ...hardwareFlags,
      nested: { kind: 'string', value: 'on|off', help: 'nested virtualization (KVM only)' },
      unshare: { kind: 'list', value: 'TAG', help: 'stop sharing the folder with this tag (repeatable)' },
      'nic-remove': { kind: 'list', value: 'NIC', help: 'remove a network card (its id, such as net1; repeatable); also while the VM runs' },
      'nic-link': { kind: 'pair', value: 'NIC up|down', help: "connect or disconnect a card's cable; also while the VM runs" },
      group: { kind: 'string', value: '/PATH', help: "move the VM to a group, such as /lab/web ('/': no group); also while it runs" },
      tag: { kind: 'list', value: 'TAG', help: 'add a tag (repeatable; letters, digits and . _ : + @ -, at most 32 characters); also while it runs' },
      untag: { kind: 'list', value: 'TAG', help: 'remove a tag (repeatable); also while it runs' },
      notes: { kind: 'string', value: 'TEXT', help: "the VM's notes (its description); also while it runs" },
      ...json,
    },
    summary: 'change a VM: its hardware while stopped (--disk and --disk-image add a disk; --iso none ejects); network cards, cables and port forwards also while it runs',
  },
  {
    name: 'delete',
    args: ['VM'],
    flags: { 'keep-files': { kind: 'bool', help: "keep the VM's folder" }, 'keep-shared': { kind: 'bool', help: 'with linked clones: keep only the images they are based on' }, ...json },
    summary: 'delete a VM and its files',
  },
  { name: 'ostypes', args: [], flags: { ...json }, summary: 'the OS-type catalogue with defaults' },
  { name: 'host', args: [], flags: { ...json }, summary: 'QEMU version, the accelerator that really works here, firmware found' },
  {
    name: 'start',
    args: ['VM'],
    flags: {
      'wait-serial': { kind: 'string', value: 'TEXT', help: 'wait until TEXT appears on the serial console' },
      timeout: { kind: 'number', value: 'S', help: 'how long to wait for TEXT (default 300)' },
      ...json,
    },
    summary: 'start headless',
  },
  {
    name: 'stop',
    args: ['VM'],
    flags: { force: { kind: 'bool', help: 'power off at once' }, timeout: { kind: 'number', value: 'S', help: 'how long the guest may take (default 120)' }, ...json },
    summary: 'ACPI power button, and wait for the guest to shut down',
  },
  { name: 'pause', args: ['VM'], flags: { ...json }, summary: 'pause the VM' },
  { name: 'resume', args: ['VM'], flags: { ...json }, summary: 'resume a paused VM' },
  { name: 'reset', args: ['VM'], flags: { ...json }, summary: 'hard reset' },
  { name: 'save', args: ['VM'], flags: { ...json }, summary: 'save RAM and device state, stop; the next start resumes' },
  {
    name: 'migrate',
    args: ['VM'],
    flags: {
      to: { kind: 'string', value: 'ssh://[user@]host[:port][/HOME]|home:/PATH|REMOTE', help: 'the target Hangar: through SSH (its home at /HOME, else its default), or another home on this machine; for a remote VM (REMOTE/NAME), another remote' },
      pool: { kind: 'string', value: 'POOL', help: "a remote VM with --copy-storage: the target's storage pool (default: the source pool's name, else 'default', else the only one)" },
      'copy-storage': { kind: 'bool', help: "copy the disks to the target's folder while the VM runs (without it, the target uses them where they are: shared storage)" },
      'max-downtime': { kind: 'int', value: 'MS', help: 'the longest the guest may stand still at the switch-over (default 300)' },
      bandwidth: { kind: 'number', value: 'MiB/s', help: 'limit the migration stream (default: as fast as it goes)' },
      ...json,
    },
    summary: 'move a running VM to another Hangar while it runs (live migration)',
  },
  {
    name: 'serial',
    args: ['VM'],
    flags: {
      follow: { kind: 'bool', help: 'keep printing new output' },
      raw: { kind: 'bool', help: "the guest's bytes as they are, escape sequences included (your terminal obeys them)" },
      ...json,
    },
    summary: 'print the serial console log (escape sequences and other controls removed, unless --raw)',
  },
  { name: 'screenshot', args: ['VM'], flags: { output: { kind: 'string', short: 'o', value: 'FILE.png', help: 'where to write the PNG' }, ...json }, summary: "the VM's screen as PNG" },
  { name: 'console', args: ['VM'], flags: {}, summary: 'attach the terminal to the serial console (Ctrl-] detaches)' },
  {
    name: 'send',
    args: ['VM', '[TEXT]'],
    flags: {
      'no-enter': { kind: 'bool', help: 'do not press Enter after TEXT' },
      to: { kind: 'string', value: 'REMOTE', help: 'instead of typing: make the stopped VM a domain of libvirt host REMOTE (its disks flattened and uploaded, checked, then defined; the VM stays here)' },
      pool: { kind: 'string', value: 'POOL', help: "with --to: the host's storage pool (default: 'default', else its only pool)" },
      ...json,
    },
    summary: 'type TEXT into the serial console; with --to REMOTE, send the VM to a libvirt host',
  },
  {
    name: 'fetch',
    args: ['REMOTE/DOMAIN'],
    flags: { name: { kind: 'string', value: 'NAME', help: "the new VM's name (default: the domain's)" }, ...json },
    summary: 'make a shut off libvirt domain a Hangar VM (its disks downloaded; the domain stays on the host)',
  },
  {
    name: 'exec',
    args: ['VM', 'CMD...'],
    flags: { timeout: { kind: 'number', value: 'S', help: 'how long the command may run (default 300)' }, ...json },
    summary: "run CMD [ARG...] (after '--') in the guest through its agent; prints its output and exits with its status",
  },
  { name: 'tasks', args: [], flags: { ...json }, summary: 'running and recent long operations with progress' },
  {
    name: 'clone',
    args: ['VM'],
    flags: {
      name: { kind: 'string', value: 'NAME', help: "the clone's name" },
      linked: { kind: 'bool', help: "overlays on a snapshot's images instead of copies (constant time)" },
      snapshot: { kind: 'string', value: 'SNAPSHOT', help: 'clone this snapshot (default: the current state)' },
      mac: { kind: 'string', value: 'new|keep', help: 'new MAC addresses (default) or the same ones' },
      'all-snapshots': { kind: 'bool', help: 'full clone of the current state and every snapshot (keeps the tree)' },
      ...json,
    },
    summary: 'clone a VM: full (copied disks) or linked (--linked)',
  },
  {
    name: 'import',
    args: ['FILE'],
    flags: {
      name: { kind: 'string', value: 'NAME', help: "the new VM's name (with several machines: the first's; the others get ' (2)', …)" },
      cpus: { kind: 'int', value: 'N', help: 'virtual CPUs (every machine)' },
      memory: { kind: 'int', value: 'MiB', help: 'memory in MiB (every machine)' },
      'dry-run': { kind: 'bool', help: 'print the mapped machines and warnings (what the review dialog shows); write nothing' },
      network: {
        kind: 'list',
        value: 'SOURCE=NETWORK',
        help: "where the appliance's network SOURCE goes: a Hangar network, or none for user-mode NAT (repeatable; default: the Hangar network of the same name, else user-mode NAT)",
      },
      ...json,
    },
    summary: 'import an OVF appliance (.ova, or .ovf with its files), or a VirtualBox (.vbox) or VMware (.vmx) machine in place',
  },
  {
    name: 'export',
    args: ['VM...'],
    flags: {
      output: { kind: 'string', short: 'o', value: 'FILE.ova|FILE.ovf', help: 'the appliance to write (.ova: one archive; .ovf: the descriptor with its files beside it)' },
      ovf: { kind: 'string', value: '1.0|2.0', help: 'OVF version (default 1.0: the widest reach)' },
      profile: { kind: 'string', value: 'virtualbox|vmware|kvm', help: 'the consumer to suit (default kvm: every device kept)' },
      manifest: { kind: 'string', value: 'sha256|sha1|none', help: 'manifest digests (default sha256; sha1 for old VMware readers)' },
      snapshot: { kind: 'string', value: 'SNAPSHOT', help: "export this snapshot of the VM instead of its current state" },
      product: { kind: 'string', value: 'NAME', help: 'product name for the ProductSection' },
      vendor: { kind: 'string', value: 'NAME', help: 'vendor for the ProductSection' },
      'product-version': { kind: 'string', value: 'TEXT', help: 'product version for the ProductSection' },
      'product-url': { kind: 'string', value: 'URL', help: 'product URL for the ProductSection' },
      eula: { kind: 'string', value: 'FILE', help: 'a license text file to include (the importer shows it)' },
      ...json,
    },
    summary: 'export VMs as an OVF appliance (.ova or .ovf)',
  },
  { name: 'promote', args: ['VM'], flags: { ...json }, summary: 'turn a linked clone into a full one, so its base can be deleted' },
  {
    name: 'stats',
    args: ['VM'],
    flags: { since: { kind: 'string', value: 'S', help: 'only the last S seconds (or 5m, 1h); default: the last hour with --json, the last minute otherwise' }, ...json },
    summary: 'performance of a running VM, one sample a second: CPU, memory, disk and network rates',
  },
  {
    name: 'schedule',
    args: ['VM'],
    flags: {
      every: { kind: 'string', value: 'DURATION', help: 'take a snapshot this often while the VM runs: 30m, 2h, 1d (at least 5m)' },
      keep: { kind: 'int', value: 'N', help: 'keep the last N automatic snapshots; older ones are deleted (merged) after each take' },
      off: { kind: 'bool', help: 'no more scheduled snapshots (those taken stay)' },
      ...json,
    },
    summary: 'scheduled snapshots with retention; without options: the schedule the VM has',
  },
  {
    name: 'snapshot take',
    args: ['VM'],
    flags: {
      name: { kind: 'string', value: 'NAME', help: 'the snapshot\'s name (default: Snapshot N)' },
      description: { kind: 'string', value: 'TEXT', help: 'free text' },
      quiesce: { kind: 'string', value: 'on|off', help: "freeze the guest's file systems around the take (default: on when its agent answers)" },
      ...json,
    },
    summary: 'take a snapshot (live, with the running state, when the VM runs)',
  },
  { name: 'snapshot list', args: ['VM'], flags: { ...json }, summary: 'the snapshot tree with the current state marked' },
  { name: 'snapshot restore', args: ['VM', 'SNAPSHOT'], flags: { ...json }, summary: 'go back to a snapshot (a live one leaves the VM saved: start resumes it)' },
  { name: 'snapshot delete', args: ['VM', 'SNAPSHOT'], flags: { ...json }, summary: 'delete a snapshot, merging its data into the images based on it' },
  {
    name: 'snapshot edit',
    args: ['VM', 'SNAPSHOT'],
    flags: { name: { kind: 'string', value: 'NAME', help: 'new name' }, description: { kind: 'string', value: 'TEXT', help: 'new description' }, ...json },
    summary: "change a snapshot's name or description",
  },
  {
    name: 'network create',
    args: ['NAME'],
    flags: {
      mode: { kind: 'string', value: 'nat|hostonly|internal|bridged', help: 'nat: VMs see each other and this host and reach out through NAT; hostonly: without the way out; internal: VMs only; bridged: join a bridge of this host' },
      subnet: { kind: 'string', value: 'CIDR', help: 'IPv4 subnet such as 10.77.0.0/24 (default: a free /24)' },
      dhcp: { kind: 'string', value: 'on|off', help: 'hand out addresses (default: on, off for internal)' },
      bridge: { kind: 'string', value: 'BR', help: "bridged: this host's bridge to join; other modes: the name of the bridge Hangar makes (default hgbrN)" },
      ...json,
    },
    summary: 'a network for VMs; its bridge, DHCP and NAT are made when a VM first uses it',
  },
  { name: 'network list', args: [], flags: { ...json }, summary: 'the networks with their mode, subnet and VMs' },
  {
    name: 'remote add',
    args: ['NAME', 'URI'],
    flags: { ...json },
    summary: "manage a libvirt host (qemu:///system, qemu+ssh://[user@]host/system, qemu+tcp://host/system); its VMs are REMOTE/NAME in every command",
  },
  { name: 'remote list', args: [], flags: { ...json }, summary: "the libvirt hosts with their connection's state and libvirt's version" },
  { name: 'remote remove', args: ['NAME'], flags: { ...json }, summary: 'stop managing a libvirt host (nothing on it changes)' },
  { name: 'network show', args: ['NAME'], flags: { ...json }, summary: "a network: its addresses, the VMs' reservations and leases" },
  { name: 'network delete', args: ['NAME'], flags: { ...json }, summary: 'delete a network no VM uses, with its bridge, DHCP and rules' },
  {
    name: 'image add',
    args: ['FILE'],
    flags: {
      name: { kind: 'string', value: 'NAME', help: "the image's name in the library (default: the file's name)" },
      flatten: { kind: 'bool', help: 'copy a disk image with every file it reads (backing file, data file, extents) into one image' },
      ...json,
    },
    summary: 'keep an image (a cloud image, or an ISO) in the library, read-only, with its detected OS',
  },
  { name: 'image list', args: [], flags: { ...json }, summary: 'the images of the library and the VMs made from each' },
  { name: 'image remove', args: ['IMAGE'], flags: { ...json }, summary: 'remove an image from the library (refused while VMs are made from it)' },
  {
    name: 'media list',
    args: [],
    flags: { unused: { kind: 'bool', help: "only images in Hangar's home that no VM, snapshot or library entry uses" }, ...json },
    summary: 'every disk image and ISO the home knows: sizes, format, chain, the VMs and snapshots that use it',
  },
  {
    name: 'disk resize',
    args: ['VM', 'DISK', 'SIZE'],
    flags: { ...json },
    summary: "grow a disk to SIZE (20G) or by +SIZE (+5G), also while the VM runs; DISK is its id (disk0) or number (0) as 'hangar show' lists it",
  },
  { name: 'disk compact', args: ['VM', 'DISK'], flags: { ...json }, summary: "rewrite a stopped VM's disk without the blocks its guest zeroed or discarded" },
  { name: 'usb list', args: [], flags: { ...json }, summary: "the host's USB devices (/sys/bus/usb), and whether you may pass each through" },
  {
    name: 'usb attach',
    args: ['VM'],
    flags: {
      image: { kind: 'string', value: 'FILE', help: 'a disk image (qcow2 or raw) as a USB stick, used in place' },
      device: { kind: 'string', value: 'VENDOR:PRODUCT', help: "a host device by its ids, as 'hangar usb list' shows them (0781:5567)" },
      ...json,
    },
    summary: 'plug a USB device into a VM (hot-plugged while it runs; kept in its configuration)',
  },
  { name: 'usb detach', args: ['VM', 'ID'], flags: { ...json }, summary: 'unplug a USB device (its id, such as usb0, as show lists it)' },
  {
    name: 'ssh',
    args: ['VM', 'CMD...'],
    flags: { wait: { kind: 'number', value: 'S', help: "wait up to S seconds for the guest to take an SSH login and for cloud-init to finish the boot" } },
    summary: "the system's ssh client to a VM made from a cloud image (its forwarded port, its account and key); -- CMD runs CMD",
  },
  { name: 'detect', args: ['FILE'], flags: { ...json }, summary: "the OS of an ISO or disk image, with libosinfo's database" },
  {
    name: 'serve',
    args: [],
    flags: {
      port: { kind: 'int', value: 'N', help: 'port (default: a free one)' },
      host: { kind: 'string', value: 'ADDRESS', help: 'address to bind (default 127.0.0.1; anything else exposes the VMs)' },
      open: { kind: 'bool', help: "also open the interface in your browser ($BROWSER, or the desktop's default browser)" },
    },
    summary: 'web mode: serve the interface and become the home\'s owner (VMs of a headless owner keep running)',
  },
  { name: 'shutdown', args: [], flags: { force: { kind: 'bool', help: 'power off running VMs first' }, ...json }, summary: "stop the home's headless owner" },
  {
    name: 'open',
    args: ['FILE'],
    flags: { ...json },
    summary: 'the import review for an .ova, .ovf, .vbox or .vmx: in the desktop app, or in web mode in your browser (what a double-click runs)',
  },
];

export interface ParsedCommand {
  command: string;
  args: string[];
  flags: Record<string, string | number | boolean | string[]>;
}

export function usageError(message: string): HangarError {
  return new HangarError('INVALID_INPUT', message, { details: { usage: true } });
}

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Commands in groups ('snapshot take', 'image add'): the group's subcommands. */
function subcommands(group: string | undefined): string[] {
  return group ? COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1)) : [];
}

export function parseArgs(argv: string[]): ParsedCommand {
  const grouped = subcommands(argv[0]).length > 0;
  if (grouped && (!argv[1] || argv[1].startsWith('-'))) throw usageError(`'${argv[0]}' needs one of ${subcommands(argv[0]).join(', ')}`);
  const name = grouped ? `${argv[0]} ${argv[1]}` : argv[0];
  const rest = argv.slice(grouped ? 2 : 1);
  if (!name) throw usageError("no command given: see 'hangar help'");
  const spec = findCommand(name);
  if (!spec) throw usageError(`unknown command '${name}': see 'hangar help'`);
  const flags: ParsedCommand['flags'] = {};
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const tok = rest[i]!;
    if (tok === '--') {
      args.push(...rest.slice(i + 1));
      break;
    }
    let flagName: string | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      flagName = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
    } else if (/^-[a-zA-Z]$/.test(tok)) {
      flagName = Object.entries(spec.flags).find(([, f]) => f.short === tok.slice(1))?.[0];
      if (!flagName) throw usageError(`unknown option '${tok}' for '${name}'`);
    }
    if (flagName === undefined) {
      args.push(tok);
      continue;
    }
    const f = spec.flags[flagName];
    if (!f) throw usageError(`unknown option '--${flagName}' for '${name}': see 'hangar help ${name}'`);
    if (f.kind === 'bool') {
      if (inline !== undefined) throw usageError(`--${flagName} takes no value`);
      flags[flagName] = true;
      continue;
    }
    if (f.kind === 'pair') {
      // `--nic-link NIC up`, or `--nic-link=NIC:up`
      const [a, b] = inline !== undefined ? inline.split(':') : [rest[++i], rest[++i]];
      if (a === undefined || b === undefined || a === '' || b === '' || a.startsWith('--') || b.startsWith('--')) throw usageError(`--${flagName} needs two values (${f.value ?? 'A B'})`);
      const list = (flags[flagName] as string[] | undefined) ?? [];
      list.push(`${a}=${b}`);
      flags[flagName] = list;
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined) throw usageError(`--${flagName} needs a value (${f.value ?? 'VALUE'})`);
    if (f.kind === 'list') {
      const list = (flags[flagName] as string[] | undefined) ?? [];
      list.push(value);
      flags[flagName] = list;
    } else if (f.kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw usageError(`--${flagName} takes a whole number${f.value ? ` (${f.value})` : ''}, not '${value}'`);
      flags[flagName] = Number.parseInt(value, 10);
    } else if (f.kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw usageError(`--${flagName} takes a number${f.value ? ` (${f.value})` : ''}, not '${value}'`);
      flags[flagName] = n;
    } else {
      if (flags[flagName] !== undefined) throw usageError(`--${flagName} is given twice`);
      flags[flagName] = value;
    }
  }
  const variadic = spec.args.at(-1)?.endsWith('...');
  // A trailing CMD... may be empty (hangar ssh VM opens a shell); VM... needs one.
  // '[TEXT]': an argument that may be left out
  const required = (variadic && spec.args.at(-1) === 'CMD...' ? spec.args.length - 1 : spec.args.length) - spec.args.filter((a) => a.startsWith('[')).length;
  if (args.length < required) throw usageError(`'${name}' needs ${spec.args.map((a) => a).join(' ')}: see 'hangar help ${name}'`);
  if (!variadic && args.length > spec.args.length) throw usageError(`unexpected argument '${args[spec.args.length]}' for '${name}'`);
  return { command: name, args, flags };
}

/** `tcp:8080:80`, `udp:5353:53`, `tcp:127.0.0.1:8080:80` */
export function parseForward(text: string): { protocol: 'tcp' | 'udp'; hostAddress: string; hostPort: number; guestPort: number } {
  const parts = text.split(':');
  const bad = () => usageError(`--forward '${text}' is not of the form tcp:HOSTPORT:GUESTPORT (or udp:…, or tcp:ADDRESS:HOSTPORT:GUESTPORT)`);
  if (parts.length !== 3 && parts.length !== 4) throw bad();
  const [protocol, ...restParts] = parts;
  if (protocol !== 'tcp' && protocol !== 'udp') throw bad();
  const hostAddress = restParts.length === 3 ? restParts[0]! : '127.0.0.1';
  const [hp, gp] = restParts.slice(-2);
  const port = (s: string | undefined) => {
    if (!s || !/^\d+$/.test(s)) throw bad();
    const n = Number(s);
    if (n < 1 || n > 65535) throw usageError(`port ${n} in --forward '${text}' is outside 1..65535`);
    return n;
  };
  return { protocol, hostAddress, hostPort: port(hp), guestPort: port(gp) };
}

export interface ShareFlag {
  /** as typed: the caller resolves a relative folder */
  hostPath: string;
  tag?: string;
  readOnly?: boolean;
  mode?: 'virtiofs' | '9p';
}

/** `--share HOSTDIR[,tag=TAG][,ro|rw][,mode=virtiofs|9p]`; ',,' is a comma inside the folder's name. */
export function parseShare(text: string): ShareFlag {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (text[i] === ',') {
      parts.push(cur);
      cur = '';
    } else cur += text[i];
  }
  parts.push(cur);
  const [hostPath, ...options] = parts;
  if (!hostPath) throw usageError(`--share '${text}' names no folder: --share HOSTDIR[,tag=TAG][,ro][,mode=virtiofs|9p]`);
  const share: ShareFlag = { hostPath };
  for (const o of options) {
    const [key, value] = o.includes('=') ? [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] : [o, undefined];
    if ((key === 'ro' || key === 'rw') && value === undefined) share.readOnly = key === 'ro';
    else if (key === 'tag' && value) share.tag = value;
    else if (key === 'mode' && (value === 'virtiofs' || value === '9p')) share.mode = value;
    else if (key === 'mode') throw usageError(`--share: mode takes virtiofs or 9p, not '${value ?? ''}'`);
    else throw usageError(`--share: unknown option '${o}' (options: tag=TAG, ro, rw, mode=virtiofs|9p)`);
  }
  return share;
}

/** A card as `--nic` describes it. */
export interface NicSpec {
  model: string;
  network?: string;
  mac?: string;
  forwards?: ReturnType<typeof parseForward>[];
}

/**
 * `--nic MODEL[,network=NAME][,mac=MAC][,forward=tcp:H:G]...`: the model first, then options. Model
 * names and MACs are checked by the caller (which knows the model list) and by the owner.
 */
export function parseNicSpec(text: string, models: readonly string[]): NicSpec {
  const [model, ...options] = text.split(',');
  if (!model || !models.includes(model)) throw usageError(`--nic '${text}': the model must be one of ${models.join(', ')} (or --nic none)`);
  const spec: NicSpec = { model };
  for (const o of options) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const value = eq < 0 ? '' : o.slice(eq + 1);
    if (value === '') throw usageError(`--nic '${text}': '${key}' needs a value (network=NAME, mac=MAC, forward=tcp:HOSTPORT:GUESTPORT)`);
    if (key === 'network') {
      if (spec.network !== undefined) throw usageError(`--nic '${text}': network is given twice`);
      spec.network = value;
    } else if (key === 'mac') {
      if (spec.mac !== undefined) throw usageError(`--nic '${text}': mac is given twice`);
      spec.mac = value.toLowerCase();
    } else if (key === 'forward') {
      (spec.forwards ??= []).push(parseForward(value));
    } else {
      throw usageError(`--nic '${text}': unknown option '${key}' (network=, mac= or forward=)`);
    }
  }
  return spec;
}

export function parseOnOff(flag: string, v: string): boolean {
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw usageError(`--${flag} takes on or off, not '${v}'`);
}

export function helpText(command?: string): string {
  if (command) {
    const c = findCommand(command);
    if (!c) return `unknown command '${command}'`;
    const lines = [`hangar ${c.name}${c.args.length ? ` ${c.args.join(' ')}` : ''}: ${c.summary}`];
    for (const [k, f] of Object.entries(c.flags)) {
      lines.push(`  ${f.short ? `-${f.short}, ` : ''}--${k}${f.value ? ` ${f.value}` : ''}`.padEnd(40) + f.help);
    }
    return lines.join('\n');
  }
  const lines = ['hangar: the command line of Hangar, a desktop virtualization manager', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${`${c.name}${c.args.length ? ` ${c.args.join(' ')}` : ''}`.padEnd(22)}${c.summary}`);
  lines.push('', "'hangar help COMMAND' lists a command's options. The home is $HANGAR_HOME (default ~/.local/share/hangar).");
  return lines.join('\n');
}

/** modify's --group, --tag, --untag and --notes (the VM's description) as the API's fields. */
export function placementFlags(f: Record<string, unknown>): { group?: string; addTags?: string[]; removeTags?: string[]; description?: string } {
  if (f.notes !== undefined && f.description !== undefined) throw usageError('--notes and --description are the same text: give one of them');
  return {
    ...(f.group !== undefined ? { group: String(f.group) } : {}),
    ...(f.tag !== undefined ? { addTags: f.tag as string[] } : {}),
    ...(f.untag !== undefined ? { removeTags: f.untag as string[] } : {}),
    ...(f.notes !== undefined ? { description: String(f.notes) } : {}),
  };
}

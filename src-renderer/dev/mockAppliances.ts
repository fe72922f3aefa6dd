// Appliances of the mock owner (dev harness only): what `appliance.review` answers for each file in
// /home/user/appliances, written the way the real owner maps VirtualBox and VMware descriptors.
import { HangarError } from '../../src-vmm/base/errors.js';
import type { ImportReview } from '../../src-main/api/contract.js';
import type { MachinePlan, PlannedDisk, SourceFile } from '../../src-main/appliances/plan.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
export const APPLIANCE_DIR = '/home/user/appliances';

/** The files the mock's file dialog lists in APPLIANCE_DIR, with their sizes. */
export const APPLIANCE_FILES: { name: string; size: number }[] = [
  { name: 'ubuntu-server-24.04.ova', size: 1.7 * GiB },
  { name: 'web-stack.ova', size: 2.4 * GiB },
  { name: 'legacy-erp.ovf', size: 14_220 },
  { name: 'legacy-erp-disk1.vmdk', size: 3.1 * GiB },
  { name: 'tampered.ova', size: 880 * MiB },
  { name: 'hostile.ova', size: 10_240 },
  { name: 'disk-full.ova', size: 6.5 * GiB },
];

const EULA = `UBUNTU SERVER APPLIANCE — END USER LICENSE AGREEMENT

1. Grant. Example Appliances Ltd. grants you a non-exclusive licence to run this appliance on any number of virtual machines you control.

2. Open source. The appliance contains software under free licences (GPL, MIT, Apache 2.0 and others); their terms are in /usr/share/doc inside the guest and prevail for those components.

3. No warranty. The appliance is provided "as is", without warranty of any kind, express or implied, including fitness for a particular purpose.

4. Limitation of liability. In no event shall the vendor be liable for any damages arising from the use of the appliance.

5. Updates. Security updates are provided through the distribution's usual channels for the lifetime of the release.`;

function file(fileId: string, href: string, sizeBytes: number | null, opts: Partial<SourceFile> = {}): SourceFile {
  return { fileId, href, sizeBytes, compression: 'none', chunkSize: null, ...opts };
}

function disk(diskId: string, f: SourceFile | null, capacityBytes: number, bus: PlannedDisk['bus'], sourceController: string): PlannedDisk {
  return { diskId, file: f, capacityBytes, formatUri: 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized', bus, sourceController, include: true };
}

function ubuntu(): MachinePlan {
  return {
    systemId: 'ubuntu-server',
    name: 'Ubuntu Server 24.04',
    description: 'Ubuntu Server 24.04 LTS with OpenSSH and cloud-init, ready for the first boot.',
    osType: 'linux',
    osSource: "vbox:OSType 'Ubuntu_64'",
    cpus: 2,
    memoryMiB: 2048,
    firmware: 'bios',
    chipset: 'pc',
    disks: [
      disk('vmdisk1', file('file1', 'ubuntu-server-24.04-disk001.vmdk', 1.6 * GiB), 25 * GiB, 'sata', 'SATA controller (AHCI), port 0'),
      disk('vmdisk2', file('file2', 'ubuntu-server-24.04-disk002.vmdk', 96 * MiB), 8 * GiB, 'sata', 'SATA controller (AHCI), port 1'),
    ],
    opticals: [{ bus: 'ide', file: null, sourceController: 'IDE 1 master' }],
    nics: [
      { model: 'e1000', sourceModel: 'E1000', mac: '08:00:27:5a:1c:3e', network: 'NAT' },
      { model: 'virtio', sourceModel: 'virtio', mac: '08:00:27:9b:40:d2', network: 'HostOnly' },
    ],
    warnings: [
      'The sound card (ICH AC97) is left out: Hangar machines have no sound.',
      'The USB controller (OHCI) is left out.',
      "Network card 2 was attached to the host-only network 'HostOnly': in Hangar every card uses NAT.",
    ],
    product: {
      product: 'Ubuntu Server',
      vendor: 'Example Appliances Ltd.',
      version: '24.04',
      fullVersion: '24.04.1 LTS (build 2024-08-29)',
      productUrl: 'https://ubuntu.com/server',
      vendorUrl: 'https://appliances.example.com/',
    },
    eulas: [EULA],
  };
}

function webStack(): MachinePlan[] {
  const base = { description: '', product: null, eulas: [], opticals: [] };
  return [
    {
      ...base,
      systemId: 'web',
      name: 'web-frontend',
      osType: 'linux',
      osSource: "vmw:osType 'debian12_64Guest'",
      cpus: 2,
      memoryMiB: 1024,
      firmware: 'uefi',
      chipset: 'q35',
      disks: [disk('web-disk', file('web-vmdk', 'web-stack-web-disk1.vmdk', 900 * MiB), 16 * GiB, 'scsi', 'SCSI controller (pvscsi), unit 0')],
      nics: [{ model: 'vmxnet3', sourceModel: 'VmxNet3', mac: '00:50:56:a1:22:01', network: 'VM Network' }],
      warnings: ["The SCSI controller 'pvscsi' becomes VirtIO SCSI: the guest needs its virtio-scsi driver (Debian has it)."],
    },
    {
      ...base,
      systemId: 'db',
      name: 'database',
      osType: 'linux',
      osSource: "vmw:osType 'debian12_64Guest'",
      cpus: 4,
      memoryMiB: 4096,
      firmware: 'uefi',
      chipset: 'q35',
      disks: [
        disk('db-os', file('db-os-vmdk', 'web-stack-db-disk1.vmdk', 1.1 * GiB), 16 * GiB, 'scsi', 'SCSI controller (pvscsi), unit 0'),
        disk('db-data', null, 100 * GiB, 'scsi', 'SCSI controller (pvscsi), unit 1'),
      ],
      nics: [{ model: 'vmxnet3', sourceModel: 'VmxNet3', mac: '00:50:56:a1:22:02', network: 'VM Network' }],
      warnings: ["Disk 'db-data' has no file: an empty 100 GiB disk is created."],
    },
  ];
}

function legacyErp(): MachinePlan {
  return {
    systemId: 'erp',
    name: 'legacy-erp',
    description: '',
    osType: 'windows7',
    osSource: 'CIM id 105 (Windows 7)',
    cpus: 1,
    memoryMiB: 3072,
    firmware: 'bios',
    chipset: 'pc',
    disks: [disk('vmdisk1', file('file1', 'legacy-erp-disk1.vmdk', 3.1 * GiB), 40 * GiB, 'ide', 'IDE 0 master')],
    opticals: [{ bus: 'ide', file: null, sourceController: 'IDE 1 master' }],
    nics: [{ model: 'e1000', sourceModel: 'PCNet32', mac: null, network: 'Bridged' }],
    warnings: ['The AMD PCnet card becomes an Intel PRO/1000 (e1000): Windows 7 has a driver for it.', 'The floppy drive is left out.'],
    product: null,
    eulas: [],
  };
}

/** The review of a mock appliance; `taken` says whether a VM name exists already. */
export function mockReview(path: string, home: string, taken: (name: string) => boolean): ImportReview {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const known = path.startsWith(`${APPLIANCE_DIR}/`) && APPLIANCE_FILES.some((f) => f.name === name);
  if (!known) throw new HangarError('NOT_FOUND', `${path} does not exist or cannot be read`);
  if (!/\.(ova|ovf)$/i.test(name)) throw new HangarError('INVALID_INPUT', `${path} is neither an .ova archive nor an .ovf descriptor`);
  if (name === 'hostile.ova') throw new HangarError('UNSAFE_ARCHIVE', `${name} holds a member '../../../home/user/.bashrc' that points outside the archive: it is refused`);
  if (name === 'tampered.ova') throw new HangarError('INVALID_INPUT', 'tampered.ovf does not match its SHA-256 digest in the manifest: the descriptor was changed or damaged');

  let machines: MachinePlan[];
  let review: Omit<ImportReview, 'machines' | 'file' | 'targetFolder'>;
  switch (name) {
    case 'web-stack.ova':
      machines = webStack();
      review = {
        kind: 'ova',
        descriptor: 'web-stack.ovf',
        ovfVersion: '1.x',
        manifest: { file: 'web-stack.mf', algorithms: ['SHA-256'], entries: 3 },
        certificate: null,
        warnings: ["The appliance's deployment options ('small', 'large') are not offered: the default configuration is imported."],
      };
      break;
    case 'legacy-erp.ovf':
      machines = [legacyErp()];
      review = {
        kind: 'ovf',
        descriptor: 'legacy-erp.ovf',
        ovfVersion: '0.9',
        manifest: null,
        certificate: null,
        warnings: ['The appliance has no manifest: its files cannot be checked for damage.'],
      };
      break;
    default:
      machines = [ubuntu()];
      review = {
        kind: 'ova',
        descriptor: 'ubuntu-server-24.04.ovf',
        ovfVersion: '1.x',
        manifest: { file: 'ubuntu-server-24.04.mf', algorithms: ['SHA-256'], entries: 3 },
        certificate: {
          file: 'ubuntu-server-24.04.cert',
          subject: 'CN=Example Appliances Ltd., O=Example Appliances Ltd., C=GB',
          issuer: 'CN=Example Appliances Ltd., O=Example Appliances Ltd., C=GB',
          validFrom: '2024-08-01T00:00:00Z',
          validTo: '2027-08-01T00:00:00Z',
          expired: false,
          notYetValid: false,
          selfSigned: true,
          signatureValid: true,
          trustedBySystem: false,
        },
        warnings: ['The appliance is signed by CN=Example Appliances Ltd., O=Example Appliances Ltd., C=GB, whose certificate this system does not trust (self-signed).'],
      };
  }
  // Names must be free: a taken one gets a number, as the owner does.
  const used = new Set<string>();
  machines = machines.map((m) => {
    let candidate = m.name;
    for (let i = 2; taken(candidate) || used.has(candidate.toLowerCase()); i++) candidate = `${m.name} (${i})`;
    used.add(candidate.toLowerCase());
    return candidate === m.name ? m : { ...m, name: candidate, warnings: [...m.warnings, `A VM named '${m.name}' exists already: this one will be '${candidate}'.`] };
  });
  return { ...review, file: path, machines, targetFolder: `${home}/VMs` };
}

// The independent OVF corpus: descriptors written in each producer's dialect
// (test/fixtures/ovf/*.ovf, after ../shared/ovf-corpus/DIALECTS.md), each with the facts its plan must
// show. The facts come from the producers' documentation and the machine model, not from the
// importer: where DIALECTS.md leaves a choice open, a fact lists the acceptable values or only
// checks that a warning exists. Every plan must also satisfy the model's own rules (limits, UEFI
// needs q35, q35 has no IDE, four IDE devices on pc, six SATA ports).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planAppliance } from '../../../../src-main/appliances/mapping.js';
import { AppliancePlan, type MachinePlan, type ProductInfo } from '../../../../src-main/appliances/plan.js';
import {
  MAX_CPUS,
  MAX_DESCRIPTION_LENGTH,
  MAX_DISKS,
  MAX_IDE_DEVICES_PC,
  MAX_MEMORY_MIB,
  MAX_NICS,
  MAX_OPTICALS,
  MAX_SATA_DEVICES,
  MIN_MEMORY_MIB,
  OS_TYPE_IDS,
  vmNameProblems,
  type Chipset,
  type DiskBus,
  type FirmwareType,
  type NicModel,
  type OpticalBus,
} from '../../../../src-vmm/model/index.js';
import { repoRoot } from '../../../helpers/paths.js';

const GiB = 2 ** 30;
const STREAM_OPTIMIZED = 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized';
const VMDK_SPARSE = 'http://www.vmware.com/specifications/vmdk.html#sparse';
const VHD = 'http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx';

/** One value, or any of several where DIALECTS.md leaves the choice to the importer. */
type OneOf<T> = T | readonly T[];

interface DiskFact {
  diskId: string;
  bus?: OneOf<DiskBus>;
  capacityBytes: number;
  /** the File's href, or null for an empty disk to create */
  href: string | null;
  formatUri?: string;
  compression?: 'none' | 'gzip';
  chunkSize?: number | null;
  sourceController?: RegExp;
}

interface OpticalFact {
  /** the ISO's href, or null for an empty drive */
  href: string | null;
  bus?: OneOf<OpticalBus>;
  sourceController?: RegExp;
}

interface NicFact {
  model: OneOf<NicModel>;
  sourceModel?: OneOf<string>;
  /** undefined: not checked */
  mac?: string | null;
  network?: string;
}

interface MachineFact {
  name: string;
  systemId?: string;
  osType: OneOf<string>;
  cpus: number;
  memoryMiB: number;
  firmware: FirmwareType;
  chipset?: Chipset;
  disks: DiskFact[];
  /** exact: plan order = fact order; first: only the first (boot) disk's place is certain; any: matched by id */
  diskOrder: 'exact' | 'first' | 'any';
  opticals: OpticalFact[];
  nics: NicFact[];
  /** each must match at least one warning (the machine's or the package's) */
  warnings?: RegExp[];
  description?: RegExp;
  product?: Partial<ProductInfo>;
  eulas?: RegExp[];
}

interface FixtureFact {
  file: string;
  /** what DIALECTS.md says the fixture exercises, for failure messages */
  about: string;
  ovfVersion: '0.9' | '1.x' | '2.x';
  /** References, in order: href and ovf:size (null when absent) */
  files: Array<[href: string, size: number | null]>;
  machines: MachineFact[];
}

const FIXTURES: FixtureFact[] = [
  {
    file: 'virtualbox-1.0.ovf',
    about: 'VirtualBox OVF 1.0 with vbox:Machine (EFI), SATA disk, IDE CD, E1000, ensoniq1371, OHCI [DIALECTS §1, §8]',
    ovfVersion: '1.x',
    files: [['Kestrel Desktop-disk001.vmdk', null]],
    machines: [
      {
        name: 'Kestrel Desktop', // VirtualBox writes no <Name>: VirtualSystem ovf:id (§6)
        systemId: 'Kestrel Desktop',
        osType: 'linux', // vbox:OSType Ubuntu_64, CIM 94
        cpus: 2,
        memoryMiB: 4096, // MegaBytes
        firmware: 'uefi', // vbox:Machine <Firmware type="EFI"/> (§1, §8)
        chipset: 'q35',
        disks: [{ diskId: 'vmdisk1', bus: 'sata', capacityBytes: 26843545600, href: 'Kestrel Desktop-disk001.vmdk', formatUri: STREAM_OPTIMIZED, compression: 'none', chunkSize: null }],
        diskOrder: 'exact',
        // the IDE CD cannot stay on IDE: q35 has none (so a warning says so)
        opticals: [{ href: null, bus: 'sata' }],
        // the OVF item says E1000; vbox:Machine, which the importer may read instead (§1), says 82540EM
        nics: [{ model: 'e1000', sourceModel: ['E1000', '82540EM'], mac: null, network: 'NAT' }],
        warnings: [/sound|audio/i, /USB/, /IDE/],
      },
    ],
  },
  {
    file: 'virtualbox-2.0.ovf',
    about: 'VirtualBox OVF 2.0: StorageItem/EthernetPortItem with .xsd namespaces, NVMe, virtio NIC without subtype [§1, §8]',
    ovfVersion: '2.x',
    files: [['debian-nvme-disk001.vmdk', null]],
    machines: [
      {
        name: 'debian-nvme',
        osType: 'linux', // Debian_64, CIM 96
        cpus: 1,
        memoryMiB: 2048,
        firmware: 'bios',
        chipset: 'pc',
        disks: [{ diskId: 'vmdisk1', bus: 'nvme', capacityBytes: 16 * GiB, href: 'debian-nvme-disk001.vmdk' }],
        diskOrder: 'exact',
        opticals: [{ href: null, bus: 'ide' }],
        // no subtype in the OVF; vbox:Machine <Adapter type="virtio"> decides (§8)
        nics: [{ model: 'virtio', mac: null, network: 'NAT' }],
      },
    ],
  },
  {
    file: 'virtualbox-0.9.ovf',
    about: 'VirtualBox OVF 0.9: Section/Content xsi:type, InstanceId, BusNumber, vmx-6, #sparse, two PCNet32 [§1, §5]',
    ovfVersion: '0.9',
    files: [['OpenBSD Gateway-disk1.vmdk', null]],
    machines: [
      {
        name: 'OpenBSD Gateway',
        osType: 'openbsd', // CIM 65
        cpus: 1,
        memoryMiB: 512,
        firmware: 'bios',
        chipset: 'pc',
        disks: [{ diskId: 'vmdisk1', bus: 'ide', capacityBytes: 4 * GiB, href: 'OpenBSD Gateway-disk1.vmdk', formatUri: VMDK_SPARSE }],
        diskOrder: 'exact',
        opticals: [{ href: null, bus: 'ide' }],
        nics: [
          { model: 'pcnet', sourceModel: 'PCNet32', mac: null, network: 'Bridged' },
          { model: 'pcnet', sourceModel: 'PCNet32', mac: null, network: 'Bridged' },
        ],
      },
    ],
  },
  {
    file: 'virtualbox-pre32.ovf',
    about: 'VirtualBox before 3.2: one IDE controller, AddressOnParent 0, 1 and 3, ovf:size, #sparse [§1]',
    ovfVersion: '1.x',
    files: [
      ['lenny-build-disk1.vmdk', 912812544],
      ['lenny-build-disk2.vmdk', 65536],
    ],
    machines: [
      {
        name: 'lenny-build',
        osType: 'linux', // CIM 96 Debian 64-Bit
        cpus: 1,
        memoryMiB: 768,
        firmware: 'bios',
        chipset: 'pc',
        // the primary master boots, whatever the item order
        disks: [
          { diskId: 'vmdisk1', bus: 'ide', capacityBytes: 8 * GiB, href: 'lenny-build-disk1.vmdk', formatUri: VMDK_SPARSE, sourceController: /IDE/i },
          { diskId: 'vmdisk2', bus: 'ide', capacityBytes: 2 * GiB, href: 'lenny-build-disk2.vmdk', formatUri: VMDK_SPARSE, sourceController: /IDE/i },
        ],
        diskOrder: 'exact',
        // AddressOnParent 3 on the single controller is the secondary slave (§1)
        opticals: [{ href: null, bus: 'ide', sourceController: /IDE/i }],
        nics: [{ model: 'e1000', sourceModel: 'E1000', mac: null, network: 'NAT' }],
      },
    ],
  },
  {
    file: 'virtualbox-pre32-ide-collision.ovf',
    about: 'VirtualBox before 3.2: one IDE controller at Address 1 with three devices all at AddressOnParent 0 [§1]',
    ovfVersion: '1.x',
    files: [
      ['karmic-lab-disk1.vmdk', 1438121984],
      ['karmic-lab-disk2.vmdk', 131072],
    ],
    machines: [
      {
        name: 'karmic-lab',
        osType: 'linux',
        cpus: 1,
        memoryMiB: 1024,
        firmware: 'bios',
        // where the colliding devices end up is the importer's choice; all three must survive
        disks: [
          { diskId: 'vmdisk1', bus: ['ide', 'sata'], capacityBytes: 10 * GiB, href: 'karmic-lab-disk1.vmdk' },
          { diskId: 'vmdisk2', bus: ['ide', 'sata'], capacityBytes: 1 * GiB, href: 'karmic-lab-disk2.vmdk' },
        ],
        diskOrder: 'any',
        opticals: [{ href: null, bus: ['ide', 'sata'] }],
        nics: [{ model: 'pcnet', sourceModel: 'PCNet32', mac: null, network: 'NAT' }],
      },
    ],
  },
  {
    file: 'vmware-vsphere8.ovf',
    about: 'vSphere 8 export: byte * 2^30, pvscsi, VmxNet3, vmw:osType over CIM 1, firmware=efi, HD audio, xHCI, VMCI, NVRAM file [§2, §8]',
    ovfVersion: '1.x',
    files: [
      ['WIN10-BUILD-01-disk1.vmdk', 9870311424],
      ['WIN10-BUILD-01-file1.nvram', 270840],
    ],
    machines: [
      {
        name: 'WIN10-BUILD-01',
        systemId: 'WIN10-BUILD-01',
        osType: 'windows10', // vmw:osType windows9_64Guest; the CIM id is 1 (Other)
        cpus: 4, // VirtualQuantity, CoresPerSocket is topology; hertz * 10^6 is not a count
        memoryMiB: 8192,
        firmware: 'uefi',
        chipset: 'q35',
        // pvscsi: Windows has no virtio-scsi driver out of the box, so SATA, with a warning
        disks: [{ diskId: 'vmdisk1', bus: 'sata', capacityBytes: 64 * GiB, href: 'WIN10-BUILD-01-disk1.vmdk', formatUri: STREAM_OPTIMIZED }],
        diskOrder: 'exact',
        opticals: [{ href: null, bus: 'sata' }],
        nics: [{ model: 'vmxnet3', sourceModel: 'VmxNet3', mac: null, network: 'VM Network' }],
        warnings: [/pvscsi|VirtualSCSI|SCSI/i, /sound|audio/i, /USB/, /VMCI/i, /NVRAM|EFI|UEFI/i, /IDE/],
        description: /build agent/,
      },
    ],
  },
  {
    file: 'vmware-ovftool-workstation.ovf',
    about: 'ovftool from Workstation: ovf:id="vm", lsilogic, E1000, IDE CD with an ISO, ovf:chunkSize [§2]',
    ovfVersion: '1.x',
    files: [
      ['Lab Ubuntu 22.04-disk1.vmdk', 5241634816],
      ['Lab Ubuntu 22.04-file1.iso', 4071903232],
    ],
    machines: [
      {
        name: 'Lab Ubuntu 22.04', // <Name>, not the meaningless ovf:id "vm"
        systemId: 'vm',
        osType: 'linux', // ubuntu64Guest, CIM 94
        cpus: 2,
        memoryMiB: 3072,
        firmware: 'bios',
        chipset: 'pc',
        // lsilogic on a Linux guest: virtio-scsi, with a warning (§8: lsi53c895a is a guess at best)
        disks: [{ diskId: 'vmdisk1', bus: 'scsi', capacityBytes: 40 * GiB, href: 'Lab Ubuntu 22.04-disk1.vmdk', chunkSize: 2147483648, compression: 'none' }],
        diskOrder: 'exact',
        opticals: [{ href: 'Lab Ubuntu 22.04-file1.iso', bus: 'ide' }],
        nics: [{ model: 'e1000', sourceModel: 'E1000', mac: null, network: 'nat' }],
        warnings: [/lsi/i, /USB/, /sound|audio/i],
      },
    ],
  },
  {
    file: 'vmware-lists.ovf',
    about: 'vmx-13 vmx-11, subtype list "buslogic lsilogic", ovf://disk/, DeploymentOptionSection, ${disksize}, gzip, inline rasd [§2, §6]',
    ovfVersion: '1.x',
    files: [['netprobe-2.7.1-disk1.vmdk', 318767104]],
    machines: [
      {
        name: 'NetProbe Appliance',
        systemId: 'netprobe',
        osType: 'linux', // debian10_64Guest, CIM 96
        // the default configuration is "small" (ovf:default="true"), whatever the item order
        cpus: 2,
        memoryMiB: 4096,
        firmware: 'bios',
        chipset: 'pc',
        disks: [
          // buslogic has no QEMU twin (§8): virtio-scsi or AHCI
          { diskId: 'system', bus: ['scsi', 'sata'], capacityBytes: 8 * GiB, href: 'netprobe-2.7.1-disk1.vmdk', compression: 'gzip' },
          // ${disksize} from the ProductSection property's default, in byte * 2^30; no file
          { diskId: 'data', bus: ['scsi', 'sata'], capacityBytes: 20 * GiB, href: null },
        ],
        diskOrder: 'exact',
        opticals: [],
        // the second NIC belongs to the "large" configuration only
        nics: [{ model: 'e1000e', sourceModel: 'E1000e', mac: null, network: 'Management' }],
        warnings: [/buslogic|lsilogic|SCSI/i],
        product: {
          product: 'NetProbe',
          vendor: 'Larkspur Networks',
          version: '2.7.1',
          fullVersion: '2.7.1-build.4410',
          productUrl: 'https://netprobe.example.com/',
          vendorUrl: 'https://larkspur.example.com/',
        },
        eulas: [/evaluation licence/],
      },
    ],
  },
  {
    file: 'vmware-vbs-win11.ovf',
    about: 'vSphere Windows 11 with VBS: firmware in vmw:ExtraConfig, vmware.nvme.controller, vmware.sata.ahci CD, vTPM, E1000e [§2, §8]',
    ovfVersion: '1.x',
    files: [['kiosk-w11-disk1.vmdk', 14178697216]],
    machines: [
      {
        name: 'kiosk-w11',
        osType: 'windows11', // vmw:osType windows11_64Guest
        cpus: 2,
        memoryMiB: 6144,
        firmware: 'uefi',
        chipset: 'q35',
        disks: [{ diskId: 'vmdisk1', bus: 'nvme', capacityBytes: 80 * GiB, href: 'kiosk-w11-disk1.vmdk' }],
        diskOrder: 'exact',
        opticals: [{ href: null, bus: 'sata' }],
        nics: [{ model: 'e1000e', sourceModel: 'E1000e', mac: null, network: 'DPortGroup-Kiosk' }],
        warnings: [/TPM/i],
      },
    ],
  },
  {
    file: 'xenserver.ovf',
    about: 'XenCenter appliance: VirtualSystemCollection, hvm-3.0-unknown, RT19 VHDs without Parent, firmware=uefi, MAC in rasd:Address [§3, §8]',
    ovfVersion: '1.x',
    files: [
      ['e5c421d5-8bd5-402f-b771-c15332912f89.vhd', 3221713408],
      ['e5e30718-1cde-4b44-99a3-085762c50982.vhd', 536891904],
      ['d6cc58f3-4ac4-4546-b1d0-3f4fd3789f93.vhd', 15032877568],
    ],
    machines: [
      {
        name: 'billing-web',
        systemId: '2baf0a9b-d2f7-49a7-9f91-1e43b663529e',
        osType: 'linux', // CIM 94
        cpus: 2, // Processor Cores
        memoryMiB: 2048,
        firmware: 'bios',
        chipset: 'pc',
        // RT19 without a controller: IDE by userdevice, with a warning (§8)
        disks: [
          { diskId: 'a2206b3e-74e9-4f1f-a094-6fd09df1da20', bus: 'ide', capacityBytes: 10 * GiB, href: 'e5c421d5-8bd5-402f-b771-c15332912f89.vhd', formatUri: VHD },
          { diskId: '8e88801f-8da7-46fa-9b93-83203102213c', bus: 'ide', capacityBytes: 5 * GiB, href: 'e5e30718-1cde-4b44-99a3-085762c50982.vhd', formatUri: VHD },
        ],
        diskOrder: 'exact',
        opticals: [{ href: null, bus: 'ide' }], // RT16
        // no subtype: the guest-OS default, with a warning (§8)
        nics: [{ model: ['virtio', 'e1000'], mac: '7a:3c:11:0e:92:5d' }],
        warnings: [/xen|IDE|controller/i, /NIC|network|adapter/i],
      },
      {
        name: 'billing-reports',
        systemId: 'd65f898f-e20f-4698-a5bc-877d9576e62c',
        osType: 'windows10', // CIM 120, "Windows 10 (64-bit)"
        cpus: 4,
        memoryMiB: 4096,
        firmware: 'uefi', // HVM_boot_params firmware=uefi
        chipset: 'q35',
        disks: [{ diskId: 'e7ec9ef4-4c37-4751-9fda-1e95f001bbec', bus: 'sata', capacityBytes: 40 * GiB, href: 'd6cc58f3-4ac4-4546-b1d0-3f4fd3789f93.vhd', formatUri: VHD }],
        diskOrder: 'exact',
        opticals: [],
        nics: [{ model: 'e1000', mac: 'a2:9f:44:00:1b:c7' }],
        // the NVRAM configuration data holds EFI variables that a fresh OVMF store loses
        warnings: [/NVRAM|EFI|UEFI/i, /NIC|network|adapter/i, /xen|IDE|controller/i],
      },
    ],
  },
  {
    file: 'ovirt-ova.ovf',
    about: 'oVirt OVA: no controllers, ovf:disk-interface, numeric NIC subtypes, rasd:MACAddress, BiosType 2, RT0 and RT32768 items [§4, §8]',
    ovfVersion: '1.x',
    files: [
      ['3f6c1a9e-2b47-4d0e-9a15-7c2e8b04d1a3', 2966618112],
      ['b81d5e02-94c3-47a8-8e6f-0a2d3c4b5e61', 197120],
    ],
    machines: [
      {
        name: 'rhel8-files',
        systemId: 'c5a7e3f1-8b2d-4c69-9e04-6d1f2a3b4c5d',
        osType: 'linux', // CIM 80 RHEL 64-Bit
        cpus: 4, // 2 sockets x 2 cores
        memoryMiB: 8192,
        firmware: 'uefi', // <BiosType>2</BiosType> = Q35 + UEFI
        chipset: 'q35',
        disks: [
          { diskId: '9d7b3a14-6c52-4e8f-b0a1-2f3e4d5c6b7a', bus: 'scsi', capacityBytes: 30 * GiB, href: '3f6c1a9e-2b47-4d0e-9a15-7c2e8b04d1a3' }, // VirtIO_SCSI, boot
          { diskId: '4e2a9c71-0b8d-4f36-a5e2-81c7d9f0a3b4', bus: 'virtio', capacityBytes: 100 * GiB, href: 'b81d5e02-94c3-47a8-8e6f-0a2d3c4b5e61' }, // VirtIO
        ],
        diskOrder: 'exact',
        opticals: [{ href: null, bus: ['sata', 'scsi'] }],
        nics: [
          { model: 'virtio', mac: '56:6f:a4:91:00:0b', network: 'ovirtmgmt' }, // subtype 3
          { model: 'e1000', mac: '56:6f:a4:91:00:0c', network: 'storage' }, // subtype 2
        ],
      },
    ],
  },
  {
    file: 'dmtf-2.0-minimal.ovf',
    about: 'hand-written OVF 2.0 after DSP0243: StorageItem without a controller, EthernetPortItem with epasd:Address in dash form [§5]',
    ovfVersion: '2.x',
    files: [['edge-relay-root.vmdk', 734003200]],
    machines: [
      {
        name: 'Edge Relay',
        systemId: 'edge-relay',
        osType: 'linux', // CIM 101
        cpus: 1,
        memoryMiB: 2048, // byte*2^30
        firmware: 'bios',
        // no controller: the bus is the importer's choice
        disks: [{ diskId: 'root', capacityBytes: 6 * GiB, href: 'edge-relay-root.vmdk' }],
        diskOrder: 'exact',
        opticals: [],
        nics: [{ model: 'virtio', sourceModel: 'virtio-net', mac: '52:54:00:9c:3e:a1', network: 'uplink' }],
        description: /syslog/,
      },
    ],
  },
  {
    file: 'handwritten-minimal.ovf',
    about: 'hand-written OVF 1.0 with only what is required: no Name, no format, no NIC',
    ovfVersion: '1.x',
    files: [['tiny.vmdk', null]],
    machines: [
      {
        name: 'tiny',
        osType: 'linux',
        cpus: 1,
        memoryMiB: 256,
        firmware: 'bios',
        chipset: 'pc',
        disks: [{ diskId: 'd1', bus: 'ide', capacityBytes: 1 * GiB, href: 'tiny.vmdk', formatUri: '' }],
        diskOrder: 'exact',
        opticals: [],
        nics: [],
      },
    ],
  },
  {
    file: 'handwritten-undeclared-prefix.ovf',
    about: 'templated OVF 1.0 that uses ovf: and rasd: without declaring them [§5, xml.ts WELL_KNOWN_PREFIXES]',
    ovfVersion: '1.x',
    files: [['fbsd-14-amd64.vmdk', 1210056704]],
    machines: [
      {
        name: 'FreeBSD 14 builder',
        osType: 'freebsd', // CIM 78
        cpus: 2,
        memoryMiB: 1536,
        firmware: 'bios',
        chipset: 'pc',
        disks: [{ diskId: 'vmdisk1', bus: 'sata', capacityBytes: 12 * GiB, href: 'fbsd-14-amd64.vmdk' }],
        diskOrder: 'exact',
        opticals: [],
        nics: [{ model: 'pcnet', sourceModel: 'PCNet32', mac: null, network: 'lan' }],
      },
    ],
  },
  {
    file: 'multi-disk.ovf',
    about: 'disks on IDE 0:0, IDE 1:1, SATA port 2 and SAS unit 1, listed before their controllers and in reverse [§6]',
    ovfVersion: '1.x',
    files: [
      ['quad-sas1.vmdk', 1048576],
      ['quad-sata2.vmdk', 1048576],
      ['quad-ide-1-1.vmdk', 1048576],
      ['quad-boot.vmdk', 1610612736],
    ],
    machines: [
      {
        name: 'quad-disk',
        osType: 'linux',
        cpus: 2,
        memoryMiB: 2048,
        firmware: 'bios',
        chipset: 'pc',
        disks: [
          { diskId: 'boot', bus: 'ide', capacityBytes: 20 * GiB, href: 'quad-boot.vmdk', sourceController: /IDE/i },
          { diskId: 'ide11', bus: 'ide', capacityBytes: 1 * GiB, href: 'quad-ide-1-1.vmdk', sourceController: /IDE/i },
          { diskId: 'sata2', bus: 'sata', capacityBytes: 2 * GiB, href: 'quad-sata2.vmdk', sourceController: /SATA|AHCI/i },
          // lsilogicsas (mptsas1068 in QEMU, not in Hangar's model): virtio-scsi on Linux, with a warning
          { diskId: 'sas1', bus: 'scsi', capacityBytes: 3 * GiB, href: 'quad-sas1.vmdk', sourceController: /SAS|lsilogicsas/i },
        ],
        diskOrder: 'first',
        opticals: [],
        nics: [{ model: 'e1000', sourceModel: 'E1000', mac: null, network: 'VM Network' }],
        warnings: [/lsilogicsas|SAS|SCSI/i],
      },
    ],
  },
  {
    file: 'unit-forms.ovf',
    about: 'memory and capacity units: byte * 2 ^ 20, GigaBytes, byte*2^30, byte * 2^10, GB, MB, absent, byte [§6]',
    ovfVersion: '1.x',
    files: ['mem-mib-spaced', 'mem-gigabytes', 'mem-gib-tight', 'mem-kib', 'mem-gb', 'mem-mb'].map((n) => [`${n}.vmdk`, null] as [string, null]),
    machines: (
      [
        ['mem-mib-spaced', 1536, 10 * GiB], // byte * 2 ^ 20; capacity 10240 x byte * 2 ^ 20
        ['mem-gigabytes', 2048, 12 * GiB], // GigaBytes; capacity 12 x byte*2^30
        ['mem-gib-tight', 3072, 4 * GiB], // byte*2^30; capacity 4194304 x byte * 2^10
        ['mem-kib', 768, 5 * GiB], // byte * 2^10; capacity without units = bytes
        ['mem-gb', 1024, 2 * GiB], // GB; capacity in byte
        ['mem-mb', 640, 1 * GiB], // MB; capacity 1 x byte * 2 ^ 30
      ] as const
    ).map(([name, memoryMiB, capacityBytes], i) => ({
      name,
      systemId: name,
      osType: 'linux',
      cpus: 1,
      memoryMiB,
      firmware: 'bios' as const,
      chipset: 'pc' as const,
      disks: [{ diskId: `disk${i + 1}`, bus: 'ide' as const, capacityBytes, href: `${name}.vmdk` }],
      diskOrder: 'exact' as const,
      opticals: [],
      nics: [],
    })),
  },
];

// --- checks ---

const oneOf = <T>(v: OneOf<T>): readonly T[] => (Array.isArray(v) ? (v as readonly T[]) : [v as T]);
const show = (v: unknown) => JSON.stringify(v);

/** The model's own rules, which every plan must satisfy whatever the descriptor said. */
function modelProblems(m: MachinePlan): string[] {
  const p: string[] = [];
  if (!Number.isInteger(m.cpus) || m.cpus < 1 || m.cpus > MAX_CPUS) p.push(`cpus ${m.cpus} is not a whole number in 1..${MAX_CPUS}`);
  if (!Number.isInteger(m.memoryMiB) || m.memoryMiB < MIN_MEMORY_MIB || m.memoryMiB > MAX_MEMORY_MIB) p.push(`memoryMiB ${m.memoryMiB} is not a whole number in ${MIN_MEMORY_MIB}..${MAX_MEMORY_MIB}`);
  for (const problem of vmNameProblems(m.name)) p.push(`name ${show(m.name)}: ${problem}`);
  if (m.description.length > MAX_DESCRIPTION_LENGTH) p.push(`description is ${m.description.length} characters (at most ${MAX_DESCRIPTION_LENGTH})`);
  if (!(OS_TYPE_IDS as readonly string[]).includes(m.osType)) p.push(`osType ${show(m.osType)} is not in the catalogue`);
  const included = m.disks.filter((d) => d.include).length;
  if (included > MAX_DISKS) p.push(`${included} disks to import (at most ${MAX_DISKS})`);
  if (m.nics.length > MAX_NICS) p.push(`${m.nics.length} NICs (at most ${MAX_NICS})`);
  if (m.opticals.length > MAX_OPTICALS) p.push(`${m.opticals.length} optical drives (at most ${MAX_OPTICALS})`);
  if (m.firmware === 'uefi' && m.chipset !== 'q35') p.push('UEFI firmware on a chipset other than q35');
  const buses = [...m.disks.filter((d) => d.include).map((d) => d.bus as string), ...m.opticals.map((o) => o.bus as string)];
  const ide = buses.filter((b) => b === 'ide').length;
  if (m.chipset === 'q35' && ide > 0) p.push(`${ide} IDE device(s) on q35, which has no IDE`);
  if (m.chipset === 'pc' && ide > MAX_IDE_DEVICES_PC) p.push(`${ide} IDE devices on pc (at most ${MAX_IDE_DEVICES_PC})`);
  const sata = buses.filter((b) => b === 'sata').length;
  if (sata > MAX_SATA_DEVICES) p.push(`${sata} SATA devices (at most ${MAX_SATA_DEVICES})`);
  for (const d of m.disks) {
    if (!Number.isSafeInteger(d.capacityBytes) || d.capacityBytes < 0) p.push(`disk ${show(d.diskId)} capacity ${d.capacityBytes} is not a whole number of bytes`);
    if (d.file && d.file.sizeBytes !== null && (!Number.isSafeInteger(d.file.sizeBytes) || d.file.sizeBytes < 0)) p.push(`disk ${show(d.diskId)} file size ${d.file.sizeBytes} is not a whole number of bytes`);
    if (d.file && d.file.chunkSize !== null && (!Number.isSafeInteger(d.file.chunkSize) || d.file.chunkSize <= 0)) p.push(`disk ${show(d.diskId)} chunk size ${d.file.chunkSize} is not a positive whole number`);
  }
  for (const n of m.nics) if (n.mac !== null && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(n.mac)) p.push(`MAC ${show(n.mac)} is not lower case with colons`);
  return p;
}

function checkMachine(fx: FixtureFact, plan: AppliancePlan, m: MachinePlan, f: MachineFact): string[] {
  const bad: string[] = [];
  const at = `${fx.file} machine ${show(f.name)}`;
  const eq = (what: string, actual: unknown, expected: unknown, why = '') => {
    if (actual !== expected) bad.push(`${at}: ${what} is ${show(actual)}, expected ${show(expected)}${why ? ` (${why})` : ''}`);
  };
  const within = <T>(what: string, actual: T, allowed: OneOf<T>) => {
    if (!oneOf(allowed).includes(actual)) bad.push(`${at}: ${what} is ${show(actual)}, expected ${oneOf(allowed).map(show).join(' or ')}`);
  };

  for (const problem of modelProblems(m)) bad.push(`${at}: breaks the machine model: ${problem}`);
  eq('name', m.name, f.name);
  if (f.systemId !== undefined) eq('systemId', m.systemId, f.systemId);
  within('osType', m.osType, f.osType);
  eq('cpus', m.cpus, f.cpus);
  eq('memoryMiB', m.memoryMiB, f.memoryMiB);
  eq('firmware', m.firmware, f.firmware);
  if (f.chipset !== undefined) eq('chipset', m.chipset, f.chipset);

  // disks
  if (m.disks.length !== f.disks.length) {
    bad.push(`${at}: ${m.disks.length} disks (${m.disks.map((d) => d.diskId).join(', ')}), expected ${f.disks.length} (${f.disks.map((d) => d.diskId).join(', ')})`);
  } else {
    if (f.diskOrder === 'exact') {
      const order = m.disks.map((d) => d.diskId);
      const want = f.disks.map((d) => d.diskId);
      if (show(order) !== show(want)) bad.push(`${at}: disk order is ${show(order)}, expected ${show(want)}`);
    } else if (f.diskOrder === 'first') {
      eq('first (boot) disk', m.disks[0]?.diskId, f.disks[0]!.diskId, 'the disk the firmware boots comes first');
    }
    for (const df of f.disks) {
      const d = m.disks.find((x) => x.diskId === df.diskId);
      if (!d) {
        bad.push(`${at}: no disk with diskId ${show(df.diskId)}`);
        continue;
      }
      const dat = `disk ${show(df.diskId)}`;
      eq(`${dat} capacityBytes`, d.capacityBytes, df.capacityBytes);
      eq(`${dat} file`, d.file?.href ?? null, df.href);
      if (df.bus !== undefined) within(`${dat} bus`, d.bus, df.bus);
      if (df.formatUri !== undefined) eq(`${dat} formatUri`, d.formatUri, df.formatUri);
      if (df.compression !== undefined) eq(`${dat} file compression`, d.file?.compression, df.compression);
      if (df.chunkSize !== undefined) eq(`${dat} file chunkSize`, d.file?.chunkSize, df.chunkSize);
      if (df.sourceController && !df.sourceController.test(d.sourceController)) bad.push(`${at}: ${dat} sourceController ${show(d.sourceController)} does not match ${df.sourceController}`);
      eq(`${dat} include`, d.include, true, 'every disk of the appliance is imported unless the review leaves it out');
    }
  }

  // optical drives
  if (m.opticals.length !== f.opticals.length) {
    bad.push(`${at}: ${m.opticals.length} optical drives, expected ${f.opticals.length}`);
  } else {
    f.opticals.forEach((of, i) => {
      const o = m.opticals[i]!;
      eq(`optical ${i} file`, o.file?.href ?? null, of.href);
      if (of.bus !== undefined) within(`optical ${i} bus`, o.bus, of.bus);
      if (of.sourceController && !of.sourceController.test(o.sourceController)) bad.push(`${at}: optical ${i} sourceController ${show(o.sourceController)} does not match ${of.sourceController}`);
    });
  }

  // NICs
  if (m.nics.length !== f.nics.length) {
    bad.push(`${at}: ${m.nics.length} NICs (${m.nics.map((n) => n.model).join(', ')}), expected ${f.nics.length}`);
  } else {
    f.nics.forEach((nf, i) => {
      const n = m.nics[i]!;
      within(`NIC ${i} model`, n.model, nf.model);
      if (nf.sourceModel !== undefined) within(`NIC ${i} sourceModel`, n.sourceModel, nf.sourceModel);
      if (nf.mac !== undefined) eq(`NIC ${i} mac`, n.mac, nf.mac);
      if (nf.network !== undefined) eq(`NIC ${i} network`, n.network, nf.network);
    });
  }

  const warnings = [...m.warnings, ...plan.warnings];
  for (const re of f.warnings ?? []) {
    if (!warnings.some((w) => re.test(w))) bad.push(`${at}: no warning matches ${re}; warnings: ${show(warnings)}`);
  }
  if (f.description && !f.description.test(m.description)) bad.push(`${at}: description ${show(m.description)} does not match ${f.description}`);
  if (f.product) {
    if (!m.product) bad.push(`${at}: no product information, expected ${show(f.product)}`);
    else for (const [k, v] of Object.entries(f.product)) eq(`product.${k}`, m.product[k as keyof ProductInfo], v);
  }
  for (const re of f.eulas ?? []) {
    if (!m.eulas.some((e) => re.test(e))) bad.push(`${at}: no EULA matches ${re}; eulas: ${show(m.eulas)}`);
  }
  return bad;
}

function checkFixture(fx: FixtureFact, plan: AppliancePlan): string[] {
  const bad: string[] = [];
  const parsed = AppliancePlan.safeParse(plan);
  if (!parsed.success) bad.push(`${fx.file}: the plan does not match the AppliancePlan schema: ${parsed.error.message}`);
  if (plan.ovfVersion !== fx.ovfVersion) bad.push(`${fx.file}: ovfVersion is ${show(plan.ovfVersion)}, expected ${show(fx.ovfVersion)}`);
  const files = plan.files.map((f) => [f.href, f.sizeBytes]);
  if (show(files) !== show(fx.files)) bad.push(`${fx.file}: files (References) are ${show(files)}, expected ${show(fx.files)}`);
  if (plan.machines.length !== fx.machines.length) {
    bad.push(`${fx.file}: ${plan.machines.length} machines (${plan.machines.map((m) => m.name).join(', ')}), expected ${fx.machines.length}`);
    return bad;
  }
  fx.machines.forEach((f, i) => bad.push(...checkMachine(fx, plan, plan.machines[i]!, f)));
  return bad;
}

const fixturePath = (file: string) => join(repoRoot, 'test', 'fixtures', 'ovf', file);

describe('OVF corpus: each producer dialect maps to the documented plan', () => {
  for (const fx of FIXTURES) {
    test(`${fx.file}: ${fx.about}`, () => {
      const bytes = readFileSync(fixturePath(fx.file));
      const plan = planAppliance(new Uint8Array(bytes), fx.file);
      const bad = checkFixture(fx, plan);
      assert.ok(bad.length === 0, `${bad.length} fact(s) differ:\n  ${bad.join('\n  ')}`);
      // the same descriptor as text plans the same
      assert.deepEqual(planAppliance(bytes.toString('utf8'), fx.file), plan, `${fx.file}: planning the text and the bytes differ`);
    });
  }

  test('every fixture in test/fixtures/ovf has its facts here', () => {
    const files = readdirSync(join(repoRoot, 'test', 'fixtures', 'ovf')).filter((f) => f.endsWith('.ovf')).sort();
    assert.deepEqual(files, FIXTURES.map((f) => f.file).sort());
  });
});

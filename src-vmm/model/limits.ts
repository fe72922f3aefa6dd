// Every limit of the machine model, named once. The reasons are QEMU's or the guest's, noted per line.

/** vCPUs per VM: a desktop manager's ceiling, well under QEMU's 255 on pc / 288 on q35. */
export const MAX_CPUS = 64;
/** The least memory QEMU's x86 machines start with usefully (SeaBIOS needs a few MiB). */
export const MIN_MEMORY_MIB = 16;
/** 1 TiB. */
export const MAX_MEMORY_MIB = 1_048_576;

export const MAX_NAME_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 4096;
export const MAX_APPEND_LENGTH = 4096;
export const MAX_PATH_LENGTH = 4096;

export const MAX_DISKS = 16;
export const MAX_OPTICALS = 4;
export const MAX_NICS = 8;
export const MAX_FORWARDS_PER_NIC = 32;

/**
 * Device ids are at most 24 characters: each disk becomes QEMU block nodes named `<id>_file` and
 * `<id>_fmt`, and QEMU refuses node names longer than 31 characters.
 */
export const MAX_DEVICE_ID_LENGTH = 24;
/** QEMU's limit for a block node name (`BlockDriverState.node_name` is 32 bytes with the NUL). */
export const MAX_QEMU_NODE_NAME_LENGTH = 31;

/** The pc (i440FX) board has one PIIX IDE controller: two buses with a master and a slave each. */
export const MAX_IDE_DEVICES_PC = 4;
/** One AHCI controller has six ports (q35's built-in one; the one Hangar adds on pc). */
export const MAX_SATA_DEVICES = 6;

/** Shared folders per VM: each is a PCI device (and for virtio-fs a virtiofsd process). */
export const MAX_SHARES = 8;
/** QEMU's 9p mount_tag holds at most 31 characters (virtio-fs allows 36): one limit for both. */
export const MAX_SHARE_TAG_LENGTH = 31;

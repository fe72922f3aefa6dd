// The codes of the problems the owner reports with data, so each surface can word its own remedy: the
// command line names its flags, the interface its buttons. The owner's messages say what is wrong,
// never which flag or button to use. Pure: imported by the owner, the CLI and the renderer.

/** A user's disk image names other files. data: { references: { kind, target }[] } */
export const IMAGE_READS_OTHER_FILES = 'IMAGE_READS_OTHER_FILES';
/** A file a VM needs is gone. data: { vm, role: 'disk' | 'iso' | 'kernel' | 'initrd' | 'firmware', path } */
export const FILE_MISSING = 'FILE_MISSING';
/** The VM is set to KVM and this host has none. data: { vm } */
export const KVM_UNAVAILABLE = 'KVM_UNAVAILABLE';
/** Nested virtualization is on (or asked for) and this host has no KVM. data: { vm? } */
export const NESTED_NEEDS_KVM = 'NESTED_NEEDS_KVM';
/** The guest did not shut down after the ACPI power button. data: { vm } */
export const GUEST_IGNORED_POWER_BUTTON = 'GUEST_IGNORED_POWER_BUTTON';
/** Linked clones are based on the VM's images. data: { vm, clones: string[] } */
export const LINKED_CLONES_DEPEND = 'LINKED_CLONES_DEPEND';
/** VMs still run. data: { vms: string[] } */
export const VMS_RUNNING = 'VMS_RUNNING';
/** An OS type the catalogue does not know. data: { osType } */
export const UNKNOWN_OS_TYPE = 'UNKNOWN_OS_TYPE';
/** virtio-fs cannot run on this host (virtiofsd missing, or not root); 9p shares can. data: { tag, reason } */
export const VIRTIOFS_UNAVAILABLE = 'VIRTIOFS_UNAVAILABLE';
/** A VM with shared folders cannot have its running state saved (QEMU blocks migration with virtio-fs and 9p). data: { vm, tags } */
export const SHARES_BLOCK_SAVE = 'SHARES_BLOCK_SAVE';
/** A VM that shares its clipboard cannot have its running state saved (QEMU 7.2's qemu-vdagent blocks migration). data: { vm } */
export const CLIPBOARD_BLOCKS_SAVE = 'CLIPBOARD_BLOCKS_SAVE';
/** A share tag is already used by another shared folder of the VM. data: { tag } */
export const SHARE_TAG_TAKEN = 'SHARE_TAG_TAKEN';
/** No guest agent answers in the VM (not installed, not running). data: { vm } */
export const AGENT_ABSENT = 'AGENT_ABSENT';
/** A running VM with shared folders cannot keep its RAM state, and no agent answers to freeze its file systems. data: { vm, tags } */
export const SHARES_NEED_QUIESCE = 'SHARES_NEED_QUIESCE';
/** A bridged network names no bridge, or one the host does not have. data: { bridge?, bridges: string[] (the host's bridges) } */
export const NETWORK_BRIDGE_MISSING = 'NETWORK_BRIDGE_MISSING';
/** A new network's subnet overlaps another network's or the host's. data: { network? , iface? } */
export const NETWORK_SUBNET_OVERLAP = 'NETWORK_SUBNET_OVERLAP';
/** A network cannot be deleted while VMs have cards on it. data: { network, vms: string[] } */
export const NETWORK_IN_USE = 'NETWORK_IN_USE';
/** A network needs host privileges (CAP_NET_ADMIN) that the owner lacks. data: { network, mode } */
export const NETWORK_NEEDS_PRIVILEGE = 'NETWORK_NEEDS_PRIVILEGE';
/** A card's model, MAC or network cannot change while the VM runs (remove it and add another). data: { vm, nic } */
export const NIC_CHANGE_NEEDS_STOP = 'NIC_CHANGE_NEEDS_STOP';
/** No network of that name. data: { network } */
export const NETWORK_NOT_FOUND = 'NETWORK_NOT_FOUND';
/** VMs are made from a library image (their disks are based on it, or it is in their drive). data: { image, vms: string[] } */
export const LIBRARY_IMAGE_IN_USE = 'LIBRARY_IMAGE_IN_USE';
/** No library image has that name, and it is no file either. data: { image } */
export const LIBRARY_IMAGE_NOT_FOUND = 'LIBRARY_IMAGE_NOT_FOUND';
/** Hangar cannot install this media unattended. data: { media, os?: string, reason } */
export const UNATTENDED_UNAVAILABLE = 'UNATTENDED_UNAVAILABLE';
/** A password was given without the account it is for. data: {} */
export const PASSWORD_NEEDS_USER = 'PASSWORD_NEEDS_USER';

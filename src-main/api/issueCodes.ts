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
/** VMs are made from a library image (their disks are based on it, or it is in their drive). data: { image, vms: string[] } */
export const LIBRARY_IMAGE_IN_USE = 'LIBRARY_IMAGE_IN_USE';
/** No library image has that name, and it is no file either. data: { image } */
export const LIBRARY_IMAGE_NOT_FOUND = 'LIBRARY_IMAGE_NOT_FOUND';
/** Hangar cannot install this media unattended. data: { media, os?: string, reason } */
export const UNATTENDED_UNAVAILABLE = 'UNATTENDED_UNAVAILABLE';
/** A password was given without the account it is for. data: {} */
export const PASSWORD_NEEDS_USER = 'PASSWORD_NEEDS_USER';

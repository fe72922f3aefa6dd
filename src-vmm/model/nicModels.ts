// The network card models QEMU emulates for Hangar's machines, with the labels people read. Kept
// apart from the zod schemas (nics.ts) so that the `hangar` command's first chunk loads without zod.

export const NIC_MODELS = [
  { value: 'virtio', label: 'VirtIO (paravirtual)' },
  { value: 'e1000', label: 'Intel PRO/1000 MT (e1000)' },
  { value: 'e1000e', label: 'Intel 82574L (e1000e)' },
  { value: 'rtl8139', label: 'Realtek RTL8139' },
  { value: 'vmxnet3', label: 'VMware vmxnet3' },
  { value: 'pcnet', label: 'AMD PCnet' },
] as const;
export type NicModel = (typeof NIC_MODELS)[number]['value'];

// Network cards: each is on a Hangar network (by the network's id), or on a user-mode (NAT) network of
// its own with optional port forwards from the host; its cable can be unplugged.
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';
import { MAX_FORWARDS_PER_NIC, MAX_NICS } from './limits.js';
import { MacAddress } from './mac.js';
import { DeviceId, Ipv4 } from './names.js';
import { NIC_MODELS } from './nicModels.js';

export { NIC_MODELS, type NicModel } from './nicModels.js';

export const FORWARD_PROTOCOLS = [
  { value: 'tcp', label: 'TCP' },
  { value: 'udp', label: 'UDP' },
] as const;
export type ForwardProtocol = (typeof FORWARD_PROTOCOLS)[number]['value'];

/** Loopback: a forward is reachable from this desktop only unless the user says otherwise. */
export const DEFAULT_FORWARD_HOST_ADDRESS = '127.0.0.1';

const Port = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(1, `${what} must be between 1 and 65535`)
    .max(65535, `${what} must be between 1 and 65535`);

export const PortForward = z
  .object({
    protocol: z.enum(choiceValues(FORWARD_PROTOCOLS), { error: `protocol must be ${describeChoices(FORWARD_PROTOCOLS)}` }),
    hostAddress: Ipv4.default(DEFAULT_FORWARD_HOST_ADDRESS),
    hostPort: Port('host port'),
    guestPort: Port('guest port'),
  })
  .strict();
export type PortForward = z.infer<typeof PortForward>;

export const Nic = z
  .object({
    id: DeviceId,
    model: z.enum(choiceValues(NIC_MODELS), { error: `NIC model must be ${describeChoices(NIC_MODELS)}` }),
    mac: MacAddress,
    forwards: z.array(PortForward).max(MAX_FORWARDS_PER_NIC, `a NIC can have at most ${MAX_FORWARDS_PER_NIC} port forwards`),
    /** the id of the Hangar network the card is on; absent: user-mode NAT of its own (configs before networks have none) */
    network: z.uuid({ error: 'network must be a network id' }).optional(),
    /** the cable: absent means connected */
    linkUp: z.boolean({ error: 'linkUp must be true or false' }).optional(),
  })
  .strict();
export type Nic = z.infer<typeof Nic>;

export const NicsSection = z.array(Nic).max(MAX_NICS, `a VM can have at most ${MAX_NICS} network cards`);

/** Whether a card's cable is connected (configs saved before the setting existed: yes). */
export function isLinkUp(nic: Pick<Nic, 'linkUp'>): boolean {
  return nic.linkUp !== false;
}

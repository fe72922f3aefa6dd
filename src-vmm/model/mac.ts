// MAC addresses: the format Hangar stores, and random ones for new NICs.
import { z } from 'zod';

/**
 * Hangar's prefix for generated MACs, "HG" after the first byte. 0x0a has the locally administered
 * bit (0x02) set and the multicast bit (0x01) clear, so these never clash with a vendor's addresses
 * (QEMU's own default prefix 52:54:00 is in the same locally administered space, but is QEMU's).
 */
export const HANGAR_MAC_PREFIX = '0a:48:47';

const MAC_FORMAT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Why a MAC is not usable for a NIC, or undefined when it is. */
export function macProblem(mac: string): string | undefined {
  if (!MAC_FORMAT.test(mac)) return 'MAC address must look like 0a:48:47:12:34:56 (six lower-case hex bytes)';
  if (parseInt(mac.slice(0, 2), 16) & 1) return 'MAC address must be unicast (the first byte must be even)';
  if (mac === '00:00:00:00:00:00') return 'MAC address must not be all zeros';
  return undefined;
}

export function isValidMac(mac: string): boolean {
  return macProblem(mac) === undefined;
}

export const MacAddress = z.string({ error: 'MAC address must be a string' }).superRefine((mac, ctx) => {
  const problem = macProblem(mac);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A new MAC with Hangar's prefix; `rand` returns numbers in [0, 1) like Math.random. */
export function randomMac(rand: () => number): string {
  const byte = () => Math.min(255, Math.max(0, Math.floor(rand() * 256)));
  const tail = [byte(), byte(), byte()].map((b) => b.toString(16).padStart(2, '0'));
  return [HANGAR_MAC_PREFIX, ...tail].join(':');
}

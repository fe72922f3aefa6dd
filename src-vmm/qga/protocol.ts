// The QEMU guest agent's wire protocol (pure): JSON objects, one per line, over a virtio-serial port.
// Unlike QMP there is no greeting and no ids: replies come in order. Because requests queue up in the
// port while no agent reads them (and an agent may restart mid-conversation), a conversation begins
// with guest-sync-delimited: the agent answers with a 0xFF byte, then `{"return": <the id we sent>}`,
// and everything before the 0xFF (stale replies) is thrown away.

/** The byte the agent sends before its reply to guest-sync-delimited. */
export const QGA_DELIMITER = 0xff;
/** Longest line accepted: guest-exec-status carries up to 16 MiB of output as base64. */
export const QGA_MAX_LINE_BYTES = 32 * 1024 * 1024;

export type QgaMessage = { return: unknown } | { error: { class: string; desc: string } };

/**
 * Splits the agent's bytes into messages. `resync()` drops everything received until the next 0xFF
 * delimiter; 0xFF bytes elsewhere and lines that are not JSON objects are dropped (and reported).
 */
export class QgaDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private waitingForDelimiter = false;

  constructor(private readonly onJunk: (why: string) => void = () => undefined) {}

  resync(): void {
    this.waitingForDelimiter = true;
    this.buffer = Buffer.alloc(0);
  }

  push(chunk: Buffer): QgaMessage[] {
    let data = chunk;
    if (this.waitingForDelimiter) {
      const at = data.indexOf(QGA_DELIMITER);
      if (at < 0) return [];
      this.waitingForDelimiter = false;
      data = data.subarray(at + 1);
    }
    this.buffer = Buffer.concat([this.buffer, data]);
    const out: QgaMessage[] = [];
    for (let nl = this.buffer.indexOf(0x0a); nl >= 0; nl = this.buffer.indexOf(0x0a)) {
      const line = this.buffer.subarray(0, nl);
      this.buffer = this.buffer.subarray(nl + 1);
      const text = Buffer.from(line.filter((b) => b !== QGA_DELIMITER)).toString('utf8').trim();
      if (!text) continue;
      try {
        const v = JSON.parse(text) as unknown;
        if (v && typeof v === 'object' && ('return' in v || 'error' in v)) out.push(v as QgaMessage);
        else this.onJunk(`not a reply: ${text.slice(0, 80)}`);
      } catch {
        this.onJunk(`not JSON: ${text.slice(0, 80)}`);
      }
    }
    if (this.buffer.length > QGA_MAX_LINE_BYTES) {
      this.onJunk(`a line longer than ${QGA_MAX_LINE_BYTES} bytes; resynchronizing`);
      this.resync();
    }
    return out;
  }
}

export function encodeQga(command: string, args?: Record<string, unknown>): Buffer {
  return Buffer.from(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
}

// --- what Hangar reads from the agent ---------------------------------------------------------

export interface QgaInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: { 'ip-address-type': 'ipv4' | 'ipv6'; 'ip-address': string; prefix: number }[];
}

export interface QgaOsInfo {
  id?: string;
  name?: string;
  'pretty-name'?: string;
  version?: string;
  'version-id'?: string;
  'kernel-release'?: string;
  machine?: string;
}

export interface QgaExecStatus {
  exited: boolean;
  exitcode?: number;
  signal?: number;
  'out-data'?: string;
  'err-data'?: string;
  'out-truncated'?: boolean;
  'err-truncated'?: boolean;
}

/** What the interface and `show` say about a guest. */
export interface GuestFacts {
  hostname: string | null;
  osName: string | null;
  ipAddresses: string[];
}

/**
 * The addresses worth showing: every interface's but the loopback's, IPv4 first, and no IPv6 link-local
 * addresses (fe80::, only reachable with an interface name).
 */
export function guestAddresses(interfaces: readonly QgaInterface[]): string[] {
  const all = interfaces
    .filter((i) => i.name !== 'lo')
    .flatMap((i) => i['ip-addresses'] ?? [])
    .filter((a) => !(a['ip-address-type'] === 'ipv4' && a['ip-address'].startsWith('127.')))
    .filter((a) => !(a['ip-address-type'] === 'ipv6' && (a['ip-address'] === '::1' || /^fe[89ab]/i.test(a['ip-address']))));
  const v4 = all.filter((a) => a['ip-address-type'] === 'ipv4').map((a) => a['ip-address']);
  const v6 = all.filter((a) => a['ip-address-type'] === 'ipv6').map((a) => a['ip-address']);
  return [...new Set([...v4, ...v6])];
}

/** The OS's own name for itself: its pretty name, else name and version. */
export function osNameOf(info: QgaOsInfo | null): string | null {
  if (!info) return null;
  if (info['pretty-name']) return info['pretty-name'];
  if (info.name) return [info.name, info.version ?? info['version-id']].filter(Boolean).join(' ');
  return null;
}

/** A process's end as a shell reports it: its exit code, or 128 + the signal that ended it. */
export function shellStatus(s: { exitcode?: number; signal?: number }): number {
  if (s.signal !== undefined) return 128 + s.signal;
  return s.exitcode ?? 0;
}

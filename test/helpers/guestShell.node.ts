// Runs shell commands in a test guest over its serial console (through `hangar send` and `hangar serial`)
// and returns their output and exit status: what a person at the console would see, parsed.
import { runCli, waitUntil } from './cli.node.js';
import { GUEST_NET } from '../fixtures/guest.node.js';

let counter = 0;

export interface GuestResult {
  /** stdout and stderr of the command, as the console showed them (line ends normalized) */
  output: string;
  status: number;
}

/**
 * `sh(vm, command)`: types `command` into the guest's console and waits for it to finish. The markers
 * around its output are printed with printf, so the echoed command line never matches them.
 */
export function guestShell(home: string) {
  return async function sh(vm: string, command: string, timeoutMs = 60_000): Promise<GuestResult> {
    const n = `${process.pid}x${++counter}`;
    const before = (await runCli(home, ['serial', vm])).stdout.length;
    const line = `printf '%s-%s\\n' HB ${n}; { ${command}; } 2>&1; printf '%s-%s rc=%s\\n' HE ${n} $?`;
    const sent = await runCli(home, ['send', vm, line]);
    if (sent.code !== 0) throw new Error(`hangar send failed: ${sent.stderr}`);
    const re = new RegExp(`HB-${n}\\r?\\n([\\s\\S]*?)HE-${n} rc=(\\d+)`);
    const m = await waitUntil(`'${command}' to finish in ${vm}`, async () => re.exec((await runCli(home, ['serial', vm])).stdout.slice(before)) ?? undefined, timeoutMs, 300);
    // The test guest prints its DHCP lease (GUEST_NET) in the background at any point after READY: a
    // line that lands between the markers is the guest's, not the command's (a remotes test on CI).
    const output = m[1]!.replace(/\r\n/g, '\n').replace(new RegExp(`^${GUEST_NET} [^\n]*\n`, 'gm'), '');
    return { output, status: Number(m[2]) };
  };
}

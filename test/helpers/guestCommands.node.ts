// Commands typed into a test guest's serial shell through `hangar send`, and their results read back
// from `hangar serial`: each command's exit status (or a value it prints) is echoed with a tag of its
// own, written so that the echo of the typed line itself never matches.
import { waitUntil, type CliResult } from './cli.node.js';

export function guestCommands(h: (...args: string[]) => Promise<CliResult>) {
  let n = 0;
  const send = async (vm: string, line: string) => {
    const r = await h('send', vm, line);
    if (r.code !== 0) throw new Error(`hangar send ${vm} failed: ${r.stderr}`);
  };
  const read = async (vm: string, re: RegExp, what: string, timeoutMs: number) =>
    waitUntil(what, async () => (await h('serial', vm)).stdout.match(re)?.[1], timeoutMs, 300);
  return {
    /** Runs `command` in the guest and resolves with its exit status. */
    async status(vm: string, command: string, timeoutMs = 30_000): Promise<number> {
      const tag = `rc${++n}x`;
      await send(vm, `${command}; echo ${tag}=$?`);
      return Number(await read(vm, new RegExp(`${tag}=(\\d+)`), `'${command}' in ${vm}`, timeoutMs));
    },
    /** Runs `command` in the guest and resolves with what it printed (one line, trimmed). */
    async value(vm: string, command: string, timeoutMs = 30_000): Promise<string> {
      const tag = `out${++n}x`;
      await send(vm, `echo "${tag}=[$(${command} 2>&1 | tr '\\n' ' ')]"`);
      return (await read(vm, new RegExp(`${tag}=\\[([^\\]$]*)\\]`), `'${command}' in ${vm}`, timeoutMs)).trim();
    },
  };
}

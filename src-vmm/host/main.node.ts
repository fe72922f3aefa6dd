// Entry point of a VMM host process, forked by the owner's supervisor (child_process.fork):
//   `node main.node.js <host-spec.json>`  runs the VM the spec describes; its stderr is the VM's host log.
//   `node main.node.js --standby`          loads everything, says {t:'standing-by'} and waits for
//                                          {t:'assign', specPath, logPath} on its IPC channel, then runs
//                                          that VM and writes its log to logPath. The owner keeps one
//                                          such process waiting, so a start does not wait for Node and
//                                          this bundle to load (see fork.node.ts).
import { openSync, readFileSync, writeSync } from 'node:fs';
import { HostSpec, StandbyAssignment } from '../protocol/contract.js';
import { VmmHost } from './vmmHost.node.js';

// Sockets and files this process (and QEMU, which inherits the mask) creates are private to the user.
process.umask(0o077);
// The owner may go away: this process must not die with it.
process.on('SIGHUP', () => undefined);
process.on('SIGPIPE', () => undefined);

const arg = process.argv[2];
if (!arg) {
  process.stderr.write('usage: main.node.js <host-spec.json> | --standby\n');
  process.exit(2);
}
if (arg === '--standby') standBy();
else runVm(arg, (text) => process.stderr.write(text));

/** Waits, loaded, for the owner to hand over a VM; exits when the owner goes first. */
function standBy(): void {
  process.title = 'hangar-vmm (standby)';
  const onMessage = (m: unknown) => {
    const a = StandbyAssignment.safeParse(m);
    if (!a.success) return;
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
    let fd: number;
    try {
      fd = openSync(a.data.logPath, 'a', 0o600);
    } catch (e) {
      process.stderr.write(`${new Date().toISOString()} standby VMM host pid=${process.pid}: cannot open ${a.data.logPath}: ${(e as Error).message}\n`);
      process.exit(1);
    }
    runVm(a.data.specPath, (text) => {
      try {
        writeSync(fd, text);
      } catch {
        /* logging must never take the host down */
      }
    });
  };
  // Unassigned, it has no VM to outlive the owner for.
  const onDisconnect = () => process.exit(0);
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);
  process.send?.({ t: 'standing-by' });
}

function runVm(specPath: string, write: (text: string) => void): void {
  let log = (line: string) => write(`${new Date().toISOString()} pid=${process.pid} ${line}\n`);
  let spec: HostSpec;
  try {
    spec = HostSpec.parse(JSON.parse(readFileSync(specPath, 'utf8')));
  } catch (e) {
    log(`fatal: cannot read the host spec ${specPath}: ${(e as Error).message}`);
    process.exit(1);
  }
  log = (line: string) => write(`${new Date().toISOString()} vm=${spec.vmId} pid=${process.pid} ${line}\n`);
  process.title = `hangar-vmm ${spec.vmName}`;
  log(`VMM host started from ${process.argv[1]}${process.argv[2] === '--standby' ? ' (it stood by, loaded, until this start)' : ''}`);
  process.on('SIGHUP', () => log('SIGHUP ignored'));
  process.on('disconnect', () => log('owner channel closed'));
  process.on('uncaughtException', (e) => {
    log(`uncaught: ${e.stack ?? e.message}`);
  });

  const host = new VmmHost(spec, log);
  host
    .run(() => {
      // Tell a forking parent that the host socket is listening, then cut the channel so the owner
      // can exit without taking this process with it.
      if (process.send) {
        process.send({ t: 'listening', hostPid: process.pid }, () => process.disconnect?.());
      }
    })
    .then(
      async () => {
        // The socket is freed at once; owners get what was written to them (the final state event, the
        // last replies) and see the connection close, which tells a waiting start that this host is gone.
        await host.finish(1_000);
        process.exit(0);
      },
      (e: unknown) => {
        log(`fatal: ${(e as Error)?.stack ?? String(e)}`);
        process.exit(1);
      },
    );
}

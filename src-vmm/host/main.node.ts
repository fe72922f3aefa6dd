// Entry point of a VMM host process: `node main.node.js <host-spec.json>`.
// Forked by the owner's supervisor (child_process.fork under Node, utilityProcess.fork in Electron).
import { readFileSync } from 'node:fs';
import { HostSpec } from '../protocol/contract.js';
import { VmmHost } from './vmmHost.node.js';

const specPath = process.argv[2];
if (!specPath) {
  process.stderr.write('usage: main.node.js <host-spec.json>\n');
  process.exit(2);
}
const spec = HostSpec.parse(JSON.parse(readFileSync(specPath, 'utf8')));
// Sockets and files this process (and QEMU, which inherits the mask) creates are private to the user.
process.umask(0o077);
const log = (line: string) => process.stderr.write(`${new Date().toISOString()} vm=${spec.vmId} pid=${process.pid} ${line}\n`);
process.title = `hangar-vmm ${spec.vmName}`;
log(`VMM host started from ${process.argv[1]}`);

// The owner may go away: this process must not die with it.
process.on('SIGHUP', () => log('SIGHUP ignored'));
process.on('SIGPIPE', () => undefined);
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
    () => {
      // Give connected owners a moment to read the final state event.
      setTimeout(() => {
        host.dispose();
        process.exit(0);
      }, 300);
    },
    (e: unknown) => {
      log(`fatal: ${(e as Error)?.stack ?? String(e)}`);
      process.exit(1);
    },
  );

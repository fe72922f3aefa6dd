// The owner API's migration methods (see contract.ts), handed to createHandlers.
import type { Handlers } from '../../src-vmm/base/rpc.js';
import type { migrationApi } from './contract.js';
import type { MigrationService } from './migrationService.node.js';

export function migrationHandlers(m: MigrationService): Handlers<typeof migrationApi> {
  return {
    'vm.migrate': async (input, ctx) =>
      m.migrate(input, { signal: ctx.signal, onProgress: (fraction, message) => ctx.progress(message === undefined ? { fraction } : { fraction, message }) }),
    'migration.prepare': async (input, ctx) => m.prepare(input, ctx.connection, ctx.signal),
    'migration.launch': async ({ id }, ctx) => m.launch(id, ctx.signal),
    'migration.finish': async ({ id }) => m.finish(id),
    'migration.abort': async ({ id }) => m.abort(id),
  };
}

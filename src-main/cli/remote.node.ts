// `hangar remote …`, `hangar list --remote R`, and the VM commands given a remote VM (REMOTE/DOMAIN,
// where REMOTE names a remote): they go to the owner's remote.* methods. Returns undefined for a
// command that is not about a remote, which main then runs as usual.
import type { Client, Progress } from '../../src-vmm/base/rpc.js';
import type { HangarApi } from '../api/contract.js';
import { formatRemoteSnapshotTree, splitRemoteRef } from '../remotes/model.js';
import { usageError, type ParsedCommand } from './args.js';
import { formatTable } from './output.js';
import { formatMigrated, migrateRequest } from './migrate.node.js';
import { TerminalFilter } from './terminalFilter.js';

type Api = Client<HangarApi>;
type Print = (p: ParsedCommand, value: unknown, human: () => string) => void;
type WithProgress = <T>(p: ParsedCommand, label: string, call: (opts: { signal: AbortSignal; onProgress: (pr: Progress) => void }) => Promise<T>) => Promise<T>;

const REMOTE_VM_COMMANDS = ['start', 'stop', 'pause', 'resume', 'reset', 'serial', 'send', 'snapshot take', 'snapshot list', 'snapshot restore', 'snapshot delete', 'show', 'migrate'];

export async function runRemoteCommand(api: Api, p: ParsedCommand, print: Print, withProgress: WithProgress): Promise<number | undefined> {
  switch (p.command) {
    case 'remote add': {
      const r = await api.call('remote.add', { name: p.args[0]!, uri: p.args[1]! });
      print(p, r, () => `remote ${r.name}: ${r.state}, libvirt ${r.libvirtVersion ?? '?'}${r.hypervisor ? `, ${r.hypervisor}` : ''}`);
      return 0;
    }
    case 'remote list': {
      const r = await api.call('remote.list', {});
      print(p, r, () => formatTable(['NAME', 'STATE', 'LIBVIRT', 'URI', 'ERROR'], r.remotes.map((x) => [x.name, x.state, x.libvirtVersion ?? '', x.uri, x.error ?? ''])));
      return 0;
    }
    case 'remote remove': {
      const r = await api.call('remote.remove', { name: p.args[0]! });
      print(p, r, () => `removed remote ${r.name}`);
      return 0;
    }
    case 'send': {
      if (typeof p.flags.to !== 'string') {
        if (p.flags.pool !== undefined) throw usageError('--pool goes with --to REMOTE');
        if (p.args[1] === undefined) throw usageError("'send' needs VM TEXT, or VM --to REMOTE: see 'hangar help send'");
        break;
      }
      if (p.args[1] !== undefined) throw usageError(`--to sends the VM itself: unexpected text '${p.args[1]}'`);
      const r = await withProgress(p, 'sending', (opts) => api.call('remote.send', { ref: p.args[0]!, remote: String(p.flags.to), ...(typeof p.flags.pool === 'string' ? { pool: p.flags.pool } : {}) }, opts));
      print(p, r, () => `sent ${r.vm} to ${r.remote}/${r.domain} (pool ${r.pool}: ${r.volumes.map((v) => v.volume).join(', ')}; each checked by SHA-256)`);
      return 0;
    }
    case 'fetch': {
      const r = await withProgress(p, 'fetching', (opts) => api.call('remote.fetch', { ref: p.args[0]!, ...(typeof p.flags.name === 'string' ? { name: p.flags.name } : {}) }, opts));
      print(p, r, () => `fetched ${p.args[0]} as VM '${r.name}' (${r.id})`);
      return 0;
    }
    case 'list': {
      if (typeof p.flags.remote !== 'string') return undefined;
      const r = await api.call('remote.domains', { remote: p.flags.remote });
      print(p, r, () => formatTable(['NAME', 'STATE', 'ID'], r.domains.map((d) => [`${r.remote}/${d.name}`, d.state, d.id === null ? '-' : String(d.id)])));
      return 0;
    }
  }
  if (!REMOTE_VM_COMMANDS.includes(p.command)) return undefined;
  const ref = p.args[0] ?? '';
  const parts = splitRemoteRef(ref);
  if (!parts) return undefined;
  // A local VM's name may hold '/': REMOTE/DOMAIN is a remote VM only when REMOTE names a remote.
  const { remotes } = await api.call('remote.list', {});
  if (!remotes.some((r) => r.name.toLowerCase() === parts.remote.toLowerCase())) return undefined;
  switch (p.command) {
    case 'show':
    case 'start':
    case 'pause':
    case 'resume':
    case 'reset': {
      const r =
        p.command === 'show'
          ? await api.call('remote.domains', { remote: parts.remote }).then((l) => {
              const d = l.domains.find((x) => x.name === parts.domain);
              if (!d) throw usageError(`no domain '${parts.domain}' on remote '${parts.remote}'`);
              return { remote: l.remote, name: d.name, state: d.state };
            })
          : await api.call('remote.action', { ref, action: ({ start: 'start', pause: 'suspend', resume: 'resume', reset: 'reset' } as const)[p.command] });
      print(p, r, () => `${ref}: ${r.state}`);
      return 0;
    }
    case 'stop': {
      const r = await api.call('remote.action', { ref, action: p.flags.force === true ? 'destroy' : 'shutdown', ...(p.flags.timeout !== undefined ? { timeoutS: Number(p.flags.timeout) } : {}) });
      print(p, r, () => `${ref}: ${r.state}`);
      return 0;
    }
    case 'serial': {
      const bytes = Buffer.from((await api.call('remote.serial', { ref })).data, 'base64');
      if (p.flags.json) print(p, { text: bytes.toString('utf8') }, () => '');
      else if (p.flags.raw === true) process.stdout.write(bytes);
      else {
        const filter = new TerminalFilter();
        process.stdout.write(filter.push(bytes) + filter.end());
      }
      return 0;
    }
    case 'send':
      await api.call('remote.typeText', { ref, text: p.args[1] ?? '', enter: p.flags['no-enter'] !== true });
      print(p, { sent: true }, () => '');
      return 0;
    case 'snapshot take': {
      const name = typeof p.flags.name === 'string' && p.flags.name ? p.flags.name : `snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const r = await api.call('remote.snapshotTake', { ref, name, description: typeof p.flags.description === 'string' ? p.flags.description : '' });
      print(p, r, () => `took snapshot '${r.name}' of ${ref}${r.state === 'running' ? ', with the running state' : ''}`);
      return 0;
    }
    case 'snapshot list': {
      const r = await api.call('remote.snapshotList', { ref });
      print(p, r, () => formatRemoteSnapshotTree(r.snapshots));
      return 0;
    }
    case 'snapshot restore': {
      const r = await api.call('remote.snapshotRevert', { ref, snapshot: p.args[1]! });
      print(p, r, () => `${ref}: restored '${p.args[1]}', now ${r.state}`);
      return 0;
    }
    case 'migrate': {
      // to another remote, by libvirt's own live migration (a task: remote.migrate)
      const { target, copyStorage, maxDowntimeMs, bandwidthMiBs } = migrateRequest(p);
      if (p.flags.pool !== undefined && !copyStorage) throw usageError('--pool goes with --copy-storage');
      const input = { ref, target, copyStorage, ...(typeof p.flags.pool === 'string' ? { pool: p.flags.pool } : {}), ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}), ...(bandwidthMiBs !== undefined ? { bandwidthMiBs } : {}) };
      const r = await withProgress(p, 'migrating', (opts) => api.call('remote.migrate', input, opts));
      print(p, r, () => formatMigrated(r));
      return 0;
    }
    case 'snapshot delete':
      await api.call('remote.snapshotDelete', { ref, snapshot: p.args[1]! });
      print(p, { deleted: p.args[1] }, () => `deleted snapshot '${p.args[1]}' of ${ref}`);
      return 0;
  }
  return undefined;
}

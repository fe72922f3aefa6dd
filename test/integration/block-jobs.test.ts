// The VMM host's block jobs against a real QEMU: a machine that never leaves prelaunch (-S, nothing to
// boot) with three virtio disks on real qcow2 chains. The host's own code switches a disk to an overlay
// and back, streams an image's data into the disk above it, cancels a stream, and commits an image below
// the active layer down into its base; qemu-io and qemu-img
// then read the files. First, every command shape the host sends is checked against QEMU's own schema
// (query-qmp-schema), as argv-qemu checks the command line against the binary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { BlockJobs } from '../../src-vmm/host/blockJobs.node.js';
import { QmpClient } from '../../src-vmm/qmp/client.node.js';
import { activeCommitArgs, commitArgs, localMigrationParameters, snapshotTransaction, streamArgs, topNodeOf } from '../../src-vmm/qmp/block.js';
import type { QmpCommandName } from '../../src-vmm/qmp/types.js';
import { migrationCapabilities, migrationParameters, mirrorArgs, nbdClientNode, nbdExportArgs, nbdServerArgs } from '../../src-vmm/qmp/migration.js';

const QEMU = 'qemu-system-x86_64';
const MIB = 1 << 20;

interface SchemaMember {
  name: string;
  type: string;
  default?: unknown;
  features?: string[];
}
interface SchemaInfo {
  name: string;
  'meta-type': 'builtin' | 'enum' | 'array' | 'object' | 'alternate' | 'command' | 'event';
  'json-type'?: string;
  values?: string[];
  'element-type'?: string;
  members?: SchemaMember[];
  tag?: string;
  variants?: { case: string; type: string }[];
  'arg-type'?: string;
  'ret-type'?: string;
}

/** Checks a value against a QAPI type of the introspected schema: members, optionality, enums, deprecated members. */
class Schema {
  private readonly byName: Map<string, SchemaInfo>;

  constructor(entries: SchemaInfo[]) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get(name: string): SchemaInfo {
    const e = this.byName.get(name);
    assert.ok(e, `QEMU's schema has no '${name}'`);
    return e;
  }

  /** The members of an object type, with those of the variant the value's tag selects. */
  private members(t: SchemaInfo, v: Record<string, unknown>): SchemaMember[] {
    const own = t.members ?? [];
    if (!t.tag || !t.variants) return own;
    const variant = t.variants.find((x) => x.case === v[t.tag!]);
    return variant ? [...own, ...this.members(this.get(variant.type), v)] : own;
  }

  problems(type: string, v: unknown, at: string): string[] {
    const t = this.get(type);
    switch (t['meta-type']) {
      case 'builtin': {
        const ok: Record<string, (x: unknown) => boolean> = {
          string: (x) => typeof x === 'string',
          int: (x) => Number.isInteger(x),
          number: (x) => typeof x === 'number',
          boolean: (x) => typeof x === 'boolean',
          null: (x) => x === null,
          value: () => true,
        };
        return (ok[t['json-type']!] ?? (() => false))(v) ? [] : [`${at}: ${JSON.stringify(v)} is not a ${t['json-type']}`];
      }
      case 'enum':
        return t.values!.includes(v as string) ? [] : [`${at}: ${JSON.stringify(v)} is not one of ${t.values!.join(', ')}`];
      case 'array':
        return Array.isArray(v) ? v.flatMap((x, i) => this.problems(t['element-type']!, x, `${at}[${i}]`)) : [`${at}: not an array`];
      case 'alternate':
        return t.members!.some((m) => this.problems(m.type, v, at).length === 0) ? [] : [`${at}: matches no branch of ${t.name}`];
      case 'object': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return [`${at}: not an object`];
        const obj = v as Record<string, unknown>;
        const members = this.members(t, obj);
        const out: string[] = [];
        for (const [k, x] of Object.entries(obj)) {
          const m = members.find((mm) => mm.name === k);
          if (!m) out.push(`${at}.${k}: QEMU has no such member`);
          else {
            if (m.features?.includes('deprecated')) out.push(`${at}.${k}: deprecated`);
            out.push(...this.problems(m.type, x, `${at}.${k}`));
          }
        }
        for (const m of members) if (!('default' in m) && !(m.name in obj)) out.push(`${at}.${m.name}: missing`);
        return out;
      }
      default:
        return [`${at}: ${t['meta-type']} is not a value type`];
    }
  }

  command(name: QmpCommandName, args: unknown): string[] {
    const c = this.get(name);
    assert.equal(c['meta-type'], 'command');
    return this.problems(c['arg-type']!, args ?? {}, name);
  }

  /** The members of what a command returns (the element type for a list), to check the fields Hangar reads. */
  returnedMembers(name: QmpCommandName): string[] {
    let t = this.get(this.get(name)['ret-type']!);
    if (t['meta-type'] === 'array') t = this.get(t['element-type']!);
    return (t.members ?? []).map((m) => m.name);
  }

  eventMembers(name: string): SchemaMember[] {
    const e = this.get(name);
    assert.equal(e['meta-type'], 'event');
    return this.get(e['arg-type']!).members ?? [];
  }
}

function img(...args: string[]): void {
  const r = spawnSync('qemu-img', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `qemu-img ${args.join(' ')}: ${r.stderr}`);
}

function io(file: string, command: string, readOnly = false): string {
  const r = spawnSync('qemu-io', ['-f', 'qcow2', ...(readOnly ? ['-r'] : []), '-c', command, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `qemu-io ${command} ${file}: ${r.stderr}`);
  return r.stdout;
}

/** qemu-io reads back the pattern at a range: true when every byte is the pattern. */
function holds(file: string, pattern: number, offset: string, length: string): boolean {
  return !/Pattern verification failed/.test(io(file, `read -P ${pattern} ${offset} ${length}`, true));
}

function backingOf(file: string): string | null {
  const r = spawnSync('qemu-img', ['info', '--output=json', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { 'full-backing-filename'?: string })['full-backing-filename'] ?? null;
}

describe('block jobs on a real QEMU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-blockjobs-'));
  const f = (name: string) => join(dir, name);
  const sock = f('qmp.sock');
  const logs: string[] = [];
  const qmp = new QmpClient({ log: (l) => logs.push(l) });
  const jobs = new BlockJobs(qmp, (l) => logs.push(l));
  let qemu: ChildProcess;
  let exited: Promise<unknown>;
  let stderr = '';

  before(async () => {
    // disk0: base (pattern 1 at 0-8M) ← mid (2 at 8-16M) ← top (3 at 16-17M). disk1: big (256 MiB of 0x5a) ← top1.
    img('create', '-q', '-f', 'qcow2', f('base.qcow2'), '64M');
    io(f('base.qcow2'), 'write -P 1 0 8M');
    img('create', '-q', '-f', 'qcow2', '-b', f('base.qcow2'), '-F', 'qcow2', f('mid.qcow2'));
    io(f('mid.qcow2'), 'write -P 2 8M 8M');
    img('create', '-q', '-f', 'qcow2', '-b', f('mid.qcow2'), '-F', 'qcow2', f('top.qcow2'));
    io(f('top.qcow2'), 'write -P 3 16M 1M');
    img('create', '-q', '-f', 'qcow2', f('big.qcow2'), '512M');
    io(f('big.qcow2'), 'write -P 0x5a 0 256M');
    img('create', '-q', '-f', 'qcow2', '-b', f('big.qcow2'), '-F', 'qcow2', f('top1.qcow2'));
    // disk2: b2 (4 at 0-4M) ← a2 (5 at 4-8M, a snapshot's image, 0400) ← c2 (6 at 8-9M, the next one's, 0400) ← t2 (7 at 9-10M).
    for (const [file, base, pattern, at] of [['b2', null, 4, '0 4M'], ['a2', 'b2', 5, '4M 4M'], ['c2', 'a2', 6, '8M 1M'], ['t2', 'c2', 7, '9M 1M']] as const) {
      img('create', '-q', '-f', 'qcow2', ...(base ? ['-b', f(`${base}.qcow2`), '-F', 'qcow2'] : []), f(`${file}.qcow2`), ...(base ? [] : ['64M']));
      io(f(`${file}.qcow2`), `write -P ${pattern} ${at}`);
    }
    for (const frozen of ['b2', 'a2', 'c2']) spawnSync('chmod', ['0400', f(`${frozen}.qcow2`)]);
    const disk = (id: string, file: string) => [
      '-blockdev', JSON.stringify({ driver: 'qcow2', 'node-name': `${id}_fmt`, file: { driver: 'file', filename: file } }),
      '-device', JSON.stringify({ driver: 'virtio-blk-pci', drive: `${id}_fmt`, id }),
    ];
    qemu = spawn(QEMU, ['-M', 'pc', '-accel', 'tcg', '-nodefaults', '-display', 'none', '-S', '-qmp', `unix:${sock},server=on,wait=off`, ...disk('disk0', f('top.qcow2')), ...disk('disk1', f('top1.qcow2')), ...disk('disk2', f('t2.qcow2'))], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => qemu.once('exit', resolve));
    await qmp.connect(sock, { timeoutMs: 20_000, retryUntilMs: 20_000 });
  });

  after(async () => {
    await qmp.disconnect();
    if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('every command shape the host sends is one QEMU 7.2’s schema accepts, without deprecated members', async () => {
    const schema = new Schema((await qmp.execute('query-qmp-schema')) as SchemaInfo[]);
    const sent: [QmpCommandName, unknown][] = [
      ['transaction', snapshotTransaction([{ node: 'disk0_fmt', overlay: '/x/o.qcow2', overlayNode: 's1' }, { node: 'disk1_fmt', overlay: '/x/p.qcow2', overlayNode: 's2' }])],
      ['block-stream', streamArgs('stream-1', 'disk0_fmt', '#block1')],
      ['block-stream', streamArgs('stream-2', 'disk0_fmt', undefined)],
      ['block-commit', activeCommitArgs('undo-1', 's1', 'disk0_fmt')],
      ['block-commit', commitArgs('commit-1', 'disk2_fmt', '#block3', '#block4')],
      ['job-complete', { id: 'undo-1' }],
      ['job-dismiss', { id: 'undo-1' }],
      ['job-cancel', { id: 'stream-1' }],
      ['query-jobs', undefined],
      ['query-named-block-nodes', { flat: true }],
      ['query-block', undefined],
      ['migrate-set-parameters', localMigrationParameters()],
      // live migration (qmp/migration.ts)
      ['migrate-set-parameters', migrationParameters({ maxDowntimeMs: 50, bandwidthBytes: 1 << 20 })],
      ['migrate-set-capabilities', migrationCapabilities()],
      ['migrate', { uri: 'unix:/x/in.sock' }],
      ['migrate-incoming', { uri: 'unix:/x/in.sock' }],
      ['migrate_cancel', undefined],
      ['blockdev-add', nbdClientNode('disk0', '/x/nbd.sock', 'disk0')],
      ['blockdev-mirror', mirrorArgs('disk0', 'disk0_fmt')],
      ['blockdev-mirror', mirrorArgs('disk0', 'disk0_fmt', 'top')],
      ['block-job-cancel', { device: 'migrate-disk0', force: true }],
      ['blockdev-del', { 'node-name': 'migrate-nbd-disk0' }],
      ['nbd-server-start', nbdServerArgs('/x/nbd.sock')],
      ['block-export-add', nbdExportArgs('disk0', 'disk0_fmt', 'disk0')],
      ['block-export-del', { id: 'migrate-export-disk0', mode: 'hard' }],
      ['nbd-server-stop', undefined],
    ];
    assert.deepEqual(sent.flatMap(([name, args]) => schema.command(name, args)), []);
    // A shape QEMU would refuse is caught: the check can fail.
    assert.deepEqual(schema.command('block-commit', { device: 'x', base: '/f' }), ['block-commit.base: deprecated']);
    assert.deepEqual(schema.command('job-dismiss', { device: 'x' }), ['job-dismiss.device: QEMU has no such member', 'job-dismiss.id: missing']);
    // The fields the host reads from replies and events exist.
    for (const [name, fields] of [
      ['query-jobs', ['id', 'status', 'current-progress', 'total-progress', 'error']],
      ['query-named-block-nodes', ['node-name', 'drv', 'file']],
      ['query-block', ['qdev', 'inserted']],
      ['query-migrate', ['status', 'ram', 'total-time', 'expected-downtime', 'downtime', 'error-desc']],
    ] as [QmpCommandName, string[]][]) {
      const have = schema.returnedMembers(name);
      for (const field of fields) assert.ok(have.includes(field), `${name} returns ${field}`);
    }
    const jobStatus = schema.eventMembers('JOB_STATUS_CHANGE');
    assert.deepEqual(jobStatus.map((m) => m.name).sort(), ['id', 'status']);
    const statuses = schema.get(jobStatus.find((m) => m.name === 'status')!.type).values!;
    for (const s of ['ready', 'concluded', 'aborting']) assert.ok(statuses.includes(s), `job status ${s}`);
  });

  test('a disk switched to an overlay switches back, the writes made meanwhile committed into its image', async () => {
    const overlay = f('top-overlay.qcow2');
    await qmp.execute('transaction', snapshotTransaction([{ node: 'disk0_fmt', overlay, overlayNode: 'sov0' }]));
    assert.equal(topNodeOf(await qmp.execute('query-block'), 'disk0'), 'sov0', 'the disk writes to the overlay');
    assert.ok((await jobs.openImages()).includes(overlay));
    // What the guest would write while the snapshot fails: it lands in the overlay.
    const out = await qmp.execute('human-monitor-command', { 'command-line': 'qemu-io -d /machine/peripheral/disk0/virtio-backend "write -P 9 20M 1M"' });
    assert.equal(out, '', out);

    const r = await jobs.switchBack([
      { overlay, image: f('top.qcow2') },
      { overlay: f('never-switched.qcow2'), image: f('top1.qcow2') },
    ]);
    assert.deepEqual(r.committed, [overlay], 'an overlay QEMU never switched to is skipped');
    assert.equal(topNodeOf(await qmp.execute('query-block'), 'disk0'), 'disk0_fmt', 'the disk writes to its image again');
    const open = await jobs.openImages();
    assert.ok(!open.includes(overlay), 'the overlay left the chain');
    assert.ok(open.includes(f('top.qcow2')));
    assert.deepEqual(await qmp.execute('query-jobs'), [], 'the job was dismissed once its outcome was read');
  });

  test('an image streamed into the disk above it leaves the running chain', async () => {
    const fractions: number[] = [];
    const r = await jobs.stream(f('top.qcow2'), f('base.qcow2'), { signal: new AbortController().signal, progress: (x) => fractions.push(x) });
    assert.ok(r.bytes >= 64 * MIB, `the job covered the disk: ${r.bytes}`);
    assert.equal(fractions.at(-1), 1);
    const open = await jobs.openImages();
    assert.ok(!open.includes(f('mid.qcow2')), 'mid is no longer open');
    assert.ok(open.includes(f('base.qcow2')));
    assert.deepEqual(await qmp.execute('query-jobs'), []);
  });

  test('a stream that is not possible is refused before any job starts', async () => {
    await assert.rejects(
      jobs.stream(f('top1.qcow2'), f('not-open.qcow2'), { signal: new AbortController().signal, progress: () => undefined }),
      (e: unknown) => e instanceof HangarError && e.code === 'QEMU_FAILED' && /not-open\.qcow2 is not open in the running VM/.test(e.message),
    );
    assert.deepEqual(await qmp.execute('query-jobs'), []);
  });

  test('a cancelled stream stops at once and leaves the disk based where it was', async () => {
    const cancel = new AbortController();
    // Cancelled as soon as QEMU reports the job running, which it does before it answers block-stream.
    const sub = qmp.onEvent('JOB_STATUS_CHANGE', (d) => {
      if (d.id.startsWith('stream-') && d.status === 'running') cancel.abort();
    });
    try {
      await assert.rejects(
        jobs.stream(f('top1.qcow2'), null, { signal: cancel.signal, progress: () => undefined }),
        (e: unknown) => e instanceof HangarError && e.code === 'CANCELLED' && /every image is as it was/.test(e.message),
      );
    } finally {
      sub.dispose();
    }
    assert.ok(cancel.signal.aborted);
    assert.ok((await jobs.openImages()).includes(f('big.qcow2')), 'big is still in the chain');
    assert.deepEqual(await qmp.execute('query-jobs'), [], 'the cancelled job was dismissed too');
  });

  test('a stream without a base takes in the whole chain (what promoting a running linked clone asks)', async () => {
    const r = await jobs.stream(f('top1.qcow2'), null, { signal: new AbortController().signal, progress: () => undefined });
    assert.ok(r.bytes >= 256 * MIB, `the job covered the data: ${r.bytes}`);
    const open = await jobs.openImages();
    assert.ok(!open.includes(f('big.qcow2')), 'the base left the chain');
    assert.ok(open.includes(f('top1.qcow2')));
  });

  test('an image below the active layer is committed down into its base, and leaves the running chain', async () => {
    await assert.rejects(
      jobs.commitDown('disk2', f('t2.qcow2'), f('c2.qcow2'), { progress: () => undefined }),
      (e: unknown) => e instanceof HangarError && e.code === 'QEMU_FAILED' && /active layer/.test(e.message),
      'the active layer is not committed by this action',
    );
    const fractions: number[] = [];
    await jobs.commitDown('disk2', f('c2.qcow2'), f('a2.qcow2'), { progress: (x) => fractions.push(x) });
    assert.equal(fractions.at(-1), 1);
    const open = await jobs.openImages();
    assert.ok(!open.includes(f('c2.qcow2')) && open.includes(f('a2.qcow2')), `c2 left the chain: ${open.join(', ')}`);
    assert.equal(statSync(f('a2.qcow2')).mode & 0o777, 0o400, 'the base is read-only again');
    assert.ok(!open.some((o) => o.startsWith('json:')), 'every image is named by its file (no json: descriptions a later snapshot would copy)');
    assert.deepEqual(await qmp.execute('query-jobs'), []);
  });

  test('after QEMU quits, the files hold what the jobs said', async () => {
    await qmp.executeAndWait('quit', undefined, 'SHUTDOWN', undefined, { timeoutMs: 10_000 });
    await exited;
    assert.equal(stderr.trim(), '', 'QEMU printed no error');
    // disk0: the overlay's write was committed into top, then mid's data streamed into top, now based on base.
    assert.equal(backingOf(f('top.qcow2')), f('base.qcow2'));
    assert.ok(holds(f('top.qcow2'), 9, '20M', '1M'), 'the write made while switched is in the image');
    assert.ok(holds(f('top.qcow2'), 2, '8M', '8M'), "mid's data is in top");
    assert.ok(holds(f('top.qcow2'), 3, '16M', '1M'), "top's own data stays");
    assert.ok(holds(f('top.qcow2'), 1, '0', '8M'), "base's data is still read through the chain");
    assert.ok(existsSync(f('mid.qcow2')), 'the jobs remove no file: the owner does, after its commit');
    // disk1: the cancelled stream changed nothing that matters; the whole one made top1 stand alone with big's data.
    assert.equal(backingOf(f('top1.qcow2')), null);
    assert.ok(holds(f('top1.qcow2'), 0x5a, '0', '256M'));
    for (const file of ['top.qcow2', 'top1.qcow2', 'base.qcow2', 'big.qcow2']) img('check', '-q', f(file));
    // disk2: t2 ← a2 (now holding c2's data too) ← b2, every pattern read through the chain; c2 untouched.
    assert.equal(backingOf(f('t2.qcow2')), f('a2.qcow2'));
    assert.equal(backingOf(f('a2.qcow2')), f('b2.qcow2'));
    assert.ok(holds(f('a2.qcow2'), 6, '8M', '1M'), "c2's data went down into a2");
    assert.ok(holds(f('c2.qcow2'), 6, '8M', '1M') && backingOf(f('c2.qcow2')) === f('a2.qcow2'), 'c2 is as it was');
    for (const [pattern, at] of [[7, '9M'], [6, '8M'], [4, '0']] as const) assert.ok(holds(f('t2.qcow2'), pattern, at, '1M'), `pattern ${pattern} at ${at}`);
    assert.ok(holds(f('t2.qcow2'), 5, '4M', '4M'));
    for (const file of ['t2.qcow2', 'a2.qcow2', 'b2.qcow2']) img('check', '-q', '-U', f(file));
  });
});

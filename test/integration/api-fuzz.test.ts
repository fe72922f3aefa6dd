// Hostile API payloads against a real owner, over its socket, without the client's checks: every
// method of the contract gets wrong types, huge strings, prototype-pollution keys, unknown keys and
// odd values in each field. Each call must end in a clear, typed error (never INTERNAL, never a
// crash), and the inventory, the VMs' folders and the owner must be exactly as before.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HangarError } from '../../src-vmm/base/errors.js';
import { createClient } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

/** Methods whose valid calls end the owner: only payloads that cannot validate are sent to them. */
const OWNER_ENDING = new Set(['owner.shutdown', 'owner.handover']);
const HUGE = 'x'.repeat(1 << 20);
const ODD_VALUES: unknown[] = [null, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, '', HUGE, [], {}, true, '../../etc/passwd', 'a\nb', '\u0000', 'nope', [1, 2, 3], { __proto__: { polluted: true } }];
const NOT_OBJECTS: unknown[] = [null, 42, 'x', [], true, HUGE];

function pollutionPayloads(): unknown[] {
  // JSON.parse makes these own properties, as a hostile client's bytes would.
  return [JSON.parse('{"__proto__":{"polluted":true}}'), JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'), { unknownSetting: 1 }, nest(200)];
}

function nest(depth: number): unknown {
  let v: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function fieldsOf(schema: z.ZodType): string[] {
  const def = (schema as unknown as { def?: { type?: string; shape?: Record<string, unknown>; innerType?: z.ZodType } }).def;
  if (def?.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def?.innerType) return fieldsOf(def.innerType);
  return [];
}

describe('hostile API payloads', () => {
  const { home, cleanup } = tempHome('hangar-api-fuzz-');
  const ok = async (...args: string[]) => {
    const r = await runCli(home, args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const state = async () => ({
    list: (await ok('list', '--json')).json,
    show: (await ok('show', 'keep', '--json')).json,
    snapshots: (await ok('snapshot', 'list', 'keep', '--json')).json,
    files: readdirSync(join(home, 'VMs'), { recursive: true }).map(String).sort(),
  });

  before(async () => {
    const disk = join(home, 'keep.qcow2');
    copyFileSync(fixtureGuest().disk, disk);
    await ok('create', '--name', 'keep', '--disk-image', disk, '--memory', '128');
    await ok('snapshot', 'take', 'keep', '--name', 'S');
  });
  after(async () => {
    await cleanup();
  });

  test('every method refuses wrong shapes with a typed error; nothing changes; the owner lives on', async () => {
    const before = await state();
    const client = createClient(await connectUnix(homePaths(home).ownerSocket));
    const raw = (method: string, input: unknown) => (client as unknown as { call: (m: string, i: unknown) => Promise<unknown> }).call(method, input);
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    let calls = 0;
    try {
      for (const [method, def] of Object.entries(hangarApi)) {
        const payloads: { input: unknown; mustBeInvalid: boolean }[] = [
          ...NOT_OBJECTS.map((input) => ({ input, mustBeInvalid: true })),
          ...pollutionPayloads().map((input) => ({ input, mustBeInvalid: true })),
        ];
        if (!OWNER_ENDING.has(method)) {
          for (const field of fieldsOf(def.input)) for (const v of ODD_VALUES) payloads.push({ input: { [field]: v }, mustBeInvalid: false });
        }
        for (const p of payloads) {
          calls++;
          try {
            await raw(method, p.input);
            if (p.mustBeInvalid) unexpected.push(`${method}(${JSON.stringify(p.input).slice(0, 80)}) succeeded`);
          } catch (e) {
            if (!(e instanceof HangarError)) {
              unexpected.push(`${method}: ${String(e)}`);
              continue;
            }
            outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
            if (e.code === 'INTERNAL') unexpected.push(`${method}(${JSON.stringify(p.input).slice(0, 80)}): INTERNAL ${e.message}`);
            if (p.mustBeInvalid && e.code !== 'INVALID_INPUT') unexpected.push(`${method}(${JSON.stringify(p.input).slice(0, 80)}): ${e.code} instead of INVALID_INPUT`);
            if (e.message.length > 2000 || e.message.includes(HUGE.slice(0, 5000))) unexpected.push(`${method}: the error echoes the huge input (${e.message.length} characters)`);
          }
        }
      }
    } finally {
      client.dispose();
    }
    assert.deepEqual(unexpected, [], `after ${calls} calls (${JSON.stringify(Object.fromEntries(outcomes))})`);
    assert.ok(calls > 500, `${calls} hostile calls`);
    assert.ok(({} as Record<string, unknown>)['polluted'] === undefined, 'no prototype was polluted');
    // Nothing changed, and the owner still answers.
    assert.deepEqual(await state(), before);
    assert.match((await ok('host', '--json')).json.qemuVersion, /\d+\.\d+/);
  });
});

// The rules of deleting a snapshot, stated on the plan. A small model of qcow2 chains checks the plans:
// each image "sees" its own data and its backing chain's; a merge (rebase or stream) copies into an
// image what it sees that its new base does not; a removed file breaks every chain through it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteSteps, estimateMergeSeconds, planDelete, type DeleteFacts, type DeletePlan, type NodeDiskFacts } from '../../../../src-vmm/snapshots/deletePlan.js';

const VM = 'vm-1';

class Chains {
  private readonly own = new Map<string, Set<string>>();
  private readonly backing = new Map<string, string | null>();

  constructor(images: Record<string, string | null>) {
    for (const [path, base] of Object.entries(images)) {
      this.own.set(path, new Set([`data of ${path}`]));
      this.backing.set(path, base);
    }
  }

  images(): string[] {
    return [...this.own.keys()];
  }

  /** Everything a reader of `path` gets; throws when the chain runs into a removed file. */
  sees(path: string): string[] {
    const out = new Set<string>();
    for (let p: string | null = path; p !== null; p = this.backing.get(p) ?? null) {
      const own = this.own.get(p);
      if (!own) throw new Error(`${path} is based on ${p}, which is gone`);
      for (const d of own) out.add(d);
    }
    return [...out].sort();
  }

  merge(image: string, newBase: string | null): void {
    const baseSees = new Set(newBase === null ? [] : this.sees(newBase));
    for (const d of this.sees(image)) if (!baseSees.has(d)) this.own.get(image)!.add(d);
    this.backing.set(image, newBase);
  }

  remove(path: string): void {
    this.own.delete(path);
    this.backing.delete(path);
  }

  /** qemu-img commit -d: `image`'s data goes down into `into` (its base); `image` stays as it was. */
  commitDown(image: string, into: string): void {
    assert.equal(this.backing.get(image), into, `${image} is based on ${into}`);
    for (const d of this.own.get(image)!) this.own.get(into)!.add(d);
  }

  /** rename(from, to): `to` is now `from`'s file. */
  rename(from: string, to: string): void {
    this.own.set(to, this.own.get(from)!);
    this.backing.set(to, this.backing.get(from) ?? null);
    this.remove(from);
  }

  /**
   * Carries out the first `upTo` merges of a plan (a crash or a cancel stops there), and the removals only
   * when all ran; `half` stops the last one between its commit and its rename.
   */
  apply(plan: DeletePlan, upTo = plan.merges.length, half = false): void {
    plan.merges.slice(0, upTo).forEach((m, i) => {
      if (m.kind !== 'commit') return this.merge(m.image, m.kind === 'stream' ? m.base : m.newBacking);
      this.commitDown(m.image, m.into);
      if (half && i === upTo - 1) return;
      if (m.above === null) this.rename(m.into, m.image);
      else this.backing.set(m.above, m.into); // QEMU re-bases the running image above; the child's file goes with the removals
    });
    if (upTo === plan.merges.length && !half) for (const f of plan.remove) this.remove(f);
  }

  seenByAll(): Map<string, string[]> {
    return new Map(this.images().map((p) => [p, this.sees(p)]));
  }
}

const disk = (over: Partial<NodeDiskFacts> & Pick<NodeDiskFacts, 'image'>): NodeDiskFacts => ({
  diskId: 'disk0',
  backing: null,
  owned: true,
  allocatedBytes: 100,
  dependents: [],
  heldByAnotherSnapshot: false,
  runningChain: null,
  ...over,
});
const mine = (...paths: string[]) => paths.map((path) => ({ path, vmId: VM }));
/** this VM's own files, with the bytes each holds */
const sized = (sizes: Record<string, number>, dependentCount = 1) => Object.entries(sizes).map(([path, allocatedBytes]) => ({ path, vmId: VM, owned: true, allocatedBytes, dependentCount }));
const facts = (...disks: NodeDiskFacts[]): DeleteFacts => ({ vmId: VM, disks });

/**
 * base ← A ← B ← current, and A ← C (a second branch): the tree of the integration test. Deleting A
 * merges A's data into B and C.
 */
const twoBranches = () => ({
  chains: { base: null, A: 'base', B: 'A', C: 'A', current: 'B' } as Record<string, string | null>,
  node: disk({ image: 'A', backing: 'base', dependents: mine('B', 'C') }),
});

describe('deleting a snapshot: the plan', () => {
  test('every image based on the node gets its data and is rebased onto the node’s own base', () => {
    const { node } = twoBranches();
    const plan = planDelete(facts(node));
    assert.deepEqual(plan.merges, [
      { kind: 'rebase', diskId: 'disk0', image: 'B', newBacking: 'base' },
      { kind: 'rebase', diskId: 'disk0', image: 'C', newBacking: 'base' },
    ]);
  });

  test('nothing is lost: after the plan every remaining image sees exactly what it saw', () => {
    const { chains, node } = twoBranches();
    const model = new Chains(chains);
    const before = model.seenByAll();
    model.apply(planDelete(facts(node)));
    before.delete('A');
    assert.deepEqual(model.seenByAll(), before);
  });

  test('the node’s own image goes only after every dependent is rebased: a crash or cancel after any merge loses nothing', () => {
    const { chains, node } = twoBranches();
    const plan = planDelete(facts(node));
    assert.deepEqual(plan.remove, ['A']);
    for (let upTo = 0; upTo < plan.merges.length; upTo++) {
      const model = new Chains(chains);
      const before = model.seenByAll();
      model.apply(plan, upTo);
      assert.deepEqual(model.seenByAll(), before, `stopped after ${upTo} merge(s): every image, the node's included, is whole`);
    }
    // Were the image removed with a dependent not yet rebased, that dependent would be lost: the model sees it.
    const early = new Chains(chains);
    early.merge('B', 'base');
    early.remove('A');
    assert.throws(() => early.sees('C'), /C is based on A, which is gone/);
  });

  test('a node with two branches is merged into both: its data counts twice', () => {
    const { node } = twoBranches();
    const plan = planDelete(facts(node));
    assert.equal(plan.children, 2);
    assert.equal(plan.bytesToMerge, 200);
    assert.equal(plan.freeBytesNeeded, 200);
    const one = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: mine('B') })));
    assert.deepEqual([one.children, one.bytesToMerge], [1, 100]);
  });

  test('a root node’s dependents become standalone', () => {
    const plan = planDelete(facts(disk({ image: 'root', backing: null, dependents: mine('top') })));
    assert.deepEqual(plan.merges, [{ kind: 'rebase', diskId: 'disk0', image: 'top', newBacking: null }]);
    const model = new Chains({ root: null, top: 'root' });
    model.apply(plan);
    assert.deepEqual(model.sees('top'), ['data of root', 'data of top']);
  });

  test('a node nothing is based on merges nothing and goes', () => {
    const plan = planDelete(facts(disk({ image: 'leaf', backing: 'base', dependents: [] })));
    assert.deepEqual([plan.merges, plan.remove, plan.bytesToMerge, plan.children], [[], ['leaf'], 0, 0]);
  });

  test('a node a linked clone of another VM is based on is refused, naming that VM', () => {
    const plan = planDelete(
      facts(disk({ image: 'S', backing: 'base', dependents: [...mine('current'), { path: 'clone-overlay', vmId: 'vm-2', vmName: 'web-clone' }] })),
    );
    assert.deepEqual(plan.blockedBy, ['web-clone']);
    assert.ok(!plan.merges.some((m) => m.image === 'clone-overlay'), "another VM's image is never written");
    assert.deepEqual(planDelete(facts(disk({ image: 'S', dependents: [{ path: 'x', vmId: 'vm-3' }] }))).blockedBy, ['vm-3'], 'an unnamed VM by its id');
  });

  test('an image kept for others (owned by no VM) is no blocker and gets the data like the VM’s own', () => {
    const plan = planDelete(facts(disk({ image: 'S', backing: 'base', dependents: [...mine('current'), { path: 'kept', vmId: null }] })));
    assert.deepEqual(plan.blockedBy, []);
    assert.deepEqual(plan.merges.map((m) => m.image), ['current', 'kept']);
  });

  test('the running chain’s image is streamed by QEMU (first), the other branches rebased by qemu-img', () => {
    const { chains, node } = twoBranches();
    const running = { ...node, runningChain: ['current', 'B', 'A', 'base'] };
    const plan = planDelete(facts(running));
    assert.deepEqual(plan.merges, [
      { kind: 'stream', diskId: 'disk0', image: 'B', base: 'base' },
      { kind: 'rebase', diskId: 'disk0', image: 'C', newBacking: 'base' },
    ]);
    const model = new Chains(chains);
    const before = model.seenByAll();
    model.apply(plan);
    before.delete('A');
    assert.deepEqual(model.seenByAll(), before, 'nothing is lost either way');
    // A node outside the running chain (another branch) is merged by qemu-img alone.
    const elsewhere = planDelete(facts({ ...node, runningChain: ['current', 'D', 'base'] }));
    assert.ok(elsewhere.merges.every((m) => m.kind === 'rebase'));
  });

  test('the plan shown is the plan carried out: its figures are those of its merges, whoever merges', () => {
    const { node } = twoBranches();
    const offline = planDelete(facts(node));
    const live = planDelete(facts({ ...node, runningChain: ['current', 'B', 'A', 'base'] }));
    for (const plan of [offline, live]) {
      assert.equal(plan.bytesToMerge, plan.merges.length * node.allocatedBytes);
      assert.equal(plan.estimatedSeconds, estimateMergeSeconds(plan.bytesToMerge));
    }
    const { merges: _a, ...shownOffline } = offline;
    const { merges: _b, ...shownLive } = live;
    assert.deepEqual(shownLive, shownOffline, 'a running VM changes who merges, not what is shown');
  });

  test('each disk is merged on its own; children is the most one disk merges into', () => {
    const plan = planDelete(
      facts(
        disk({ diskId: 'disk0', image: 'A0', backing: 'b0', allocatedBytes: 10, dependents: mine('B0', 'C0') }),
        disk({ diskId: 'disk1', image: 'A1', backing: 'b1', allocatedBytes: 1000, dependents: mine('B1') }),
      ),
    );
    assert.deepEqual(
      plan.merges.map((m) => [m.diskId, m.image]),
      [['disk0', 'B0'], ['disk0', 'C0'], ['disk1', 'B1']],
    );
    assert.deepEqual([plan.children, plan.bytesToMerge, plan.remove], [2, 1020, ['A0', 'A1']]);
  });

  test('only Hangar’s own files are removed, and none another snapshot still records', () => {
    const users = planDelete(facts(disk({ image: '/home/u/disk.qcow2', owned: false, dependents: mine('top') })));
    assert.deepEqual([users.forget, users.remove], [['/home/u/disk.qcow2'], []], "the user's image leaves the inventory, not the disk");
    const shared = planDelete(facts(disk({ image: 'A', heldByAnotherSnapshot: true, dependents: mine('top') })));
    assert.deepEqual([shared.forget, shared.remove], [[], []]);
  });

  test('one small child: its data is committed down into the node’s image, which takes its place; nothing is lost', () => {
    // base ← A (100) ← current (5): deleting A copies 5 bytes down, not 100 up.
    const node = disk({ image: 'A', backing: 'base', dependents: sized({ current: 5 }) });
    const plan = planDelete(facts(node));
    assert.deepEqual(plan.merges, [{ kind: 'commit', diskId: 'disk0', image: 'current', into: 'A', base: 'base', above: null }]);
    assert.deepEqual([plan.bytesToMerge, plan.bytesToRebaseAll, plan.children], [5, 100, 1]);
    assert.deepEqual([plan.forget, plan.remove], [[], []], "the node's image is not removed: it is renamed over the child");
    const model = new Chains({ base: null, A: 'base', current: 'A' });
    const before = model.seenByAll();
    model.apply(plan);
    before.delete('A');
    assert.deepEqual(model.seenByAll(), before);
    assert.equal(model.sees('current').length, 3);
  });

  test('a snapshot in the middle of a chain: the next snapshot’s image is committed down, what is based on it keeps its name', () => {
    // base ← A (100) ← B (10) ← current: B's image is committed into A's, which is renamed to B's name.
    const chains = { base: null, A: 'base', B: 'A', current: 'B' };
    const plan = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: sized({ B: 10 }) })));
    assert.deepEqual(plan.merges, [{ kind: 'commit', diskId: 'disk0', image: 'B', into: 'A', base: 'base', above: null }]);
    const model = new Chains(chains);
    const before = model.seenByAll();
    model.apply(plan);
    before.delete('A');
    assert.deepEqual(model.seenByAll(), before, 'current, still based on B by name, sees what it saw');
  });

  test('several children: the others are rebased first, then the one with the least data is committed; the bytes decide', () => {
    const chains = { base: null, A: 'base', B: 'A', C: 'A', current: 'B' };
    const node = disk({ image: 'A', backing: 'base', allocatedBytes: 100, dependents: sized({ B: 30, C: 10 }) });
    const plan = planDelete(facts(node));
    assert.deepEqual(plan.merges, [
      { kind: 'rebase', diskId: 'disk0', image: 'B', newBacking: 'base' },
      { kind: 'commit', diskId: 'disk0', image: 'C', into: 'A', base: 'base', above: null },
    ]);
    assert.deepEqual([plan.bytesToMerge, plan.bytesToRebaseAll, plan.children], [110, 200, 2]);
    const model = new Chains(chains);
    const before = model.seenByAll();
    model.apply(plan);
    before.delete('A');
    assert.deepEqual(model.seenByAll(), before);
    // Children holding more than the node: rebasing them all costs less.
    const big = planDelete(facts({ ...node, dependents: sized({ B: 300, C: 100 }) }));
    assert.ok(big.merges.every((m) => m.kind === 'rebase'));
    assert.equal(big.bytesToMerge, 200);
    const tie = planDelete(facts({ ...node, dependents: sized({ B: 100 }) }));
    assert.equal(tie.merges[0]!.kind, 'rebase', 'a tie keeps the rebase');
  });

  test('a crash or a cancel at any step loses no state: before the commit every image is whole, during it every image but the node’s', () => {
    const chains = { base: null, A: 'base', B: 'A', C: 'A', current: 'B' };
    const plan = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: sized({ B: 30, C: 10 }) })));
    const commitAt = plan.merges.findIndex((m) => m.kind === 'commit');
    assert.equal(commitAt, plan.merges.length - 1, 'the commit is the last step');
    for (let upTo = 0; upTo <= plan.merges.length; upTo++) {
      for (const half of upTo > commitAt ? [true, false] : [false]) {
        const model = new Chains(chains);
        const before = model.seenByAll();
        model.apply(plan, upTo, half);
        const after = model.seenByAll();
        if (upTo > commitAt) {
          before.delete('A');
          after.delete('A'); // the node: already gone from the inventory when its image is written
        }
        assert.deepEqual(after, before, `stopped after ${upTo} step(s)${half ? ', between commit and rename' : ''}`);
      }
    }
  });

  test('the node’s image takes no data when anything else needs it: then every child is rebased', () => {
    const node = disk({ image: 'A', backing: 'base', dependents: sized({ current: 5 }) });
    const rebased = (d: NodeDiskFacts) => planDelete(facts(d)).merges.every((m) => m.kind === 'rebase' || m.kind === 'stream');
    assert.ok(rebased({ ...node, heldByAnotherSnapshot: true }), 'another snapshot records the node’s image');
    assert.ok(rebased({ ...node, owned: false }), 'the user’s own image is never written');
    assert.ok(rebased({ ...node, dependents: [...sized({ current: 5 }), { path: 'clone', vmId: 'vm-2', vmName: 'clone' }] }), 'a linked clone of another VM (refused anyway)');
    assert.ok(rebased({ ...node, dependents: [{ path: 'kept', vmId: null, owned: true, allocatedBytes: 1 }] }), 'an image kept for others is not replaced');
    assert.ok(rebased({ ...node, dependents: [{ path: 'current', vmId: VM, owned: false, allocatedBytes: 1 }] }), 'a child that is not Hangar’s file');
    assert.ok(rebased({ ...node, dependents: mine('current') }), 'a child of unknown size');
  });

  test('while the VM runs: the active layer is streamed, an image below it is committed by QEMU, another branch by qemu-img', () => {
    // running chain current ← B ← A ← base; deleting A.
    const chains = { base: null, A: 'base', B: 'A', current: 'B' };
    const running = ['current', 'B', 'A', 'base'];
    const below = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: sized({ B: 10 }), runningChain: running })));
    assert.deepEqual(below.merges, [{ kind: 'commit', diskId: 'disk0', image: 'B', into: 'A', base: 'base', above: 'current' }]);
    assert.deepEqual([below.forget, below.remove], [[], ['B']], "B's file goes once the records name A");
    // Something else based on B (another branch): QEMU could re-base only the running image, so B is streamed.
    const shared = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: sized({ B: 10 }, 2), runningChain: running })));
    assert.deepEqual(shared.merges, [{ kind: 'stream', diskId: 'disk0', image: 'B', base: 'base' }]);
    // A is the current snapshot: its only child is the active layer, which QEMU streams into.
    const active = planDelete(facts(disk({ image: 'B', backing: 'A', dependents: sized({ current: 1 }), runningChain: running })));
    assert.deepEqual(active.merges, [{ kind: 'stream', diskId: 'disk0', image: 'current', base: 'A' }]);
    // A in the running chain, the small child on another branch: qemu-img may not write A while QEMU has it open.
    const branch = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: sized({ B: 500, C: 1 }), runningChain: running })));
    assert.ok(branch.merges.every((m) => m.kind !== 'commit'));
    // A outside the running chain: qemu-img commits there as when the VM is off.
    const outside = planDelete(facts(disk({ image: 'A', backing: 'base', dependents: sized({ C: 1 }), runningChain: ['current', 'D', 'base'] })));
    assert.deepEqual(outside.merges, [{ kind: 'commit', diskId: 'disk0', image: 'C', into: 'A', base: 'base', above: null }]);
    // Live, A keeps its name and takes B's place: it sees what B saw, current sees what it saw, B's file goes.
    const model = new Chains(chains);
    const before = model.seenByAll();
    model.apply(below);
    assert.deepEqual(model.seenByAll(), new Map([['base', before.get('base')], ['A', before.get('B')], ['current', before.get('current')]]));
  });

  test('deleteSteps: every dependent but the node itself, onto the node’s base', () => {
    assert.deepEqual(deleteSteps('A', 'base', ['B', 'A', 'C']), [
      { image: 'B', newBacking: 'base' },
      { image: 'C', newBacking: 'base' },
    ]);
    assert.deepEqual(deleteSteps('A', null, []), []);
  });

  test('the estimate never says less than a second', () => {
    assert.equal(estimateMergeSeconds(0), 1);
    assert.equal(estimateMergeSeconds(250e6 * 10 + 1), 11);
  });
});

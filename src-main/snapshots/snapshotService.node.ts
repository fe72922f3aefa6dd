// Snapshot trees on qcow2 backing files (VirtualBox's differencing-image model):
// take (offline, or live with the running state), restore any node, delete with merge, edit.
// Rule for every operation: image files change first, the inventory commits last in one transaction,
// files that nothing references any more are removed after the commit.
import { randomUUID, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, statfsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HangarError, cancelledError, isNoSpaceError, noSpaceError } from '../../src-vmm/base/errors.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { hasTpm, labelProblems, sharesOf, type VmConfig } from '../../src-vmm/model/index.js';
import type { QuiesceMode } from '../../src-vmm/protocol/contract.js';
import { agentAbsentError, isAgentAbsent, sharesNeedQuiesceError } from '../vms/agentIssues.js';
import { OVERLAY_ROOM_BYTES, asNoSpace, assertFreeSpace, noSpaceOn, testFillPoint, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { snapshotNameProblems, findSnapshot, defaultSnapshotName } from '../../src-vmm/snapshots/tree.js';
import { planDelete, type DeleteFacts, type DeletePlan } from '../../src-vmm/snapshots/deletePlan.js';
import { liveStateBytes, takeRoomBytes } from '../../src-vmm/snapshots/space.js';
import { currentStateChanged, settingsDiffer, type CurrentStateFacts } from '../../src-vmm/snapshots/currentState.js';
import { vmPaths } from '../home.js';
import { snapshotItem } from './items.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { SnapshotFacts, SnapshotRow } from '../inventory/inventory.node.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import type { SnapshotItem } from '../api/contract.js';
import { copyPrivate, copyTreePrivate } from '../files/modes.node.js';
import { fileSize } from '../files/fileSize.node.js';
import { renameKeepingMode } from '../../src-vmm/storage/commitDown.node.js';

type Snap = SnapshotRow<VmConfig>;

export interface SnapshotServiceDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  supervisor: Supervisor;
  tasks: TaskRunner;
  find: (ref: string) => VmRow;
  log: (line: string) => void;
  changed: (vmId: string) => void;
  /** test-only fault points: HANGAR_FAULT=<name> kills the process there */
  fault?: (name: string) => void;
}

interface Progress {
  signal: AbortSignal;
  onProgress: (f: number, m?: string) => void;
}

const short = () => randomBytes(4).toString('hex');

export class SnapshotService {
  constructor(private readonly d: SnapshotServiceDeps) {}

  private snapshots(vm: VmRow): Snap[] {
    return this.d.inventory.snapshots.listForVm(vm.id);
  }

  private resolve(vm: VmRow, ref: string): Snap {
    const s = findSnapshot(this.snapshots(vm), ref);
    if (!s) throw new HangarError('NOT_FOUND', `VM '${vm.name}' has no snapshot named or with id '${ref}'`);
    return s;
  }

  private item(vm: VmRow, s: Snap): SnapshotItem {
    let sizeBytes = 0;
    for (const disk of s.disks) sizeBytes += fileSize(disk.path);
    if (s.stateFile) sizeBytes += fileSize(s.stateFile);
    return snapshotItem(s, { sizeBytes, hasThumbnail: existsSync(this.thumbnailPath(vm, s.id)) });
  }

  /**
   * A live take failed before it was recorded. QEMU may have switched to the new overlays already (then
   * died, or its host did): unrecorded, they are orphans and go, with the partial state file and the
   * thumbnail. An overlay that a still-running QEMU has open is left alone and logged: removing it
   * would take the guest's newest writes with it.
   */
  private async discardFailedLiveTake(vm: VmRow, snapId: string, overlays: string[]): Promise<void> {
    const paths = vmPaths(this.d.home, vm.id);
    const stateFile = join(paths.snapshots, `${snapId}.vmstate`);
    for (const f of [stateFile, `${stateFile}.partial`, this.thumbnailPath(vm, snapId)]) rmSync(f, { force: true });
    let open = new Set<string>();
    if (this.d.supervisor.get(vm.id)) {
      try {
        open = new Set((await this.d.supervisor.call(vm.id, 'host.openImages', {}, { timeoutMs: 10_000 })).images);
      } catch {
        // The host no longer answers: its QEMU is gone or going, and has nothing open.
      }
    }
    for (const o of overlays) {
      if (open.has(o)) this.d.log(`vm=${vm.id} live snapshot failed after QEMU switched to ${o}; it stays (the running guest writes to it)`);
      else rmSync(o, { force: true });
    }
  }

  private thumbnailPath(vm: VmRow, snapId: string): string {
    return join(vmPaths(this.d.home, vm.id).snapshots, `${snapId}.png`);
  }

  /** The copy of the TPM's state a snapshot keeps (a folder, as swtpm's is). */
  tpmStatePath(vmId: string, snapId: string): string {
    return join(vmPaths(this.d.home, vmId).snapshots, `${snapId}.tpm`);
  }

  async list(ref: string): Promise<{ snapshots: SnapshotItem[]; currentSnapshotId: string | null; currentStateChanged: boolean }> {
    const vm = this.d.find(ref);
    const snaps = this.snapshots(vm);
    return {
      snapshots: snaps.map((s) => this.item(vm, s)),
      currentSnapshotId: this.d.inventory.snapshots.current(vm.id)?.id ?? null,
      currentStateChanged: await this.currentStateChanged(vm),
    };
  }

  /**
   * Whether the current state holds anything no snapshot has, decided exactly: a running machine,
   * a saved state that is not the snapshot's own, a setting that differs, changed UEFI variables, or a
   * single cluster the guest wrote into a disk's current overlay (data or zeroes). Never a size guess.
   */
  private async currentStateChanged(vm: VmRow): Promise<boolean> {
    const current = this.d.inventory.snapshots.current(vm.id);
    if (!current) return true;
    const paths = vmPaths(this.d.home, vm.id);
    const cheap: Omit<CurrentStateFacts, 'disksUntouched'> = {
      active: isActive(vm.state),
      savedState: vm.state === 'saved' ? (current.stateFile && sameFile(paths.savedState, current.stateFile) ? 'held-by-snapshot' : 'own') : 'none',
      settingsDiffer: settingsDiffer(vm.config, current.config),
      nvramDiffers: vm.config.firmware.type === 'uefi' && !sameContent(paths.nvram, join(paths.snapshots, `${current.id}.nvram.fd`)),
      tpmDiffers: (hasTpm(vm.config) || hasTpm(current.config)) && !sameTpmState(paths.tpmState, this.tpmStatePath(vm.id, current.id)),
    };
    if (currentStateChanged({ ...cheap, disksUntouched: true })) return true;
    let disksUntouched = true;
    for (const disk of vm.config.disks) {
      const frozen = current.disks.find((f) => f.diskId === disk.id);
      const base = this.d.inventory.images.get(disk.path)?.backingPath ?? null;
      if (!frozen || frozen.path === disk.path || base !== frozen.path) {
        disksUntouched = false;
        break;
      }
      try {
        if (await this.d.qemuImg.holdsOwnData(disk.path, 'qcow2')) {
          disksUntouched = false;
          break;
        }
      } catch {
        // Unreadable: say it changed rather than offer to throw it away.
        disksUntouched = false;
        break;
      }
    }
    return currentStateChanged({ ...cheap, disksUntouched });
  }

  // ------------------------------------------------------------------ take

  /**
   * `quiesce` (running VMs): 'auto' freezes the guest's file systems when its agent answers, 'on' requires
   * it, 'off' never. A VM with shared folders cannot keep its RAM state: it gets a snapshot of its disks
   * alone, quiesced; without an agent that is refused, unless `crashConsistentOk` (a temporary snapshot
   * a clone or an export reads once) or quiesce 'off' (the person chose it).
   */
  async take(ref: string, input: { name: string; description: string; quiesce?: 'auto' | 'on' | 'off'; crashConsistentOk?: boolean }, p: Progress): Promise<SnapshotItem> {
    const vm = this.d.find(ref);
    // No name: the next free "Snapshot N". A name of only white space is a mistake, not a request for one.
    const name = input.name === '' ? defaultSnapshotName(this.snapshots(vm)) : input.name;
    const problems = nameProblems(name);
    if (problems.length) throw new HangarError('INVALID_INPUT', problems.join('; '));
    if (findSnapshot(this.snapshots(vm), name)?.name.toLowerCase() === name.toLowerCase()) {
      throw new HangarError('ALREADY_EXISTS', `VM '${vm.name}' already has a snapshot named '${name}'`);
    }
    if (vm.state === 'starting' || vm.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: wait until it has settled`);
    const running = isActive(vm.state);
    if (running && !this.d.supervisor.get(vm.id)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state} but its VMM host does not answer`);
    const paths = vmPaths(this.d.home, vm.id);
    mkdirSync(paths.snapshots, { recursive: true, mode: 0o700 });
    const snapId = randomUUID();
    const overlays = vm.config.disks.map((disk) => ({ disk, overlay: join(paths.disks, `${disk.id}-${short()}.qcow2`) }));
    const neededBytes = takeRoomBytes({
      disks: overlays.length,
      overlayBytes: OVERLAY_ROOM_BYTES,
      nvramBytes: vm.config.firmware.type === 'uefi' ? fileSize(paths.nvram) : 0,
      running: running ? vm.config : null,
    });
    assertFreeSpace(paths.dir, neededBytes);
    const quiesce = input.quiesce ?? 'auto';
    const shareTags = sharesOf(vm.config).map((x) => x.tag);
    // Shared folders and a shared clipboard: QEMU cannot migrate the machine, so no RAM state; the disks
    // alone, frozen clean.
    const clipboard = vm.config.display.clipboard === true;
    const saveState = shareTags.length === 0 && !clipboard;
    if (running && !saveState && quiesce === 'auto' && !input.crashConsistentOk) {
      this.d.tasks.assertFree(vm);
      const guest = await this.d.supervisor.call(vm.id, 'host.guestInfo', { refresh: true }, { timeoutMs: 15_000 }).catch(() => null);
      if (guest?.agent !== 'connected') throw sharesNeedQuiesceError(vm.name, shareTags, clipboard);
    }
    const mode: QuiesceMode = quiesce === 'off' ? 'no' : quiesce === 'on' ? 'required' : 'ifAvailable';

    return noSpaceOn(paths.dir, { neededBytes }, () => this.d.tasks.run('snapshot.take', vm, { signal: p.signal, onProgress: p.onProgress, subject: name }, async (task) => {
      const created: string[] = [];
      let stateFile: string | null = null;
      let live = false;
      let facts: SnapshotFacts = {};
      let quiesced = false;
      // the running QEMU writes to the new overlays: a failure from here on switches it back first
      let switched = false;
      try {
        if (running) {
          task.phase(saveState ? 'taking a live snapshot' : 'taking a snapshot of the disks (shared folders keep the running state out)');
          stateFile = join(paths.snapshots, `${snapId}.vmstate`);
          if (overlays.length === 0) throw new HangarError('UNSUPPORTED', `VM '${vm.name}' has no disk: a live snapshot needs at least one`);
          const r = await this.d.supervisor
            .call(
              vm.id,
              'host.snapshotLive',
              {
                disks: overlays.map((o) => ({ diskId: o.disk.id, overlay: o.overlay })),
                stateFile,
                thumbnail: this.thumbnailPath(vm, snapId),
                stateBytes: liveStateBytes(vm.config),
                quiesce: mode,
                saveState,
              },
              { signal: task.signal, onProgress: (pr) => task.progress(pr.fraction, pr.message), timeoutMs: 600_000 },
            )
            .catch((e: unknown) => {
              if (isAgentAbsent(e)) throw agentAbsentError(vm.name, 'so its file systems cannot be frozen for the snapshot');
              throw e;
            });
          created.push(...overlays.map((o) => o.overlay));
          switched = true;
          this.d.log(
            `vm=${vm.id} live snapshot (${saveState ? r.method : 'disks only'}): guest paused ${r.pauseMs} ms${r.quiesced ? `, file systems frozen ${r.frozenMs} ms` : ''}${r.stateError ? `; state not saved: ${r.stateError}` : ''}`,
          );
          if (saveState) facts = { liveMethod: r.method, pauseMs: r.pauseMs };
          // Cancelled while the state was written, or the state did not fit: no snapshot at all rather
          // than one without the state the user asked for (the disks switch back below).
          if (saveState && !r.stateSaved && task.signal.aborted) throw cancelledError();
          if (saveState && !r.stateSaved && isNoSpaceError(r.stateError)) throw noSpaceError(paths.dir, { cause: r.stateError });
          live = r.stateSaved;
          quiesced = r.quiesced ?? false;
          if (!live) stateFile = null;
        } else {
          task.phase('freezing the disks');
          for (const o of overlays) {
            await this.d.qemuImg.create(o.overlay, { format: 'qcow2', backing: { path: o.disk.path, format: o.disk.format } });
            created.push(o.overlay);
          }
          if (vm.state === 'saved' && existsSync(paths.savedState)) {
            // A saved VM's state belongs with its disks as they are now: the snapshot keeps it.
            stateFile = join(paths.snapshots, `${snapId}.vmstate`);
            linkOrCopy(paths.savedState, stateFile);
            created.push(stateFile);
            live = true;
          }
        }
        if (vm.config.firmware.type === 'uefi' && existsSync(paths.nvram)) {
          const nv = join(paths.snapshots, `${snapId}.nvram.fd`);
          copyPrivate(paths.nvram, nv);
          created.push(nv);
        }
        // The TPM's state (keys, sealed secrets): a live take also has it in the RAM state, which wins on
        // a restore; the copy serves offline restores and clones of the snapshot.
        if (hasTpm(vm.config) && existsSync(paths.tpmState)) {
          const tpm = this.tpmStatePath(vm.id, snapId);
          copyTpmState(paths.tpmState, tpm);
          created.push(tpm);
        }
        this.d.fault?.('snapshot-take-before-commit');
        testFillPoint('snapshot-before-register');
        task.phase('recording the snapshot');
        const parent = this.d.inventory.snapshots.current(vm.id);
        const nextConfig: VmConfig = {
          ...vm.config,
          disks: vm.config.disks.map((disk) => ({ ...disk, path: overlays.find((o) => o.disk.id === disk.id)!.overlay, format: 'qcow2' })),
        };
        const snap = this.d.inventory.transaction(() => {
          const s = this.d.inventory.snapshots.insert({
            id: snapId,
            vmId: vm.id,
            parentId: parent?.id ?? null,
            name,
            description: input.description,
            config: vm.config,
            live,
            stateFile,
            disks: vm.config.disks.map((disk) => ({ diskId: disk.id, path: disk.path, format: disk.format })),
            facts,
            quiesced,
          });
          for (const o of overlays) {
            if (this.d.inventory.images.get(o.disk.path)) this.d.inventory.images.setRole(o.disk.path, 'frozen');
            else this.d.inventory.images.add({ path: o.disk.path, vmId: vm.id, format: o.disk.format, virtualSize: 0, owned: false, role: 'frozen' });
            this.d.inventory.images.add({ path: o.overlay, vmId: vm.id, format: 'qcow2', virtualSize: 0, backingPath: o.disk.path, owned: true, role: 'disk' });
          }
          this.d.inventory.vms.updateConfig(vm.id, nextConfig);
          this.d.inventory.snapshots.setCurrent(vm.id, snapId);
          return s;
        });
        switched = false; // recorded: the overlays are the VM's disks now
        this.d.fault?.('snapshot-take-after-commit');
        // Frozen images are read-only from now on (only Hangar's own: a user's image keeps its mode).
        for (const o of overlays) if (this.d.inventory.images.get(o.disk.path)?.owned) readOnly(o.disk.path);
        this.d.changed(vm.id);
        return this.item(vm, snap);
      } catch (e) {
        if (!running) for (const f of created) rmSync(f, { force: true, recursive: true });
        else {
          if (switched) {
            // The state file goes first: committing the overlays back may need the room it took.
            if (stateFile) rmSync(stateFile, { force: true });
            await this.switchBack(vm, overlays).catch((err: unknown) => this.d.log(`vm=${vm.id} could not switch back from the overlays of a failed snapshot: ${(err as Error).message}`));
          }
          await this.discardFailedLiveTake(vm, snapId, overlays.map((o) => o.overlay));
          rmSync(this.tpmStatePath(vm.id, snapId), { recursive: true, force: true });
        }
        throw asNoSpace(e, paths.dir, { neededBytes });
      }
    }));
  }

  /**
   * Undoes a live snapshot's disk switch: the VM's host commits each new overlay (with whatever the
   * guest wrote since) into the image it was put on, and QEMU drops it. Afterwards the overlays are no
   * longer open and can go.
   */
  private async switchBack(vm: VmRow, overlays: { disk: { path: string }; overlay: string }[]): Promise<void> {
    const disks = overlays.map((o) => ({ overlay: o.overlay, image: o.disk.path }));
    const r = await this.d.supervisor.call(vm.id, 'host.switchBack', { disks }, { timeoutMs: 600_000 });
    this.d.log(`vm=${vm.id} switched the disks back from ${r.committed.length} overlay(s) of a failed snapshot`);
  }

  // ------------------------------------------------------------------ restore

  async restore(ref: string, snapRef: string, p: Progress): Promise<{ id: string; state: 'stopped' | 'saved' }> {
    const vm = this.d.find(ref);
    if (isActive(vm.state)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: power it off (or save it) before restoring a snapshot`);
    const snap = this.resolve(vm, snapRef);
    const paths = vmPaths(this.d.home, vm.id);
    return this.d.tasks.run('snapshot.restore', vm, { signal: p.signal, onProgress: p.onProgress, subject: snap.name }, async (task) => {
      task.phase('new overlays on the snapshot');
      const overlays: { diskId: string; path: string; backing: string }[] = [];
      const restoredState = snap.live && snap.stateFile && existsSync(snap.stateFile);
      const stagedState = `${paths.savedState}.restore-${short()}`;
      try {
        for (const frozen of snap.disks) {
          const overlay = join(paths.disks, `${frozen.diskId}-${short()}.qcow2`);
          await this.d.qemuImg.create(overlay, { format: 'qcow2', backing: { path: frozen.path, format: frozen.format } });
          overlays.push({ diskId: frozen.diskId, path: overlay, backing: frozen.path });
        }
        if (restoredState) linkOrCopy(snap.stateFile!, stagedState);
        this.d.fault?.('snapshot-restore-before-commit');
      } catch (e) {
        for (const o of overlays) rmSync(o.path, { force: true });
        rmSync(stagedState, { force: true });
        throw e;
      }
      task.phase('switching to the snapshot');
      const oldTops = vm.config.disks.map((d) => d.path);
      const nextConfig: VmConfig = {
        ...snap.config,
        id: vm.id,
        name: vm.name,
        description: vm.config.description,
        disks: snap.config.disks.map((disk) => ({ ...disk, path: overlays.find((o) => o.diskId === disk.id)!.path, format: 'qcow2' })),
      };
      const nextState = restoredState ? 'saved' : 'stopped';
      const discard = this.d.inventory.transaction(() => {
        const gone: string[] = [];
        for (const top of oldTops) {
          const row = this.d.inventory.images.get(top);
          // The current overlay goes unless a snapshot froze it (or another image is based on it).
          if (row && row.role === 'disk' && row.owned && this.d.inventory.images.dependents(top).length === 0) {
            this.d.inventory.images.delete(top);
            gone.push(top);
          }
        }
        for (const o of overlays) this.d.inventory.images.add({ path: o.path, vmId: vm.id, format: 'qcow2', virtualSize: 0, backingPath: o.backing, owned: true, role: 'disk' });
        this.d.inventory.vms.updateConfig(vm.id, nextConfig);
        this.d.inventory.snapshots.setCurrent(vm.id, snap.id);
        this.d.inventory.vms.setState(vm.id, nextState, restoredState ? `restored from snapshot '${snap.name}'` : null);
        return gone;
      });
      this.d.fault?.('snapshot-restore-after-commit');
      // After the commit: the new state's files into place, the discarded ones away.
      if (restoredState) renameOver(stagedState, paths.savedState);
      else rmSync(paths.savedState, { force: true });
      const nv = join(paths.snapshots, `${snap.id}.nvram.fd`);
      if (nextConfig.firmware.type === 'uefi' && existsSync(nv)) copyPrivate(nv, paths.nvram);
      // The TPM as the snapshot had it; none when it had none (a TPM switched on later starts empty).
      rmSync(paths.tpmState, { recursive: true, force: true });
      if (existsSync(this.tpmStatePath(vm.id, snap.id))) copyTpmState(this.tpmStatePath(vm.id, snap.id), paths.tpmState);
      for (const f of discard) rmSync(f, { force: true });
      this.d.changed(vm.id);
      return { id: vm.id, state: nextState };
    });
  }

  // ------------------------------------------------------------------ delete

  /** What a delete would do, from the same plan the delete carries out. */
  async deletePlan(ref: string, snapRef: string) {
    const vm = this.d.find(ref);
    const snap = this.resolve(vm, snapRef);
    const plan = await this.planDelete(vm, snap);
    let free = 0;
    try {
      const st = statfsSync(vmPaths(this.d.home, vm.id).dir);
      free = st.bavail * st.bsize;
    } catch {
      /* unknown */
    }
    return {
      snapshot: this.item(vm, snap),
      children: plan.children,
      bytesToMerge: plan.bytesToMerge,
      freeBytesNeeded: plan.freeBytesNeeded,
      freeBytesAvailable: free,
      estimatedSeconds: plan.estimatedSeconds,
      blockedBy: plan.blockedBy,
    };
  }

  /**
   * The delete plan from the facts as they are now: the inventory's rows, the node's file sizes and,
   * while the VM runs, each disk's chain as QEMU has it open.
   */
  private async planDelete(vm: VmRow, snap: Snap): Promise<DeletePlan> {
    const running = isActive(vm.state);
    const others = this.snapshots(vm).filter((s) => s.id !== snap.id);
    const disks: DeleteFacts['disks'][number][] = [];
    for (const disk of snap.disks) {
      const row = this.d.inventory.images.get(disk.path);
      const top = vm.config.disks.find((dd) => dd.id === disk.diskId)?.path;
      disks.push({
        diskId: disk.diskId,
        image: disk.path,
        backing: row?.backingPath ?? null,
        owned: row?.owned ?? false,
        allocatedBytes: fileAllocated(disk.path),
        dependents: this.d.inventory.images.dependents(disk.path).map((dep) => ({
          path: dep.path,
          vmId: dep.vmId,
          owned: dep.owned,
          allocatedBytes: fileAllocated(dep.path),
          dependentCount: this.d.inventory.images.dependents(dep.path).length,
          ...(dep.vmId !== null && dep.vmId !== vm.id ? { vmName: this.d.inventory.vms.get(dep.vmId)?.name ?? dep.vmId } : {}),
        })),
        heldByAnotherSnapshot: others.some((s) => s.disks.some((dd) => dd.path === disk.path)),
        runningChain: !running ? null : top ? (await this.d.qemuImg.info(top, { backingChain: true })).map((i) => i.path) : [],
      });
    }
    return planDelete({ vmId: vm.id, disks });
  }

  async delete(ref: string, snapRef: string, p: Progress): Promise<void> {
    const vm = this.d.find(ref);
    const snap = this.resolve(vm, snapRef);
    const refuseIfBlocked = (plan: DeletePlan) => {
      if (plan.blockedBy.length === 0) return;
      throw new HangarError('STATE_CONFLICT', `snapshot '${snap.name}' cannot be deleted: the linked clone(s) ${plan.blockedBy.map((n) => `'${n}'`).join(', ')} depend on it`);
    };
    refuseIfBlocked(await this.planDelete(vm, snap));
    const running = isActive(vm.state);
    if (running && (vm.state !== 'running' && vm.state !== 'paused')) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: wait until it has settled`);
    if (running && !this.d.supervisor.get(vm.id)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state} but its VMM host does not answer`);
    await this.d.tasks.run('snapshot.delete', vm, { signal: p.signal, onProgress: p.onProgress, subject: snap.name }, async (task) => {
      // Planned again now that the task holds the VM: nothing can change it under the merge.
      const plan = await this.planDelete(vm, snap);
      refuseIfBlocked(plan);
      const total = plan.merges.length || 1;
      let done = 0;
      const forward = plan.merges.filter((m) => m.kind !== 'commit');
      const commits = plan.merges.filter((m) => m.kind === 'commit');
      for (const step of forward) {
        switch (step.kind) {
          case 'stream':
            task.phase(`merging '${snap.name}' into the running disk`);
            await this.d.supervisor.call(vm.id, 'host.blockStream', { image: step.image, base: step.base }, {
              signal: task.signal,
              onProgress: (pr) => task.progress((done + pr.fraction) / total, 'merging into the running disk'),
              timeoutMs: 24 * 3600_000,
            });
            break;
          case 'rebase': {
            task.phase(`merging '${snap.name}' into ${basename(step.image)}`);
            const fmt = step.newBacking ? (this.d.inventory.images.get(step.newBacking)?.format ?? 'qcow2') : undefined;
            try {
              await this.d.qemuImg.rebase(step.image, {
                backing: step.newBacking,
                ...(fmt ? { backingFormat: fmt } : {}),
                signal: task.signal,
                onProgress: (f) => task.progress((done + f) / total, `merging into ${basename(step.image)}`),
              });
            } catch (e) {
              // A rebase stopped half-way leaves its image whole (the backing pointer changes last), but
              // clusters it had allocated can leak: reclaim them so the image checks clean.
              await this.d.qemuImg.check(step.image, { repair: 'leaks' }).catch(() => undefined);
              throw e;
            }
            this.d.fault?.('snapshot-delete-after-rebase');
            break;
          }
        }
        done++;
      }
      if (commits.length > 0 && task.signal.aborted) throw cancelledError();
      task.phase('recording');
      // The snapshot leaves the inventory before any image of it is written: a node's image that takes a
      // child's data (a commit) is from here on only an image in that child's chain, which no snapshot records.
      this.d.inventory.transaction(() => {
        for (const step of forward) this.d.inventory.images.setBacking(step.image, step.kind === 'stream' ? step.base : step.newBacking);
        for (const child of this.d.inventory.snapshots.children(snap.id)) this.d.inventory.snapshots.update(child.id, { parentId: snap.parentId });
        if (this.d.inventory.snapshots.current(vm.id)?.id === snap.id) this.d.inventory.snapshots.setCurrent(vm.id, snap.parentId);
        this.d.inventory.snapshots.delete(snap.id);
        for (const image of plan.forget) if (this.d.inventory.images.get(image)) this.d.inventory.images.delete(image);
      });
      for (const step of commits) {
        // Not cancellable from here: the snapshot is gone from the inventory, and this is the cheaper half.
        task.phase(`merging ${basename(step.image)} down into the image of '${snap.name}'`);
        this.d.fault?.('snapshot-delete-before-commit-down');
        const onProgress = (f: number) => task.progress((done + f) / total, `merging ${basename(step.image)} down`);
        if (step.above !== null) {
          await this.d.supervisor.call(vm.id, 'host.blockCommit', { diskId: step.diskId, image: step.image, into: step.into }, {
            onProgress: (pr) => onProgress(pr.fraction),
            timeoutMs: 24 * 3600_000,
          });
          // QEMU has both files open under their names: the records now name the node's image where they
          // named the child's (the child's file stays whole until the removals, after this commit).
          const above = step.above;
          this.d.inventory.transaction(() => {
            this.d.inventory.images.setBacking(above, step.into);
            for (const s of this.snapshots(vm)) {
              if (s.disks.some((dd) => dd.path === step.image)) this.d.inventory.snapshots.update(s.id, { disks: s.disks.map((dd) => (dd.path === step.image ? { ...dd, path: step.into } : dd)) });
            }
            this.d.inventory.images.delete(step.image);
          });
        } else {
          chmodSync(step.into, 0o600); // a frozen image is read-only; it is written once more, then renamed with the child's mode
          await this.d.qemuImg.commit(step.image, { keepTop: true, onProgress });
          this.d.fault?.('snapshot-delete-after-commit-down');
          renameKeepingMode(step.into, step.image);
          // The child's file now holds its data on the node's base; the node's image is gone under its name.
          this.d.inventory.transaction(() => {
            this.d.inventory.images.setBacking(step.image, step.base);
            if (this.d.inventory.images.get(step.into)) this.d.inventory.images.delete(step.into);
          });
        }
        done++;
      }
      this.d.fault?.('snapshot-delete-after-commit');
      for (const image of plan.remove) rmSync(image, { force: true });
      for (const f of [snap.stateFile, this.thumbnailPath(vm, snap.id), join(vmPaths(this.d.home, vm.id).snapshots, `${snap.id}.nvram.fd`), this.tpmStatePath(vm.id, snap.id)]) {
        if (f) rmSync(f, { force: true, recursive: true });
      }
      this.d.changed(vm.id);
    });
  }

  // ------------------------------------------------------------------ edit, thumbnail

  edit(ref: string, snapRef: string, patch: { name?: string; description?: string }): SnapshotItem {
    const vm = this.d.find(ref);
    const snap = this.resolve(vm, snapRef);
    if (patch.name !== undefined) {
      const problems = nameProblems(patch.name);
      if (problems.length) throw new HangarError('INVALID_INPUT', problems.join('; '));
      const other = findSnapshot(this.snapshots(vm), patch.name);
      if (other && other.id !== snap.id && other.name.toLowerCase() === patch.name.toLowerCase()) {
        throw new HangarError('ALREADY_EXISTS', `VM '${vm.name}' already has a snapshot named '${patch.name}'`);
      }
    }
    const updated = this.d.inventory.snapshots.update(snap.id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
    });
    this.d.changed(vm.id);
    return this.item(vm, updated);
  }

  thumbnail(ref: string, snapRef: string): { png: string } {
    const vm = this.d.find(ref);
    const snap = this.resolve(vm, snapRef);
    const file = this.thumbnailPath(vm, snap.id);
    if (!existsSync(file)) throw new HangarError('NOT_FOUND', `snapshot '${snap.name}' has no screen thumbnail`);
    return { png: readFileSync(file).toString('base64') };
  }
}

/** The tree's rules for snapshot names, and those for any label people read in a list. */
function nameProblems(name: string): string[] {
  const problems = labelProblems(name, 'snapshot name');
  return problems.length ? problems : snapshotNameProblems(name);
}

/** Bytes really allocated on disk (sparse files count what they hold). */
function fileAllocated(path: string): number {
  try {
    return statSync(path).blocks * 512;
  } catch {
    return 0;
  }
}

/** The same file (one inode, as a hard link makes), or two files with the same bytes. */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
    return sa.size === sb.size && sameContent(a, b);
  } catch {
    return false;
  }
}

/** Byte for byte; false when either is missing. Read in chunks: a saved state can be large. */
function sameContent(a: string, b: string): boolean {
  let fa: number | undefined;
  let fb: number | undefined;
  try {
    fa = openSync(a, 'r');
    fb = openSync(b, 'r');
    if (fstatSync(fa).size !== fstatSync(fb).size) return false;
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    for (let pos = 0; ; ) {
      const na = readSync(fa, ba, 0, ba.length, pos);
      const nb = readSync(fb, bb, 0, bb.length, pos);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
      pos += na;
    }
  } catch {
    return false;
  } finally {
    if (fa !== undefined) closeSync(fa);
    if (fb !== undefined) closeSync(fb);
  }
}

/** swtpm writes a state file through a temporary one (TMP*) and renames it, and keeps a .lock: copies leave those out. */
const isTpmTemp = (name: string) => name.startsWith('TMP') || name.startsWith('.');

/** A copy of a TPM state folder (private, as swtpm keeps it). */
export function copyTpmState(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(from)) if (!isTpmTemp(name)) copyTreePrivate(join(from, name), join(to, name));
}

/** Two TPM state folders hold the same files with the same bytes (both missing counts as the same). */
function sameTpmState(a: string, b: string): boolean {
  const names = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => !isTpmTemp(n)).sort() : []);
  const na = names(a);
  const nb = names(b);
  if (na.join('/') !== nb.join('/')) return false;
  return na.every((n) => sameContent(join(a, n), join(b, n)));
}

function readOnly(path: string): void {
  try {
    chmodSync(path, 0o400);
  } catch {
    /* an image the user owns elsewhere: leave its mode */
  }
}

function linkOrCopy(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyPrivate(from, to);
  }
}

function renameOver(from: string, to: string): void {
  rmSync(to, { force: true });
  linkOrCopy(from, to);
  rmSync(from, { force: true });
}

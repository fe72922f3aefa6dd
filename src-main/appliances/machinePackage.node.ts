// A VirtualBox (.vbox) or VMware (.vmx) machine opened as the appliance importer opens a package:
// its machine file read and mapped with the OVF importer's own mapping (through the descriptor the
// machine would have been exported as: machineFile.ts), and its folder as the package's members.
// Each disk's chain is found and checked here, before the review shows anything.
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { statChosenFile, type AppliancePackage, type Region } from './package.node.js';
import { mapDescriptor } from './mapping.js';
import type { AppliancePlan } from './plan.js';
import { machineToDescriptor, snapshotWarning, type MachineFile, type ResolvedDisk } from './machineFile.js';
import { vboxChain, vmdkChain, type DiskChain } from './machineDisks.node.js';
import { parseVbox } from './vbox.js';
import { parseVmx } from './vmx.js';

const MAX_MACHINE_FILE_BYTES = 16 << 20;

export function isMachineFile(path: string): boolean {
  return /^\.(vbox|vmx)$/i.test(extname(path));
}

export interface MachinePackage {
  pkg: AppliancePackage;
  plan: AppliancePlan;
  machine: MachineFile;
  chains: Map<string, DiskChain>;
}

async function readSmall(path: string, what: string): Promise<Buffer> {
  const s = await statChosenFile(path);
  if (s.size > MAX_MACHINE_FILE_BYTES) throw new HangarError('INVALID_INPUT', `${what} is ${s.size} bytes, more than any real machine file`);
  return readFile(path);
}

/** Reads, checks and maps a .vbox or .vmx; writes nothing. Throws one-line HangarErrors. */
export async function openMachinePackage(file: string): Promise<MachinePackage> {
  const bytes = await readSmall(file, basename(file));
  const path = await realpath(file);
  const folder = dirname(path);
  const what = basename(path);
  let machine: MachineFile;
  if (/\.vbox$/i.test(path)) machine = parseVbox(bytes, what);
  else {
    const text = new TextDecoder('utf-8').decode(bytes);
    const vmsdPath = path.replace(/\.vmx$/i, '.vmsd');
    let vmsd: string | null = null;
    try {
      vmsd = (await readSmall(vmsdPath, basename(vmsdPath))).toString('utf8');
    } catch (e) {
      if ((e as HangarError).code !== 'NOT_FOUND') throw e;
    }
    machine = parseVmx(text, what, vmsd);
  }

  const chains = new Map<string, DiskChain>();
  const resolved: ResolvedDisk[] = [];
  for (const [i, d] of machine.devices.entries()) {
    if (d.kind !== 'disk' || d.file === null) continue;
    const label = `${what}: the disk ${d.name}`;
    const chain = machine.kind === 'vbox' ? await vboxChain(folder, d.chain ?? [{ location: d.file }], label) : await vmdkChain(folder, d.file, label);
    if (chains.has(chain.href)) throw new HangarError('INVALID_INPUT', `${what}: two disks use ${chain.href}`);
    chains.set(chain.href, chain);
    resolved.push({ device: i, href: chain.href, capacityBytes: chain.capacityBytes, format: chain.layers.at(-1)!.format });
  }

  const plan = mapDescriptor(machineToDescriptor(machine, resolved), what);
  const extra = [...machine.warnings];
  const snapshots = snapshotWarning(machine);
  if (snapshots) extra.push(snapshots);
  for (const m of plan.machines) m.warnings.unshift(...extra);

  const member = async (name: string): Promise<Region | undefined> => {
    const chain = chains.get(name);
    if (!chain) return undefined;
    const leaf = chain.layers.at(-1)!.path;
    return { name, path: leaf, offset: 0, length: (await stat(leaf)).size };
  };
  const pkg: AppliancePackage = {
    kind: machine.kind,
    path,
    descriptorName: what,
    base: '',
    descriptor: bytes,
    manifest: null,
    certificate: null,
    member,
    names: () => [what, ...chains.keys()],
    chain: (href) => chains.get(href),
  };
  return { pkg, plan, machine, chains };
}

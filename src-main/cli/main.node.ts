#!/usr/bin/env node
// `hangar`: every capability of the app, scriptable. A client of the home's owner (started on demand).
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HangarError, errorIssues, toHangarError } from '../../src-vmm/base/errors.js';
import { createClient, type Client, type Progress } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { parseSize } from '../../src-vmm/storage/chain.js';
import type { z } from 'zod';
import { NIC_MODELS } from '../../src-vmm/model/index.js';
import { hangarApi, type HangarApi, type VmDetails } from '../api/contract.js';
import { homePaths, resolveHome } from '../home.js';
import type { MachinePlan } from '../appliances/plan.js';
import { applyEdits, type MachineEdits } from '../appliances/review.js';
import { liveLockHolder } from '../owner/lock.node.js';
import { startOwner } from '../owner/owner.node.js';
import { takeOverHome } from '../owner/takeover.node.js';
import { startWebServer } from '../web/server.node.js';
import { openInBrowser } from '../desktop/browser.node.js';
import { removeServeInfo, writeServeInfo } from '../desktop/webInfo.node.js';
import { cliAdvice } from './advice.js';
import { openFile } from './open.node.js';
import { helpText, parseArgs, parseForward, parseOnOff, parseShare, usageError, type ParsedCommand } from './args.js';
import { formatBytes, formatDetails, formatSnapshotTree, formatTable, oneLine, ProgressBar } from './output.js';

type Api = Client<HangarApi>;

const home = resolveHome(process.env, process.platform, homedir());
const cliEntry = fileURLToPath(import.meta.url);

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__owner') return runOwnerDaemon();
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${helpText(argv[1])}\n`);
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`hangar ${pkg.version}\n`);
    return 0;
  }
  if (argv.includes('--help')) {
    process.stdout.write(`${helpText(argv[0])}\n`);
    return 0;
  }
  let parsed: ParsedCommand | undefined;
  const wantsJson = argv.includes('--json');
  try {
    parsed = parseArgs(argv);
    const request = buildRequest(parsed);
    if (parsed.command === 'shutdown') return await shutdownOwner(parsed);
    if (parsed.command === 'serve') return await serveWeb(parsed);
    if (parsed.command === 'open') return await runOpen(parsed);
    const api = await connectToOwner();
    try {
      return await runCommand(api, parsed, request);
    } finally {
      api.dispose();
    }
  } catch (e) {
    const he = toHangarError(e);
    const issues = errorIssues(he);
    if (wantsJson) process.stdout.write(`${JSON.stringify({ error: { code: he.code, message: he.message, ...(issues.length ? { issues } : {}) } })}\n`);
    const advice = cliAdvice(he);
    process.stderr.write(`hangar: ${oneLine(he.message)}${advice ? `: ${advice}` : ''}\n`);
    // A hostile archive is invalid input too: the file given is what is wrong.
    return he.code === 'INVALID_INPUT' || he.code === 'UNSAFE_ARCHIVE' ? 2 : 1;
  }
}

// ------------------------------------------------------------------ owner

async function runOwnerDaemon(): Promise<number> {
  const owner = await startOwner({ home, kind: 'headless owner' });
  const stop = () => {
    owner.dispose();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);
  await owner.shutdownRequested;
  owner.dispose();
  return 0;
}

async function tryConnect(timeoutMs: number): Promise<Api | null> {
  const { ownerSocket } = homePaths(home);
  if (!existsSync(ownerSocket)) return null;
  try {
    return createClient(await connectUnix(ownerSocket, { timeoutMs }), hangarApi);
  } catch {
    return null;
  }
}

/** Connects to the home's owner, starting a headless one when none runs. */
async function connectToOwner(): Promise<Api> {
  const existing = await tryConnect(3_000);
  if (existing) return existing;
  const paths = homePaths(home);
  const holder = liveLockHolder(paths.ownerLock);
  if (holder) {
    // An owner is starting (or busy): wait for its socket.
    const api = await waitForOwner(60_000, () => false);
    if (api) return api;
    throw new HangarError('OWNER_CONFLICT', `the owner of this home (${holder.kind}, pid ${holder.pid}) does not answer on ${paths.ownerSocket}`);
  }
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const logFd = openSync(paths.ownerLog, 'a', 0o600);
  const child = spawn(process.execPath, ['--enable-source-maps', cliEntry, '__owner'], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, HANGAR_HOME: home },
  });
  closeSync(logFd);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.unref();
  // Another client may have started an owner at the same moment: ours then finds the home locked and
  // ends, and the other one (still starting, perhaps probing KVM) is the owner to wait for.
  const api = await waitForOwner(120_000, () => exited && !liveLockHolder(paths.ownerLock));
  if (api) return api;
  const tail = readLastLines(paths.ownerLog, 3);
  throw new HangarError('INTERNAL', `could not start the headless owner${tail ? `: ${tail}` : ''} (log: ${paths.ownerLog})`);
}

async function waitForOwner(timeoutMs: number, gaveUp: () => boolean): Promise<Api | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const api = await tryConnect(2_000);
    if (api) return api;
    if (gaveUp()) return tryConnect(1_000);
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

async function shutdownOwner(p: ParsedCommand): Promise<number> {
  const api = await tryConnect(3_000);
  if (!api) {
    print(p, { stopped: false, stoppedVms: [] }, () => 'no owner is running for this home');
    return 0;
  }
  try {
    const r = await api.call('owner.shutdown', { force: p.flags.force === true });
    print(p, { stopped: true, ...r }, () => (r.stoppedVms.length ? `owner stopped; powered off: ${r.stoppedVms.join(', ')}` : 'owner stopped'));
    return 0;
  } finally {
    api.dispose();
  }
}

/** `hangar serve`: becomes the home's owner (taking over from a headless one) and serves web mode. */
async function serveWeb(p: ParsedCommand): Promise<number> {
  await takeOverHome(home, 'hangar serve');
  const owner = await startOwner({ home, kind: 'hangar serve' });
  const host = typeof p.flags.host === 'string' ? p.flags.host : '127.0.0.1';
  let web;
  try {
    web = await startWebServer({
      connect: (t) => owner.connect(t),
      vncSocketFor: (id) => owner.vncSocketFor(id),
      host,
      ...(typeof p.flags.port === 'number' ? { port: p.flags.port } : {}),
    });
  } catch (e) {
    owner.dispose();
    throw e;
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    process.stderr.write(`hangar: warning: serving on ${host}, not only this machine; anyone with the token controls the VMs\n`);
  }
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    void owner.shutdownRequested.then(resolve);
  });
  process.stdout.write(`Hangar web mode for ${home}\n${web.url}\n`);
  // Where `hangar open` finds this server: a private file in the home, gone when serving stops.
  try {
    writeServeInfo(home, web.url);
  } catch (e) {
    process.stderr.write(`hangar: warning: could not leave this server's address in the home (${oneLine(toHangarError(e).message)}): hangar open will not find it\n`);
  }
  if (p.flags.open === true) {
    const { command } = await openInBrowser(home, web.url);
    process.stderr.write(command ? `hangar: opened in your browser (${command})\n` : 'hangar: no browser to open here (no desktop session, $BROWSER unset): open the address above\n');
  }
  await stopped;
  removeServeInfo(home);
  web.dispose();
  owner.dispose();
  process.stderr.write('hangar: web mode stopped; running VMs keep running (any hangar command re-attaches them)\n');
  return 0;
}

/** `hangar open FILE`: the import review in the desktop app, or in web mode in the user's browser. */
async function runOpen(p: ParsedCommand): Promise<number> {
  const r = await openFile(home, cliEntry, p.args[0]!);
  print(p, r, () => {
    if (r.via === 'desktop') return `opened ${r.file} in the desktop app`;
    const started = r.startedServe ? "; web mode started in the background ('hangar shutdown' stops it)" : '';
    const head = r.browser ? `opened ${r.file} in web mode in your browser (${r.browser})${started}` : `no browser to open here (no desktop session, $BROWSER unset): open this address to review ${r.file}${started}`;
    return `${head}\n${r.url}`;
  });
  return 0;
}

// ------------------------------------------------------------------ commands

type CreateInput = z.input<typeof hangarApi['vm.create']['input']>;
type ModifyInput = z.input<typeof hangarApi['vm.modify']['input']>;
type NicRequest = NonNullable<CreateInput['nics']>[number];

/** What a command sends, checked and converted from its flags before anything reaches the owner. */
type Request =
  | { kind: 'create'; input: CreateInput; defaultDisk: boolean }
  /** `nic`: a change to the first network card, made against the VM's cards as they are */
  | { kind: 'modify'; input: ModifyInput; nic?: { model?: NicRequest['model'] | 'none'; forwards?: NicRequest['forwards'] } }
  | { kind: 'screenshot'; input: { ref: string; file: string } }
  | { kind: 'start'; input: { ref: string; waitSerial?: string; timeoutS?: number } }
  | { kind: 'stop'; input: { ref: string; force: boolean; timeoutS?: number } }
  | { kind: 'other' };

const NIC_MODEL_VALUES: readonly string[] = NIC_MODELS.map((m) => m.value);

/** Checks and converts flags before anything is sent: bad usage never reaches the owner. */
function buildRequest(p: ParsedCommand): Request {
  const f = p.flags;
  const path = (v: unknown) => resolvePath(String(v));
  if (p.command === 'create' || p.command === 'modify') {
    const modify = p.command === 'modify';
    if (!modify && f.name === undefined) throw usageError('create needs --name NAME');
    if (f.disk !== undefined && f['disk-image'] !== undefined) throw usageError('--disk and --disk-image cannot be used together');
    if (f.flatten === true && f['disk-image'] === undefined) throw usageError('--flatten copies the image given with --disk-image');
    if (f.firmware !== undefined && f.firmware !== 'bios' && f.firmware !== 'uefi') throw usageError(`--firmware takes bios or uefi, not '${f.firmware}'`);
    if (f.accel !== undefined && !['auto', 'kvm', 'tcg'].includes(String(f.accel))) throw usageError(`--accel takes auto, kvm or tcg, not '${f.accel}'`);
    if (f.nic !== undefined && f.nic !== 'none' && !NIC_MODEL_VALUES.includes(String(f.nic))) throw usageError(`--nic takes one of ${[...NIC_MODEL_VALUES, 'none'].join(', ')}, not '${f.nic}'`);
    const nicModel = f.nic === undefined || f.nic === 'none' ? undefined : (String(f.nic) as NonNullable<NicRequest['model']>);
    const forwards = f.forward === undefined ? undefined : (f.forward as string[]).map(parseForward);
    if (f.nic === 'none' && forwards?.length) throw usageError('port forwards need a network card (--nic is none)');
    const system = {
      ...(f.cpus !== undefined ? { cpus: Number(f.cpus) } : {}),
      ...(f.memory !== undefined ? { memoryMiB: Number(f.memory) } : {}),
      ...(f.accel !== undefined ? { accel: String(f.accel) as 'auto' | 'kvm' | 'tcg' } : {}),
    };
    const disk =
      f['disk-image'] !== undefined
        ? { image: path(f['disk-image']), ...(f.flatten === true ? { flatten: true } : {}) }
        : f.disk !== undefined && f.disk !== 'none'
          ? { sizeBytes: parseSizeFlag(String(f.disk)) }
          : undefined;
    const recovery = {
      ...(f['restart-on-crash'] !== undefined ? { restartOnCrash: parseOnOff('restart-on-crash', String(f['restart-on-crash'])) } : {}),
      ...(f['restart-limit'] !== undefined ? { maxRestartsPerMinute: Number(f['restart-limit']) } : {}),
    };
    const shares = f.share === undefined ? undefined : (f.share as string[]).map((text) => {
      const sh = parseShare(text);
      return { ...sh, hostPath: path(sh.hostPath) };
    });
    const firmware = {
      ...(f.firmware !== undefined ? { type: f.firmware as 'bios' | 'uefi' } : {}),
      ...(f['secure-boot'] !== undefined ? { secureBoot: parseOnOff('secure-boot', String(f['secure-boot'])) } : {}),
    };
    const common = {
      ...(f.os !== undefined ? { osType: String(f.os) } : {}),
      ...(f.description !== undefined ? { description: String(f.description) } : {}),
      ...(Object.keys(system).length ? { system } : {}),
      ...(Object.keys(firmware).length ? { firmware } : {}),
      ...(f.tpm !== undefined ? { tpm: parseOnOff('tpm', String(f.tpm)) } : {}),
      ...(f.clipboard !== undefined ? { display: { clipboard: parseOnOff('clipboard', String(f.clipboard)) } } : {}),
      ...(Object.keys(recovery).length ? { recovery } : {}),
    };
    if (!modify) {
      if (f.nested !== undefined) throw usageError('--nested is set with modify, once the VM exists');
      const boot = {
        ...(f.kernel !== undefined ? { kernel: path(f.kernel) } : {}),
        ...(f.initrd !== undefined ? { initrd: path(f.initrd) } : {}),
        ...(f.append !== undefined ? { append: String(f.append) } : {}),
      };
      const input: CreateInput = {
        name: String(f.name),
        ...common,
        ...(disk ? { disk } : {}),
        ...(f.iso !== undefined ? { iso: path(f.iso) } : {}),
        ...(f.nic === 'none' ? { nics: [] } : nicModel !== undefined || forwards !== undefined ? { nics: [{ ...(nicModel ? { model: nicModel } : {}), ...(forwards ? { forwards } : {}) }] } : {}),
        ...(Object.keys(boot).length ? { boot } : {}),
        ...(shares ? { shares } : {}),
      };
      return { kind: 'create', input, defaultDisk: f.disk === undefined && f['disk-image'] === undefined };
    }
    const optional = (v: unknown) => (v === 'none' ? null : path(v));
    const boot = {
      ...(f.kernel !== undefined ? { kernel: optional(f.kernel) } : {}),
      ...(f.initrd !== undefined ? { initrd: optional(f.initrd) } : {}),
      ...(f.append !== undefined ? { append: String(f.append) } : {}),
    };
    const input: ModifyInput = {
      ref: p.args[0]!,
      ...(f.name !== undefined ? { name: String(f.name) } : {}),
      ...common,
      ...(disk ? { addDisk: disk } : {}),
      ...(f.iso !== undefined ? { iso: optional(f.iso) } : {}),
      ...(Object.keys(boot).length ? { boot } : {}),
      ...(f.nested !== undefined ? { features: { nested: parseOnOff('nested', String(f.nested)) } } : {}),
      ...(shares ? { addShares: shares } : {}),
      ...(f.unshare !== undefined ? { removeShares: f.unshare as string[] } : {}),
    };
    const nic = f.nic !== undefined || forwards !== undefined ? { ...(f.nic !== undefined ? { model: f.nic === 'none' ? ('none' as const) : nicModel } : {}), ...(forwards ? { forwards } : {}) } : undefined;
    return { kind: 'modify', input, ...(nic ? { nic } : {}) };
  }
  if (p.command === 'screenshot') {
    if (f.output === undefined) throw usageError('screenshot needs -o FILE.png');
    return { kind: 'screenshot', input: { ref: p.args[0]!, file: path(f.output) } };
  }
  if (p.command === 'start') {
    if (f.timeout !== undefined && Number(f.timeout) <= 0) throw usageError('--timeout must be more than 0 seconds');
    return { kind: 'start', input: { ref: p.args[0]!, ...(f['wait-serial'] !== undefined ? { waitSerial: String(f['wait-serial']) } : {}), ...(f.timeout !== undefined ? { timeoutS: Number(f.timeout) } : {}) } };
  }
  if (p.command === 'stop') {
    if (f.timeout !== undefined && Number(f.timeout) <= 0) throw usageError('--timeout must be more than 0 seconds');
    return { kind: 'stop', input: { ref: p.args[0]!, force: f.force === true, ...(f.timeout !== undefined ? { timeoutS: Number(f.timeout) } : {}) } };
  }
  return { kind: 'other' };
}

/**
 * `modify --nic/--forward` changes the first network card (adding one when there is none; `none`
 * removes them all): the list the API takes, made from the VM's cards as they are.
 */
function nicsAfter(current: VmDetails['nics'], nic: NonNullable<Extract<Request, { kind: 'modify' }>['nic']>): NonNullable<ModifyInput['nics']> {
  if (nic.model === 'none') return [];
  const [first, ...rest] = current;
  return [
    { ...(first ? { id: first.id } : {}), ...(nic.model ? { model: nic.model } : {}), ...(nic.forwards ? { forwards: nic.forwards } : {}) },
    ...rest.map((n) => ({ id: n.id })),
  ];
}

function parseSizeFlag(text: string): number {
  try {
    return parseSize(text);
  } catch (e) {
    throw usageError(`--disk: ${toHangarError(e).message}`);
  }
}

async function runCommand(api: Api, p: ParsedCommand, req: Request): Promise<number> {
  const ref = p.args[0] ?? '';
  switch (p.command) {
    case 'list': {
      const r = await api.call('vm.list', {});
      const guest = (v: (typeof r.vms)[number]) => (v.guest?.agent === 'connected' ? [v.guest.hostname, v.guest.ipAddresses[0]].filter(Boolean).join(' ') : '');
      print(p, r, () => formatTable(['NAME', 'STATE', 'OS', 'ACCEL', 'GUEST', 'ID'], r.vms.map((v) => [v.name, v.state, v.osType, v.accelerator, guest(v), v.id])));
      return 0;
    }
    case 'show':
      printVm(p, await api.call('vm.show', { ref }));
      return 0;
    case 'create': {
      if (req.kind !== 'create') break;
      let input = req.input;
      if (req.defaultDisk) {
        // Without --disk a VM gets a new disk of its OS type's size (an unknown type is the owner's to refuse).
        const { osTypes } = await api.call('os.list', {});
        const os = osTypes.find((o) => o.id === (input.osType ?? 'linux'));
        if (os) input = { ...input, disk: { sizeBytes: os.defaults.diskGiB * 2 ** 30 } };
      }
      const created = input;
      printVm(p, await withProgress(p, 'creating', (opts) => api.call('vm.create', created, opts)));
      return 0;
    }
    case 'modify': {
      if (req.kind !== 'modify') break;
      const nic = req.nic;
      const input = nic ? { ...req.input, nics: nicsAfter((await api.call('vm.show', { ref })).nics, nic) } : req.input;
      printVm(p, await withProgress(p, 'modifying', (opts) => api.call('vm.modify', input, opts)));
      return 0;
    }
    case 'delete': {
      const r = await api.call('vm.delete', { ref, keepFiles: p.flags['keep-files'] === true, keepShared: p.flags['keep-shared'] === true });
      print(p, r, () => (r.keptFiles.length ? `deleted; kept: ${r.keptFiles.join(', ')}` : 'deleted'));
      return 0;
    }
    case 'ostypes': {
      const r = await api.call('os.list', {});
      print(p, r, () =>
        formatTable(
          ['ID', 'LABEL', 'CPUS', 'MEMORY', 'DISK', 'FIRMWARE', 'DISK BUS', 'NIC'],
          r.osTypes.map((o) => [o.id, o.label, String(o.defaults.cpus), `${o.defaults.memoryMiB} MiB`, `${o.defaults.diskGiB} GiB`, o.defaults.firmware, o.defaults.diskBus, o.defaults.nicModel]),
        ),
      );
      return 0;
    }
    case 'host': {
      const r = await api.call('host.info', {});
      print(p, r, () =>
        [
          `QEMU:        ${r.qemuVersion} (${r.qemuBinary})`,
          `accelerator: ${r.accelerator} (${r.accelReason})`,
          `UEFI:        ${r.ovmf ? r.ovmf.code : 'OVMF not found (install the ovmf package)'}`,
          `owner:       ${r.ownerKind}, pid ${r.ownerPid}`,
          `home:        ${r.home}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'start': {
      if (req.kind !== 'start') break;
      const r = await withProgress(p, 'starting', (opts) => api.call('vm.start', req.input, opts));
      print(p, r, () => `${ref}: ${r.state} (${r.accelerator})${r.serialMatched ? `; saw '${String(p.flags['wait-serial'])}'` : ''}`);
      return 0;
    }
    case 'stop': {
      if (req.kind !== 'stop') break;
      const r = await withProgress(p, 'stopping', (opts) => api.call('vm.stop', req.input, opts));
      print(p, r, () => `${ref}: ${r.state}`);
      return 0;
    }
    case 'pause':
    case 'resume':
    case 'reset': {
      const r = await api.call(`vm.${p.command}`, { ref });
      print(p, r, () => `${ref}: ${r.state}`);
      return 0;
    }
    case 'save': {
      const r = await withProgress(p, 'saving', (opts) => api.call('vm.save', { ref }, opts));
      print(p, r, () => `${ref}: ${r.state}`);
      return 0;
    }
    case 'serial':
      return serial(api, p, ref);
    case 'screenshot': {
      if (req.kind !== 'screenshot') break;
      const r = await api.call('vm.screenshot', req.input);
      print(p, r, () => `wrote ${r.file} (${r.sizeBytes} bytes)`);
      return 0;
    }
    case 'send': {
      await api.call('vm.send', { ref, text: p.args[1] ?? '', enter: p.flags['no-enter'] !== true });
      print(p, { sent: true }, () => '');
      return 0;
    }
    case 'console':
      return consoleSession(api, ref);
    case 'exec':
      return runExec(api, p, ref);
    case 'clone': {
      if (typeof p.flags.name !== 'string') throw usageError('clone needs --name NAME');
      const mac = p.flags.mac ?? 'new';
      if (mac !== 'new' && mac !== 'keep') throw usageError(`--mac takes new or keep, not '${String(mac)}'`);
      const input = { ref, name: p.flags.name, linked: p.flags.linked === true, mac: mac as 'new' | 'keep', mode: p.flags['all-snapshots'] === true ? ('all' as const) : ('current' as const), ...(typeof p.flags.snapshot === 'string' ? { snapshot: p.flags.snapshot } : {}) };
      printVm(p, await withProgress(p, 'cloning', (opts) => api.call('vm.clone', input, opts)));
      return 0;
    }
    case 'import':
      return runImport(api, p);
    case 'export':
      return runExport(api, p);
    case 'promote':
      printVm(p, await withProgress(p, 'promoting', (opts) => api.call('vm.promote', { ref }, opts)));
      return 0;
    case 'snapshot take': {
      if (p.flags.name === '') throw usageError("--name must not be empty (leave it out for the next free name, 'Snapshot N')");
      const quiesce = p.flags.quiesce === undefined ? 'auto' : parseOnOff('quiesce', String(p.flags.quiesce)) ? 'on' : 'off';
      const r = await withProgress(p, 'snapshot', (opts) =>
        api.call('snapshot.take', { ref, name: typeof p.flags.name === 'string' ? p.flags.name : '', description: typeof p.flags.description === 'string' ? p.flags.description : '', quiesce }, opts),
      );
      print(p, r, () => `took snapshot '${r.name}' (${r.id})${r.live ? ', with the running state' : ''}${r.quiesced ? ', file systems frozen by the guest agent' : ''}`);
      return 0;
    }
    case 'snapshot list': {
      const r = await api.call('snapshot.list', { ref });
      print(p, r, () => formatSnapshotTree(r.snapshots, r.currentSnapshotId, r.currentStateChanged ?? false));
      return 0;
    }
    case 'snapshot restore': {
      const r = await withProgress(p, 'restoring', (opts) => api.call('snapshot.restore', { ref, snapshot: p.args[1]! }, opts));
      print(p, r, () => `${ref}: restored '${p.args[1]}', now ${r.state}${r.state === 'saved' ? " ('hangar start' resumes it)" : ''}`);
      return 0;
    }
    case 'snapshot delete': {
      const plan = await api.call('snapshot.deletePlan', { ref, snapshot: p.args[1]! });
      // Said once the merge runs (its first progress), so that a refusal stays the one line it is.
      let noted = p.flags.json === true || plan.bytesToMerge === 0 || plan.blockedBy.length > 0;
      await withProgress(p, 'deleting', (opts) =>
        api.call('snapshot.delete', { ref, snapshot: p.args[1]! }, {
          ...opts,
          onProgress: (pr) => {
            if (!noted) {
              noted = true;
              process.stderr.write(`merging ${formatBytes(plan.bytesToMerge)} into ${plan.children} image(s), about ${plan.estimatedSeconds} s (${formatBytes(plan.freeBytesAvailable)} free)\n`);
            }
            opts.onProgress(pr);
          },
        }),
      );
      print(p, { deleted: plan.snapshot.id }, () => `deleted snapshot '${plan.snapshot.name}'`);
      return 0;
    }
    case 'snapshot edit': {
      const r = await api.call('snapshot.edit', {
        ref,
        snapshot: p.args[1]!,
        ...(typeof p.flags.name === 'string' ? { name: p.flags.name } : {}),
        ...(typeof p.flags.description === 'string' ? { description: p.flags.description } : {}),
      });
      print(p, r, () => `snapshot '${r.name}' (${r.id})`);
      return 0;
    }
    case 'tasks': {
      const r = await api.call('tasks.list', {});
      const tasks = r.tasks.map((t) => ({ ...t }));
      print(p, { tasks }, () =>
        formatTable(['ID', 'KIND', 'VM', 'STATE', 'PROGRESS', 'STARTED'], tasks.map((t) => [t.id.slice(0, 8), t.kind, t.vm ?? '', t.state, `${Math.round(t.progress * 100)}%`, t.startedAt])),
      );
      return 0;
    }
    default:
      throw usageError(`'${p.command}' is not available yet`);
  }
  throw new HangarError('INTERNAL', `the request for '${p.command}' was not built`);
}

/** `hangar exec VM -- CMD ARG...`: the guest's output on ours, and its exit status as ours. */
async function runExec(api: Api, p: ParsedCommand, ref: string): Promise<number> {
  const [command, ...args] = p.args.slice(1);
  if (!command) throw usageError("exec needs a command: hangar exec VM -- CMD [ARG...]");
  if (p.flags.timeout !== undefined && Number(p.flags.timeout) <= 0) throw usageError('--timeout must be more than 0 seconds');
  const r = await withProgress(p, 'running', (opts) =>
    api.call('vm.exec', { ref, command, args, ...(p.flags.timeout !== undefined ? { timeoutS: Number(p.flags.timeout) } : {}) }, { signal: opts.signal }),
  );
  const stdout = Buffer.from(r.stdout, 'base64');
  const stderr = Buffer.from(r.stderr, 'base64');
  if (p.flags.json) {
    process.stdout.write(`${JSON.stringify({ exitCode: r.exitCode, signal: r.signal, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), truncated: r.truncated }, null, 2)}\n`);
  } else {
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    if (r.truncated) process.stderr.write('hangar: the output was cut short by the guest agent (it keeps at most 16 MiB)\n');
  }
  return r.exitCode;
}

/** The import's edits from the command line: name for the first machine (numbered for the rest), CPUs and memory for all. */
function importEdits(p: ParsedCommand, machines: number): MachineEdits[] {
  const f = p.flags;
  return Array.from({ length: machines }, (_, i) => ({
    ...(typeof f.name === 'string' ? { name: i === 0 ? f.name : `${f.name} (${i + 1})` } : {}),
    ...(typeof f.cpus === 'number' ? { cpus: f.cpus } : {}),
    ...(typeof f.memory === 'number' ? { memoryMiB: f.memory } : {}),
  }));
}

interface ImportedMachineJson {
  name: string;
  osType: string;
  cpus: number;
  memoryMiB: number;
  firmware: string;
  disks: { bus: string; capacityBytes: number; sourceFile: string | null }[];
  nics: { model: string; sourceModel: string }[];
  warnings: string[];
  id?: string;
}

function machineJson(m: MachinePlan, extraWarnings: string[]): ImportedMachineJson {
  return {
    name: m.name,
    osType: m.osType,
    cpus: m.cpus,
    memoryMiB: m.memoryMiB,
    firmware: m.firmware,
    disks: m.disks.filter((d) => d.include).map((d) => ({ bus: d.bus, capacityBytes: d.capacityBytes, sourceFile: d.file?.href ?? null })),
    nics: m.nics.map((n) => ({ model: n.model, sourceModel: n.sourceModel })),
    warnings: [...extraWarnings, ...m.warnings],
  };
}

function formatMachine(m: ImportedMachineJson): string {
  const lines = [
    `${m.name}${m.id ? ` (${m.id})` : ''}`,
    `  OS type   ${m.osType}`,
    `  CPUs      ${m.cpus}`,
    `  memory    ${m.memoryMiB} MiB`,
    `  firmware  ${m.firmware}`,
    ...m.disks.map((d, i) => `  disk ${i}    ${d.bus}, ${formatBytes(d.capacityBytes)}${d.sourceFile ? `, from ${d.sourceFile}` : ', new empty disk'}`),
    ...m.nics.map((n, i) => `  NIC ${i}     ${n.model}${n.sourceModel ? ` (was ${n.sourceModel})` : ''}`),
    ...m.warnings.map((w) => `  warning: ${w}`),
  ];
  return lines.join('\n');
}

async function runExport(api: Api, p: ParsedCommand): Promise<number> {
  const f = p.flags;
  if (typeof f.output !== 'string') throw usageError('export needs -o FILE.ova or -o FILE.ovf');
  const file = resolvePath(f.output);
  if (!/\.(ova|ovf)$/i.test(file)) throw usageError(`-o takes a file ending in .ova or .ovf, not '${f.output}'`);
  const choice = <T extends string>(flag: string, values: readonly T[]): T | undefined => {
    const v = f[flag];
    if (v === undefined) return undefined;
    if (!values.includes(v as T)) throw usageError(`--${flag} takes ${values.join(', ')}, not '${String(v)}'`);
    return v as T;
  };
  const ovfVersion = choice('ovf', ['1.0', '2.0'] as const);
  const profile = choice('profile', ['virtualbox', 'vmware', 'kvm'] as const);
  const manifest = choice('manifest', ['sha256', 'sha1', 'none'] as const);
  const text = (flag: string) => (typeof f[flag] === 'string' ? (f[flag] as string) : '');
  const hasProduct = ['product', 'vendor', 'product-version', 'product-url'].some((k) => f[k] !== undefined);
  let eula: string | undefined;
  if (typeof f.eula === 'string') {
    try {
      eula = readFileSync(resolvePath(f.eula), 'utf8');
    } catch (e) {
      throw usageError(`--eula: cannot read ${f.eula}: ${(e as Error).message}`);
    }
  }
  const input = {
    refs: p.args,
    file,
    ...(ovfVersion ? { ovfVersion } : {}),
    ...(profile ? { profile } : {}),
    ...(manifest ? { manifest } : {}),
    ...(typeof f.snapshot === 'string' ? { snapshot: f.snapshot } : {}),
    ...(hasProduct ? { product: { product: text('product'), vendor: text('vendor'), version: text('product-version'), productUrl: text('product-url'), vendorUrl: '' } } : {}),
    ...(eula !== undefined ? { eula } : {}),
  };
  const r = await withProgress(p, 'exporting', (opts) => api.call('appliance.export', input, opts));
  print(p, r, () => [`exported ${r.machines.join(', ')} to ${r.file} (${formatBytes(r.sizeBytes)}, manifest ${r.manifest})`, ...r.warnings.map((w) => `warning: ${w}`)].join('\n'));
  return 0;
}

async function runImport(api: Api, p: ParsedCommand): Promise<number> {
  const file = resolvePath(p.args[0]!);
  if (!existsSync(file)) throw usageError(`${file} does not exist`);
  const review = await api.call('appliance.review', { path: file });
  const edits = importEdits(p, review.machines.length);
  const planned = review.machines.map((m, i) => applyEdits(m, edits[i]));
  if (p.flags['dry-run'] === true) {
    const machines = planned.map((m, i) => machineJson(m, i === 0 ? review.warnings : []));
    print(p, { machines, warnings: review.warnings, manifest: review.manifest, certificate: review.certificate }, () => machines.map(formatMachine).join('\n\n'));
    return 0;
  }
  const r = await withProgress(p, 'importing', (opts) => api.call('appliance.import', { path: file, machines: edits }, opts));
  const machines = planned.map((m, i) => ({ ...machineJson(m, i === 0 ? review.warnings : []), id: r.vms[i]?.id ?? '' }));
  print(p, { machines, warnings: review.warnings }, () => machines.map(formatMachine).join('\n\n'));
  return 0;
}

function print(p: ParsedCommand, value: unknown, human: () => string): void {
  if (p.flags.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const text = human();
    if (text) process.stdout.write(`${text}\n`);
  }
}

function printVm(p: ParsedCommand, vm: VmDetails): void {
  print(p, vm, () => formatDetails(vm));
}

/** Runs a long call with a progress bar on a terminal and Ctrl-C as cancel. */
async function withProgress<T>(p: ParsedCommand, label: string, call: (opts: { signal: AbortSignal; onProgress: (pr: Progress) => void }) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const bar = new ProgressBar(process.stderr, label, Boolean(process.stderr.isTTY) && !p.flags.json);
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    bar.note('cancelling… (Ctrl-C again to leave at once)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await call({ signal: ac.signal, onProgress: (pr) => bar.update(pr.fraction, pr.message) });
  } finally {
    bar.done();
    process.off('SIGINT', onSigint);
  }
}

async function serial(api: Api, p: ParsedCommand, ref: string): Promise<number> {
  if (!p.flags.follow) {
    const r = await api.call('vm.serial', { ref });
    const bytes = Buffer.from(r.data, 'base64');
    if (p.flags.json) process.stdout.write(`${JSON.stringify({ text: bytes.toString('utf8') })}\n`);
    else process.stdout.write(bytes);
    return 0;
  }
  const { id, backlog } = await api.call('vm.consoleAttach', { ref, backlogBytes: 1 << 20 });
  process.stdout.write(Buffer.from(backlog, 'base64'));
  return new Promise<number>((resolve) => {
    api.onEvent((name, payload) => {
      const ev = payload as { id: string; data?: string; state?: string };
      if (ev.id !== id) return;
      if (name === 'vm.console' && ev.data) process.stdout.write(Buffer.from(ev.data, 'base64'));
      if (name === 'vm.stateChanged' && ['stopped', 'aborted', 'saved'].includes(ev.state ?? '')) resolve(0);
    });
    api.onClose(() => resolve(1));
    process.once('SIGINT', () => resolve(0));
  });
}

async function consoleSession(api: Api, ref: string): Promise<number> {
  const { id, backlog } = await api.call('vm.consoleAttach', { ref, backlogBytes: 4096 });
  process.stderr.write(`Connected to the serial console of '${ref}'. Press Ctrl-] to detach.\r\n`);
  process.stdout.write(Buffer.from(backlog, 'base64'));
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  return new Promise<number>((resolve) => {
    const finish = (code: number, why?: string) => {
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      if (why) process.stderr.write(`\r\n${why}\r\n`);
      resolve(code);
    };
    stdin.on('data', (chunk: Buffer) => {
      if (chunk.includes(0x1d)) {
        finish(0, 'Detached.');
        return;
      }
      api.call('vm.send', { ref: id, text: chunk.toString('utf8'), enter: false }).catch((e) => finish(1, toHangarError(e).message));
    });
    stdin.on('end', () => finish(0));
    api.onEvent((name, payload) => {
      const ev = payload as { id: string; data?: string; state?: string };
      if (ev.id !== id) return;
      if (name === 'vm.console' && ev.data) process.stdout.write(Buffer.from(ev.data, 'base64'));
      if (name === 'vm.stateChanged' && ['stopped', 'aborted', 'saved'].includes(ev.state ?? '')) finish(0, `The VM is ${ev.state}.`);
    });
    api.onClose(() => finish(1, 'The owner closed the connection.'));
  });
}

function readLastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '';
  }
}

/**
 * Exits once stdout and stderr have taken everything written to them: writes to a pipe are
 * asynchronous, and exiting at once would cut `hangar serial | tail` short.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  // Also closes lingering handles (stdin in console mode) so the process ends.
  (code) => exitWhenFlushed(code),
  (e: unknown) => {
    process.stderr.write(`hangar: ${oneLine(toHangarError(e).message)}\n`);
    exitWhenFlushed(1);
  },
);

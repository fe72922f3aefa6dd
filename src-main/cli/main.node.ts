#!/usr/bin/env node
// `hangar`: every capability of the app, scriptable. A client of the home's owner (started on demand).
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { constants as osConstants, homedir } from 'node:os';
import { createConnection } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HangarError, errorIssues, toHangarError } from '../../src-vmm/base/errors.js';
import { createClient, type Client, type Progress } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { checkSize } from '../../src-vmm/storage/size.js';
import type { z } from 'zod';
import { NIC_MODELS } from '../../src-vmm/model/nicModels.js';
import type { HangarApi, VmDetails, hangarApi } from '../api/contract.js';
import { homePaths, resolveHome, vmPaths } from '../home.js';
import type { MachinePlan } from '../appliances/plan.js';
import type { MachineEdits } from '../appliances/review.js';
import type { NetworkMapping, NetworkTarget } from '../appliances/networkMap.js';
import { isProcessAlive, liveLockHolder } from '../owner/lock.node.js';
import { cliAdvice } from './advice.js';
// The owner, web mode and the desktop openers are loaded when a command needs them (import()): every
// other command is a client of the owner, and its process start is part of what a user waits for.
import { helpText, parseArgs, parseForward, parseNicSpec, parseOnOff, parseShare, placementFlags, usageError, type NicSpec, type ParsedCommand } from './args.js';
import { formatBytes, formatDetails, formatNetwork, formatSnapshotTree, formatTable, oneLine, ProgressBar } from './output.js';
import { TerminalFilter } from './terminalFilter.js';
import { waitForSshBanner, waitForSshLogin } from './sshWait.node.js';
import { runRemoteCommand } from './remote.node.js';
import { parseSince, statsCommand } from '../stats/cli.js';
import { scheduleCommand, scheduleRequest } from '../schedules/cli.js';
import { formatMigrated, migrateRequest, runStdioBridge } from './migrate.node.js';
import type { MigrateInput } from '../migration/contract.js';

type Api = Client<HangarApi>;
const loadHangarApi = async (): Promise<HangarApi> => (await import('../api/contract.js')).hangarApi;

const home = resolveHome(process.env, process.platform, homedir());
const cliEntry = fileURLToPath(import.meta.url);

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__owner') return runOwnerDaemon();
  if (argv[0] === '__stdio') return runStdioBridge(await connectToOwner(), homePaths(home).ownerSocket);
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${helpText(argv[1] && ['snapshot', 'network', 'image', 'media', 'disk', 'usb', 'remote'].includes(argv[1]) && argv[2] ? `${argv[1]} ${argv[2]}` : argv[1])}\n`);
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`hangar ${pkg.version}\n`);
    return 0;
  }
  if (argv.includes('--help')) {
    process.stdout.write(`${helpText(['snapshot', 'network', 'image', 'media', 'disk', 'usb', 'remote'].includes(argv[0]!) && argv[1] && !argv[1].startsWith('-') ? `${argv[0]} ${argv[1]}` : argv[0])}\n`);
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
    if (parsed.command === 'ssh') return await runSsh(parsed);
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
  const { startOwner } = await import('../owner/owner.node.js');
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
    // Replies are checked against the contract, which is loaded once the first request is on its way:
    // its schemas (zod) take longer to load than most requests take to answer.
    return createClient(await connectUnix(ownerSocket, { timeoutMs }), loadHangarApi);
  } catch {
    return null;
  }
}

/**
 * Connects to the home's owner when one runs. One that holds the home's lock without answering yet is
 * starting (or busy), or ending (its socket is gone, its lock not yet): it is waited for until it
 * answers or is gone. Null when none runs; OWNER_CONFLICT when one holds the home and never answers.
 */
async function connectToRunningOwner(): Promise<Api | null> {
  const existing = await tryConnect(3_000);
  if (existing) return existing;
  const paths = homePaths(home);
  const holder = liveLockHolder(paths.ownerLock);
  if (!holder) return null;
  const api = await waitForOwner(60_000, () => !liveLockHolder(paths.ownerLock));
  if (api) return api;
  if (liveLockHolder(paths.ownerLock)) {
    throw new HangarError('OWNER_CONFLICT', `the owner of this home (${holder.kind}, pid ${holder.pid}) does not answer on ${paths.ownerSocket}`);
  }
  return null;
}

/** Connects to the home's owner, starting a headless one when none runs. */
async function connectToOwner(): Promise<Api> {
  const running = await connectToRunningOwner();
  if (running) return running;
  const paths = homePaths(home);
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
  const force = p.flags.force === true;
  let api = await connectToRunningOwner();
  // VMs outlive their owner (a closed app, an ended serve). --force promises they are off afterwards,
  // so with no owner but VM hosts still running, an owner starts, takes them back, and powers them off.
  if (!api && force && (await vmHostsRunning())) api = await connectToOwner();
  if (!api) {
    print(p, { stopped: false, stoppedVms: [] }, () => 'no owner is running for this home');
    return 0;
  }
  const owner = liveLockHolder(homePaths(home).ownerLock);
  try {
    const r = await api.call('owner.shutdown', { force });
    // Stopped means gone: the owner's process ends a moment after its reply (bounded wait), so that a
    // command right after this one starts a new owner instead of finding the old one's lock.
    for (let i = 0; i < 1500 && owner && isProcessAlive(owner.pid); i++) await new Promise((res) => setTimeout(res, 20));
    // Powered off means gone: the VMs' hosts end a moment after their QEMUs (bounded wait), so that
    // nothing of them answers once this returns.
    for (let i = 0; i < 150 && r.stoppedVms.length && (await vmHostsRunning()); i++) await new Promise((res) => setTimeout(res, 100));
    print(p, { stopped: true, ...r }, () => (r.stoppedVms.length ? `owner stopped; powered off: ${r.stoppedVms.join(', ')}` : 'owner stopped'));
    return 0;
  } finally {
    api.dispose();
  }
}

/** True when some VM's host answers on its socket (a socket file alone may be left by a host that crashed). */
async function vmHostsRunning(): Promise<boolean> {
  const { vmsDir } = homePaths(home);
  let ids: string[];
  try {
    ids = readdirSync(vmsDir);
  } catch {
    return false;
  }
  const sockets = ids.map((id) => vmPaths(home, id).hostSocket).filter((s) => existsSync(s));
  const answers = await Promise.all(sockets.map((s) => socketAnswers(s, 1_000)));
  return answers.includes(true);
}

function socketAnswers(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection(path);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** `hangar serve`: becomes the home's owner (taking over from a headless one) and serves web mode. */
async function serveWeb(p: ParsedCommand): Promise<number> {
  const [{ takeOverHome }, { startOwner }, { startWebServer }, { loadWebLink, saveWebLink }, { portToTry }, { removeServeInfo, writeServeInfo }, { openInBrowser }] = await Promise.all([
    import('../owner/takeover.node.js'),
    import('../owner/owner.node.js'),
    import('../web/server.node.js'),
    import('../web/webLink.node.js'),
    import('../web/webLink.js'),
    import('../desktop/webInfo.node.js'),
    import('../desktop/browser.node.js'),
  ]);
  await takeOverHome(home, 'hangar serve');
  const owner = await startOwner({ home, kind: 'hangar serve' });
  const host = typeof p.flags.host === 'string' ? p.flags.host : '127.0.0.1';
  // The same link as last time (token and port), so that pages left open reconnect by themselves.
  const saved = loadWebLink(home);
  if (saved.why) process.stderr.write(`hangar: ${saved.why}: serving with a new access token\n`);
  const { port, fallback } = portToTry(typeof p.flags.port === 'number' ? p.flags.port : undefined, saved.link.port);
  const start = (port: number) =>
    startWebServer({ connect: (t) => owner.connect(t), vncSocketFor: (id) => owner.vncSocketFor(id), host, port, token: saved.link.token });
  let web: Awaited<ReturnType<typeof start>> | undefined;
  try {
    try {
      web = await start(port);
    } catch (e) {
      // The port of last time is taken: any free one (open pages will need the new link).
      if (!fallback || !(e instanceof HangarError && e.code === 'IO_ERROR')) throw e;
      web = await start(0);
    }
    saveWebLink(home, { token: saved.link.token, port: web.port });
  } catch (e) {
    // (a web server that started but whose link could not be kept is closed too)
    web?.dispose();
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
  const { openFile } = await import('./open.node.js');
  const r = await openFile(home, cliEntry, p.args[0]!);
  print(p, r, () => {
    if (r.via === 'desktop') return `opened ${r.file} in the desktop app`;
    const started = r.startedServe ? "; web mode started in the background ('hangar shutdown' stops it)" : '';
    const head = r.browser ? `opened ${r.file} in web mode in your browser (${r.browser})${started}` : `no browser to open here (no desktop session, $BROWSER unset): open this address to review ${r.file}${started}`;
    return `${head}\n${r.url}`;
  });
  return 0;
}

/**
 * `hangar ssh VM [-- CMD...]`: the system's ssh client, to the VM's forwarded port, as its account, with
 * its key, checking the guest's host key against the one Hangar gave it (no trust on first use).
 * Exits with ssh's status (255: ssh itself failed).
 */
async function runSsh(p: ParsedCommand): Promise<number> {
  const waitS = typeof p.flags.wait === 'number' ? p.flags.wait : 0;
  if (waitS < 0) throw usageError('--wait must be 0 seconds or more');
  const api = await connectToOwner();
  let info;
  try {
    info = await api.call('vm.sshInfo', { ref: p.args[0]! });
  } finally {
    api.dispose();
  }
  const args = [
    '-p', String(info.port),
    ...(info.identityFile ? ['-i', info.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
    '-o', `UserKnownHostsFile=${info.knownHostsFile}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `HostKeyAlias=${info.hostKeyAlias}`,
    '-o', 'CheckHostIP=no',
    '-o', 'LogLevel=ERROR',
    // The forwarded port accepts at once (QEMU listens); this bounds the wait for the guest's banner,
    // which a guest under TCG on a busy host can take many seconds to send.
    '-o', 'ConnectTimeout=60',
    `${info.user}@${info.host}`,
  ];
  if (waitS > 0) {
    const deadline = Date.now() + waitS * 1000;
    const up = await waitForSshBanner(info.host, info.port, deadline);
    if (!up) throw new HangarError('TIMEOUT', `the SSH server of '${info.name}' did not answer on ${info.host}:${info.port} within ${waitS} s`);
    await waitForSshLogin(args, deadline);
  }
  const command = p.args.length > 1 ? ['--', ...p.args.slice(1)] : [];
  return new Promise<number>((resolvePromise, reject) => {
    const child = spawn('ssh', [...args, ...command], { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new HangarError('UNSUPPORTED', 'the ssh client is not installed: install the Debian package openssh-client') : e),
    );
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 255)));
  });
}

// ------------------------------------------------------------------ commands

type CreateInput = z.input<typeof hangarApi['vm.create']['input']>;
type ModifyInput = z.input<typeof hangarApi['vm.modify']['input']>;
type NicRequest = NonNullable<CreateInput['nics']>[number];

/** What a command sends, checked and converted from its flags before anything reaches the owner. */
type Request =
  | { kind: 'create'; input: CreateInput; defaultDisk: boolean }
  /** `cards`: changes to the network cards, made against the VM's cards as they are */
  | { kind: 'modify'; input: ModifyInput; cards?: CardChanges }
  | { kind: 'screenshot'; input: { ref: string; file: string } }
  | { kind: 'start'; input: { ref: string; waitSerial?: string; timeoutS?: number } }
  | { kind: 'stop'; input: { ref: string; force: boolean; timeoutS?: number } }
  | { kind: 'migrate'; input: MigrateInput }
  | { kind: 'other' };

const NIC_MODEL_VALUES: readonly string[] = NIC_MODELS.map((m) => m.value);

/** What modify's card flags ask: the Nth --nic sets the Nth card (or adds one), --forward the first card's forwards. */
interface CardChanges {
  specs: NicSpec[] | 'none';
  forwards?: NicRequest['forwards'];
  remove: string[];
  links: { nic: string; up: boolean }[];
}

function nicSpecs(f: ParsedCommand['flags']): NicSpec[] | 'none' | undefined {
  const texts = f.nic as string[] | undefined;
  if (texts === undefined) return undefined;
  if (texts.includes('none')) {
    if (texts.length > 1) throw usageError('--nic none means no network cards: it cannot be given with other --nic');
    return 'none';
  }
  return texts.map((t) => parseNicSpec(t, NIC_MODEL_VALUES));
}

/** Checks and converts flags before anything is sent: bad usage never reaches the owner. */
function buildRequest(p: ParsedCommand): Request {
  const f = p.flags;
  const path = (v: unknown) => resolvePath(String(v));
  if (p.command === 'create' || p.command === 'modify') {
    const modify = p.command === 'modify';
    if (!modify && f.name === undefined) throw usageError('create needs --name NAME');
    const quick = modify ? undefined : quickCreateRequest(f);
    if (quick && f['disk-image'] !== undefined) throw usageError('--image and --disk-image cannot be used together (the library image is the disk)');
    if (quick && f.kernel !== undefined) throw usageError('--kernel cannot be used with --image or --unattended');
    if (f.disk !== undefined && f['disk-image'] !== undefined) throw usageError('--disk and --disk-image cannot be used together');
    if (f.flatten === true && f['disk-image'] === undefined) throw usageError('--flatten copies the image given with --disk-image');
    if (f.firmware !== undefined && f.firmware !== 'bios' && f.firmware !== 'uefi') throw usageError(`--firmware takes bios or uefi, not '${f.firmware}'`);
    if (f.accel !== undefined && !['auto', 'kvm', 'tcg'].includes(String(f.accel))) throw usageError(`--accel takes auto, kvm or tcg, not '${f.accel}'`);
    const specs = nicSpecs(f);
    const forwards = f.forward === undefined ? undefined : (f.forward as string[]).map(parseForward);
    if (specs === 'none' && forwards?.length) throw usageError('port forwards need a network card (--nic is none)');
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
        ...(quick ?? {}),
        ...(f.iso !== undefined ? { iso: path(f.iso) } : {}),
        ...(specs === 'none' ? { nics: [] } : specs !== undefined || forwards !== undefined ? { nics: nicRequests(specs ?? [{}], forwards) } : {}),
        ...(Object.keys(boot).length ? { boot } : {}),
        ...(shares ? { shares } : {}),
      };
      // A VM from a library image gets its disk from the image (--disk grows it); an unattended one the OS type's size.
      return { kind: 'create', input, defaultDisk: f.disk === undefined && f['disk-image'] === undefined && f.image === undefined && f.unattended === undefined };
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
      ...placementFlags(f),
      ...(f.unshare !== undefined ? { removeShares: f.unshare as string[] } : {}),
    };
    const remove = (f['nic-remove'] as string[] | undefined) ?? [];
    const links = ((f['nic-link'] as string[] | undefined) ?? []).map((pair) => {
      const [nic, state] = pair.split('=') as [string, string];
      if (state !== 'up' && state !== 'down') throw usageError(`--nic-link ${nic} takes up or down, not '${state}'`);
      return { nic, up: state === 'up' };
    });
    if (specs === 'none' && (remove.length || links.length)) throw usageError('--nic none removes every card: it cannot be given with --nic-remove or --nic-link');
    const touched = specs !== undefined || forwards !== undefined || remove.length > 0 || links.length > 0;
    return { kind: 'modify', input, ...(touched ? { cards: { specs: specs ?? [], ...(forwards ? { forwards } : {}), remove, links } } : {}) };
  }
  if (p.command === 'schedule') scheduleRequest(f);
  if (p.command === 'stats' && f.since !== undefined) parseSince(String(f.since));
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
  if (p.command === 'migrate') return { kind: 'migrate', input: migrateRequest(p) };
  return { kind: 'other' };
}

/** create: the cards as --nic lists them, --forward adding to the first one's forwards. */
function nicRequests(specs: (NicSpec | Record<string, never>)[], forwards: NicRequest['forwards']): NicRequest[] {
  return specs.map((sp, i) => {
    const own = 'model' in sp ? sp : undefined;
    const fw = [...(own?.forwards ?? []), ...(i === 0 ? (forwards ?? []) : [])];
    return {
      ...(own ? { model: own.model as NonNullable<NicRequest['model']> } : {}),
      ...(own?.network !== undefined ? { network: own.network } : {}),
      ...(own?.mac !== undefined ? { mac: own.mac } : {}),
      ...(fw.length || (i === 0 && forwards) ? { forwards: fw } : {}),
    };
  });
}

/**
 * modify: the list the API takes, made from the VM's cards as they are. The Nth --nic sets the Nth
 * card (model, network: none means user-mode NAT, MAC, forwards; a card that changes network drops
 * forwards not given again) or adds one; --forward sets the first card's forwards; --nic-remove and
 * --nic-link name cards by id; `none` removes them all.
 */
function nicsAfter(current: VmDetails['nics'], vm: string, ch: CardChanges): NonNullable<ModifyInput['nics']> {
  if (ch.specs === 'none') return [];
  const list: NonNullable<ModifyInput['nics']> = current.map((n) => ({ id: n.id }));
  ch.specs.forEach((sp, i) => {
    const card = current[i];
    const network = sp.network ?? null;
    const moved = card !== undefined && (card.networkId === null ? network !== null : network === null || (network !== card.network && network !== card.networkId));
    const entry = {
      model: sp.model as NonNullable<NicRequest['model']>,
      network,
      ...(sp.mac !== undefined ? { mac: sp.mac } : {}),
      ...(sp.forwards ? { forwards: sp.forwards } : moved ? { forwards: [] } : {}),
    };
    if (card) list[i] = { id: card.id, ...entry };
    else list.push(entry);
  });
  if (ch.forwards) {
    if (!list[0]) list.push({ forwards: ch.forwards });
    else list[0] = { ...list[0], forwards: ch.forwards };
  }
  const known = (nic: string) => {
    if (!current.some((n) => n.id === nic)) throw usageError(`VM '${vm}' has no network card '${nic}' (its cards: ${current.map((n) => n.id).join(', ') || 'none'})`);
  };
  for (const l of ch.links) {
    known(l.nic);
    const i = list.findIndex((n) => n.id === l.nic);
    list[i] = { ...list[i], linkUp: l.up };
  }
  for (const r of ch.remove) {
    known(r);
    const i = list.findIndex((n) => n.id === r);
    if (i >= 0) list.splice(i, 1);
  }
  return list;
}

/**
 * The quick-create part of `create`: --image (a library image, or a file), cloud-init's flags, or an
 * unattended installation's. Usage errors for flags given without what they belong to.
 */
function quickCreateRequest(f: ParsedCommand['flags']): Pick<CreateInput, 'image' | 'cloudInit' | 'unattended'> | undefined {
  const text = (k: string) => (f[k] === undefined ? undefined : String(f[k]));
  const cloudFlags = ['user', 'ssh-key', 'password', 'hostname', 'user-data'].filter((k) => f[k] !== undefined);
  const installFlags = ['locale', 'timezone'].filter((k) => f[k] !== undefined);
  if (f.unattended === true) {
    if (f.iso === undefined && f.image === undefined) throw usageError('--unattended installs from installer media: give --iso FILE (or an ISO as --image)');
    for (const k of ['ssh-key', 'user-data']) if (f[k] !== undefined) throw usageError(`--${k} is for cloud images; an unattended installation takes --user, --password, --hostname, --locale and --timezone`);
    if (f.password !== undefined && f.user === undefined) throw usageError('--password needs --user: the password is for that account');
    if (f.user === undefined || f.password === undefined) throw usageError('--unattended needs --user USER and --password PASSWORD (the account the installer makes)');
    return {
      ...(f.image !== undefined ? { image: imageRef(String(f.image)) } : {}),
      unattended: {
        user: String(f.user),
        password: String(f.password),
        ...(text('hostname') ? { hostname: text('hostname')! } : {}),
        ...(text('locale') ? { locale: text('locale')! } : {}),
        ...(text('timezone') ? { timezone: text('timezone')! } : {}),
      },
    };
  }
  if (installFlags.length) throw usageError(`--${installFlags[0]} is for an unattended installation (--unattended)`);
  if (f.image === undefined) {
    if (cloudFlags.length) throw usageError(`--${cloudFlags[0]} is for a VM made from a cloud image (--image) or an unattended installation (--unattended)`);
    return undefined;
  }
  let userData: string | undefined;
  if (f['user-data'] !== undefined) {
    const file = resolvePath(String(f['user-data']));
    try {
      userData = readFileSync(file, 'utf8');
    } catch (e) {
      throw usageError(`--user-data: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const cloudInit = {
    ...(text('user') !== undefined ? { user: text('user')! } : {}),
    ...(f['ssh-key'] !== undefined ? { sshKeyFile: resolvePath(String(f['ssh-key'])) } : {}),
    ...(text('password') !== undefined ? { password: text('password')! } : {}),
    ...(text('hostname') !== undefined ? { hostname: text('hostname')! } : {}),
    ...(userData !== undefined ? { userData } : {}),
  };
  return { image: imageRef(String(f.image)), ...(Object.keys(cloudInit).length ? { cloudInit } : {}) };
}

/** --image NAME|FILE: a path (with a '/') becomes absolute; a bare word is a library name (or a file here, see runCommand). */
function imageRef(v: string): string {
  return v.includes('/') ? resolvePath(v) : v;
}

function parseSizeFlag(text: string): number {
  const size = checkSize(text);
  if (!size.ok) throw usageError(`--disk: ${size.message}`);
  return size.bytes;
}

async function runCommand(api: Api, p: ParsedCommand, req: Request): Promise<number> {
  const ref = p.args[0] ?? '';
  const remote = await runRemoteCommand(api, p, print, withProgress);
  if (remote !== undefined) return remote;
  switch (p.command) {
    case 'list': {
      const f = p.flags;
      const r = await api.call('vm.list', {
        ...(typeof f.group === 'string' ? { group: f.group } : {}),
        ...(typeof f.tag === 'string' ? { tag: f.tag } : {}),
        ...(typeof f.search === 'string' ? { search: f.search } : {}),
      });
      // What the guest agent says and the addresses Hangar's networks leased, together.
      const guest = (v: (typeof r.vms)[number]) => {
        const agent = v.guest?.agent === 'connected' ? v.guest : null;
        const addresses = [...new Set([...(agent?.ipAddresses ?? []), ...(v.ipAddresses ?? [])])];
        return [agent?.hostname, ...addresses].filter(Boolean).join(' ');
      };
      print(p, r, () => formatTable(['NAME', 'STATE', 'OS', 'ACCEL', 'GROUP', 'TAGS', 'GUEST', 'ID'], r.vms.map((v) => [v.name, v.state, v.osType, v.accelerator, v.group, v.tags.join(','), guest(v), v.id])));
      return 0;
    }
    case 'network create': {
      const f = p.flags;
      if (typeof f.mode !== 'string') throw usageError('network create needs --mode nat|hostonly|internal|bridged');
      if (!['nat', 'hostonly', 'internal', 'bridged'].includes(f.mode)) throw usageError(`--mode takes nat, hostonly, internal or bridged, not '${f.mode}'`);
      const input = {
        name: ref,
        mode: f.mode as 'nat' | 'hostonly' | 'internal' | 'bridged',
        ...(typeof f.subnet === 'string' ? { subnet: f.subnet } : {}),
        ...(typeof f.dhcp === 'string' ? { dhcp: parseOnOff('dhcp', f.dhcp) } : {}),
        ...(typeof f.bridge === 'string' ? { bridge: f.bridge } : {}),
      };
      const r = await api.call('network.create', input);
      print(p, r, () => formatNetwork(r));
      return 0;
    }
    case 'network list': {
      const r = await api.call('network.list', {});
      print(p, { networks: r.networks, privileged: r.privileged }, () =>
        formatTable(['NAME', 'MODE', 'SUBNET', 'DHCP', 'BRIDGE', 'VMS'], r.networks.map((n) => [n.name, n.mode, n.subnet ?? '-', n.dhcp ? 'on' : 'off', n.bridge, n.vms.join(', ')])),
      );
      return 0;
    }
    case 'network show': {
      const r = await api.call('network.show', { ref });
      print(p, r, () => formatNetwork(r));
      return 0;
    }
    case 'network delete': {
      const r = await api.call('network.delete', { ref });
      print(p, r, () => `deleted network '${ref}'`);
      return 0;
    }
    case 'show':
      printVm(p, await api.call('vm.show', { ref }));
      return 0;
    case 'create': {
      if (req.kind !== 'create') break;
      let input = req.input;
      if (input.image !== undefined && !input.image.startsWith('/')) {
        // A bare word names a library image; when the library has none by that name, a file here.
        const { images } = await api.call('image.list', {});
        const ref = input.image;
        const known = images.some((i) => i.id === ref || i.name.toLowerCase() === ref.toLowerCase());
        if (!known && existsSync(ref)) input = { ...input, image: resolvePath(ref) };
      }
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
      const cards = req.cards;
      const input = cards ? { ...req.input, nics: nicsAfter((await api.call('vm.show', { ref })).nics, ref, cards) } : req.input;
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
          ...(r.qemuPrivileges ? [`privileges:  ${r.qemuPrivileges.summary}`] : []),
          ...(r.liveSnapshots ? [`live snaps:  ${r.liveSnapshots.why}`] : []),
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
    case 'migrate': {
      if (req.kind !== 'migrate') break;
      if (p.flags.pool !== undefined) throw usageError('--pool is for a remote VM (REMOTE/NAME) with --copy-storage');
      const r = await withProgress(p, 'migrating', (opts) => api.call('vm.migrate', req.input, opts));
      print(p, r, () => formatMigrated(r));
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
    case 'image add': {
      const file = resolvePath(p.args[0]!);
      const r = await withProgress(p, 'adding', (opts) =>
        api.call('image.add', { path: file, ...(typeof p.flags.name === 'string' ? { name: p.flags.name } : {}), flatten: p.flags.flatten === true }, opts),
      );
      print(p, r, () => `added '${r.name}' (${r.kind === 'iso' ? 'ISO' : `${r.format}, ${formatBytes(r.virtualSizeBytes)}`}${r.osName ? `, ${r.osName}` : ', OS unknown'}) as ${r.path}`);
      return 0;
    }
    case 'image list': {
      const r = await api.call('image.list', {});
      print(p, r, () =>
        r.images.length === 0
          ? "the image library is empty ('hangar image add FILE' adds one)"
          : formatTable(
              ['NAME', 'KIND', 'OS', 'SIZE', 'VMS', 'ID'],
              r.images.map((i) => [i.name, i.kind, i.osName ?? i.osType ?? 'unknown', formatBytes(i.kind === 'iso' ? i.sizeBytes : i.virtualSizeBytes), i.vms.join(', '), i.id]),
            ),
      );
      return 0;
    }
    case 'image remove': {
      const r = await api.call('image.remove', { ref });
      print(p, r, () => `removed '${ref}' from the image library`);
      return 0;
    }
    case 'detect': {
      const file = resolvePath(ref);
      if (!existsSync(file)) throw usageError(`${file} does not exist`);
      const r = await api.call('os.detect', { path: file });
      if (!r.known) {
        if (p.flags.json) process.stdout.write(`${JSON.stringify('unknown')}\n`);
        else process.stdout.write(`unknown: ${r.kind === 'iso' ? "libosinfo's database does not know this media" : 'no OS Hangar can name was found on this disk image'}\n`);
        return 0;
      }
      const out = { osType: r.osType, osinfoId: r.osinfoId, name: r.name, version: r.version, unattended: r.unattended, kind: r.kind, live: r.live, ...(r.unattendedUnavailable ? { unattendedUnavailable: r.unattendedUnavailable } : {}) };
      print(p, out, () =>
        [
          `${r.name}${r.osinfoId ? ` (${r.osinfoId})` : ''}`,
          `OS type:     ${r.osType}`,
          `unattended:  ${r.unattended ? 'available (hangar create --iso FILE --unattended --user U --password P)' : `not available${r.unattendedUnavailable ? `: ${r.unattendedUnavailable}` : ''}`}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'stats':
    case 'schedule': {
      const r = await (p.command === 'stats' ? statsCommand : scheduleCommand)(api, p);
      print(p, r.value, r.text);
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
    case 'media list':
    case 'disk resize':
    case 'disk compact':
    case 'usb list':
    case 'usb attach':
    case 'usb detach':
      return (await import('./media.node.js')).runMediaCommand(api, p, print, withProgress);
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

/** `--network SOURCE=NETWORK` (NETWORK 'none': user-mode NAT), as the import's mappings. */
function importMappings(p: ParsedCommand): NetworkMapping[] {
  return ((p.flags.network as string[] | undefined) ?? []).map((text) => {
    const eq = text.lastIndexOf('=');
    if (eq <= 0 || eq === text.length - 1) throw usageError(`--network '${text}' is not of the form SOURCE=NETWORK (or SOURCE=none for user-mode NAT)`);
    const source = text.slice(0, eq);
    const target = text.slice(eq + 1);
    return { source, target: target === 'none' ? { kind: 'nat' as const } : { kind: 'network' as const, network: target } };
  });
}

interface ImportedMachineJson {
  name: string;
  osType: string;
  cpus: number;
  memoryMiB: number;
  firmware: string;
  disks: { bus: string; capacityBytes: number; sourceFile: string | null }[];
  /** `sourceNetwork`: the appliance's; `network`: the Hangar network it goes on (null: user-mode NAT) */
  nics: { model: string; sourceModel: string; sourceNetwork: string; network: string | null }[];
  warnings: string[];
  id?: string;
}

function machineJson(m: MachinePlan, extraWarnings: string[], targets: Map<string, NetworkTarget>): ImportedMachineJson {
  return {
    name: m.name,
    osType: m.osType,
    cpus: m.cpus,
    memoryMiB: m.memoryMiB,
    firmware: m.firmware,
    disks: m.disks.filter((d) => d.include).map((d) => ({ bus: d.bus, capacityBytes: d.capacityBytes, sourceFile: d.file?.href ?? null })),
    nics: m.nics.map((n) => {
      const t = targets.get(n.network);
      return { model: n.model, sourceModel: n.sourceModel, sourceNetwork: n.network, network: !t || t.kind === 'nat' ? null : t.kind === 'network' ? t.network : t.name };
    }),
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
    ...m.nics.map((n, i) => `  NIC ${i}     ${n.model}${n.sourceModel ? ` (was ${n.sourceModel})` : ''}, ${n.network === null ? 'user-mode NAT' : `network '${n.network}'`}${n.sourceNetwork ? ` (was '${n.sourceNetwork}')` : ''}`),
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
  // Loaded here: their schemas (zod) would slow every other command's start.
  const [{ applyEdits }, { resolveMappings }] = await Promise.all([import('../appliances/review.js'), import('../appliances/networkMap.js')]);
  const edits = importEdits(p, review.machines.length);
  const planned = review.machines.map((m, i) => applyEdits(m, edits[i]));
  const mappings = importMappings(p);
  const { targets, problems } = resolveMappings(review.networks, mappings);
  if (problems.length) throw usageError(`--network: ${problems[0]!.message}`);
  if (p.flags['dry-run'] === true) {
    const machines = planned.map((m, i) => machineJson(m, i === 0 ? review.warnings : [], targets));
    print(p, { machines, warnings: review.warnings, manifest: review.manifest, certificate: review.certificate }, () => machines.map(formatMachine).join('\n\n'));
    return 0;
  }
  const r = await withProgress(p, 'importing', (opts) => api.call('appliance.import', { path: file, machines: edits, networks: mappings }, opts));
  const machines = planned.map((m, i) => ({ ...machineJson(m, i === 0 ? review.warnings : [], targets), id: r.vms[i]?.id ?? '' }));
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

/**
 * `hangar serial`: the guest's output is the guest's, not the user's terminal's: escape sequences
 * and other controls are removed (TerminalFilter) unless --raw. With --json the text is complete,
 * and every control in it is escaped, C1 and DEL included (JSON.stringify leaves those raw).
 */
async function serial(api: Api, p: ParsedCommand, ref: string): Promise<number> {
  const raw = p.flags.raw === true;
  const filter = new TerminalFilter();
  const write = (bytes: Buffer) => process.stdout.write(raw ? bytes : filter.push(bytes));
  if (!p.flags.follow) {
    const r = await api.call('vm.serial', { ref });
    const bytes = Buffer.from(r.data, 'base64');
    if (p.flags.json) process.stdout.write(`${jsonWithoutControls({ text: bytes.toString('utf8') })}\n`);
    else {
      write(bytes);
      if (!raw) process.stdout.write(filter.end());
    }
    return 0;
  }
  const attached = await attachConsole(api, ref, 1 << 20);
  write(attached.backlog);
  return new Promise<number>((resolve) => {
    attached.listen((ev) => {
      if (ev.data) write(ev.data);
      if (ev.state && ['stopped', 'aborted', 'saved'].includes(ev.state)) resolve(0);
    });
    api.onClose(() => resolve(1));
    process.once('SIGINT', () => resolve(0));
  });
}

/**
 * Attaches to a VM's serial console. Its events are listened to from before the attach, and those
 * that come before `listen` is called are kept for it: output that follows the reply closely is not
 * lost, whatever the reply waited for.
 */
async function attachConsole(api: Api, ref: string, backlogBytes: number) {
  type ConsoleEvent = { data?: Buffer; state?: string };
  const early: { name: string; ev: { id: string; data?: string; state?: string } }[] = [];
  let handler: ((ev: ConsoleEvent) => void) | undefined;
  const attached: { id?: string } = {};
  const deliver = (name: string, ev: { id: string; data?: string; state?: string }) => {
    if (ev.id !== attached.id) return;
    if (name === 'vm.console' && ev.data) handler!({ data: Buffer.from(ev.data, 'base64') });
    if (name === 'vm.stateChanged') handler!({ ...(ev.state ? { state: ev.state } : {}) });
  };
  api.onEvent((name, payload) => {
    const ev = payload as { id: string; data?: string; state?: string };
    if (handler) deliver(name, ev);
    else if (name === 'vm.console' || name === 'vm.stateChanged') early.push({ name, ev });
  });
  const r = await api.call('vm.consoleAttach', { ref, backlogBytes });
  attached.id = r.id;
  return {
    id: r.id,
    backlog: Buffer.from(r.backlog, 'base64'),
    listen(h: (ev: ConsoleEvent) => void) {
      handler = h;
      for (const e of early.splice(0)) deliver(e.name, e.ev);
    },
  };
}

/** JSON with DEL and the C1 controls escaped too, so the document holds no control character at all. */
function jsonWithoutControls(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `hangar console` is an interactive terminal on the guest's serial port by design (as `virsh
 * console`): the guest's bytes reach the terminal unfiltered, escape sequences included, so that
 * full-screen programs in the guest work. `hangar serial` is the filtered way to read its output.
 */
async function consoleSession(api: Api, ref: string): Promise<number> {
  const attached = await attachConsole(api, ref, 4096);
  const id = attached.id;
  process.stderr.write(`Connected to the serial console of '${ref}'. Press Ctrl-] to detach.\r\n`);
  process.stdout.write(attached.backlog);
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
    attached.listen((ev) => {
      if (ev.data) process.stdout.write(ev.data);
      if (ev.state && ['stopped', 'aborted', 'saved'].includes(ev.state)) finish(0, `The VM is ${ev.state}.`);
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

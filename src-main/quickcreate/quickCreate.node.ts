// Quick create: a VM from a library image, ready to reach.
//   - From a cloud image: the VM's disk is a qcow2 overlay on the library image (one qemu-img call,
//     whatever the image's size), grown to the size asked; a NoCloud seed makes the account with its
//     key or password and gives the guest its SSH host key; a free loopback port is forwarded to the
//     guest's SSH. Nothing starts until asked.
//   - From installer media libosinfo knows: the answer file of its install script is put in a copy of
//     the installer's initrd, the installer's kernel boots with the command line its script gives; when
//     the VM starts, a task follows the installer on the serial console and, when it has powered the
//     machine off at the end, ejects the media: the next start boots the installed system.
// Both provision through vms/provision.node.ts and compose the config through composeConfig.
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, accessSync, writeFileSync, chmodSync, constants as fsc } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { HangarError, invalidInput, type ErrorIssue } from '../../src-vmm/base/errors.js';
import { composeConfig, getOsType, defaultsFor, sshForward, type VmConfig } from '../../src-vmm/model/index.js';
import { isActive, type VmState } from '../../src-vmm/protocol/states.js';
import type { Emitter } from '../../src-vmm/base/events.js';
import { assertFreeSpace, OVERLAY_ROOM_BYTES, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { PASSWORD_NEEDS_USER, UNATTENDED_UNAVAILABLE } from '../api/issueCodes.js';
import type { Detection as DetectionView, UnattendedInput, VmCreateInput } from '../api/contract.js';
import { vmPaths } from '../home.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { LibraryImageRow } from '../inventory/types.js';
import type { LibraryService } from '../library/libraryService.node.js';
import { provisionVm } from '../vms/provision.node.js';
import { CREATE_PATHS, configInvalid } from '../vms/requestIssues.js';
import { assertIso, assertNewName, type VmService } from '../vms/vmService.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { userDataProblem } from './cloudConfig.js';
import { defaultUser, hostnameFor } from './names.js';
import { freeSshPort, generateKeyPair, hashPassword, writeSeed } from './cloudInit.node.js';
import { finishAnswerFile, InstallerProgress, installerCommandLine, QUESTION_PHASE } from './installers.js';
import { detectIso, generateAnswerFile, loadOsinfoDb, osinfoDirs, type Detection } from './osinfo.node.js';
import { MAX_PUBLIC_KEY_FILE_BYTES, parsePublicKey } from './sshKey.js';
import { detectOs } from './detect.node.js';
import { planUserImage } from '../files/userImages.node.js';
import { runTool } from './tools.node.js';
import { forwardsAllowed } from '../networks/model.js';

export interface QuickCreateDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  tasks: TaskRunner;
  vms: VmService;
  library: LibraryService;
  console: Emitter<{ id: string; data: string }>;
  log: (line: string) => void;
  changed: (id: string) => void;
}

type Progress = { signal: AbortSignal; onProgress: (f: number, m?: string) => void };

function issue(path: string, message: string, extra: Pick<ErrorIssue, 'code' | 'data'> = {}): HangarError {
  return invalidInput([{ path, message, ...extra }]);
}

export class QuickCreateService {
  /** VMs whose installation a task follows now */
  private readonly following = new Set<string>();

  constructor(private readonly d: QuickCreateDeps) {}

  // ---------------------------------------------------------------- detection

  /** What an ISO or disk image is: media by libosinfo's database, a disk by the os-release of its Linux. */
  async detect(path: string, signal: AbortSignal): Promise<DetectionView> {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw issue('path', `${path} does not exist`);
    }
    if (!st.isFile()) throw issue('path', `${path} is not a regular file`);
    let iso = true;
    try {
      assertIso(path);
    } catch {
      iso = false;
    }
    const unknown = (kind: 'iso' | 'disk'): DetectionView => ({
      file: path,
      kind,
      known: false,
      osType: null,
      osinfoId: null,
      name: null,
      version: null,
      unattended: false,
      unattendedUnavailable: kind === 'iso' ? "libosinfo's database does not know this media" : 'a disk image is not installer media',
      live: false,
    });
    if (iso) {
      const d = detectIso(path, loadOsinfoDb(osinfoDirs(), this.d.log));
      if (!d) return unknown('iso');
      return {
        file: path,
        kind: 'iso',
        known: true,
        osType: d.osType,
        osinfoId: d.osinfoId,
        name: d.name,
        version: d.version,
        unattended: d.unattended,
        unattendedUnavailable: d.unattendedUnavailable ?? null,
        live: d.live,
      };
    }
    // A disk image passes the one check first: it is read, and must name no other file.
    const plan = await planUserImage(path, { flatten: false, field: 'path', what: 'image', copy: true }, { qemuImg: this.d.qemuImg, guard: this.d.vms.guard });
    const library = this.d.inventory.library.findByPath(path);
    const cacheDir = join(this.d.home, 'cache');
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const os = library?.osType
      ? { osType: library.osType, osinfoId: library.osinfoId, name: library.osName ?? '', version: library.osVersion ?? '' }
      : await detectOs(plan.image.path, 'disk', { qemuImg: this.d.qemuImg, signal, log: this.d.log, workDir: cacheDir });
    if (!os) return unknown('disk');
    return { ...unknown('disk'), known: true, osType: os.osType, osinfoId: os.osinfoId, name: os.name, version: os.version };
  }

  // ---------------------------------------------------------------- create

  /** vm.create with an image, cloud-init or an unattended installation. */
  async create(input: VmCreateInput, p: Progress): Promise<VmRow> {
    if (input.image !== undefined && input.disk && 'image' in input.disk) throw issue('disk', 'a VM made from a library image has the image as its disk: give a size, not another image');
    if (input.image !== undefined && input.iso !== undefined) throw issue('iso', 'give the installer media either as the image or as the ISO, not both');
    let image: LibraryImageRow | undefined;
    if (input.image !== undefined) image = await this.resolveImage(input.image, p);
    if (image?.kind === 'iso' || (!image && input.iso !== undefined)) {
      if (input.cloudInit) throw issue('cloudInit', `cloud-init needs a cloud image (a disk image)${image ? `, and '${image.name}' is an ISO` : ''}`);
      const media = image ? image.path : input.iso!;
      if (input.unattended) return this.createUnattended(input, media, image, p);
      // An ISO from the library: a VM with it in the drive and a new disk, as create --iso makes.
      const osType = input.osType ?? image?.osType ?? undefined;
      const sizeBytes = input.disk && 'sizeBytes' in input.disk ? input.disk.sizeBytes : defaultsFor(osType ?? 'linux').diskGiB * 2 ** 30;
      return this.d.vms.createWithLibraryIso({ ...input, ...(osType ? { osType } : {}), disk: { sizeBytes } }, media, p);
    }
    if (input.unattended) throw issue('unattended', 'an unattended installation needs installer media (an ISO)');
    if (!image) throw issue('image', 'an image is needed');
    return this.createFromCloudImage(input, image, p);
  }

  /** A library image by name or id, or a file (an absolute path) added to the library first. */
  private async resolveImage(ref: string, p: Progress): Promise<LibraryImageRow> {
    if (!ref.startsWith('/')) {
      try {
        return this.d.library.find(ref, 'image');
      } catch (e) {
        // a name the library does not have is bad input to create (as a missing ISO is)
        if (e instanceof HangarError && e.code === 'NOT_FOUND') throw new HangarError('INVALID_INPUT', e.message, { details: e.details });
        throw e;
      }
    }
    const known = this.d.inventory.library.list().find((r) => r.source === ref);
    if (known && existsSync(ref)) {
      const st = statSync(ref);
      if (st.mtimeMs <= Date.parse(known.createdAt)) return known;
    }
    try {
      return await this.d.library.add({ path: ref, uniqueName: true }, p);
    } catch (e) {
      const same = e instanceof HangarError && e.code === 'ALREADY_EXISTS' ? (e.details as { sameAs?: string } | undefined)?.sameAs : undefined;
      if (same) return this.d.library.find(same, 'image');
      if (e instanceof HangarError && e.code === 'INVALID_INPUT') {
        // the problem is the image the person gave: say it at 'image'
        const issues = ((e.details as { issues?: ErrorIssue[] } | undefined)?.issues ?? []).map((i) => ({ ...i, path: i.path === 'path' ? 'image' : i.path }));
        throw invalidInput(issues.length ? issues : [{ path: 'image', message: e.message }]);
      }
      throw e;
    }
  }

  private checkNameAndNics(input: VmCreateInput): void {
    assertNewName(input.name);
    this.d.vms.assertNameFree(input.name);
    if (input.nics && input.nics.length === 0) throw issue('nics', 'a VM made from a cloud image needs a network card: SSH reaches it through one');
    this.d.vms.checkShares(input.shares ?? [], 'shares');
  }

  private async createFromCloudImage(input: VmCreateInput, image: LibraryImageRow, p: Progress): Promise<VmRow> {
    const ci = input.cloudInit ?? {};
    if (ci.password !== undefined && ci.user === undefined) {
      throw issue('cloudInit.password', 'a password needs the account it is for (a user name)', { code: PASSWORD_NEEDS_USER, data: {} });
    }
    this.checkNameAndNics(input);
    // The key given, checked; the private key beside it is what `hangar ssh` uses.
    let givenKey: { line: string; identityFile: string | null } | undefined;
    if (ci.sshKeyFile !== undefined) givenKey = readPublicKeyFile(ci.sshKeyFile, 'cloudInit.sshKeyFile');
    if (ci.userData !== undefined) {
      const problem = userDataProblem(ci.userData);
      if (problem) throw issue('cloudInit.userData', `user-data ${problem}`);
    }
    const user = ci.user ?? defaultUser(userInfo().username);
    const hostname = ci.hostname ?? hostnameFor(input.name);
    const osType = input.osType ?? image.osType ?? 'linux';
    if (!getOsType(osType)) throw issue('osType', `unknown OS type '${osType}'`);
    const wanted = input.disk && 'sizeBytes' in input.disk ? input.disk.sizeBytes : Math.max(image.virtualSize, defaultsFor(osType).diskGiB * 2 ** 30);
    if (wanted < image.virtualSize) {
      throw issue('disk.sizeBytes', `the disk cannot be smaller than the image '${image.name}' (${image.virtualSize} bytes); a disk only grows`);
    }
    const id = randomUUID();
    const paths = vmPaths(this.d.home, id);
    const overlay = join(paths.disks, 'disk0.qcow2');
    const seed = join(paths.dir, 'cloud-init', 'seed.iso');
    const sshDir = join(paths.dir, 'ssh');
    const port = await freeSshPort(this.d.inventory.vms.list());
    // SSH reaches the guest through a forwarded loopback port: on the first card that can forward
    // (user networking, or a NAT network).
    const cards = this.d.vms.cardsFor(input.nics ?? [{}]);
    const sshCard = cards.findIndex((c) => c.network === undefined || forwardsAllowed(this.d.inventory.networks.get(c.network)?.mode ?? null));
    if (sshCard < 0) throw issue('nics', 'a VM made from a cloud image needs a card that can forward a port (user networking or a NAT network): hangar ssh reaches it through one');
    const nics = cards.map((c, i) => (i === sshCard ? { ...c, forwards: [...c.forwards, { protocol: 'tcp' as const, hostAddress: '127.0.0.1', hostPort: port, guestPort: 22 }] } : c));
    const compose = (identityFile: string | null) =>
      composeConfig({
        id,
        name: input.name,
        osType,
        ...this.d.vms.commonChoices(input),
        disks: [{ path: overlay, format: 'qcow2' }],
        // An empty drive for the person's ISOs, and the seed, which stays: cloud-init reads it at every boot.
        opticals: [{ path: null }, { path: seed }],
        nics,
        ...(input.recovery ? { recovery: input.recovery } : {}),
        cloudInit: { user, hostname, identityFile, knownHostsFile: join(sshDir, 'known_hosts'), seed },
      });
    const planned = compose(givenKey ? givenKey.identityFile : join(sshDir, 'id_ed25519'));
    if (!planned.ok) throw configInvalid(planned.issues, CREATE_PATHS);
    assertFreeSpace(join(this.d.home, 'VMs'), OVERLAY_ROOM_BYTES + (1 << 20));

    return this.d.tasks.run('vm.create', { id, name: input.name }, { signal: p.signal, onProgress: p.onProgress }, (task) =>
      provisionVm(this.d.vms.provisionDeps(), {
        id,
        name: input.name,
        fill: async () => {
          task.phase(`creating the disk on '${image.name}'`);
          // The one write whatever the image's size: a qcow2 header naming the library image.
          await this.d.qemuImg.create(overlay, { format: 'qcow2', sizeBytes: wanted, backing: { path: image.path, format: image.format } });
          task.progress(0.3);
          task.phase('making the keys');
          let identityFile = givenKey?.identityFile ?? null;
          const authorized: string[] = [];
          if (givenKey) authorized.push(givenKey.line);
          else {
            const pair = await generateKeyPair(sshDir, 'id_ed25519', `hangar@${hostname}`, { signal: task.signal });
            identityFile = pair.privateKeyFile;
            authorized.push(pair.publicKey);
          }
          const host = await generateKeyPair(sshDir, 'host_ed25519', `${hostname} (host key)`, { signal: task.signal });
          const hostPrivate = readFileSync(host.privateKeyFile, 'utf8');
          // The guest's private host key lives in the seed only.
          rmSync(host.privateKeyFile, { force: true });
          rmSync(`${host.privateKeyFile}.pub`, { force: true });
          writeFileSync(join(sshDir, 'known_hosts'), `${hostKeyAlias(id)} ${host.publicKey.split(/\s+/).slice(0, 2).join(' ')}\n`, { mode: 0o600 });
          task.progress(0.6);
          const passwordHash = ci.password !== undefined ? await hashPassword(ci.password, { signal: task.signal }) : undefined;
          task.phase('writing the cloud-init seed');
          mkdirSync(join(paths.dir, 'cloud-init'), { recursive: true, mode: 0o700 });
          await writeSeed(
            seed,
            {
              instanceId: id,
              hostname,
              user,
              authorizedKeys: authorized,
              ...(passwordHash !== undefined ? { passwordHash } : {}),
              hostKey: { privateKey: hostPrivate, publicKey: host.publicKey },
              ...(ci.userData !== undefined ? { userData: ci.userData } : {}),
            },
            { signal: task.signal, log: this.d.log },
          );
          const composed = compose(identityFile);
          if (!composed.ok) throw configInvalid(composed.issues, CREATE_PATHS);
          task.phase('registering');
          return {
            config: composed.value,
            images: [{ path: overlay, format: 'qcow2', virtualSize: wanted, backingPath: image.path, owned: true, role: 'disk' }],
          };
        },
      }),
    );
  }

  // ---------------------------------------------------------------- unattended installation

  private async createUnattended(input: VmCreateInput, media: string, image: LibraryImageRow | undefined, p: Progress): Promise<VmRow> {
    const u = input.unattended!;
    const field = image ? 'image' : 'iso';
    if (!image) {
      try {
        assertIso(media);
        this.d.vms.guard.assertUsable(media, 'ISO');
      } catch (e) {
        if (e instanceof HangarError && e.code === 'INVALID_INPUT') throw issue(field, e.message);
        throw e;
      }
    }
    assertNewName(input.name);
    this.d.vms.assertNameFree(input.name);
    this.d.vms.checkShares(input.shares ?? [], 'shares');
    const dirs = osinfoDirs();
    const detected = detectIso(media, loadOsinfoDb(dirs, this.d.log));
    if (!detected || !detected.plan) {
      const reason = detected ? detected.unattendedUnavailable! : "libosinfo's database does not know this media";
      const message = `unattended installation is not available for ${image ? `'${image.name}'` : media}: ${reason}`;
      throw invalidInput([{ path: field, message, code: UNATTENDED_UNAVAILABLE, data: { media, ...(detected ? { os: detected.name } : {}), reason } }]);
    }
    const plan = detected.plan;
    const osType = input.osType ?? detected.osType;
    const def = defaultsFor(osType);
    const sizeBytes = input.disk && 'sizeBytes' in input.disk ? input.disk.sizeBytes : def.diskGiB * 2 ** 30;
    const id = randomUUID();
    const paths = vmPaths(this.d.home, id);
    const installDir = join(paths.dir, 'install');
    const disk = join(paths.disks, 'disk0.qcow2');
    const kernel = join(installDir, 'vmlinuz');
    const initrd = join(installDir, 'initrd.gz');
    const nics = this.d.vms.cardsFor(input.nics ?? [{}]);
    const settings = settingsOf(u, input.name, detected);
    const compose = (append: string) =>
      composeConfig({
        id,
        name: input.name,
        osType,
        ...this.d.vms.commonChoices(input),
        disks: [{ path: disk, format: 'qcow2' }],
        opticals: [{ path: media }],
        nics,
        boot: { kernel, initrd, append },
        ...(input.recovery ? { recovery: input.recovery } : {}),
        install: { osinfoId: detected.osinfoId, osName: detected.name, format: plan.format, media },
      });
    const planned = compose(installerCommandLine(plan.format, plan.fileName, settings));
    if (!planned.ok) throw configInvalid(planned.issues, CREATE_PATHS);
    assertFreeSpace(join(this.d.home, 'VMs'), (await this.d.qemuImg.measure({ sizeBytes })) + 256 * (1 << 20));
    return this.d.tasks.run('vm.create', { id, name: input.name }, { signal: p.signal, onProgress: p.onProgress }, (task) =>
      provisionVm(this.d.vms.provisionDeps(), {
        id,
        name: input.name,
        fill: async () => {
          task.phase('creating the disk');
          await this.d.qemuImg.create(disk, { format: 'qcow2', sizeBytes });
          mkdirSync(installDir, { recursive: true, mode: 0o700 });
          task.phase(`taking the installer's kernel and initrd from the media`);
          await extractFromIso(media, [
            [detected.media.kernel!, kernel],
            [detected.media.initrd!, initrd],
          ], task.signal);
          task.progress(0.3);
          task.phase(`making the answer file (${plan.format}) with libosinfo's install script`);
          const answer = await generateAnswerFile(dirs, {
            os: detected.os,
            plan,
            config: { user: u.user, password: u.password, hostname: settings.hostname, language: settings.language, timezone: u.timezone ?? 'UTC', keyboard: settings.keyboard },
            workDir: installDir,
            signal: task.signal,
          });
          task.progress(0.6);
          task.phase('putting the answer file in the installer');
          await appendToInitrd(initrd, answer.fileName, finishAnswerFile(plan.format, answer.text, { distro: detected.os.distro, ...(detected.os.codename ? { codename: detected.os.codename } : {}) }), installDir, task.signal);
          const composed = compose(installerCommandLine(plan.format, answer.fileName, settings));
          if (!composed.ok) throw configInvalid(composed.issues, CREATE_PATHS);
          task.phase('registering');
          return { config: composed.value, images: [{ path: disk, format: 'qcow2', virtualSize: sizeBytes, backingPath: null, owned: true, role: 'disk' }] };
        },
      }),
    );
  }

  /**
   * Called on every state change: a VM with an installation to run that starts gets a task that
   * follows its installer until the machine stops.
   */
  onState(vmId: string, state: VmState): void {
    if (state !== 'running' || this.following.has(vmId)) return;
    const row = this.d.inventory.vms.get(vmId);
    if (!row?.config.install) return;
    this.following.add(vmId);
    void this.followInstall(row).finally(() => this.following.delete(vmId));
  }

  private async followInstall(row: VmRow): Promise<void> {
    const install = row.config.install!;
    const progress = new InstallerProgress(install.format);
    let stopped!: (s: VmState) => void;
    const ended = new Promise<VmState>((r) => (stopped = r));
    const stateSub = this.d.vms.vmStates.event((e) => {
      if (e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state)) stopped(e.state);
    });
    try {
      await this.d.tasks.run('vm.install', { id: row.id, name: row.name }, { exclusive: false }, async (task) => {
        task.phase(`installing ${install.osName}`);
        const consoleSub = this.d.console.event((e) => {
          if (e.id !== row.id) return;
          const asked = progress.question;
          const mark = progress.push(Buffer.from(e.data, 'base64').toString('utf8'));
          if (mark) {
            task.phase(mark.phase);
            task.progress(mark.fraction, mark.text);
          } else if (progress.question && progress.question !== asked) {
            // The installer waits for an answer the answer file did not give (an error, most often):
            // the task says which, so nobody waits for an installation that is not going on.
            task.phase(`${QUESTION_PHASE}: ${progress.question}`);
            this.d.log(`vm=${row.id} installation: the installer shows a question and waits: ${progress.question}`);
          }
        });
        try {
          const now = this.d.inventory.vms.get(row.id);
          const end = now && !isActive(now.state) ? now.state : await ended;
          if (end !== 'stopped' || !progress.finished) {
            throw new HangarError(
              'QEMU_FAILED',
              `the installation of ${install.osName} in '${row.name}' ended before it finished (the VM is ${end}${progress.current ? `; last seen: ${progress.current.text}` : ''}); the media stays in: start the VM to run the installer again`,
            );
          }
          task.phase('ejecting the installer media');
          this.finishInstall(row.id);
        } finally {
          consoleSub.dispose();
        }
      });
    } catch (e) {
      this.d.log(`vm=${row.id} installation: ${(e as Error).message}`);
    } finally {
      stateSub.dispose();
    }
  }

  /** The installation is done: the media, the installer's kernel and initrd (with the answer file) go. */
  finishInstall(vmId: string): void {
    const row = this.d.inventory.vms.get(vmId);
    if (!row?.config.install) return;
    const c = row.config;
    const ejected: VmConfig = {
      ...c,
      opticals: c.opticals.map((o) => (o.path === c.install!.media ? { ...o, path: null } : o)),
      boot: { order: c.boot.order },
    };
    delete (ejected as { install?: unknown }).install;
    this.d.inventory.vms.updateConfig(vmId, ejected);
    rmSync(join(vmPaths(this.d.home, vmId).dir, 'install'), { recursive: true, force: true });
    this.d.log(`vm=${vmId} installation finished: media ejected, the installer's files removed`);
    this.d.changed(vmId);
  }

  // ---------------------------------------------------------------- ssh

  sshInfo(ref: string) {
    const row = this.d.vms.find(ref);
    const ci = row.config.cloudInit;
    if (!ci) throw new HangarError('INVALID_INPUT', `VM '${row.name}' was not made from a cloud image: Hangar knows no account or key to reach it over SSH`);
    const fwd = sshForward(row.config.nics);
    if (!fwd) throw new HangarError('INVALID_INPUT', `VM '${row.name}' has no port forwarded to its SSH port (22)`);
    if (!isActive(row.state)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: start it first`);
    return {
      id: row.id,
      name: row.name,
      state: row.state,
      host: fwd.hostAddress === '0.0.0.0' ? '127.0.0.1' : fwd.hostAddress,
      port: fwd.hostPort,
      user: ci.user,
      identityFile: ci.identityFile,
      knownHostsFile: ci.knownHostsFile,
      hostKeyAlias: hostKeyAlias(row.id),
    };
  }

  /** The person's public keys in ~/.ssh (valid ones only), for the wizard's default. */
  sshKeys(): { keys: { path: string; type: string; comment: string }[] } {
    const dir = join(homedir(), '.ssh');
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.pub')).sort();
    } catch {
      return { keys: [] };
    }
    const keys: { path: string; type: string; comment: string }[] = [];
    for (const n of names) {
      try {
        const k = readPublicKeyFile(join(dir, n), 'sshKeyFile');
        const [type = '', , ...comment] = k.line.split(' ');
        keys.push({ path: join(dir, n), type, comment: comment.join(' ') });
      } catch {
        /* not a key: left out */
      }
    }
    // ed25519 first: the type OpenSSH makes by default
    keys.sort((a, b) => Number(b.type === 'ssh-ed25519') - Number(a.type === 'ssh-ed25519'));
    return { keys };
  }
}

export function hostKeyAlias(vmId: string): string {
  return `hangar-${vmId}`;
}

/** A public key file a person names: read, checked, and the private key beside it (when readable). */
export function readPublicKeyFile(path: string, field: string): { line: string; identityFile: string | null } {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw issue(field, `SSH key file ${path} does not exist`);
  }
  if (!st.isFile()) throw issue(field, `SSH key file ${path} is not a regular file`);
  if (st.size > MAX_PUBLIC_KEY_FILE_BYTES) throw issue(field, `SSH key file ${path} is not a public key (it is ${st.size} bytes; a public key is one line)`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw issue(field, `SSH key file ${path} cannot be read: ${(e as Error).message}`);
  }
  const parsed = parsePublicKey(text);
  if (!parsed.ok) throw issue(field, `SSH key file ${path} ${parsed.problem}`);
  const priv = path.endsWith('.pub') ? path.slice(0, -4) : null;
  let identityFile: string | null = null;
  if (priv && existsSync(priv)) {
    try {
      accessSync(priv, fsc.R_OK);
      identityFile = priv;
    } catch {
      identityFile = null;
    }
  }
  return { line: parsed.key.line, identityFile };
}

function settingsOf(u: UnattendedInput, vmName: string, d: Detection) {
  const language = u.locale ?? 'en_US';
  return { language, keyboard: 'us', hostname: u.hostname ?? hostnameFor(vmName), version: d.version, distro: d.os.distro };
}

/** Copies files out of an ISO (xorriso's extraction; paths as libosinfo gives them). */
async function extractFromIso(iso: string, files: [string, string][], signal: AbortSignal): Promise<void> {
  for (const [inside, to] of files) {
    rmSync(to, { force: true });
    await runTool('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', `/${inside.replace(/^\/+/, '')}`, to], {
      signal,
      timeoutMs: 300_000,
      what: `xorriso (taking ${inside} from the media)`,
    }).catch((e: unknown) => {
      throw new HangarError('INVALID_INPUT', `the media ${iso} has no ${inside}, where libosinfo says its installer keeps it`, { cause: e });
    });
    if (!existsSync(to) || statSync(to).size === 0) throw new HangarError('INVALID_INPUT', `the media ${iso} has no ${inside}, where libosinfo says its installer keeps it`);
    chmodSync(to, 0o600);
  }
}

/**
 * Adds a file at the root of an initrd: a gzip-compressed newc cpio archive appended to it (the kernel
 * unpacks every archive of a concatenated initramfs, later ones over earlier ones).
 */
async function appendToInitrd(initrd: string, name: string, text: string, workDir: string, signal: AbortSignal): Promise<void> {
  const dir = mkdtempSync(join(workDir, 'inject-'));
  try {
    chmodSync(dir, 0o700);
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    const archive = await runTool('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], { cwd: dir, input: `${name}\n`, signal, timeoutMs: 60_000, what: 'cpio' });
    const gz = await runTool('gzip', ['-9n'], { input: archive.stdout, signal, timeoutMs: 60_000, what: 'gzip' });
    appendFileSync(initrd, gz.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VmCreateInput } from '../../../../src-main/api/contract.js';
import {
  editDraft,
  firstInvalidStep,
  initialDraft,
  placeCreateError,
  summaryRows,
  toCreateInput,
  validateStep,
  withOsType,
  WIZARD_STEPS,
  type NewVmDraft,
  type OsTypeInfo,
  type WizardContext,
} from '../../../../src-renderer/vms/newVm.js';

const os = (id: string, label: string, family: string, cpus: number, memoryMiB: number, diskGiB: number): OsTypeInfo => ({
  id,
  label,
  family,
  defaults: { cpus, memoryMiB, diskGiB, firmware: 'bios', chipset: 'pc', diskBus: 'virtio', nicModel: 'virtio' },
});
const win11 = os('windows11', 'Windows 11', 'windows', 2, 4096, 64);
win11.defaults = { ...win11.defaults, firmware: 'uefi', chipset: 'q35', tpm: true, secureBoot: true };
const OS_TYPES = [os('other', 'Other', 'other', 1, 512, 8), os('linux', 'Linux (modern, 64-bit)', 'linux', 2, 2048, 20), win11];
const ctx: WizardContext = { osTypes: OS_TYPES, existingNames: ['debian-12', 'Web1'] };

const messages = (step: number, d: NewVmDraft) => validateStep(step, d, ctx).map((i) => `${i.field}: ${i.message}`);
const valid = (): NewVmDraft => ({ ...initialDraft(OS_TYPES), name: 'web2' });

describe('the draft', () => {
  test('starts with the API default OS type and its defaults', () => {
    const d = initialDraft(OS_TYPES);
    assert.equal(d.osType, 'linux');
    assert.deepEqual([d.memoryMiB, d.cpus, d.diskSize, d.diskMode, d.isoPath], ['2048', '2', '20G', 'new', '']);
  });

  test('a new OS type brings its defaults, except for fields the user edited', () => {
    let d = withOsType(initialDraft(OS_TYPES), 'windows11', OS_TYPES);
    assert.deepEqual([d.memoryMiB, d.cpus, d.diskSize], ['4096', '2', '64G']);
    d = editDraft(d, 'memoryMiB', '6000');
    d = withOsType(d, 'other', OS_TYPES);
    assert.deepEqual([d.memoryMiB, d.cpus, d.diskSize], ['6000', '1', '8G']);
  });

  test('firmware, Secure Boot and the TPM follow the OS type until the user sets them; BIOS turns Secure Boot off', () => {
    let d = withOsType(initialDraft(OS_TYPES), 'windows11', OS_TYPES);
    assert.deepEqual([d.firmware, d.secureBoot, d.tpm, d.clipboard], ['uefi', true, true, false]);
    d = withOsType(d, 'linux', OS_TYPES);
    assert.deepEqual([d.firmware, d.secureBoot, d.tpm], ['bios', false, false]);
    d = editDraft(withOsType(d, 'windows11', OS_TYPES), 'tpm', false);
    d = withOsType(withOsType(d, 'linux', OS_TYPES), 'windows11', OS_TYPES);
    assert.deepEqual([d.firmware, d.secureBoot, d.tpm], ['uefi', true, false]);
    d = editDraft(d, 'firmware', 'bios');
    assert.deepEqual([d.firmware, d.secureBoot], ['bios', false]);
  });
});

describe('step 5: guest integration', () => {
  const share = (hostPath: string, tag = '', readOnly = false) => ({ hostPath, tag, readOnly, mode: 'virtiofs' as const });
  test('shared folders need absolute paths and distinct tags (a tag defaults to the folder name)', () => {
    assert.deepEqual(messages(4, { ...valid(), shares: [share('/srv/docs'), share('/home/me/work', 'code')] }), []);
    assert.deepEqual(messages(4, { ...valid(), shares: [share('')] }), ['shares.0.hostPath: choose a folder to share']);
    assert.deepEqual(messages(4, { ...valid(), shares: [share('docs')] }), ['shares.0.hostPath: must be an absolute path']);
    assert.deepEqual(messages(4, { ...valid(), shares: [share('/srv/docs'), share('/home/docs')] }), ["shares.1.tag: share tag 'docs' is used by more than one shared folder"]);
  });
  test('Secure Boot needs UEFI', () => {
    assert.deepEqual(messages(4, { ...valid(), firmware: 'bios', secureBoot: true }), ['secureBoot: Secure Boot needs UEFI firmware']);
  });
});

describe('step 1: name and OS type', () => {
  test('the name rules of the API', () => {
    const at = (name: string) => messages(0, { ...valid(), name });
    assert.deepEqual(at(''), ['name: name must not be empty']);
    assert.deepEqual(at('a/b'), ["name: name must not contain '/' or '\\'"]);
    assert.deepEqual(at('..'), ["name: name must not be '.' or '..'"]);
    assert.deepEqual(at(' web'), ['name: name must not start or end with white space']);
    assert.deepEqual(at('x'.repeat(129)), ['name: name must be at most 128 characters']);
    assert.deepEqual(at('tab\there'), ['name: name must not contain control characters']);
    assert.deepEqual(at('my “quoted” VM'), []);
    assert.deepEqual(at('--force'), ["name: name must not start with '-' (it would read as an option)"]);
    assert.deepEqual(at('9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d'), ['name: name must not look like a VM id (a UUID)']);
  });

  test('names are unique without regard to case', () => {
    assert.deepEqual(messages(0, { ...valid(), name: 'WEB1' }), ["name: a VM named 'Web1' already exists"]);
    assert.deepEqual(messages(0, { ...valid(), name: 'debian-12' }), ["name: a VM named 'debian-12' already exists"]);
  });

  test('the OS type must be in the catalogue', () => {
    assert.deepEqual(messages(0, { ...valid(), osType: 'beos' }), ["osType: unknown OS type 'beos'"]);
  });
});

describe('step 2: installation media', () => {
  test('optional, but an absolute path when given', () => {
    assert.deepEqual(messages(1, valid()), []);
    assert.deepEqual(messages(1, { ...valid(), isoPath: '/isos/x.iso' }), []);
    assert.deepEqual(messages(1, { ...valid(), isoPath: 'isos/x.iso' }), ['isoPath: must be an absolute path']);
    assert.deepEqual(messages(1, { ...valid(), isoPath: '/isos/../x.iso' }), ["isoPath: must not contain '.' or '..' segments"]);
  });
});

describe('step 3: memory and CPUs', () => {
  test('the limits of the machine model', () => {
    const at = (memoryMiB: string, cpus: string) => messages(2, { ...valid(), memoryMiB, cpus });
    assert.deepEqual(at('2048', '2'), []);
    assert.deepEqual(at('16', '64'), []);
    assert.deepEqual(at('', '2'), ['memoryMiB: memory must be a number of MiB']);
    assert.deepEqual(at('lots', '2'), ['memoryMiB: memory must be a number of MiB']);
    assert.deepEqual(at('8', '2'), ['memoryMiB: memory must be at least 16 MiB']);
    assert.deepEqual(at('1048577', '2'), ['memoryMiB: memory must be at most 1048576 MiB']);
    assert.deepEqual(at('1.5', '2'), ['memoryMiB: memory must be a whole number of MiB']);
    assert.deepEqual(at('2048', '0'), ['cpus: a VM needs at least 1 CPU']);
    assert.deepEqual(at('2048', '65'), ['cpus: a VM can have at most 64 CPUs']);
    assert.deepEqual(at('2048', '2.5'), ['cpus: CPU count must be a whole number']);
    assert.deepEqual(at('2048', ''), ['cpus: CPU count must be a number']);
  });
});

describe('step 4: hard disk', () => {
  test('a new disk needs a valid size', () => {
    assert.deepEqual(messages(3, { ...valid(), diskSize: '40G' }), []);
    assert.deepEqual(messages(3, { ...valid(), diskSize: '512K' }), ['diskSize: size must be at least 1M']);
    assert.deepEqual(messages(3, { ...valid(), diskSize: '12X' }), ['diskSize: size must be a number with an optional unit K, M, G or T, such as 20G']);
  });
  test('an existing image needs an absolute path; no disk needs nothing', () => {
    assert.deepEqual(messages(3, { ...valid(), diskMode: 'existing', diskImage: '' }), ['diskImage: choose a disk image']);
    assert.deepEqual(messages(3, { ...valid(), diskMode: 'existing', diskImage: 'a.qcow2' }), ['diskImage: must be an absolute path']);
    assert.deepEqual(messages(3, { ...valid(), diskMode: 'existing', diskImage: '/img/a.qcow2' }), []);
    assert.deepEqual(messages(3, { ...valid(), diskMode: 'none', diskSize: 'junk' }), []);
  });
});

describe('the whole wizard', () => {
  test('the first invalid step stops the way to the summary', () => {
    assert.equal(firstInvalidStep(valid(), ctx), -1);
    assert.equal(firstInvalidStep({ ...valid(), name: '' }, ctx), 0);
    assert.equal(firstInvalidStep({ ...valid(), cpus: '0', diskSize: 'x' }, ctx), 2);
    assert.equal(firstInvalidStep({ ...valid(), diskSize: 'x' }, ctx), 3);
    assert.equal(WIZARD_STEPS.length, 6);
    assert.deepEqual(messages(4, valid()), []);
    assert.deepEqual(messages(5, valid()), []);
    assert.equal(firstInvalidStep({ ...valid(), shares: [{ hostPath: 'rel', tag: '', readOnly: false, mode: 'virtiofs' }] }, ctx), 4);
  });

  test('the create input is what the API accepts', () => {
    const d: NewVmDraft = { ...valid(), osType: 'windows11', isoPath: ' /isos/win.iso ', memoryMiB: '4096', cpus: '4', diskSize: '64G' };
    const input = toCreateInput(d);
    assert.deepEqual(input, {
      name: 'web2',
      osType: 'windows11',
      system: { memoryMiB: 4096, cpus: 4 },
      iso: '/isos/win.iso',
      disk: { sizeBytes: 64 * 1024 ** 3 },
      firmware: { type: 'bios' },
      tpm: false,
      display: { clipboard: false },
    });
    assert.equal(VmCreateInput.safeParse(input).success, true);
    assert.deepEqual(toCreateInput({ ...d, diskMode: 'existing', diskImage: '/img/a.vmdk' }).disk, { image: '/img/a.vmdk' });
    assert.deepEqual(toCreateInput({ ...d, diskMode: 'existing', diskImage: '/img/a.vmdk', flatten: true }).disk, { image: '/img/a.vmdk', flatten: true });
    const none = toCreateInput({ ...d, diskMode: 'none', isoPath: '' });
    assert.equal('disk' in none, false);
    assert.equal('iso' in none, false);
    assert.equal(VmCreateInput.safeParse(none).success, true);
    // Guest integration: firmware, Secure Boot, TPM, clipboard and shares as the step shows them.
    const guest = toCreateInput({
      ...withOsType(valid(), 'windows11', OS_TYPES),
      clipboard: true,
      shares: [
        { hostPath: ' /srv/docs ', tag: '', readOnly: true, mode: 'virtiofs' },
        { hostPath: '/srv/src', tag: 'code', readOnly: false, mode: '9p' },
      ],
    });
    assert.deepEqual([guest.firmware, guest.tpm, guest.display, guest.shares], [
      { type: 'uefi', secureBoot: true },
      true,
      { clipboard: true },
      [
        { hostPath: '/srv/docs', readOnly: true, mode: 'virtiofs' },
        { hostPath: '/srv/src', tag: 'code', readOnly: false, mode: '9p' },
      ],
    ]);
    assert.equal(VmCreateInput.safeParse(guest).success, true);
  });

  test('a server error goes back to the step that holds it, by the paths it carries', () => {
    const refusal = (path: string, message: string, code?: string) => ({ message, details: { issues: [{ path, message, ...(code ? { code } : {}) }] } });
    const at = (e: { message: string; details?: unknown }, diskMode: 'new' | 'existing' = 'new') => {
      const p = placeCreateError(e, { diskMode });
      return { step: p.step, fields: p.fields.map((f) => f.field), general: p.general };
    };
    assert.deepEqual(at(refusal('name', "a VM named 'web' already exists")), { step: 0, fields: ['name'], general: [] });
    assert.deepEqual(at(refusal('osType', "unknown OS type 'x'")), { step: 0, fields: ['osType'], general: [] });
    assert.deepEqual(at(refusal('iso', '/x.img is not an ISO image (no ISO 9660 or UDF volume descriptor)')), { step: 1, fields: ['isoPath'], general: [] });
    assert.deepEqual(at(refusal('system.memoryMiB', 'memory must be at least 16 MiB')), { step: 2, fields: ['memoryMiB'], general: [] });
    assert.deepEqual(at(refusal('disk.image', 'disk image /img/a.qcow2 is a disk of VM \'x\''), 'existing'), { step: 3, fields: ['diskImage'], general: [] });
    // What no field holds stays on the summary, in the owner's words.
    assert.deepEqual(at({ message: 'UEFI firmware (OVMF) is not installed: install the ovmf package' }), { step: 5, fields: [], general: ['UEFI firmware (OVMF) is not installed: install the ovmf package'] });
    // Guest integration's problems go to its step, a share's to its row.
    assert.deepEqual(at(refusal('shares[1].hostPath', '/srv/x does not exist')), { step: 4, fields: ['shares.1.hostPath'], general: [] });
    assert.deepEqual(at(refusal('shares[0].tag', "share tag 'a' is used by more than one shared folder")), { step: 4, fields: ['shares.0.tag'], general: [] });
    assert.deepEqual(at(refusal('firmware.secureBoot', 'Secure Boot needs UEFI firmware')), { step: 4, fields: ['secureBoot'], general: [] });
    // The message's wording does not matter: a path does.
    assert.deepEqual(at(refusal('system.cpus', 'the name of the ISO is wrong')), { step: 2, fields: ['cpus'], general: [] });
    // An image that reads other files: the wizard offers its copy.
    const reads = placeCreateError(refusal('disk.image', 'disk image /a reads data from other files: /s (its backing file)', 'IMAGE_READS_OTHER_FILES'), { diskMode: 'existing' });
    assert.equal(reads.readsOtherFiles, true);
    assert.match(reads.fields[0]!.message, /tick “Copy the image into the VM's folder”/);
  });

  test('the summary lists what will be created', () => {
    const rows = summaryRows({ ...valid(), osType: 'windows11', diskSize: '64G' }, ctx);
    assert.deepEqual(rows, [
      { label: 'Name', value: 'web2' },
      { label: 'OS type', value: 'Windows 11' },
      { label: 'Installation medium', value: 'None' },
      { label: 'Memory', value: '2048 MiB' },
      { label: 'CPUs', value: '2' },
      { label: 'Network', value: 'NAT (user mode)' },
      { label: 'Hard disk', value: 'New disk, 64 GiB' },
      { label: 'Firmware', value: 'BIOS' },
      { label: 'TPM', value: 'None' },
      { label: 'Clipboard', value: 'Not shared' },
      { label: 'Shared folders', value: 'None' },
    ]);
    const guest = summaryRows({ ...withOsType(valid(), 'windows11', OS_TYPES), shares: [{ hostPath: '/srv/docs', tag: '', readOnly: true, mode: 'virtiofs' }] }, ctx).slice(7);
    assert.deepEqual(guest.map((r) => r.value), ['UEFI, Secure Boot', 'TPM 2.0', 'Not shared', 'docs → /srv/docs (read-only)']);
  });

  test('a network for its card: by id in the create input, its name in the summary; one that is gone is a problem of the hardware step', () => {
    const lab = { id: '5b0e4c4e-1f7a-4d0a-9a53-2f4b1f6a7c01', name: 'lab', mode: 'nat' };
    const withNets = { ...ctx, networks: [lab] };
    const d = { ...valid(), network: lab.id };
    assert.deepEqual(toCreateInput(d).nics, [{ network: lab.id }]);
    assert.equal(toCreateInput(valid()).nics, undefined, 'without one: the OS type\'s card on user-mode NAT');
    assert.equal(summaryRows(d, withNets).find((r) => r.label === 'Network')?.value, 'lab');
    assert.deepEqual(validateStep(2, d, withNets), []);
    assert.deepEqual(validateStep(2, d, { ...ctx, networks: [] }), [{ field: 'network', message: 'that network no longer exists' }]);
    const placed = placeCreateError({ message: 'x', details: { issues: [{ path: 'nics[0].network', message: "no network named or with id 'x'" }] } }, d);
    assert.deepEqual([placed.step, placed.fields[0]?.field], [2, 'network']);
  });
});

describe('quick create in the wizard', () => {
  test('an ISO detected sets the OS type and its defaults, and offers unattended installation only where it is available', async () => {
    const { withDetection, detectionText } = await import('../../../../src-renderer/vms/newVm.js');
    const d = { ...valid(), isoPath: '/isos/win11.iso' };
    const win = withDetection(d, { path: '/isos/win11.iso', known: true, name: 'Microsoft Windows 11', osType: 'windows11', unattended: false, unattendedUnavailable: 'no script' }, OS_TYPES);
    assert.deepEqual([win.osType, win.memoryMiB, win.diskSize, win.unattended], ['windows11', '4096', '64G', false]);
    assert.equal(detectionText(win.detected, OS_TYPES), 'Detected Microsoft Windows 11: OS type Windows 11.');
    // an answer for another file than the one in the field now is dropped
    assert.equal(withDetection(d, { path: '/isos/other.iso', known: true, name: 'x', osType: 'other', unattended: false, unattendedUnavailable: null }, OS_TYPES), d);
    // an OS type chosen by hand is kept
    const chosen = { ...d, osType: 'other', touched: { osType: true } };
    const kept = withDetection(chosen, { path: '/isos/win11.iso', known: true, name: 'W', osType: 'windows11', unattended: false, unattendedUnavailable: null }, OS_TYPES);
    assert.equal(kept.osType, 'other');
    assert.equal(detectionText(kept.detected, OS_TYPES, kept.osType), 'Detected W, whose OS type is Windows 11; the OS type you chose, Other, is kept.');
    const unknown = withDetection(d, { path: '/isos/win11.iso', known: false, name: null, osType: null, unattended: false, unattendedUnavailable: 'unknown' }, OS_TYPES);
    assert.equal(unknown.osType, 'linux');
    assert.match(detectionText(unknown.detected, OS_TYPES)!, /does not know this media: choose its OS type/);
  });

  test('unattended installation: the account is required and goes into the create input', () => {
    const d = { ...valid(), isoPath: '/isos/debian.iso', unattended: true, installUser: '', installPassword: '' };
    assert.deepEqual(messages(1, d), ['installUser: user must be a Linux account name: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -', 'installPassword: the account needs a password']);
    const ok = { ...d, installUser: 'alice', installPassword: 'pw', hostname: 'box' };
    assert.deepEqual(messages(1, ok), []);
    const input = toCreateInput(ok);
    assert.deepEqual(input.unattended, { user: 'alice', password: 'pw', hostname: 'box' });
    assert.equal(VmCreateInput.safeParse(input).success, true);
  });

  test('from a cloud image: the step is the image and its account; problems are the API\'s', async () => {
    const { stepLabels, NEW_KEY } = await import('../../../../src-renderer/vms/newVm.js');
    const d: NewVmDraft = { ...valid(), source: 'cloud', cloudImage: '' };
    assert.equal(stepLabels(d)[1], 'Cloud image');
    assert.deepEqual(messages(1, d), ['cloudImage: choose a cloud image']);
    const bad = { ...d, cloudImage: 'img-id', cloudUser: 'Root', cloudPassword: 'x', hostname: 'a_b', userData: 'runcmd: []', sshKey: 'relative.pub' };
    assert.deepEqual(
      messages(1, bad).map((m) => m.split(':')[0]),
      ['cloudUser', 'sshKey', 'hostname', 'userData'],
    );
    assert.deepEqual(messages(1, { ...d, cloudImage: 'img-id', cloudPassword: 'x' }), ['cloudPassword: a password needs the account it is for: fill in the user']);
    const good = { ...d, cloudImage: 'img-id', cloudUser: 'alice', sshKey: '/home/a/.ssh/id_ed25519.pub', userData: '#cloud-config\npackages: [git]\n', diskSize: '30G' };
    assert.deepEqual(messages(1, good), []);
    const input = toCreateInput(good);
    assert.deepEqual({ image: input.image, cloudInit: input.cloudInit, disk: input.disk }, {
      image: 'img-id',
      cloudInit: { user: 'alice', sshKeyFile: '/home/a/.ssh/id_ed25519.pub', userData: '#cloud-config\npackages: [git]\n' },
      disk: { sizeBytes: 30 * 2 ** 30 },
    });
    assert.equal(VmCreateInput.safeParse(input).success, true);
    assert.deepEqual(toCreateInput({ ...good, sshKey: NEW_KEY, cloudUser: '', userData: '' }).cloudInit, {});
    // the server's issues land on the cloud fields
    const placed = placeCreateError(
      { message: 'x', details: { issues: [{ path: 'cloudInit.sshKeyFile', message: 'SSH key file /k.pub is a private key' }, { path: 'image', message: 'no image' }] } },
      good,
    );
    assert.deepEqual(placed.fields.map((f) => f.field), ['sshKey', 'cloudImage']);
    assert.equal(placed.step, 1);
    assert.ok(summaryRows(good, { ...ctx, imageName: () => 'debian' }).some((r) => r.label === 'Cloud image' && r.value === 'debian'));
  });
});

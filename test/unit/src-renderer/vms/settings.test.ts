import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VmModifyInput } from '../../../../src-main/api/contract.js';
import type { VmDetails } from '../../../../src-renderer/api/apiTypes.js';
import { changeAllowed, diskRemoveBlock, draftFromDetails, fieldForModifyPath, nestedBlockReason, newCard, newForward, placeModifyError, settingsLock, tabOfField, toModifyInput, validateSettings, type SettingsDraft } from '../../../../src-renderer/vms/settings.js';

const details: VmDetails = {
  id: '5b0c1f9e-8a44-4c3a-9d52-1f7e3f1f0a11',
  name: 'web',
  state: 'stopped',
  osType: 'linux',
  osLabel: 'Linux (modern, 64-bit)',
  group: '/',
  tags: [],
  description: 'a web server',
  cpus: 2,
  memoryMiB: 2048,
  firmware: 'bios',
  chipset: 'pc',
  accelerator: 'tcg',
  accelReason: 'no KVM',
  accelSetting: 'auto',
  nested: false,
  restartOnCrash: false,
  maxRestartsPerMinute: 3,
  disks: [{ id: 'disk0', bus: 'virtio', path: '/vms/web/disk0.qcow2', format: 'qcow2', virtualSizeBytes: 20 * 1024 ** 3, chain: ['/vms/web/disk0.qcow2'] }],
  opticals: [{ id: 'cd0', bus: 'ide', path: '/isos/debian.iso' }],
  nics: [{ id: 'net0', model: 'virtio', mac: '52:54:00:12:34:56', network: null, networkId: null, linkUp: true, forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }], ipAddresses: [] }],
  boot: { order: ['disk', 'optical'] },
  display: { vga: 'virtio', vnc: true },
  serial: true,
  tpm: false,
  secureBoot: false,
  shares: [],
  guest: { agent: 'absent', hostname: null, osName: null, ipAddresses: [] },
  folder: '/vms/web',
  createdAt: '2026-01-01T00:00:00.000Z',
  snapshots: [],
  currentSnapshotId: null,
};
const ctx = { existingNames: ['web', 'db'], knownOsTypes: ['linux', 'windows11'] };
const base = () => draftFromDetails(details);
const issues = (d: SettingsDraft) => validateSettings(details, d, ctx).map((i) => `${i.field}: ${i.message}`);

describe('the settings draft', () => {
  test('is made from vm.show', () => {
    const d = base();
    assert.deepEqual(
      { ...d, forwards: d.forwards },
      {
        name: 'web',
        osType: 'linux',
        description: 'a web server',
        cpus: '2',
        memoryMiB: '2048',
        firmware: 'bios',
        nested: false,
        accel: 'auto',
        restartOnCrash: false,
        restartLimit: '3',
        iso: '/isos/debian.iso',
        nic: 'virtio',
        forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: '2222', guestPort: '22' }],
        network: '',
        linkUp: true,
        moreCards: [],
        addDisk: { mode: 'none', size: '20G', image: '', flatten: false },
        secureBoot: false,
        tpm: false,
        clipboard: false,
        shares: [],
      },
    );
    assert.deepEqual(issues(d), []);
  });

  test('no NIC and no optical drive', () => {
    const d = draftFromDetails({ ...details, nics: [], opticals: [] });
    assert.equal(d.nic, 'none');
    assert.equal(d.iso, '');
    assert.deepEqual(d.forwards, []);
  });
});

describe('validation with the API rules', () => {
  test('name: its own name is not a clash, another VM name is', () => {
    assert.deepEqual(issues({ ...base(), name: 'WEB' }), []);
    assert.deepEqual(issues({ ...base(), name: 'DB' }), ["name: a VM named 'db' already exists"]);
    assert.deepEqual(issues({ ...base(), name: '' }), ['name: name must not be empty']);
  });

  test('restart on crash: the limit is checked only when it is on, and only changes are sent', () => {
    assert.deepEqual(issues({ ...base(), restartLimit: 'x' }), []);
    assert.deepEqual(issues({ ...base(), restartOnCrash: true, restartLimit: '0' }), ['restartLimit: restarts per minute must be a whole number from 1 to 10']);
    assert.deepEqual(issues({ ...base(), restartOnCrash: true, restartLimit: '11' }), ['restartLimit: restarts per minute must be a whole number from 1 to 10']);
    assert.equal(tabOfField('restartLimit'), 'system');
    assert.deepEqual(toModifyInput(details, { ...base(), restartOnCrash: true }), { ref: details.id, recovery: { restartOnCrash: true } });
    assert.deepEqual(toModifyInput(details, { ...base(), restartOnCrash: true, restartLimit: ' 5 ' }), { ref: details.id, recovery: { restartOnCrash: true, maxRestartsPerMinute: 5 } });
    assert.deepEqual(toModifyInput({ ...details, restartOnCrash: true }, { ...base(), restartOnCrash: false }), { ref: details.id, recovery: { restartOnCrash: false } });
  });

  test('system limits and nested virtualization', () => {
    assert.deepEqual(issues({ ...base(), cpus: '0', memoryMiB: '8' }), ['cpus: a VM needs at least 1 CPU', 'memoryMiB: memory must be at least 16 MiB']);
    assert.deepEqual(issues({ ...base(), nested: true, accel: 'tcg' }), ["nested: nested virtualization needs the KVM accelerator (accel is 'tcg')"]);
    assert.deepEqual(issues({ ...base(), nested: true, accel: 'auto' }), []);
    assert.deepEqual(issues({ ...base(), osType: 'beos' }), ["osType: unknown OS type 'beos'"]);
    assert.deepEqual(issues({ ...base(), description: 'x'.repeat(4097) }), ['description: description must be at most 4096 characters']);
  });

  test('port forwards: ports, addresses and clashes', () => {
    const f = (hostPort: string, guestPort: string, hostAddress = '127.0.0.1', protocol: 'tcp' | 'udp' = 'tcp') => ({ protocol, hostAddress, hostPort, guestPort });
    assert.deepEqual(issues({ ...base(), forwards: [f('0', '22')] }), ['forwards.0.hostPort: host port must be between 1 and 65535']);
    assert.deepEqual(issues({ ...base(), forwards: [f('80', '')] }), ['forwards.0.guestPort: guest port must be a number']);
    assert.deepEqual(issues({ ...base(), forwards: [f('80', '80', 'localhost')] }), ['forwards.0.hostAddress: must be an IPv4 address such as 127.0.0.1']);
    assert.deepEqual(issues({ ...base(), forwards: [f('2222', '22'), f('2222', '80')] }), ['forwards.1.hostPort: host port tcp 127.0.0.1:2222 is forwarded more than once']);
    assert.deepEqual(issues({ ...base(), forwards: [f('2222', '22'), f('2222', '80', '0.0.0.0')] }), ['forwards.1.hostPort: host port tcp 0.0.0.0:2222 is forwarded more than once']);
    assert.deepEqual(issues({ ...base(), forwards: [f('2222', '22'), f('2222', '53', '127.0.0.1', 'udp')] }), []);
    // Without a NIC the table is ignored.
    assert.deepEqual(issues({ ...base(), nic: 'none', forwards: [f('0', '0')] }), []);
  });

  test('storage: ISO path and an added disk', () => {
    assert.deepEqual(issues({ ...base(), iso: 'debian.iso' }), ['iso: must be an absolute path']);
    assert.deepEqual(issues({ ...base(), iso: '' }), []);
    assert.deepEqual(issues({ ...base(), addDisk: { mode: 'new', size: '0', image: '', flatten: false } }), ['addDisk.size: size must be at least 1M']);
    assert.deepEqual(issues({ ...base(), addDisk: { mode: 'existing', size: '', image: '', flatten: false } }), ['addDisk.image: choose a disk image']);
  });

  test('each field lives on a tab', () => {
    assert.deepEqual(
      ['name', 'description', 'cpus', 'nested', 'accel', 'iso', 'addDisk.size', 'nic', 'forwards.2.guestPort'].map(tabOfField),
      ['general', 'general', 'system', 'system', 'system', 'storage', 'storage', 'network', 'network'],
    );
  });
});

describe('the vm.modify input', () => {
  const check = (input: ReturnType<typeof toModifyInput>) => {
    assert.ok(input);
    assert.equal(VmModifyInput.safeParse(input).success, true, JSON.stringify(input));
    return input;
  };

  test('nothing changed: no call', () => {
    assert.equal(toModifyInput(details, base()), null);
    assert.equal(toModifyInput(details, { ...base(), cpus: ' 2 ' }), null);
  });

  test('carries only what changed', () => {
    assert.deepEqual(check(toModifyInput(details, { ...base(), name: 'web2', cpus: '4' })), { ref: details.id, name: 'web2', system: { cpus: 4 } });
    assert.deepEqual(check(toModifyInput(details, { ...base(), memoryMiB: '4096', firmware: 'uefi', nested: true, accel: 'kvm' })), {
      ref: details.id,
      system: { memoryMiB: 4096, accel: 'kvm' },
      firmware: { type: 'uefi' },
      features: { nested: true },
    });
  });

  test('eject sends iso null; a new ISO sends its path', () => {
    assert.deepEqual(check(toModifyInput(details, { ...base(), iso: '' })), { ref: details.id, iso: null });
    assert.deepEqual(check(toModifyInput(details, { ...base(), iso: '/isos/other.iso' })), { ref: details.id, iso: '/isos/other.iso' });
  });

  test('network: model, forwards, none', () => {
    // The first card changes by its id (so it keeps its MAC); the API takes the whole list.
    const first = details.nics[0]!.id;
    assert.deepEqual(check(toModifyInput(details, { ...base(), nic: 'e1000' })), { ref: details.id, nics: [{ id: first, model: 'e1000' }] });
    const withForward = { ...base(), forwards: [...base().forwards, { ...newForward(), hostPort: '8080', guestPort: '80' }] };
    assert.deepEqual(check(toModifyInput(details, withForward)), {
      ref: details.id,
      nics: [
        {
          id: first,
          model: 'virtio',
          forwards: [
            { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 },
            { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 },
          ],
        },
      ],
    });
    assert.deepEqual(check(toModifyInput(details, { ...base(), forwards: [] })), { ref: details.id, nics: [{ id: first, model: 'virtio', forwards: [] }] });
    assert.deepEqual(check(toModifyInput(details, { ...base(), nic: 'none' })), { ref: details.id, nics: [] });
  });

  test('cards on networks: the first card\'s network and cable, more cards added, changed and removed by id', () => {
    const first = details.nics[0]!.id;
    const lab = '5b0e4c4e-1f7a-4d0a-9a53-2f4b1f6a7c01';
    assert.deepEqual(check(toModifyInput(details, { ...base(), network: lab, linkUp: false })), { ref: details.id, nics: [{ id: first, model: 'virtio', network: lab, linkUp: false }] });
    const added = toModifyInput(details, { ...base(), moreCards: [{ model: 'e1000', network: lab, linkUp: true }, { model: 'virtio', network: '', linkUp: false }] });
    assert.deepEqual(check(added), { ref: details.id, nics: [{ id: first, model: 'virtio' }, { model: 'e1000', network: lab }, { model: 'virtio', network: null, linkUp: false }] });
    const two: VmDetails = { ...details, nics: [details.nics[0]!, { ...details.nics[0]!, id: 'net1', mac: '52:54:00:12:34:57', network: 'lab', networkId: lab, forwards: [] }] };
    const d2 = draftFromDetails(two);
    assert.deepEqual(d2.moreCards, [{ id: 'net1', model: 'virtio', network: lab, linkUp: true }]);
    assert.equal(toModifyInput(two, d2), null, 'nothing changed');
    assert.deepEqual(check(toModifyInput(two, { ...d2, moreCards: [{ ...d2.moreCards[0]!, linkUp: false }] })), { ref: two.id, nics: [{ id: first, model: 'virtio' }, { id: 'net1', linkUp: false }] });
    assert.deepEqual(check(toModifyInput(two, { ...d2, moreCards: [] })), { ref: two.id, nics: [{ id: first, model: 'virtio' }] }, 'a card left out is removed');
    assert.deepEqual(check(toModifyInput(two, { ...d2, nic: 'none' })), { ref: two.id, nics: [{ id: 'net1' }] }, 'the first card goes, the others stay');
    const nine = { ...base(), moreCards: Array.from({ length: 8 }, () => newCard(base())) };
    assert.ok(issues(nine).includes('cards: a VM can have at most 8 network cards'));
    assert.equal(tabOfField('cards'), 'network');
    assert.equal(fieldForModifyPath('nics[2].network', base()), 'cards.1');
    assert.equal(fieldForModifyPath('nics[0].network', base()), 'network');
  });

  test('adding a disk', () => {
    assert.deepEqual(check(toModifyInput(details, { ...base(), addDisk: { mode: 'new', size: '10G', image: '', flatten: false } })), { ref: details.id, addDisk: { sizeBytes: 10 * 1024 ** 3 } });
    assert.deepEqual(check(toModifyInput(details, { ...base(), addDisk: { mode: 'existing', size: '', image: '/img/b.qcow2', flatten: false } })), { ref: details.id, addDisk: { image: '/img/b.qcow2' } });
    assert.deepEqual(check(toModifyInput(details, { ...base(), addDisk: { mode: 'existing', size: '', image: '/img/b.qcow2', flatten: true } })), { ref: details.id, addDisk: { image: '/img/b.qcow2', flatten: true } });
  });
});

describe('guest integration in the dialog', () => {
  const withShares: VmDetails = {
    ...details,
    display: { vga: 'virtio', vnc: true, clipboard: true },
    shares: [
      { tag: 'docs', hostPath: '/srv/docs', readOnly: true, mode: 'virtiofs' },
      { tag: 'src', hostPath: '/srv/src', readOnly: false, mode: '9p' },
    ],
  };
  const check = (input: ReturnType<typeof toModifyInput>) => {
    assert.ok(input);
    assert.equal(VmModifyInput.safeParse(input).success, true, JSON.stringify(input));
    return input;
  };
  test('existing shares, the clipboard, the TPM and Secure Boot come from vm.show; only changes are sent', () => {
    const d = draftFromDetails(withShares);
    assert.deepEqual(d.shares.map((x) => [x.tag, x.existing]), [['docs', true], ['src', true]]);
    assert.equal(d.clipboard, true);
    assert.equal(toModifyInput(withShares, d), null);
    assert.deepEqual(check(toModifyInput(withShares, { ...d, clipboard: false, tpm: true })), { ref: details.id, tpm: true, display: { clipboard: false } });
    assert.deepEqual(check(toModifyInput(withShares, { ...d, firmware: 'uefi', secureBoot: true })), { ref: details.id, firmware: { type: 'uefi', secureBoot: true } });
  });
  test('a removed row is unshared by its tag, a new row is added', () => {
    const d = draftFromDetails(withShares);
    const next = { ...d, shares: [d.shares[1]!, { hostPath: '/home/me/notes', tag: '', readOnly: false, mode: 'virtiofs' as const }] };
    assert.deepEqual(check(toModifyInput(withShares, next)), { ref: details.id, removeShares: ['docs'], addShares: [{ hostPath: '/home/me/notes', readOnly: false, mode: 'virtiofs' }] });
    // An added row's refusal lands on that row (after the rows kept).
    assert.deepEqual(placeModifyError({ message: 'x', details: { issues: [{ path: 'addShares[0].hostPath', message: '/home/me/notes does not exist' }] } }, next).fields.map((f) => f.field), ['shares.1.hostPath']);
    assert.equal(tabOfField('shares.1.hostPath'), 'shares');
    assert.equal(tabOfField('clipboard'), 'display');
    assert.equal(tabOfField('tpm'), 'system');
  });
  test('the same rules as the wizard', () => {
    const d = draftFromDetails(withShares);
    assert.deepEqual(issues({ ...d, secureBoot: true }), ['secureBoot: Secure Boot needs UEFI firmware']);
    assert.deepEqual(issues({ ...d, shares: [...d.shares, { hostPath: '/other/docs', tag: '', readOnly: false, mode: 'virtiofs' }] }), ["shares.2.tag: share tag 'docs' is used by more than one shared folder"]);
  });
});

describe('the owner\'s refusals on the dialog\'s fields', () => {
  const refusal = (issues: { path: string; message: string; code?: string }[], message = issues.map((i) => i.message).join('; ')) => ({ message, details: { issues } });
  test('each problem lands on the field that holds it, by its path, never by its wording', () => {
    const existing = { addDisk: { mode: 'existing' as const, size: '', image: '/x', flatten: false } };
    const placed = placeModifyError(
      refusal([
        { path: 'system.cpus', message: 'a VM can have at most 64 CPUs' },
        { path: 'nics[0].forwards[1].hostPort', message: 'host port tcp 127.0.0.1:80 is forwarded more than once' },
        { path: 'addDisk.image', message: 'disk image /x reads data from other files: /secret (its backing file)', code: 'IMAGE_READS_OTHER_FILES' },
      ]),
      existing,
    );
    assert.deepEqual(placed.fields.map((f) => f.field), ['cpus', 'forwards.1.hostPort', 'addDisk.image']);
    assert.equal(placed.readsOtherFiles, true);
    assert.match(placed.fields[2]!.message, /tick “Copy the image into the VM's folder”/);
    assert.deepEqual(placed.general, []);
    assert.deepEqual(placed.fields.map((f) => tabOfField(f.field)), ['system', 'network', 'storage']);
  });
  test('an error without issues (or with none a field holds) is said as a whole', () => {
    assert.deepEqual(placeModifyError({ message: 'not enough space on /h/VMs' }, base()).general, ['not enough space on /h/VMs']);
    const whole = placeModifyError(refusal([{ path: '', message: 'linked clones depend on its disks', code: 'LINKED_CLONES_DEPEND' }], "VM 'a' cannot be deleted: the linked clone(s) 'b' depend on its disks"), base());
    assert.deepEqual(whole.general, ["VM 'a' cannot be deleted: the linked clone(s) 'b' depend on its disks"]);
  });
});

describe('what the dialog may change', () => {
  test('everything when stopped or aborted; name and description otherwise', () => {
    assert.deepEqual(settingsLock({ name: 'web', state: 'stopped' }), { hardwareLocked: false, cardsLive: false, reason: null });
    assert.deepEqual(settingsLock({ name: 'web', state: 'aborted' }), { hardwareLocked: false, cardsLive: false, reason: null });
    assert.deepEqual(settingsLock({ name: 'web', state: 'running' }), { hardwareLocked: true, cardsLive: true, reason: "VM 'web' is running: stop it before changing its hardware" });
    assert.equal(settingsLock({ name: 'web', state: 'saved' }).hardwareLocked, true);
    assert.equal(settingsLock({ name: 'web', state: 'saved' }).cardsLive, false, 'a saved state would not fit other cards');
  });

  test('while it runs, network cards may change (plugged in and out, cables, forwards); other hardware may not', () => {
    const running = settingsLock({ name: 'web', state: 'running' });
    const cards = toModifyInput(details, { ...base(), moreCards: [newCard(base())] });
    assert.equal(changeAllowed(running, cards), true);
    assert.equal(changeAllowed(running, toModifyInput(details, { ...base(), cpus: '4' })), false);
    assert.equal(changeAllowed(running, toModifyInput(details, { ...base(), name: 'web2' })), true);
    assert.equal(changeAllowed(settingsLock({ name: 'web', state: 'saved' }), cards), false);
  });
});

describe('what Settings offers on this host', () => {
  const tcgHost = { accelerator: 'tcg' as const, accelReason: 'TCG (software emulation, slower): /dev/kvm does not exist, so this host offers no KVM' };
  test('nested virtualization is not offered without KVM, and the reason names TCG once', () => {
    const r = nestedBlockReason('auto', tcgHost);
    assert.equal(r, 'Needs KVM, which this host does not offer (TCG (software emulation, slower): /dev/kvm does not exist, so this host offers no KVM).');
    assert.equal((r!.match(/TCG/g) ?? []).length, 1);
    assert.equal(nestedBlockReason('tcg', { accelerator: 'kvm', accelReason: 'KVM' }), 'Needs the KVM accelerator: this VM is set to TCG.');
    assert.equal(nestedBlockReason('auto', { accelerator: 'kvm', accelReason: 'KVM: the probe passed' }), null);
    assert.equal(nestedBlockReason('kvm', tcgHost), null, 'a VM set to KVM decides for itself');
  });
  test('a disk a snapshot holds cannot be removed, and the reason says which snapshot', () => {
    assert.equal(diskRemoveBlock({ id: 'disk0', heldBySnapshots: [] }, null), null);
    assert.equal(diskRemoveBlock({ id: 'disk0' }, "VM 'web' is running: stop it before changing its hardware"), "VM 'web' is running: stop it before changing its hardware");
    assert.match(diskRemoveBlock({ id: 'disk0', heldBySnapshots: ['base'] }, null)!, /^disk0 is part of snapshot “base”: restoring it needs this disk\. Delete that snapshot first/);
    assert.match(diskRemoveBlock({ id: 'disk1', heldBySnapshots: ['a', 'b'] }, null)!, /part of the snapshots “a”, “b”/);
  });
});

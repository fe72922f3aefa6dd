import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangarApi } from '../../../../src-main/api/contract.js';
import {
  appliancePathIssue,
  canImport,
  capacityLabel,
  certificateDate,
  certificateStatus,
  configIssues,
  draftFromPlan,
  draftsFit,
  draftsFromReview,
  hashWithoutImport,
  importHash,
  importPathFromHash,
  manifestStatus,
  networkLabel,
  plannedChipset,
  productRows,
  safeLink,
  sourceFileLabel,
  toImportInput,
  toMachineEdits,
  validateAll,
  validateMachine,
  type CertificateReport,
  type NetworkChoices,
  type ImportContext,
  type ImportReview,
  type MachineDraft,
  type MachinePlan,
  networkChoicesFromReview,
  proposedNetwork,
  validateNetworkChoices,
} from '../../../../src-renderer/appliances/importReview.js';

const osTypes = ['linux', 'windows11', 'windows7', 'other'].map((id) => ({
  id,
  label: id,
  family: id.startsWith('windows') ? 'windows' : 'linux',
  defaults: { cpus: 2, memoryMiB: 2048, diskGiB: 20, firmware: 'bios', chipset: 'q35', diskBus: 'virtio', nicModel: 'virtio' },
}));
const ctx: ImportContext = { existingNames: ['debian-12', 'Taken'], osTypes };

function plan(over: Partial<MachinePlan> = {}): MachinePlan {
  return {
    systemId: 'vm1',
    name: 'appliance vm',
    description: '',
    osType: 'linux',
    osSource: "vbox:OSType 'Debian_64'",
    cpus: 1,
    memoryMiB: 256,
    firmware: 'bios',
    chipset: 'q35',
    disks: [
      {
        diskId: 'vmdisk1',
        file: { fileId: 'file1', href: 'disk1.vmdk', sizeBytes: 3 * 1024 ** 2, compression: 'none', chunkSize: null },
        capacityBytes: 64 * 1024 ** 2,
        formatUri: '',
        bus: 'sata',
        sourceController: 'SATA controller, port 0',
        include: true,
      },
      { diskId: 'vmdisk2', file: null, capacityBytes: 1024 ** 3, formatUri: '', bus: 'sata', sourceController: 'SATA controller, port 1', include: true },
    ],
    opticals: [{ bus: 'sata', file: null, sourceController: 'IDE 1 master' }],
    nics: [
      { model: 'e1000', sourceModel: 'E1000', mac: '08:00:27:12:34:56', network: 'NAT' },
      { model: 'virtio', sourceModel: 'virtio', mac: null, network: 'HostOnly' },
    ],
    warnings: ['The sound card is left out.'],
    product: null,
    eulas: [],
    ...over,
  };
}

function review(machines: MachinePlan[] = [plan()], over: Partial<ImportReview> = {}): ImportReview {
  return {
    file: '/srv/a.ova',
    kind: 'ova',
    descriptor: 'a.ovf',
    ovfVersion: '1.x',
    manifest: { file: 'a.mf', algorithms: ['SHA-256'], entries: 2 },
    certificate: null,
    machines,
    warnings: [],
    targetFolder: '/home/u/.local/share/hangar/VMs',
    networks: [
      { source: 'NAT', cards: 1, suggested: { kind: 'nat' } },
      { source: 'HostOnly', cards: 1, suggested: { kind: 'nat' } },
    ],
    ...over,
  };
}

const edit = (d: MachineDraft, patch: Partial<MachineDraft>): MachineDraft => ({ ...d, ...patch });
const fields = (issues: { field: string }[]) => issues.map((i) => i.field);

describe('drafts', () => {
  test('a draft holds the plan as typed text, every NIC included, new MACs, license not accepted', () => {
    const d = draftFromPlan(plan());
    assert.deepEqual(d, {
      name: 'appliance vm',
      osType: 'linux',
      cpus: '1',
      memoryMiB: '256',
      firmware: 'bios',
      disks: [
        { include: true, bus: 'sata' },
        { include: true, bus: 'sata' },
      ],
      nics: [
        { include: true, model: 'e1000' },
        { include: true, model: 'virtio' },
      ],
      macPolicy: 'new',
      eulaAccepted: false,
    });
  });

  test('drafts fit a review with the same machines, disks and NICs only', () => {
    const r = review();
    const drafts = draftsFromReview(r);
    assert.equal(draftsFit(drafts, r), true);
    assert.equal(draftsFit(null, r), false);
    assert.equal(draftsFit(drafts, review([plan(), plan()])), false);
    assert.equal(draftsFit(drafts, review([plan({ nics: [] })])), false);
  });
});

describe('edits sent to appliance.import', () => {
  test('an untouched draft sends name, numbers, firmware and MAC policy, nothing about devices', () => {
    const p = plan();
    assert.deepEqual(toMachineEdits(p, draftFromPlan(p)), { name: 'appliance vm', cpus: 1, memoryMiB: 256, firmware: 'bios', macPolicy: 'new' });
  });

  test('changed OS type, disks and NICs are sent by index', () => {
    const p = plan();
    const d = edit(draftFromPlan(p), {
      osType: 'windows11',
      memoryMiB: ' 320 ',
      disks: [
        { include: true, bus: 'virtio' },
        { include: false, bus: 'sata' },
      ],
      nics: [
        { include: true, model: 'e1000' },
        { include: false, model: 'virtio' },
      ],
      macPolicy: 'keep',
    });
    const edits = toMachineEdits(p, d);
    assert.equal(edits.osType, 'windows11');
    assert.equal(edits.memoryMiB, 320);
    assert.equal(edits.macPolicy, 'keep');
    assert.deepEqual(edits.disks, [
      { include: true, bus: 'virtio' },
      { include: false, bus: 'sata' },
    ]);
    assert.deepEqual(edits.nics, [
      { include: true, model: 'e1000' },
      { include: false, model: 'virtio' },
    ]);
  });

  test('the import input passes the contract schema, one edit per machine', () => {
    const r = review([plan(), plan({ name: 'second' })]);
    const input = toImportInput(r, draftsFromReview(r));
    const parsed = hangarApi['appliance.import'].input.parse(input);
    assert.equal(parsed.path, '/srv/a.ova');
    assert.deepEqual(
      parsed.machines.map((m) => m.name),
      ['appliance vm', 'second'],
    );
  });
});

describe('validation', () => {
  test('a fresh draft of a sound plan is valid', () => {
    const r = review();
    assert.deepEqual(validateAll(r, draftsFromReview(r), ctx), [[]]);
    assert.equal(canImport(r, draftsFromReview(r), ctx), true);
  });

  test('the name must follow the API rules and be free', () => {
    const r = review();
    const check = (name: string) => validateMachine(r, [edit(draftFromPlan(r.machines[0]!), { name })], 0, ctx).map((i) => i.message);
    assert.deepEqual(check(''), ['name must not be empty']);
    assert.deepEqual(check('a/b'), ["name must not contain '/' or '\\'"]);
    assert.deepEqual(check('taken'), ["a VM named 'Taken' already exists"]);
  });

  test('two machines of one appliance cannot share a name', () => {
    const r = review([plan(), plan({ name: 'other' })]);
    const drafts = draftsFromReview(r).map((d) => edit(d, { name: 'Same' }));
    const issues = validateAll(r, drafts, ctx);
    assert.deepEqual(issues[0]!.map((i) => i.message), ["machine 2 of this appliance is also named 'Same'"]);
    assert.deepEqual(issues[1]!.map((i) => i.message), ["machine 1 of this appliance is also named 'Same'"]);
  });

  test('memory and CPUs use the limits of the machine model', () => {
    const r = review();
    const d = draftFromPlan(r.machines[0]!);
    assert.deepEqual(validateMachine(r, [edit(d, { memoryMiB: '8' })], 0, ctx), [{ field: 'memoryMiB', message: 'memory must be at least 16 MiB' }]);
    assert.deepEqual(validateMachine(r, [edit(d, { memoryMiB: '2097152' })], 0, ctx), [{ field: 'memoryMiB', message: 'memory must be at most 1048576 MiB' }]);
    assert.deepEqual(fields(validateMachine(r, [edit(d, { memoryMiB: 'lots' })], 0, ctx)), ['memoryMiB']);
    assert.deepEqual(validateMachine(r, [edit(d, { cpus: '0' })], 0, ctx), [{ field: 'cpus', message: 'a VM needs at least 1 CPU' }]);
    assert.deepEqual(validateMachine(r, [edit(d, { cpus: '65' })], 0, ctx), [{ field: 'cpus', message: 'a VM can have at most 64 CPUs' }]);
    assert.deepEqual(fields(validateMachine(r, [edit(d, { cpus: '1.5' })], 0, ctx)), ['cpus']);
  });

  test('the OS type must be in the catalogue, once the catalogue has loaded', () => {
    const r = review();
    const d = edit(draftFromPlan(r.machines[0]!), { osType: 'plan9' });
    assert.deepEqual(fields(validateMachine(r, [d], 0, ctx)), ['osType']);
    assert.deepEqual(fields(validateMachine(r, [edit(d, { osType: 'linux' })], 0, { ...ctx, osTypes: [] })), []);
  });

  test('a license agreement must be accepted', () => {
    const r = review([plan({ eulas: ['Be nice.'] })]);
    const d = draftFromPlan(r.machines[0]!);
    assert.deepEqual(fields(validateMachine(r, [d], 0, ctx)), ['eula']);
    assert.equal(canImport(r, [d], ctx), false);
    assert.deepEqual(validateMachine(r, [edit(d, { eulaAccepted: true })], 0, ctx), []);
    assert.equal(canImport(r, [edit(d, { eulaAccepted: true })], ctx), true);
  });

  test('the whole configuration is checked with the owner rules: IDE does not fit UEFI (q35)', () => {
    const r = review();
    const d = edit(draftFromPlan(r.machines[0]!), { firmware: 'uefi', disks: [{ include: true, bus: 'ide' }, { include: true, bus: 'sata' }] });
    const issues = validateMachine(r, [d], 0, ctx);
    assert.deepEqual(issues, [{ field: 'disks.0.bus', message: 'disk 1: IDE is not available on the q35 chipset: use sata' }]);
    // With BIOS the IDE disk moves the machine to the pc chipset, which has IDE.
    assert.deepEqual(validateMachine(r, [edit(d, { firmware: 'bios' })], 0, ctx), []);
  });

  test('the owner message about a configuration is placed on the rows of the review', () => {
    const p = plan({ opticals: [{ bus: 'ide', file: null, sourceController: 'IDE 1 master' }] });
    const d = edit(draftFromPlan(p), {
      name: 'vm',
      firmware: 'uefi',
      disks: [
        { include: false, bus: 'sata' },
        { include: true, bus: 'ide' },
      ],
      nics: [
        { include: false, model: 'e1000' },
        { include: true, model: 'virtio' },
      ],
    });
    // The owner's verdict as it crosses the wire: a message for people, the issues as data.
    const verdict = {
      message: 'vm: whatever the wording',
      details: {
        issues: [
          { path: 'disks[0].bus', message: 'IDE is not available on the q35 chipset: use sata' },
          { path: 'opticals[0].bus', message: 'IDE is not available on the q35 chipset: use sata' },
          { path: 'nics[0].mac', message: 'MAC address x is used by more than one NIC' },
          { path: '', message: 'at most 4 IDE devices fit' },
        ],
      },
    };
    assert.deepEqual(configIssues(verdict, p, d), [
      { field: 'disks.1.bus', message: 'disk 2: IDE is not available on the q35 chipset: use sata' },
      { field: 'opticals.0', message: 'optical drive 1: it is on IDE, which the q35 chipset that UEFI needs does not have: keep BIOS firmware' },
      { field: 'nics.1', message: 'network card 2: MAC address x is used by more than one NIC' },
      { field: 'machine', message: 'at most 4 IDE devices fit' },
    ]);
    assert.deepEqual(configIssues({ message: 'x', details: { issues: [{ path: 'disks[7].bus', message: 'odd' }] } }, p, d), [{ field: 'machine', message: 'disks[7].bus: odd' }]);
    // An error that carries no issues is shown whole.
    assert.deepEqual(configIssues(new Error('the owner is gone'), p, d), [{ field: 'machine', message: 'the owner is gone' }]);
  });

  test('too many IDE devices for the pc chipset', () => {
    const ideDisk = { ...plan().disks[1]!, bus: 'ide' as const };
    const r = review([plan({ chipset: 'pc', disks: [ideDisk, ideDisk, ideDisk, ideDisk], opticals: [{ bus: 'ide', file: null, sourceController: 'IDE 1 slave' }] })]);
    const issues = validateMachine(r, draftsFromReview(r), 0, ctx);
    assert.match(issues[0]?.message ?? '', /at most 4 IDE devices/);
    // leaving a disk out makes room
    const d = draftsFromReview(r)[0]!;
    assert.deepEqual(validateMachine(r, [edit(d, { disks: d.disks.map((x, i) => ({ ...x, include: i !== 0 })) })], 0, ctx), []);
  });

  test('an appliance without machines cannot be imported', () => {
    assert.equal(canImport(review([]), [], ctx), false);
  });

  test('the chipset follows the firmware and IDE', () => {
    const p = plan({ chipset: 'q35' });
    const d = draftFromPlan(p);
    assert.equal(plannedChipset(p, d), 'q35');
    assert.equal(plannedChipset(p, edit(d, { disks: [{ include: true, bus: 'ide' }, { include: true, bus: 'sata' }] })), 'pc');
    assert.equal(plannedChipset(plan({ chipset: 'pc' }), edit(d, { firmware: 'uefi' })), 'q35');
    assert.equal(plannedChipset(p, edit(d, { cpus: 'x', osType: 'nonsense' })), 'q35');
  });

  test('the file of step 1', () => {
    assert.equal(appliancePathIssue(''), 'choose an appliance (.ova or .ovf) or a machine (.vbox or .vmx)');
    assert.equal(appliancePathIssue('a.ova'), 'must be an absolute path');
    assert.match(appliancePathIssue('/srv/a.iso') ?? '', /\.ova file/);
    assert.equal(appliancePathIssue('/srv/a.OVA'), undefined);
    assert.equal(appliancePathIssue('/srv/a.ovf'), undefined);
    // VirtualBox and VMware machines, read in place
    assert.equal(appliancePathIssue('/srv/VMs/lab/lab.vbox'), undefined);
    assert.equal(appliancePathIssue('/srv/VMs/lab/Lab.VMX'), undefined);
  });
});

describe('what the review says', () => {
  test('manifest', () => {
    assert.deepEqual(manifestStatus(review()).severity, 'success');
    assert.match(manifestStatus(review()).title, /a\.mf: 2 files, SHA-256/);
    assert.equal(manifestStatus(review([], { manifest: { file: 'a.mf', algorithms: ['SHA-1'], entries: 1 } })).title, 'Manifest a.mf: 1 file, SHA-1');
    assert.equal(manifestStatus(review([], { manifest: { file: 'a.mf', algorithms: ['MD5'], entries: 1 } })).severity, 'warning');
    const none = manifestStatus(review([], { manifest: null }));
    assert.equal(none.severity, 'warning');
    assert.equal(none.title, 'No manifest');
  });

  test('certificate', () => {
    const cert: CertificateReport = {
      file: 'a.cert',
      subject: 'CN=Vendor',
      issuer: 'CN=Some CA',
      validFrom: '2024-01-01',
      validTo: '2030-01-01',
      expired: false,
      notYetValid: false,
      selfSigned: false,
      signatureValid: true,
      trustedBySystem: true,
    };
    assert.equal(certificateStatus(null).title, 'Not signed');
    const good = certificateStatus(cert);
    assert.deepEqual([good.severity, good.title], ['success', 'Signed by CN=Vendor: valid signature, trusted']);
    assert.ok(good.lines.includes('Issued by CN=Some CA'));
    assert.ok(good.lines.includes(`Valid from ${certificateDate('2024-01-01')} to ${certificateDate('2030-01-01')}`));
    assert.deepEqual(
      [certificateStatus({ ...cert, trustedBySystem: false, selfSigned: true }).severity, certificateStatus({ ...cert, trustedBySystem: false, selfSigned: true }).lines[1]],
      ['warning', 'Self-signed certificate'],
    );
    assert.match(certificateStatus({ ...cert, expired: true }).title, /expired/);
    assert.match(certificateStatus({ ...cert, notYetValid: true }).title, /not valid yet/);
    assert.deepEqual([certificateStatus({ ...cert, signatureValid: false }).severity, certificateStatus({ ...cert, signatureValid: false }).title], ['error', 'Signed by CN=Vendor: the signature is invalid']);
    const broken = certificateStatus({ ...cert, problem: 'the certificate is not PEM' });
    assert.deepEqual([broken.severity, broken.lines[0]], ['error', 'the certificate is not PEM']);
  });

  test('certificate dates and networks', () => {
    assert.equal(certificateDate('2024-08-01T00:00:00Z', 'en-GB'), '1 Aug 2024');
    assert.equal(certificateDate('Aug  1 00:00:00 2024 GMT', 'en-GB'), '1 Aug 2024');
    assert.equal(certificateDate('someday'), 'someday');
    assert.equal(networkLabel('NAT'), 'NAT');
    assert.equal(networkLabel(''), 'NAT');
    assert.equal(networkLabel('VM Network'), 'VM Network (becomes NAT)');
  });

  test('disks, products and links', () => {
    assert.equal(sourceFileLabel(null), 'New empty disk');
    assert.equal(sourceFileLabel({ fileId: 'f', href: 'd.vmdk', sizeBytes: 3 * 1024 ** 2, compression: 'gzip', chunkSize: 1000 }), 'd.vmdk, 3 MiB, gzip, in chunks');
    assert.equal(sourceFileLabel({ fileId: 'f', href: 'd.vmdk', sizeBytes: null, compression: 'none', chunkSize: null }), 'd.vmdk');
    assert.equal(capacityLabel(0), 'unknown');
    assert.equal(capacityLabel(64 * 1024 ** 2), '64 MiB');
    assert.deepEqual(productRows(null), []);
    assert.deepEqual(productRows({ product: 'P', vendor: '', version: '1', fullVersion: '', productUrl: 'https://p.example', vendorUrl: ' ' }), [
      { label: 'Product', value: 'P' },
      { label: 'Version', value: '1' },
      { label: 'Product URL', value: 'https://p.example' },
    ]);
    assert.equal(safeLink('https://p.example/x'), 'https://p.example/x');
    assert.equal(safeLink('javascript:alert(1)'), null);
    assert.equal(safeLink('not a url'), null);
  });
});

describe('the #import= link', () => {
  test('reads an encoded absolute path, alone or among other parts', () => {
    assert.equal(importPathFromHash('#import=%2Fsrv%2Fmy%20appliance%2B1.ova'), '/srv/my appliance+1.ova');
    assert.equal(importPathFromHash('#import=/srv/a+b.ova'), '/srv/a+b.ova');
    assert.equal(importPathFromHash('#x=1&import=%2Fa.ova&y'), '/a.ova');
    assert.equal(importPathFromHash(importHash('/tmp/ä & ü#1.ova')), '/tmp/ä & ü#1.ova');
  });

  test('anything else is no link', () => {
    assert.equal(importPathFromHash(''), null);
    assert.equal(importPathFromHash('#'), null);
    assert.equal(importPathFromHash('#import='), null);
    assert.equal(importPathFromHash('#import=relative.ova'), null);
    assert.equal(importPathFromHash('#import=%E0%A4%A'), null);
    assert.equal(importPathFromHash('#import=%2Fa%00b.ova'), null);
    assert.equal(importPathFromHash('#imports=%2Fa.ova'), null);
  });

  test('the link is removed from the hash, other parts stay', () => {
    assert.equal(hashWithoutImport('#import=%2Fa.ova'), '');
    assert.equal(hashWithoutImport('#x=1&import=%2Fa.ova&y'), '#x=1&y');
    assert.equal(hashWithoutImport(''), '');
  });
});

describe("the appliance's networks", () => {
  test('suggestions first; a choice per source network; a new network\'s name is checked', () => {
    const r = review();
    const choices = networkChoicesFromReview(r);
    assert.deepEqual({ ...choices }, { NAT: { kind: 'nat' }, HostOnly: { kind: 'nat' } });
    assert.deepEqual(toImportInput(r, draftsFromReview(r), choices).networks, [
      { source: 'NAT', target: { kind: 'nat' } },
      { source: 'HostOnly', target: { kind: 'nat' } },
    ]);
    assert.deepEqual(proposedNetwork('VM Network'), { kind: 'create', name: 'VM-Network', mode: 'hostonly' });
    const chosen: NetworkChoices = { ...choices, HostOnly: { kind: 'create', name: 'ho', mode: 'hostonly' } };
    assert.deepEqual(validateNetworkChoices(chosen, []), []);
    assert.deepEqual(validateNetworkChoices(chosen, [{ name: 'HO' }]), [{ field: 'network.HostOnly', message: "a network named 'ho' already exists: choose it instead" }]);
    assert.equal(validateNetworkChoices({ x: { kind: 'create', name: 'bad name', mode: 'nat' } }, [])[0]!.field, 'network.x');
    assert.deepEqual(toImportInput(r, draftsFromReview(r), chosen).networks![1], { source: 'HostOnly', target: { kind: 'create', name: 'ho', mode: 'hostonly' } });
  });
});

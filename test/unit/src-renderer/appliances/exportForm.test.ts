import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangarApi } from '../../../../src-main/api/contract.js';
import {
  chooseFormat,
  chosenVms,
  defaultFolder,
  effectiveFile,
  effectiveFormat,
  EXPORT_STEPS,
  exportSubject,
  fileIssues,
  firstInvalidExportStep,
  formatOfPath,
  initialExportDraft,
  joinPath,
  machineNotes,
  progressSentence,
  resultRows,
  safeFileStem,
  stepForExportError,
  stepIndex,
  suggestedFileName,
  toExportInput,
  toggleVm,
  validateExportStep,
  withFormat,
  type ExportContext,
  type ExportDraft,
} from '../../../../src-renderer/appliances/exportForm.js';

const vms = [
  { id: 'id-a', name: 'alpha', state: 'stopped' as const },
  { id: 'id-b', name: 'beta', state: 'running' as const },
  { id: 'id-c', name: 'gamma', state: 'starting' as const },
];
const ctx: ExportContext = { vms, folder: '/home/u/exports' };
const draft = (over: Partial<ExportDraft> = {}): ExportDraft => ({ ...initialExportDraft(['id-a']), ...over });

describe('export form: the VMs', () => {
  test('starts with the current VM ticked and the API defaults', () => {
    const d = initialExportDraft(['id-a', 'id-a']);
    assert.deepEqual(d.vmIds, ['id-a']);
    assert.equal(d.snapshotId, null);
    assert.equal(d.file, null);
    assert.equal(d.format, 'ova');
    const defaults = hangarApi['appliance.export'].input.parse({ refs: ['x'], file: '/x.ova' });
    assert.equal(d.ovfVersion, defaults.ovfVersion);
    assert.equal(d.profile, defaults.profile);
    assert.equal(d.manifest, defaults.manifest);
  });

  test('the ticked VMs follow the list order; ids that went away are left out', () => {
    assert.deepEqual(
      chosenVms(draft({ vmIds: ['id-c', 'gone', 'id-a'] }), ctx).map((v) => v.name),
      ['alpha', 'gamma'],
    );
  });

  test('ticking and unticking; the snapshot stays only while the same single VM is ticked', () => {
    const one = draft({ snapshotId: 'snap-1' });
    assert.deepEqual(toggleVm(one, 'id-a', true), one, 'ticking a ticked VM changes nothing');
    const two = toggleVm(one, 'id-b', true);
    assert.deepEqual(two.vmIds, ['id-a', 'id-b']);
    assert.equal(two.snapshotId, null);
    const back = toggleVm(toggleVm(draft({ vmIds: ['id-a', 'id-b'], snapshotId: 'snap-1' }), 'id-b', false), 'id-a', true);
    assert.equal(back.snapshotId, null);
    const none = toggleVm(one, 'id-a', false);
    assert.deepEqual(none.vmIds, []);
    assert.equal(none.snapshotId, null);
  });

  test('step 1 needs a VM, and refuses VMs that are starting or stopping', () => {
    assert.deepEqual(validateExportStep(0, draft({ vmIds: [] }), ctx), [{ field: 'vms', message: 'choose at least one virtual machine to export' }]);
    assert.deepEqual(validateExportStep(0, draft({ vmIds: ['id-a', 'id-b'] }), ctx), []);
    assert.deepEqual(validateExportStep(0, draft({ vmIds: ['id-c'] }), ctx), [{ field: 'vms', message: '“gamma” is starting: wait until it has settled' }]);
  });

  test('a running VM gets a note about the temporary snapshot, unless a snapshot is exported', () => {
    assert.deepEqual(machineNotes([vms[0]!], false), []);
    const notes = machineNotes(vms, false);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /^“beta” is running: .*temporary snapshot.*memory is not part/);
    assert.deepEqual(machineNotes([vms[1]!], true), []);
  });

  test('the subject in words', () => {
    assert.equal(exportSubject([vms[0]!], null), '“alpha”');
    assert.equal(exportSubject([vms[0]!], 'S1'), '“alpha” as of snapshot “S1”');
    assert.equal(exportSubject(vms, null), '3 virtual machines');
  });
});

describe('export form: the file', () => {
  test('file names from VM names', () => {
    assert.equal(safeFileStem('web server'), 'web server');
    assert.equal(safeFileStem('a/b:c*?'), 'a_b_c_');
    assert.equal(safeFileStem('..hidden'), 'hidden');
    assert.equal(safeFileStem('...'), 'appliance');
    assert.equal(safeFileStem('x'.repeat(300)).length, 120);
    assert.equal(suggestedFileName(['alpha'], 'ova'), 'alpha.ova');
    assert.equal(suggestedFileName(['alpha', 'beta'], 'ovf'), 'alpha+beta.ovf');
    assert.equal(suggestedFileName(['a', 'b', 'c', 'd'], 'ova'), 'appliance.ova');
    assert.equal(suggestedFileName(['x'.repeat(40), 'y'.repeat(40)], 'ova'), 'appliance.ova');
    assert.equal(suggestedFileName([], 'ova'), 'appliance.ova');
  });

  test('the default folder: the last export\'s, else the user\'s Documents or home, never Hangar\'s data folder', () => {
    const user = { home: '/home/u', documents: '/home/u/Documents' };
    assert.equal(defaultFolder('/srv/out/old.ova', user), '/srv/out');
    assert.equal(defaultFolder(null, user), '/home/u/Documents');
    assert.equal(defaultFolder(null, { home: '/home/u', documents: null }), '/home/u');
    assert.equal(defaultFolder('relative.ova', { home: '/h', documents: null }), '/h');
    assert.equal(defaultFolder(null, null), null);
    assert.equal(joinPath('/', 'a.ova'), '/a.ova');
    assert.equal(joinPath('/srv/', 'a.ova'), '/srv/a.ova');
  });

  test('the suggestion follows the ticked VMs until a file is typed', () => {
    assert.equal(effectiveFile(draft(), ctx), '/home/u/exports/alpha.ova');
    assert.equal(effectiveFile(draft({ vmIds: ['id-a', 'id-b'] }), ctx), '/home/u/exports/alpha+beta.ova');
    assert.equal(effectiveFile(draft(), { ...ctx, folder: null }), '');
    assert.equal(effectiveFile(draft({ file: '/tmp/mine.ovf' }), ctx), '/tmp/mine.ovf');
  });

  test('the format follows the extension, and choosing one fixes the extension', () => {
    assert.equal(formatOfPath('/a/B.OVA'), 'ova');
    assert.equal(formatOfPath('/a/b.ovf '), 'ovf');
    assert.equal(formatOfPath('/a/b.tar'), null);
    assert.equal(withFormat('/a/b.ova', 'ovf'), '/a/b.ovf');
    assert.equal(withFormat('/a/b.OVF', 'ova'), '/a/b.ova');
    assert.equal(withFormat('/a/b', 'ova'), '/a/b.ova');
    assert.equal(withFormat('/a/b.tar', 'ovf'), '/a/b.tar.ovf');
    assert.equal(withFormat('', 'ova'), '');
    assert.equal(withFormat('/a/', 'ova'), '/a/');

    assert.equal(effectiveFormat(draft(), ctx), 'ova');
    const suggested = chooseFormat(draft(), 'ovf');
    assert.equal(suggested.file, null);
    assert.equal(effectiveFile(suggested, ctx), '/home/u/exports/alpha.ovf');
    assert.equal(effectiveFormat(suggested, ctx), 'ovf');
    const typed = chooseFormat(draft({ file: '/tmp/x.ova' }), 'ovf');
    assert.equal(typed.file, '/tmp/x.ovf');
    assert.equal(effectiveFormat(draft({ file: '/tmp/x.zip' }), ctx), null);
    assert.equal(effectiveFormat(draft({ file: '/tmp/x.OVF' }), ctx), 'ovf');
  });

  test('file problems, in words', () => {
    assert.deepEqual(fileIssues(''), ['choose where to save the appliance']);
    assert.deepEqual(fileIssues('out.ova'), ['must be an absolute path']);
    assert.deepEqual(fileIssues('/a/../b.ova'), ["must not contain '.' or '..' segments"]);
    assert.deepEqual(fileIssues('/srv/'), ['this is a folder: add a file name ending in .ova or .ovf']);
    assert.deepEqual(fileIssues('/srv/a.zip'), ['the file name must end in .ova (one archive) or .ovf (separate files)']);
    assert.deepEqual(fileIssues('/srv/.ova'), ['give the file a name before .ova']);
    assert.deepEqual(fileIssues('/srv/a.OVA'), []);
    assert.deepEqual(fileIssues(' /srv/a.ovf '), []);
  });

  test('step 2 checks the file the export would write', () => {
    assert.deepEqual(validateExportStep(1, draft(), ctx), []);
    assert.deepEqual(validateExportStep(1, draft(), { ...ctx, folder: null }), [{ field: 'file', message: 'choose where to save the appliance' }]);
    assert.deepEqual(validateExportStep(1, draft({ file: 'x.ova' }), ctx), [{ field: 'file', message: 'must be an absolute path' }]);
  });
});

describe('export form: appliance information and the input', () => {
  test('step 3 holds the contract limits', () => {
    assert.deepEqual(validateExportStep(2, draft(), ctx), []);
    const long = draft({ product: { product: 'p'.repeat(257), vendor: '', version: '', productUrl: 'u'.repeat(2049), vendorUrl: '' }, eula: 'e'.repeat((1 << 20) + 1) });
    assert.deepEqual(
      validateExportStep(2, long, ctx).map((i) => i.field),
      ['product', 'productUrl', 'eula'],
    );
    assert.equal(validateExportStep(2, long, ctx)[0]!.message, 'must be at most 256 characters');
    assert.equal(validateExportStep(3, long, ctx).length, 0, 'the export step has no fields');
  });

  test('the first invalid step', () => {
    assert.equal(firstInvalidExportStep(draft(), ctx), -1);
    assert.equal(firstInvalidExportStep(draft({ vmIds: [] }), ctx), 0);
    assert.equal(firstInvalidExportStep(draft({ file: '/x.zip' }), ctx), 1);
    assert.equal(firstInvalidExportStep(draft({ eula: 'e'.repeat((1 << 20) + 1) }), ctx), 2);
  });

  test('the input: ids in list order, a snapshot only for one VM, product and license only when given', () => {
    const plain = toExportInput(draft(), ctx);
    assert.deepEqual(plain, { refs: ['id-a'], file: '/home/u/exports/alpha.ova', ovfVersion: '1.0', profile: 'kvm', manifest: 'sha256' });
    const full = toExportInput(
      draft({
        snapshotId: 'snap-1',
        file: ' /srv/out.ovf ',
        ovfVersion: '2.0',
        profile: 'vmware',
        manifest: 'sha1',
        product: { product: ' Hangar e2e ', vendor: 'Example', version: '', productUrl: '', vendorUrl: '' },
        eula: 'Be nice.\n',
      }),
      ctx,
    );
    assert.deepEqual(full, {
      refs: ['id-a'],
      file: '/srv/out.ovf',
      ovfVersion: '2.0',
      profile: 'vmware',
      manifest: 'sha1',
      snapshot: 'snap-1',
      product: { product: 'Hangar e2e', vendor: 'Example', version: '', productUrl: '', vendorUrl: '' },
      eula: 'Be nice.\n',
    });
    const many = toExportInput(draft({ vmIds: ['id-b', 'id-a'], snapshotId: 'snap-1', eula: '  \n' }), ctx);
    assert.deepEqual(many.refs, ['id-a', 'id-b']);
    assert.equal(many.snapshot, undefined);
    assert.equal(many.eula, undefined);
    // The API accepts what the dialog sends.
    for (const input of [plain, full, many]) assert.doesNotThrow(() => hangarApi['appliance.export'].input.parse(input));
  });

  test('owner errors go to the step they are about', () => {
    const format = stepIndex('format');
    const machines = stepIndex('machines');
    assert.equal(stepForExportError({ code: 'ALREADY_EXISTS', message: '/srv/a.ova already exists: choose another name or remove it first' }), format);
    assert.equal(stepForExportError({ code: 'NOT_FOUND', message: 'folder /nope does not exist' }), format);
    assert.equal(stepForExportError({ code: 'IO_ERROR', message: 'cannot write /srv: permission denied' }), format);
    assert.equal(stepForExportError({ code: 'NOT_FOUND', message: "VM 'a' has no snapshot named or with id 'S'" }), machines);
    assert.equal(stepForExportError({ code: 'INVALID_INPUT', message: "VM 'a' has no disks: there is nothing to export" }), machines);
    assert.equal(stepForExportError({ code: 'STATE_CONFLICT', message: "VM 'a' is starting: wait until it has settled" }), machines);
    assert.equal(stepForExportError({ code: 'DISK_FULL', message: 'not enough space in folder /srv' }), null);
    assert.equal(stepForExportError({ code: 'INTERNAL', message: 'the export failed its own check, so it was not kept: bad .ovf' }), null);
    assert.equal(stepForExportError({ code: 'CANCELLED', message: 'cancelled' }), null);
    assert.equal(stepForExportError({ code: 'QEMU_FAILED', message: 'qemu-img convert failed' }), null);
  });
});

describe('export form: what the dialog says', () => {
  test('the summary rows', () => {
    const rows = resultRows({ file: '/srv/a.ova', sizeBytes: 3 * 1024 ** 2, manifest: 'sha1', machines: ['alpha'], files: ['/srv/a.ova'], warnings: [] });
    assert.deepEqual(rows, [
      { label: 'File', value: '/srv/a.ova' },
      { label: 'Size', value: '3 MiB' },
      { label: 'Manifest', value: 'SHA-1' },
      { label: 'Machine', value: 'alpha' },
    ]);
    assert.deepEqual(
      resultRows({ file: '/srv/a.ovf', sizeBytes: 1, manifest: 'none', machines: ['a'], files: ['/srv/a.ovf'], warnings: [] }, { ovfVersion: '2.0', profile: 'vmware' })[2],
      { label: 'Format', value: 'OVF files, OVF 2.0, VMware (vSphere, Workstation) profile' },
    );
    const ovf = resultRows({ file: '/srv/a.ovf', sizeBytes: 1, manifest: 'none', machines: ['a', 'b'], files: ['/srv/a-disk1.vmdk', '/srv/a.ovf'], warnings: [] });
    assert.deepEqual(
      ovf.slice(2).map((r) => `${r.label}: ${r.value}`),
      ['Manifest: None', 'Machines: a, b', 'Files: a-disk1.vmdk, a.ovf'],
    );
  });

  test('progress messages as sentences', () => {
    assert.equal(progressSentence('converting a: disk 1'), 'Converting a: disk 1');
    assert.equal(progressSentence(undefined), 'Starting…');
    assert.equal(progressSentence('  '), 'Starting…');
  });

  test('the steps', () => {
    assert.deepEqual(
      EXPORT_STEPS.map((s) => s.label),
      ['Virtual machines', 'Format and file', 'Appliance information', 'Export'],
    );
  });
});

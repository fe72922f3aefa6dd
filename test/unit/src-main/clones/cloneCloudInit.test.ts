import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cloudInitCopies, cloudInitForClone } from '../../../../src-main/clones/cloneCloudInit.js';
import { sampleConfig } from '../../../helpers/sampleConfig.js';
import type { VmConfig } from '../../../../src-vmm/model/index.js';

const SRC = '/home/u/hangar/VMs/src';
const DST = '/home/u/hangar/VMs/dst';

function cloudVm(identityFile: string | null): VmConfig {
  return sampleConfig({
    opticals: [
      { id: 'cd0', bus: 'sata', path: null },
      { id: 'cd1', bus: 'sata', path: `${SRC}/cloud-init/seed.iso` },
    ] as VmConfig['opticals'],
    nics: [
      {
        id: 'nic0',
        model: 'virtio',
        mac: '52:54:00:12:34:56',
        forwards: [
          { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 },
          { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 40022, guestPort: 22 },
        ],
      },
    ] as VmConfig['nics'],
    cloudInit: { user: 'dev', hostname: 'src', identityFile, knownHostsFile: `${SRC}/ssh/known_hosts`, seed: `${SRC}/cloud-init/seed.iso` },
  });
}

describe("a clone of a cloud VM: its own copies and SSH port", () => {
  test("the files in the source's folder are copied; a key of the person's own stays shared", () => {
    assert.deepEqual(cloudInitCopies(cloudVm(`${SRC}/ssh/id_ed25519`), SRC, DST), [
      [`${SRC}/ssh/id_ed25519`, `${DST}/ssh/id_ed25519`],
      [`${SRC}/ssh/known_hosts`, `${DST}/ssh/known_hosts`],
      [`${SRC}/cloud-init/seed.iso`, `${DST}/cloud-init/seed.iso`],
    ]);
    assert.deepEqual(
      cloudInitCopies(cloudVm('/home/u/.ssh/id_ed25519'), SRC, DST).map(([from]) => from),
      [`${SRC}/ssh/known_hosts`, `${SRC}/cloud-init/seed.iso`],
    );
    // A folder whose name starts like the source's is not inside it.
    assert.deepEqual(cloudInitCopies(cloudVm(`${SRC}-other/id`), SRC, DST).map(([from]) => from), [`${SRC}/ssh/known_hosts`, `${SRC}/cloud-init/seed.iso`]);
  });

  test('the config points at the copies, the seed stays in its drive, only the SSH forward moves', () => {
    const out = cloudInitForClone(cloudVm(`${SRC}/ssh/id_ed25519`), SRC, DST, 41000);
    assert.deepEqual(out.cloudInit, { user: 'dev', hostname: 'src', identityFile: `${DST}/ssh/id_ed25519`, knownHostsFile: `${DST}/ssh/known_hosts`, seed: `${DST}/cloud-init/seed.iso` });
    assert.deepEqual(out.opticals.map((o) => o.path), [null, `${DST}/cloud-init/seed.iso`]);
    assert.deepEqual(out.nics[0]!.forwards.map((f) => [f.guestPort, f.hostPort]), [[80, 8080], [22, 41000]]);
    assert.equal(cloudInitForClone(cloudVm(null), SRC, DST, 41000).cloudInit!.identityFile, null);
  });

  test('a VM without cloud-init is left as it is', () => {
    const plain = sampleConfig();
    assert.equal(cloudInitForClone(plain, SRC, DST, 41000), plain);
    assert.deepEqual(cloudInitCopies(plain, SRC, DST), []);
  });
});

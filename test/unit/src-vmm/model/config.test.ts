import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHIPSETS,
  DISK_BUSES,
  DISK_FORMATS,
  FIRMWARES,
  NIC_MODELS,
  OPTICAL_BUSES,
  VGA_TYPES,
  ACCELS,
  BOOT_DEVICES,
  FORWARD_PROTOCOLS,
  MAX_CPUS,
  MIN_MEMORY_MIB,
  MAX_MEMORY_MIB,
  formatIssues,
  validateConfig,
  vmNameProblems,
  type ConfigIssue,
  type VmConfig,
} from '../../../../src-vmm/model/index.js';

function valid(): VmConfig {
  return {
    schemaVersion: 1,
    id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
    name: 'dev box',
    osType: 'linux',
    description: 'a VM for tests',
    system: { chipset: 'pc', cpus: 2, memoryMiB: 1024, accel: 'auto' },
    firmware: { type: 'bios' },
    disks: [{ id: 'disk0', bus: 'virtio', path: '/vms/a/disk0.qcow2', format: 'qcow2', readOnly: false }],
    opticals: [{ id: 'cd0', bus: 'ide', path: null }],
    nics: [{ id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] }],
    display: { vga: 'std', vnc: true },
    serial: { enabled: true },
    features: { nested: false },
    boot: { order: ['disk', 'optical'] },
  };
}

/** A copy of the valid config changed by `f`, validated; returns the issues (empty when valid). */
function issuesOf(f: (c: VmConfig & Record<string, unknown>) => void): ConfigIssue[] {
  const c = structuredClone(valid()) as VmConfig & Record<string, unknown>;
  f(c);
  const r = validateConfig(c);
  return r.ok ? [] : r.issues;
}

const messages = (issues: ConfigIssue[]) => issues.map((i) => i.message);

function assertIssue(issues: ConfigIssue[], path: string, message: string): void {
  assert.ok(
    issues.some((i) => i.path === path && i.message === message),
    `expected ${path}: ${message}; got ${JSON.stringify(issues)}`,
  );
}

describe('validateConfig', () => {
  test('a valid config passes and comes back as a new, equal object', () => {
    const c = valid();
    const r = validateConfig(c);
    assert.ok(r.ok);
    assert.deepEqual(r.value, c);
    assert.notEqual(r.value, c);
    assert.notEqual(r.value.disks, c.disks);
  });

  test('a forward without hostAddress gets loopback', () => {
    const c = structuredClone(valid()) as unknown as { nics: { forwards: Record<string, unknown>[] }[] };
    delete c.nics[0]!.forwards[0]!.hostAddress;
    const r = validateConfig(c);
    assert.ok(r.ok);
    assert.equal(r.value.nics[0]!.forwards[0]!.hostAddress, '127.0.0.1');
  });

  test('non-objects are refused without throwing', () => {
    for (const raw of [null, undefined, 42, 'x', []]) {
      const r = validateConfig(raw);
      assert.equal(r.ok, false);
    }
  });

  test('unknown keys are refused at every level', () => {
    assertIssue(issuesOf((c) => (c.extra = 1)), '', "unknown setting 'extra'");
    assertIssue(issuesOf((c) => ((c.system as Record<string, unknown>).hugepages = true)), 'system', "unknown setting 'hugepages'");
    assertIssue(issuesOf((c) => ((c.disks[0] as Record<string, unknown>).cache = 'none')), 'disks[0]', "unknown setting 'cache'");
    assertIssue(issuesOf((c) => ((c.nics[0]!.forwards[0] as Record<string, unknown>).guestAddress = '10.0.2.15')), 'nics[0].forwards[0]', "unknown setting 'guestAddress'");
    assertIssue(issuesOf((c) => ((c.boot as Record<string, unknown>).menu = true)), 'boot', "unknown setting 'menu'");
  });

  test('missing fields are named', () => {
    assertIssue(issuesOf((c) => delete (c as Partial<VmConfig>).display), 'display', 'is missing');
    assertIssue(issuesOf((c) => delete (c.system as Partial<VmConfig['system']>).cpus), 'system.cpus', 'is missing');
  });

  test('CPU count boundaries: 0 and 65 refused, 1 and 64 accepted, fractions refused', () => {
    assertIssue(issuesOf((c) => (c.system.cpus = 0)), 'system.cpus', 'a VM needs at least 1 CPU');
    assert.deepEqual(issuesOf((c) => (c.system.cpus = 1)), []);
    assert.deepEqual(issuesOf((c) => (c.system.cpus = MAX_CPUS)), []);
    assert.equal(MAX_CPUS, 64);
    assertIssue(issuesOf((c) => (c.system.cpus = 65)), 'system.cpus', 'a VM can have at most 64 CPUs');
    assertIssue(issuesOf((c) => (c.system.cpus = 1.5)), 'system.cpus', 'CPU count must be a whole number');
  });

  test('memory boundaries: 15 MiB refused, 16 MiB and 1 TiB accepted, beyond refused', () => {
    assertIssue(issuesOf((c) => (c.system.memoryMiB = 15)), 'system.memoryMiB', 'memory must be at least 16 MiB');
    assert.deepEqual(issuesOf((c) => (c.system.memoryMiB = MIN_MEMORY_MIB)), []);
    assert.deepEqual(issuesOf((c) => (c.system.memoryMiB = MAX_MEMORY_MIB)), []);
    assertIssue(issuesOf((c) => (c.system.memoryMiB = MAX_MEMORY_MIB + 1)), 'system.memoryMiB', 'memory must be at most 1048576 MiB');
  });

  test('device lists have their maxima', () => {
    const disk = (i: number) => ({ id: `d${i}`, bus: 'virtio' as const, path: `/v/${i}.qcow2`, format: 'qcow2' as const, readOnly: false });
    assert.deepEqual(issuesOf((c) => (c.disks = Array.from({ length: 16 }, (_, i) => disk(i)))), []);
    assertIssue(issuesOf((c) => (c.disks = Array.from({ length: 17 }, (_, i) => disk(i)))), 'disks', 'a VM can have at most 16 disks');
    const nic = (i: number) => ({ id: `n${i}`, model: 'e1000' as const, mac: `0a:48:47:00:01:${i.toString(16).padStart(2, '0')}`, forwards: [] });
    assertIssue(issuesOf((c) => (c.nics = Array.from({ length: 9 }, (_, i) => nic(i)))), 'nics', 'a VM can have at most 8 network cards');
    const fwd = (p: number) => ({ protocol: 'tcp' as const, hostAddress: '127.0.0.1', hostPort: p, guestPort: 22 });
    assertIssue(issuesOf((c) => (c.nics[0]!.forwards = Array.from({ length: 33 }, (_, i) => fwd(10000 + i)))), 'nics[0].forwards', 'a NIC can have at most 32 port forwards');
  });

  test('paths must be absolute and free of . and .. segments', () => {
    assertIssue(issuesOf((c) => (c.disks[0]!.path = 'disk0.qcow2')), 'disks[0].path', 'must be an absolute path');
    assertIssue(issuesOf((c) => (c.disks[0]!.path = '/vms/../etc/shadow')), 'disks[0].path', "must not contain '.' or '..' segments");
    assertIssue(issuesOf((c) => (c.boot.kernel = './vmlinuz')), 'boot.kernel', 'must be an absolute path');
    assert.deepEqual(issuesOf((c) => (c.disks[0]!.path = '/srv/my vms/a,b "c"/ü.qcow2')), []);
  });

  test('device ids, MACs, ports and addresses have their formats', () => {
    assertIssue(issuesOf((c) => (c.disks[0]!.id = 'Disk0')), 'disks[0].id', "device id must be 1 to 24 lower-case letters, digits or '-', starting with a letter");
    assertIssue(issuesOf((c) => (c.disks[0]!.id = 'a'.repeat(25))), 'disks[0].id', "device id must be 1 to 24 lower-case letters, digits or '-', starting with a letter");
    assert.deepEqual(issuesOf((c) => (c.disks[0]!.id = 'a'.repeat(24))), []);
    assertIssue(issuesOf((c) => (c.nics[0]!.mac = '0A:48:47:00:00:01')), 'nics[0].mac', 'MAC address must look like 0a:48:47:12:34:56 (six lower-case hex bytes)');
    assertIssue(issuesOf((c) => (c.nics[0]!.mac = '01:00:5e:00:00:01')), 'nics[0].mac', 'MAC address must be unicast (the first byte must be even)');
    assertIssue(issuesOf((c) => (c.nics[0]!.forwards[0]!.hostPort = 0)), 'nics[0].forwards[0].hostPort', 'host port must be between 1 and 65535');
    assertIssue(issuesOf((c) => (c.nics[0]!.forwards[0]!.guestPort = 65536)), 'nics[0].forwards[0].guestPort', 'guest port must be between 1 and 65535');
    assertIssue(issuesOf((c) => (c.nics[0]!.forwards[0]!.hostAddress = 'localhost')), 'nics[0].forwards[0].hostAddress', 'must be an IPv4 address such as 127.0.0.1');
    assertIssue(issuesOf((c) => (c.nics[0]!.forwards[0]!.hostAddress = '127.0.0.256')), 'nics[0].forwards[0].hostAddress', 'must be an IPv4 address such as 127.0.0.1');
  });

  test('enum fields list the allowed values', () => {
    assertIssue(issuesOf((c) => ((c.system as Record<string, unknown>).chipset = 'isapc')), 'system.chipset', "chipset must be 'pc' or 'q35'");
    assertIssue(issuesOf((c) => ((c.disks[0] as Record<string, unknown>).bus = 'usb')), 'disks[0].bus', "disk bus must be 'virtio', 'sata', 'scsi', 'ide' or 'nvme'");
    assertIssue(issuesOf((c) => (c.osType = 'beos')), 'osType', "unknown OS type 'beos'");
    assertIssue(issuesOf((c) => (c.boot.order = ['disk', 'disk'])), 'boot.order', "boot order lists 'disk' more than once");
  });

  test('every choice list has a value and a label for each member', () => {
    for (const list of [CHIPSETS, FIRMWARES, ACCELS, DISK_BUSES, DISK_FORMATS, OPTICAL_BUSES, NIC_MODELS, FORWARD_PROTOCOLS, VGA_TYPES, BOOT_DEVICES]) {
      assert.ok(list.length > 0);
      for (const entry of list) {
        assert.equal(typeof entry.value, 'string');
        assert.ok(entry.label.length > 0);
      }
      assert.equal(new Set(list.map((e) => e.value)).size, list.length);
    }
    assert.deepEqual(NIC_MODELS.map((m) => m.value), ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'pcnet']);
    assert.deepEqual(DISK_BUSES.map((m) => m.value), ['virtio', 'sata', 'scsi', 'ide', 'nvme']);
  });
});

describe('VM names', () => {
  const nameIssues = (name: unknown) => messages(issuesOf((c) => ((c as Record<string, unknown>).name = name)));

  test('the exact messages', () => {
    assert.deepEqual(nameIssues(''), ['name must not be empty']);
    assert.deepEqual(nameIssues('a'.repeat(129)), ['name must be at most 128 characters']);
    assert.deepEqual(nameIssues('a/b'), ["name must not contain '/' or '\\'"]);
    assert.deepEqual(nameIssues('a\\b'), ["name must not contain '/' or '\\'"]);
    assert.deepEqual(nameIssues('.'), ["name must not be '.' or '..'"]);
    assert.deepEqual(nameIssues('..'), ["name must not be '.' or '..'"]);
    assert.deepEqual(nameIssues('a\nb'), ['name must not contain control characters']);
    assert.deepEqual(nameIssues('a\u0000b'), ['name must not contain control characters']);
    assert.deepEqual(nameIssues('a\u009bb'), ['name must not contain control characters']);
    assert.deepEqual(nameIssues(' a'), ['name must not start or end with white space']);
    assert.deepEqual(nameIssues('a\u00a0'), ['name must not start or end with white space']);
    assert.deepEqual(nameIssues(42), ['name must be a string']);
  });

  test('several problems are all reported; names are not trimmed', () => {
    assert.deepEqual(nameIssues('/x\n'), ["name must not contain '/' or '\\'", 'name must not contain control characters', 'name must not start or end with white space']);
    assert.deepEqual(vmNameProblems(' '), ['name must not be empty or only white space'], 'spaces alone are an empty name');
  });

  test('128 characters, quotes, inner spaces and Unicode are fine; length counts characters', () => {
    for (const ok of ['a'.repeat(128), 'web "prod"', "it's mine", 'a  b', 'Ünïcødé ☃ 仮想マシン', '🚀'.repeat(128), '...', 'a.b', '-x']) {
      assert.deepEqual(nameIssues(ok), [], ok);
    }
    assert.deepEqual(nameIssues('🚀'.repeat(129)), ['name must be at most 128 characters']);
  });
});

describe('cross-field rules', () => {
  test('UEFI needs the q35 chipset', () => {
    assertIssue(issuesOf((c) => (c.firmware.type = 'uefi')), 'firmware.type', 'UEFI firmware needs the q35 chipset');
    assert.deepEqual(
      issuesOf((c) => {
        c.firmware.type = 'uefi';
        c.system.chipset = 'q35';
        c.opticals[0]!.bus = 'sata';
      }),
      [],
    );
  });

  test('nested virtualization needs KVM: tcg refused, auto and kvm accepted', () => {
    assertIssue(
      issuesOf((c) => {
        c.features.nested = true;
        c.system.accel = 'tcg';
      }),
      'features.nested',
      "nested virtualization needs the KVM accelerator (accel is 'tcg')",
    );
    for (const accel of ['auto', 'kvm'] as const) {
      assert.deepEqual(
        issuesOf((c) => {
          c.features.nested = true;
          c.system.accel = accel;
        }),
        [],
      );
    }
  });

  test('IDE is not available on q35', () => {
    const issues = issuesOf((c) => (c.system.chipset = 'q35'));
    assertIssue(issues, 'opticals[0].bus', 'IDE is not available on the q35 chipset: use sata');
    assertIssue(
      issuesOf((c) => {
        c.system.chipset = 'q35';
        c.opticals = [];
        c.disks[0]!.bus = 'ide';
      }),
      'disks[0].bus',
      'IDE is not available on the q35 chipset: use sata',
    );
  });

  test('at most 4 IDE devices on pc, disks and optical drives together', () => {
    const ide = (n: number) => (c: VmConfig) => {
      c.disks = Array.from({ length: n - 1 }, (_, i) => ({ id: `d${i}`, bus: 'ide' as const, path: `/v/${i}`, format: 'raw' as const, readOnly: false }));
    };
    assert.deepEqual(issuesOf(ide(4)), []);
    assertIssue(issuesOf(ide(5)), '', 'at most 4 IDE devices (disks and optical drives) fit on the pc chipset; this VM has 5');
  });

  test('at most 6 SATA devices', () => {
    const sata = (n: number) => (c: VmConfig) => {
      c.opticals = [{ id: 'cd0', bus: 'sata', path: null }];
      c.disks = Array.from({ length: n - 1 }, (_, i) => ({ id: `d${i}`, bus: 'sata' as const, path: `/v/${i}`, format: 'raw' as const, readOnly: false }));
    };
    assert.deepEqual(issuesOf(sata(6)), []);
    assertIssue(issuesOf(sata(7)), '', 'at most 6 SATA devices (disks and optical drives) fit on the SATA controller; this VM has 7');
  });

  test('read-only disks need a bus that supports them', () => {
    assertIssue(
      issuesOf((c) => {
        c.disks[0]!.bus = 'sata';
        c.disks[0]!.readOnly = true;
      }),
      'disks[0].readOnly',
      'a read-only disk cannot use the sata bus: use virtio, scsi or nvme',
    );
    for (const bus of ['virtio', 'scsi', 'nvme'] as const) {
      assert.deepEqual(
        issuesOf((c) => {
          c.disks[0]!.bus = bus;
          c.disks[0]!.readOnly = true;
        }),
        [],
      );
    }
  });

  test('device ids are unique across disks, optical drives and NICs', () => {
    assertIssue(issuesOf((c) => (c.opticals[0]!.id = 'disk0')), 'opticals[0].id', "device id 'disk0' is used more than once");
    assertIssue(issuesOf((c) => (c.nics[0]!.id = 'cd0')), 'nics[0].id', "device id 'cd0' is used more than once");
  });

  test('disk paths and MACs are unique', () => {
    assertIssue(
      issuesOf((c) => c.disks.push({ ...c.disks[0]!, id: 'disk1' })),
      'disks[1].path',
      'disk image /vms/a/disk0.qcow2 is used by more than one disk',
    );
    assertIssue(
      issuesOf((c) => c.nics.push({ id: 'net1', model: 'e1000', mac: c.nics[0]!.mac, forwards: [] })),
      'nics[1].mac',
      'MAC address 0a:48:47:00:00:01 is used by more than one NIC',
    );
  });

  test('a forward’s protocol, host address and host port are unique across the VM', () => {
    const second = (f: Partial<VmConfig['nics'][number]['forwards'][number]>) => (c: VmConfig) =>
      c.nics.push({ id: 'net1', model: 'e1000', mac: '0a:48:47:00:00:02', forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22, ...f }] });
    assertIssue(issuesOf(second({})), 'nics[1].forwards[0]', 'host port tcp 127.0.0.1:2222 is forwarded more than once');
    assertIssue(issuesOf(second({ hostAddress: '0.0.0.0' })), 'nics[1].forwards[0]', 'host port tcp 0.0.0.0:2222 is forwarded more than once');
    assert.deepEqual(issuesOf(second({ protocol: 'udp' })), []);
    assert.deepEqual(issuesOf(second({ hostAddress: '127.0.0.2' })), []);
    assert.deepEqual(issuesOf(second({ hostPort: 2223 })), []);
  });

  test('initrd and append need a kernel', () => {
    assertIssue(issuesOf((c) => (c.boot.initrd = '/boot/initrd')), 'boot.initrd', 'an initrd needs a kernel (boot.kernel)');
    assertIssue(issuesOf((c) => (c.boot.append = 'quiet')), 'boot.append', 'a kernel command line (append) needs a kernel (boot.kernel)');
    assert.deepEqual(
      issuesOf((c) => {
        c.boot.kernel = '/boot/vmlinuz';
        c.boot.initrd = '/boot/initrd';
        c.boot.append = 'console=ttyS0';
      }),
      [],
    );
  });
});

describe('formatIssues', () => {
  test('one line, path first unless the message already starts with it', () => {
    const line = formatIssues([
      { path: 'name', message: 'name must not be empty' },
      { path: 'system.cpus', message: 'a VM can have at most 64 CPUs' },
      { path: '', message: 'at most 6 SATA devices fit' },
      { path: 'description', message: 'two\nlines' },
    ]);
    assert.equal(line, 'name must not be empty; system.cpus: a VM can have at most 64 CPUs; at most 6 SATA devices fit; description: two lines');
    assert.ok(!line.includes('\n'));
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseForward, parseNicSpec, parseOnOff, parseShare, helpText, COMMANDS } from '../../../../src-main/cli/args.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';

const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && message.test(e.message));

describe('hangar argument parsing', () => {
  test('create with every kind of flag', () => {
    const p = parseArgs(['create', '--name', 'dev box', '--cpus', '2', '--memory=2048', '--forward', 'tcp:2222:22', '--forward', 'udp:5353:53', '--json']);
    assert.equal(p.command, 'create');
    assert.deepEqual(p.flags, { name: 'dev box', cpus: 2, memory: 2048, forward: ['tcp:2222:22', 'udp:5353:53'], json: true });
  });

  test('positional arguments and short options', () => {
    const p = parseArgs(['screenshot', 'vm1', '-o', 'out.png']);
    assert.deepEqual(p.args, ['vm1']);
    assert.equal(p.flags.output, 'out.png');
    assert.deepEqual(parseArgs(['send', 'vm1', '--', '--not-a-flag']).args, ['vm1', '--not-a-flag']);
  });

  test('usage errors name the problem', () => {
    usage(() => parseArgs([]), /no command/);
    usage(() => parseArgs(['nope']), /unknown command 'nope'/);
    usage(() => parseArgs(['list', '--frob']), /unknown option '--frob' for 'list'/);
    usage(() => parseArgs(['create', '--cpus']), /--cpus needs a value/);
    usage(() => parseArgs(['create', '--cpus', 'two']), /--cpus takes a whole number/);
    usage(() => parseArgs(['create', '--cpus', '1.5']), /whole number/);
    usage(() => parseArgs(['start']), /'start' needs VM/);
    usage(() => parseArgs(['start', 'a', 'b']), /unexpected argument 'b'/);
    usage(() => parseArgs(['stop', 'a', '--force=yes']), /takes no value/);
    usage(() => parseArgs(['create', '--name', 'a', '--name', 'b']), /given twice/);
    usage(() => parseArgs(['start', 'a', '--timeout', 'soon']), /--timeout takes a number/);
  });

  test('port forwards', () => {
    assert.deepEqual(parseForward('tcp:8080:80'), { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 });
    assert.deepEqual(parseForward('udp:0.0.0.0:5353:53'), { protocol: 'udp', hostAddress: '0.0.0.0', hostPort: 5353, guestPort: 53 });
    usage(() => parseForward('sctp:1:2'), /not of the form/);
    usage(() => parseForward('tcp:80'), /not of the form/);
    usage(() => parseForward('tcp:0:22'), /outside 1\.\.65535/);
    usage(() => parseForward('tcp:a:22'), /not of the form/);
  });

  test('--share: a folder, then tag, ro/rw and mode in any order; a doubled comma is a comma', () => {
    assert.deepEqual(parseShare('/home/u/src'), { hostPath: '/home/u/src' });
    assert.deepEqual(parseShare('/a,ro,tag=docs,mode=9p'), { hostPath: '/a', readOnly: true, tag: 'docs', mode: '9p' });
    assert.deepEqual(parseShare('/a,rw,mode=virtiofs'), { hostPath: '/a', readOnly: false, mode: 'virtiofs' });
    assert.deepEqual(parseShare('/my,,folder,ro'), { hostPath: '/my,folder', readOnly: true });
    usage(() => parseShare(',ro'), /names no folder/);
    usage(() => parseShare('/a,mode=nfs'), /mode takes virtiofs or 9p, not 'nfs'/);
    usage(() => parseShare('/a,readonly'), /unknown option 'readonly'/);
    usage(() => parseShare('/a,tag='), /unknown option 'tag='/);
    const create = parseArgs(['create', '--name', 'x', '--share', '/a', '--share', '/b,ro']);
    assert.deepEqual(create.flags.share, ['/a', '/b,ro']);
    assert.deepEqual(parseArgs(['modify', 'x', '--unshare', 'a', '--unshare', 'b']).flags.unshare, ['a', 'b']);
    usage(() => parseArgs(['create', '--name', 'x', '--unshare', 'a']), /unknown option '--unshare' for 'create'/);
  });

  test('on/off', () => {
    assert.equal(parseOnOff('nested', 'on'), true);
    assert.equal(parseOnOff('nested', 'off'), false);
    usage(() => parseOnOff('nested', 'yes'), /--nested takes on or off/);
  });

  test('every command of the CLI contract is in the table, and help lists it', () => {
    const contract = ['list', 'show', 'create', 'modify', 'delete', 'ostypes', 'host', 'start', 'stop', 'pause', 'resume', 'reset', 'save', 'serial', 'screenshot', 'console', 'send', 'tasks', 'shutdown'];
    const names = COMMANDS.map((c) => c.name);
    for (const c of contract) {
      assert.ok(names.includes(c), c);
      assert.match(helpText(), new RegExp(`\\n  ${c}\\b`));
    }
    assert.match(helpText('start'), /--wait-serial TEXT/);
  });

  test('networks: network create|list|show|delete, as the contract names them', () => {
    const p = parseArgs(['network', 'create', 'lab', '--mode', 'nat', '--subnet', '10.77.0.0/24', '--dhcp', 'on', '--json']);
    assert.equal(p.command, 'network create');
    assert.deepEqual(p.args, ['lab']);
    assert.deepEqual(p.flags, { mode: 'nat', subnet: '10.77.0.0/24', dhcp: 'on', json: true });
    assert.equal(parseArgs(['network', 'list', '--json']).command, 'network list');
    assert.deepEqual(parseArgs(['network', 'delete', 'lab']).args, ['lab']);
    usage(() => parseArgs(['network']), /'network' needs one of create, list, show, delete/);
    usage(() => parseArgs(['network', 'rename', 'x']), /unknown command 'network rename'/);
    for (const c of ['network create', 'network list', 'network show', 'network delete']) assert.match(helpText(), new RegExp(`\\n  ${c}\\b`));
  });

  test('--nic is repeatable; --nic-link takes a card and up or down', () => {
    const p = parseArgs(['modify', 'vm', '--nic', 'virtio', '--nic', 'e1000,network=lab', '--nic-remove', 'net2', '--nic-link', 'net1', 'down', '--nic-link=net0:up']);
    assert.deepEqual(p.flags, { nic: ['virtio', 'e1000,network=lab'], 'nic-remove': ['net2'], 'nic-link': ['net1=down', 'net0=up'] });
    usage(() => parseArgs(['modify', 'vm', '--nic-link', 'net1']), /--nic-link needs two values \(NIC up\|down\)/);
    usage(() => parseArgs(['modify', 'vm', '--nic-link', 'net1', '--json']), /needs two values/);
    usage(() => parseArgs(['create', '--name', 'x', '--nic-link', 'net0', 'up']), /unknown option '--nic-link' for 'create'/);
  });

  test('a --nic spec: the model, then network=, mac= and forward= options', () => {
    const models = ['virtio', 'e1000'];
    assert.deepEqual(parseNicSpec('virtio', models), { model: 'virtio' });
    assert.deepEqual(parseNicSpec('e1000,network=lab,mac=0A:48:47:00:00:01,forward=tcp:8080:80', models), {
      model: 'e1000',
      network: 'lab',
      mac: '0a:48:47:00:00:01',
      forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
    });
    usage(() => parseNicSpec('ne2000', models), /--nic 'ne2000': the model must be one of virtio, e1000 \(or --nic none\)/);
    usage(() => parseNicSpec('virtio,net=lab', models), /unknown option 'net' \(network=, mac= or forward=\)/);
    usage(() => parseNicSpec('virtio,network=', models), /'network' needs a value/);
    usage(() => parseNicSpec('virtio,network=a,network=b', models), /network is given twice/);
    usage(() => parseNicSpec('virtio,forward=tcp:1:99999', models), /outside 1\.\.65535/);
  });
});

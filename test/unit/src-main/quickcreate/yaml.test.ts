import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml, YamlError } from '../../../../src-main/quickcreate/yaml.js';

const bad = (text: string, message: RegExp, line?: number) =>
  assert.throws(
    () => parseYaml(text),
    (e: unknown) => e instanceof YamlError && message.test(e.message) && (line === undefined || e.line === line),
    `expected ${message} for ${JSON.stringify(text)}`,
  );

describe('YAML reader', () => {
  test('a typical cloud-config', () => {
    const text = `#cloud-config
hostname: web-1
manage_etc_hosts: true
users:
  - default
  - name: alice
    groups: [sudo, adm]
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3Nza alice@desk
packages:
- nginx   # the web server
- 'git'
write_files:
  - path: /etc/motd
    permissions: '0644'
    content: |
      Hello,
        world
runcmd:
  - [ sh, -c, "echo hi > /tmp/x" ]
  - echo done
`;
    assert.deepEqual(parseYaml(text), {
      hostname: 'web-1',
      manage_etc_hosts: true,
      users: ['default', { name: 'alice', groups: ['sudo', 'adm'], shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL', ssh_authorized_keys: ['ssh-ed25519 AAAAC3Nza alice@desk'] }],
      packages: ['nginx', 'git'],
      write_files: [{ path: '/etc/motd', permissions: '0644', content: 'Hello,\n  world\n' }],
      runcmd: [['sh', '-c', 'echo hi > /tmp/x'], 'echo done'],
    });
  });

  test('scalars resolve as YAML 1.1 (PyYAML) does', () => {
    assert.deepEqual(parseYaml('a: yes\nb: off\nc: ~\nd: 0o17\ne: 017\nf: 1_000\ng: 3.5\nh: .inf\ni: "yes"\nj: y\nk:\n'), {
      a: true,
      b: false,
      c: null,
      d: '0o17',
      e: 15,
      f: 1000,
      g: 3.5,
      h: Infinity,
      i: 'yes',
      j: 'y',
      k: null,
    });
  });

  test('block scalars: literal, folded, chomping and explicit indentation', () => {
    assert.deepEqual(parseYaml('a: |-\n  one\n  two\n\nb: >\n  folded\n  line\n\n  para\nc: |+\n  keep\n\nd: |2\n    indented\n'), {
      a: 'one\ntwo',
      b: 'folded line\npara\n',
      c: 'keep\n\n',
      d: '  indented\n',
    });
  });

  test('quoted scalars over lines, escapes, flow collections, anchors and merge keys', () => {
    assert.deepEqual(parseYaml(`a: "x\\ty \\u00e9
  z"
b: 'it''s
  fine'
c: {k: v, l: [1, 2, {m: n}]}
base: &b {x: 1}
d:
  <<: *b
  y: 2
e: *b
`), { a: 'x\ty é z', b: "it's fine", c: { k: 'v', l: [1, 2, { m: 'n' }] }, base: { x: 1 }, d: { x: 1, y: 2 }, e: { x: 1 } });
  });

  test('plain scalars over several lines fold', () => {
    assert.deepEqual(parseYaml('a: one\n  two\n\n  three\nb: x'), { a: 'one two\nthree', b: 'x' });
  });

  test('sequences at the key\'s indentation, nested sequences, document markers and comments', () => {
    assert.deepEqual(parseYaml('---\n# c\nk:\n- - a\n  - b\n- c\n...\n'), { k: [['a', 'b'], 'c'] });
    assert.equal(parseYaml('# only a comment\n'), null);
    assert.equal(parseYaml('just text'), 'just text');
  });

  test('what PyYAML refuses is refused, with the line', () => {
    bad('a: 1\n b: 2\n', /bad indentation|indented|span lines/, 2);
    bad('a:\n\t- x\n', /tab/, 2);
    bad('a: [1, 2\n', /not closed/);
    bad('a: "open\n', /not closed/);
    bad('a: b: c\n', /mapping cannot start here/, 1);
    bad('a: *nope\n', /names no anchor/);
    bad('a: !python/object x\n', /tag !python\/object/);
    bad('a: 1\n---\nb: 2\n', /one YAML document/);
    bad('a: "\\q"\n', /unknown escape/);
    bad('- a\nb: c\n', /expected a sequence entry|unexpected/);
    bad('a: 1\n- b\n', /sequence entry/);
    bad('key: @x\n', /cannot start with '@'/);
  });
});

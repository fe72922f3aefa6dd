// Hangar's YAML reader against the one cloud-init uses (PyYAML's safe_load, Debian's python3-yaml): on
// a corpus of cloud-config-shaped documents, valid and not, both accept the same ones with the same
// values and refuse the same ones. A user-data file Hangar accepts is one cloud-init can read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseYaml } from '../../src-main/quickcreate/yaml.js';

const VALID = [
  '#cloud-config\npackages: [git, curl]\n',
  '#cloud-config\nusers:\n  - default\n  - name: a\n    groups: [sudo]\n    sudo: "ALL=(ALL) NOPASSWD:ALL"\n',
  'a:\n- 1\n- 2\nb: {x: 1, "y": [true, no, ~]}\n',
  'write_files:\n- path: /x\n  content: |\n    line 1\n      indented\n\n    after blank\n  permissions: "0600"\n',
  'f: >\n  folded\n  text\n\n  para\ng: >-\n  stripped\nh: |+\n  kept\n\n',
  "q: 'single ''quoted'' text'\nr: \"tab\\there \\u00e9\"\n",
  'multi: first\n  second\n  third\n',
  'anchor: &a {k: v}\nalias: *a\nmerged:\n  <<: *a\n  k2: v2\n',
  '---\nkey: value\n...\n',
  'n1: 010\nn2: 0x1F\nn3: 1_000\nn4: -3.5e+2\nn5: .5\nstr: 1.2.3\nver: "22.04"\n',
  'empty:\nnested:\n  a:\n    b:\n      - c\n',
  'runcmd:\n  - [ sh, -c, "echo $HOME > /tmp/x" ]\n  - echo "a: b"\n',
  'url: http://example.com:8080/path#frag\nc: a # comment\nd: "#not a comment"\n',
  '"quoted key": 1\n',
  'k: [a, [b, c], {d: e}]\n',
  '# only comments\n# here\n',
  'list:\n  - a: 1\n    b: 2\n  - c: 3\n',
  'x: !!str 123\ny: !!int "7"\n',
];
const INVALID = [
  'a: [1, 2\n',
  'a: "unterminated\n',
  'a: b: c\n',
  'a:\n\t- tab\n',
  'key: value\n  bad: indent\n',
  '- a\nb: c\n',
  'a: 1\n- b\n',
  'a: *missing\n',
  'a: !python/object:os.system x\n',
  'a: 1\n---\nb: 2\n',
  'a: "\\q"\n',
  'x: @at\n',
  'k: {a: 1\n',
  'a:\n  - b\n c: d\n',
];

/** PyYAML's verdict: the value as JSON, or null when it refuses the document. */
function pyyaml(text: string): { ok: true; value: unknown } | { ok: false } {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml\nv = yaml.safe_load(sys.stdin.read())\nprint(json.dumps(v))'], { input: text, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    if (!/yaml\.|Error/.test(r.stderr)) throw new Error(`python3 failed: ${r.stderr}`);
    return { ok: false };
  }
  return { ok: true, value: JSON.parse(r.stdout) };
}

function ours(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(JSON.stringify(parseYaml(text))) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

describe("Hangar's YAML reader agrees with cloud-init's (PyYAML safe_load)", () => {
  test('valid documents: both read the same values', () => {
    for (const text of VALID) {
      const py = pyyaml(text);
      assert.ok(py.ok, `PyYAML accepts ${JSON.stringify(text)}`);
      const mine = ours(text);
      assert.ok(mine.ok, `Hangar accepts ${JSON.stringify(text)}: ${mine.ok ? '' : mine.message}`);
      assert.deepEqual(mine.value, py.value, JSON.stringify(text));
    }
  });

  test('complex keys (? key), which cloud-config never uses: PyYAML reads them, Hangar refuses them saying so', () => {
    const text = '"quoted key": 1\n? not\n';
    assert.ok(pyyaml(text).ok);
    const mine = ours(text);
    assert.ok(!mine.ok && /complex mapping keys \(\? key\) are not supported/.test(mine.message), JSON.stringify(mine));
  });

  test('invalid documents: both refuse them', () => {
    for (const text of INVALID) {
      assert.equal(pyyaml(text).ok, false, `PyYAML refuses ${JSON.stringify(text)}`);
      assert.equal(ours(text).ok, false, `Hangar refuses ${JSON.stringify(text)}`);
    }
  });
});

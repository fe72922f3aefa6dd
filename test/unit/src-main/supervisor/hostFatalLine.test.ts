// A VMM host that fails before it listens says why in its log, then exits: the start's error carries
// that line (only from this start's part of the log, which the host appends to across runs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostFatalLine } from '../../../../src-main/supervisor/supervisor.node.js';

const dir = mkdtempSync(join(tmpdir(), 'hangar-fatal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the host's fatal line, from this start's part of the log only", () => {
  const log = join(dir, 'vmm-host.log');
  writeFileSync(log, '2026-12-06T21:00:00.000Z vm=x pid=1 fatal: HangarError: an old failure\n    at old (x.js:1:1)\n');
  const from = statSync(log).size;
  assert.equal(hostFatalLine(log, from), undefined, 'nothing yet in this start');
  appendFileSync(log, '2026-12-06T21:00:01.000Z vm=x pid=2 VMM host started from /b.mjs\n');
  appendFileSync(log, '2026-12-06T21:00:01.100Z vm=x pid=2 fatal: HangarError: another process is already listening on /h/run/host.sock\n    at removeStaleSocket (s.js:2:2)\n');
  assert.equal(hostFatalLine(log, from), 'another process is already listening on /h/run/host.sock');
  assert.equal(hostFatalLine(log), 'another process is already listening on /h/run/host.sock', 'the last one');
  assert.equal(hostFatalLine(join(dir, 'missing.log')), undefined);
});

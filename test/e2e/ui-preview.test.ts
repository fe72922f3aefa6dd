// The interface preview in CI: runs `npm run ui:preview`'s script (test/ui/shoot.node.ts: the real owner
// and web server on a seeded temporary home, fake VMM hosts, Debian's Chromium) and checks what it
// wrote to test-output/ui-preview/: every view listed in test/ui/views.ts as a PNG of its window's size
// that shows an interface (not a blank or one-colour page), no two alike, and a report with no error
// from the page and no failed check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, testOutputDir } from '../helpers/paths.js';
import { colourStats, decodePng } from '../helpers/png.js';
import { UI_PREVIEW_SHOTS, type UiPreviewReport } from '../ui/views.js';

const script = join(repoRoot, 'dist', 'test', 'ui', 'shoot.node.js');
const out = join(testOutputDir, 'ui-preview');

function runScript(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', script, '--out', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

describe('the interface preview (npm run ui:preview)', () => {
  test('writes every view as a picture of the interface, with no error in the page', async () => {
    const code = await runScript();
    const reportFile = join(out, 'report.json');
    assert.ok(existsSync(reportFile), `the script wrote ${reportFile}`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as UiPreviewReport;
    assert.equal(report.failure, null, 'every check of the script held');
    assert.deepEqual(report.problems, [], 'no console error or warning, uncaught exception or failed request in the page');
    assert.equal(report.ok, true);
    assert.equal(code, 0, 'the script exits 0');
    assert.deepEqual(
      report.shots.map((s) => s.name),
      UI_PREVIEW_SHOTS.map((s) => s.name),
      'every listed view, in order',
    );

    const written = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    assert.deepEqual(written, UI_PREVIEW_SHOTS.map((s) => `${s.name}.png`).sort(), 'no other picture (no failure screenshot)');
    const seen = new Map<string, string>();
    for (const spec of UI_PREVIEW_SHOTS) {
      const png = readFileSync(join(out, `${spec.name}.png`));
      const img = decodePng(png);
      assert.deepEqual([img.width, img.height], [spec.width, spec.height], `${spec.name}: the window's size`);
      const { colours, dominantShare } = colourStats(img);
      // A blank page is one colour; the sparsest view (a dialog over the dimmed window) has hundreds.
      assert.ok(colours >= 200, `${spec.name}: ${colours} colours, too few for an interface`);
      assert.ok(dominantShare < 0.95, `${spec.name}: ${(dominantShare * 100).toFixed(1)}% of it is one colour`);
      const digest = createHash('sha256').update(img.rgba).digest('hex');
      assert.equal(seen.get(digest), undefined, `${spec.name} is the same picture as ${seen.get(digest)}`);
      seen.set(digest, spec.name);
    }
  });
});

// Interface benchmarks: page load to an interactive VM list of 1,000 and 10,000 VMs in 200 groups (web
// mode, Debian's Chromium), against the same names as a bare HTML list in the same browser; and the
// renderer's bundle size.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { seedVms } from '../helpers/manyVms.node.js';
import { cliPath, tempHome, waitUntil } from '../helpers/cli.node.js';
import { repoRoot } from '../helpers/paths.js';
import { median, type BenchFigure } from './results.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const RUNS = Number(process.env.HANGAR_BENCH_UI_RUNS ?? 3);
/** 200 groups, as the issue's scale ('/g-000' … '/g-199'); the first VM is vm-00000 and the last row vm-(n-1) */
const groupOf = (i: number) => `/g-${String(i % 200).padStart(3, '0')}`;

/**
 * Page load to an interactive list: from navigation until the first VM row is on screen, the list
 * scrolled to its end shows the last VM, and a search for one VM's name leaves that VM alone.
 * The reference does the same with a bare HTML list of the same names (which has no search: the
 * page's own text is the list), in the same Chromium.
 */
async function listTimes(n: number): Promise<{ hangarMs: number[]; bareMs: number[] }> {
  const { home, cleanup } = tempHome('hangar-bench-ui-');
  const names = seedVms(home, n, { group: groupOf });
  const last = names[n - 1]!;
  const wanted = names[Math.floor(n / 3)]!;
  const serve = spawn(process.execPath, [cliPath, 'serve'], { env: { ...process.env, HANGAR_HOME: home } });
  let out = '';
  serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const hangarMs: number[] = [];
  const bareMs: number[] = [];
  try {
    const url = await waitUntil('the URL', () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 90_000);
    const html = `<!doctype html><ul role="listbox" aria-label="Virtual machines" style="height:700px;overflow:auto">${names.map((x) => `<li role="option" aria-label="${x}">${x} stopped</li>`).join('')}</ul>`;
    for (let run = 0; run < RUNS; run++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const listbox = page.getByRole('listbox', { name: 'Virtual machines' });
      const t0 = performance.now();
      await page.goto(url);
      await listbox.getByRole('option', { name: names[0]!, exact: true }).waitFor({ timeout: 300_000 });
      await listbox.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await listbox.getByRole('option', { name: last, exact: true }).waitFor({ timeout: 60_000 });
      await page.getByRole('textbox', { name: 'Search virtual machines' }).fill(wanted);
      await waitUntil('the search', async () => ((await listbox.getByRole('option').count()) === 1 && (await listbox.getByRole('option', { name: wanted }).count()) === 1 ? true : undefined), 60_000, 10);
      hangarMs.push(performance.now() - t0);
      await page.close();

      const bare = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const bareList = bare.getByRole('listbox', { name: 'Virtual machines' });
      const t1 = performance.now();
      await bare.setContent(html);
      await bareList.getByRole('option', { name: names[0]!, exact: true }).waitFor();
      await bareList.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await bareList.getByRole('option', { name: last, exact: true }).waitFor();
      bareMs.push(performance.now() - t1);
      await bare.close();
    }
    return { hangarMs, bareMs };
  } finally {
    await browser.close();
    serve.kill('SIGINT');
    await new Promise((r) => serve.once('close', r));
    await cleanup();
  }
}

export async function uiBench(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const n of [1000, 10_000]) {
    const r = await listTimes(n);
    const hangar = median(r.hangarMs);
    const bare = median(r.bareMs);
    const runs = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    figures.push({
      name: `interface: VM list with ${n.toLocaleString('en')} VMs in 200 groups, page load to interactive list (first rows shown, scrolled to the last VM, a search answered; median of ${r.hangarMs.length})`,
      value: Math.round(hangar),
      unit: 'ms',
      reference: Math.round(bare),
      referenceName: 'the same names as a bare HTML list in the same Chromium: loaded, first row shown, scrolled to the last',
      ratio: hangar / bare,
      note: `runs ${runs(r.hangarMs)} ms (bare ${runs(r.bareMs)} ms); the list renders only the rows in view`,
    });
  }
  const assets = join(repoRoot, 'dist', 'renderer', 'assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
  const raw = js.reduce((s, f) => s + statSync(join(assets, f)).size, 0);
  const gz = js.reduce((s, f) => s + gzipSync(readFileSync(join(assets, f))).length, 0);
  figures.push({
    name: 'renderer bundle: all JS and CSS (console and display chunks load on first use)',
    value: Math.round(gz / 1024),
    unit: 'KiB gzip',
    reference: Math.round(raw / 1024),
    referenceName: 'the same files uncompressed, KiB',
    ratio: gz / raw,
  });
  return figures;
}

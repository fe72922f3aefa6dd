// Interface benchmarks: time until the VM list shows 1,000 and 10,000 VMs (web mode, Debian's Chromium),
// against the same names rendered as a bare HTML list in the same browser; and the renderer's bundle size.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { openHangarInventory } from '../../src-main/inventory/hangarInventory.node.js';
import { homePaths } from '../../src-main/home.js';
import type { VmConfig } from '../../src-vmm/model/index.js';
import { cliPath, tempHome, waitUntil } from '../helpers/cli.node.js';
import { repoRoot } from '../helpers/paths.js';
import type { BenchFigure } from './results.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function config(i: number): VmConfig {
  return {
    schemaVersion: 1,
    id: randomUUID(),
    name: `vm-${String(i).padStart(5, '0')}`,
    osType: i % 3 === 0 ? 'windows10' : 'linux',
    description: '',
    system: { chipset: 'pc', cpus: 1, memoryMiB: 512, accel: 'auto' },
    firmware: { type: 'bios' },
    disks: [],
    opticals: [],
    nics: [],
    display: { vga: 'std', vnc: true },
    serial: { enabled: true },
    features: { nested: false },
    boot: { order: ['disk', 'optical'] },
  };
}

async function listTime(n: number): Promise<{ hangarMs: number; bareMs: number }> {
  const { home, cleanup } = tempHome('hangar-bench-ui-');
  const inv = openHangarInventory(homePaths(home).inventory, () => undefined);
  const names: string[] = [];
  inv.transaction(() => {
    for (let i = 0; i < n; i++) {
      const c = config(i);
      names.push(c.name);
      inv.vms.insert({ config: c, state: 'stopped' });
    }
  });
  inv.close();
  const serve = spawn(process.execPath, [cliPath, 'serve'], { env: { ...process.env, HANGAR_HOME: home } });
  let out = '';
  serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const url = await waitUntil('the URL', () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 90_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const count = (p: typeof page) => p.getByRole('listbox', { name: 'Virtual machines' }).getByRole('option').count();
    const t0 = performance.now();
    await page.goto(url);
    await waitUntil(`${n} VMs in the list`, async () => ((await count(page)) === n ? true : undefined), 300_000, 20);
    const hangarMs = performance.now() - t0;
    const bare = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const html = `<!doctype html><ul role="listbox" aria-label="Virtual machines">${names.map((x) => `<li role="option" aria-label="${x}">${x} stopped</li>`).join('')}</ul>`;
    const t1 = performance.now();
    await bare.setContent(html);
    await waitUntil(`${n} bare items`, async () => ((await count(bare)) === n ? true : undefined), 60_000, 20);
    return { hangarMs, bareMs: performance.now() - t1 };
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
    const r = await listTime(n);
    figures.push({
      name: `interface: VM list showing ${n.toLocaleString('en')} VMs (page load to all rows)`,
      value: Math.round(r.hangarMs),
      unit: 'ms',
      reference: Math.round(r.bareMs),
      referenceName: 'the same names as a bare HTML list in the same Chromium',
      ratio: r.hangarMs / r.bareMs,
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

// The OS of an image a person adds to the library: installer or live media by libosinfo's database
// (osinfo.node.ts); a disk image by the os-release file of the Linux on it, read without mounting
// anything (qemu-img copies the partition out sparsely, debugfs reads the file from the ext2/3/4 file
// system), then looked up in libosinfo's database. Other file systems are not read: the OS stays unknown.
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import type { DetectedOs } from '../library/libraryService.node.js';
import { linuxPartitions, osinfoForRelease, parseOsRelease } from './diskOs.js';
import { hangarOsType } from './osMapping.js';
import { detectIso, loadOsinfoDb, osinfoDirs } from './osinfo.node.js';
import { runTool } from './tools.node.js';

export async function detectOs(file: string, kind: 'disk' | 'iso', o: { qemuImg: QemuImg; signal: AbortSignal; log: (line: string) => void; workDir?: string }): Promise<DetectedOs | null> {
  const db = loadOsinfoDb(osinfoDirs(), o.log);
  if (kind === 'iso') {
    const d = detectIso(file, db);
    return d ? { osType: d.osType, osinfoId: d.osinfoId, name: d.name, version: d.version } : null;
  }
  const release = await readDiskOsRelease(file, { ...o, workDir: o.workDir ?? dirname(file) });
  if (!release) return null;
  const os = osinfoForRelease(release, db);
  if (os) return { osType: hangarOsType(os), osinfoId: os.id, name: os.name, version: os.version };
  const name = release.PRETTY_NAME ?? release.NAME ?? release.ID;
  return name ? { osType: 'linux', osinfoId: null, name, version: release.VERSION_ID ?? '' } : null;
}

/** /usr/lib/os-release (or /etc/os-release) of the biggest Linux partition that has one; null when none is found. */
export async function readDiskOsRelease(file: string, o: { qemuImg: QemuImg; signal: AbortSignal; log: (line: string) => void; workDir: string }): Promise<Record<string, string> | null> {
  const [info] = await o.qemuImg.info(file);
  if (!info) return null;
  const work = mkdtempSync(join(o.workDir, '.detect-'));
  try {
    const head = join(work, 'head.raw');
    await runTool('qemu-img', ['dd', '-f', info.format, '-O', 'raw', 'bs=512', 'count=34', `if=${file}`, `of=${head}`], { signal: o.signal, timeoutMs: 60_000, what: 'qemu-img dd' });
    const buf = Buffer.alloc(34 * 512);
    const fd = openSync(head, 'r');
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    for (const part of linuxPartitions(buf.subarray(0, n), info.virtualSizeBytes).slice(0, 4)) {
      const raw = join(work, 'part.raw');
      rmSync(raw, { force: true });
      const spec = `driver=raw,offset=${part.offset},size=${part.size},file.driver=${info.format},file.file.driver=file,file.file.filename=${file.replace(/,/g, ',,')}`;
      try {
        await runTool('qemu-img', ['convert', '--image-opts', spec, '-O', 'raw', raw], { signal: o.signal, timeoutMs: 600_000, what: 'qemu-img convert (reading a partition)' });
      } catch (e) {
        o.log(`detect: ${file}: partition at ${part.offset} cannot be read: ${(e as Error).message}`);
        continue;
      }
      for (const name of ['/usr/lib/os-release', '/etc/os-release']) {
        const r = await runTool('debugfs', ['-R', `cat ${name}`, raw], { signal: o.signal, timeoutMs: 60_000, what: 'debugfs' }).catch(() => null);
        const text = r?.stdout.toString('utf8') ?? '';
        const release = parseOsRelease(text);
        if (release.ID) return release;
      }
    }
    return null;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Snapshot trees for the mock owner: seeds for the sample VMs, a large generated tree (`?bigTree=N`)
// and screen thumbnails drawn on a canvas. Development harness only.

export interface MockSnapshot {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: string;
  live: boolean;
  description: string;
  sizeBytes: number;
  hasThumbnail: boolean;
  /** linked clones that depend on it besides the mock's own clones */
  blockedBy: string[];
}

export interface SnapshotState {
  snapshots: MockSnapshot[];
  currentSnapshotId: string | null;
  /** the guest has run (written to its disks) since the last take or restore */
  dirty: boolean;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

type Seed = { name: string; parent: string | null; daysAgo: number; live?: boolean; description?: string; size: number; blockedBy?: string[] };

function grow(seeds: Seed[], current: string | null, dirty: boolean): SnapshotState {
  const now = Date.now();
  const ids = new Map<string, string>();
  const snapshots = seeds.map((s) => {
    const id = crypto.randomUUID();
    ids.set(s.name, id);
    return {
      id,
      name: s.name,
      parentId: s.parent === null ? null : ids.get(s.parent)!,
      createdAt: new Date(now - s.daysAgo * 86_400_000).toISOString(),
      live: s.live ?? false,
      description: s.description ?? '',
      sizeBytes: Math.round(s.size),
      hasThumbnail: s.live ?? false,
      blockedBy: s.blockedBy ?? [],
    };
  });
  return { snapshots, currentSnapshotId: current === null ? null : ids.get(current)!, dirty };
}

export function seedSnapshots(vmName: string): SnapshotState {
  switch (vmName) {
    case 'debian-12':
      return grow(
        [
          { name: 'Fresh install', parent: null, daysAgo: 12, description: 'Debian 12.5 netinst: standard system utilities and SSH server.', size: 1.9 * GiB },
          { name: 'Updates applied', parent: 'Fresh install', daysAgo: 11.2, size: 412 * MiB },
          { name: 'Try Docker', parent: 'Updates applied', daysAgo: 10.4, live: true, description: 'docker.io from Debian; two test containers running.', size: 1.1 * GiB },
          { name: 'Build tools', parent: 'Updates applied', daysAgo: 9.1, description: 'gcc, make, git, debhelper, devscripts.', size: 684 * MiB },
          { name: 'Release 1.4 build', parent: 'Build tools', daysAgo: 6.3, live: true, size: 220 * MiB },
          { name: 'Before kernel 6.9', parent: 'Build tools', daysAgo: 4.2, live: true, size: 96 * MiB },
          { name: 'Kernel 6.9 test', parent: 'Before kernel 6.9', daysAgo: 3.1, live: true, description: 'Boots; virtio-gpu flickers on resize.', size: 310 * MiB },
        ],
        'Before kernel 6.9',
        true,
      );
    case 'windows-11':
      return grow(
        [
          { name: 'Clean install', parent: null, daysAgo: 28, description: 'Windows 11 23H2, local account, no updates.', size: 9.8 * GiB, blockedBy: ['win11-test'] },
          { name: 'After updates', parent: 'Clean install', daysAgo: 20, description: 'Cumulative update 2024-05.', size: 2.3 * GiB },
        ],
        'After updates',
        false,
      );
    default:
      return { snapshots: [], currentSnapshotId: null, dirty: false };
  }
}

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` snapshots over the last year: mostly chains, with branches now and then (seeded, the same each time). */
export function bigTree(n: number): SnapshotState {
  const r = rng(42);
  const now = Date.now();
  const snapshots: MockSnapshot[] = [];
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? null : r() < 0.8 ? snapshots[i - 1]! : snapshots[Math.floor(r() * i)]!;
    const live = r() < 0.25;
    snapshots.push({
      id: crypto.randomUUID(),
      name: `Build ${String(i + 1).padStart(3, '0')}`,
      parentId: parent?.id ?? null,
      createdAt: new Date(now - (n - i) * 3_600_000 * 17).toISOString(),
      live,
      description: r() < 0.3 ? `nightly ${i + 1}` : '',
      sizeBytes: Math.round((20 + r() * 900) * MiB),
      hasThumbnail: live,
      blockedBy: [],
    });
  }
  return { snapshots, currentSnapshotId: snapshots[Math.floor(n * 0.9)]?.id ?? null, dirty: false };
}

/** A pretend screen as a base64 PNG: a text console for most guests, a desktop for Windows. */
export function drawScreen(osType: string, title: string, when: string): string {
  const c = document.createElement('canvas');
  c.width = 320;
  c.height = 240;
  const g = c.getContext('2d')!;
  if (osType.startsWith('windows')) {
    const grad = g.createLinearGradient(0, 0, 320, 240);
    grad.addColorStop(0, '#0b3d91');
    grad.addColorStop(1, '#3d8bfd');
    g.fillStyle = grad;
    g.fillRect(0, 0, 320, 240);
    g.fillStyle = 'rgba(255,255,255,0.92)';
    g.fillRect(40, 40, 200, 120);
    g.fillStyle = '#1f2937';
    g.font = 'bold 13px sans-serif';
    g.fillText(title.slice(0, 26), 52, 66);
    g.font = '11px sans-serif';
    g.fillText(when, 52, 86);
    g.fillStyle = 'rgba(20,20,30,0.85)';
    g.fillRect(0, 216, 320, 24);
  } else {
    g.fillStyle = '#101418';
    g.fillRect(0, 0, 320, 240);
    g.font = '10px monospace';
    const lines = ['Debian GNU/Linux 12 debian ttyS0', '', 'debian login: root', `root@debian:~# # ${title}`.slice(0, 48), `root@debian:~# date`, when, 'root@debian:~# uptime', ' load average: 0.08, 0.03, 0.01', 'root@debian:~# _'];
    lines.forEach((l, i) => {
      g.fillStyle = l.startsWith('root@') ? '#7ee787' : '#c9d1d9';
      g.fillText(l, 10, 20 + i * 14);
    });
  }
  return c.toDataURL('image/png').slice('data:image/png;base64,'.length);
}

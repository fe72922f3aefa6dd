// Hostile names and paths at the `hangar` command line (cli-engine covers the plain bad-input cases,
// api-fuzz hostile payloads over the socket). Names: controls, bidirectional overrides, line
// separators, 10,000 characters, dot names, separators, option and id look-alikes, blanks. Paths:
// traversal, missing files, folders, devices, FIFOs, and above all links into another VM's folder: a
// VM never uses, adopts or writes another VM's files, and Hangar never writes a user's output into the
// folders it manages. Every refusal is one line, exit 2 (or 1 where the input is well-formed but the
// operation cannot be done), and changes nothing. Names that are fine round-trip exactly, and boot.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { tempHome, type CliResult, cliIn } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { homePaths } from '../../src-main/home.js';

/** A path from the current folder with '../' all the way up: what `hangar` gets from a careless script. */
const traversal = (to: string) => relative(process.cwd(), to);
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('hostile names and paths at the CLI', () => {
  const { home, cleanup } = tempHome('hangar-hostile-');
  const user = mkdtempSync(join(tmpdir(), 'hangar-hostile-user-'));
  const guest = fixtureGuest();
  const { h, ok } = cliIn(home);
  const expectFail = (r: CliResult, code: number, message: RegExp, what: string) => {
    assert.equal(r.code, code, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.ok(r.stderr.startsWith('hangar: ') && r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `${what}: one line on stderr: ${JSON.stringify(r.stderr)}`);
    assert.ok(r.stderr.length < 1200, `${what}: a short line (${r.stderr.length} characters)`);
  };
  const homeFiles = () => readdirSync(home, { recursive: true }).map(String).sort();
  const userFiles = () => readdirSync(user, { recursive: true }).map(String).sort();
  const everything = async () => ({
    list: (await ok('list', '--json')).json,
    other: (await ok('show', 'other', '--json')).json,
    inplace: (await ok('show', 'inplace', '--json')).json,
    files: homeFiles(),
  });
  let other: { id: string; folder: string; disk: string; frozen: string };
  const mine = join(user, 'mine.qcow2');
  const fifo = join(user, 'fifo');

  before(async () => {
    const o = (await ok('create', '--name', 'other', '--disk', '64M', '--nic', 'none', '--memory', '128', '--json')).json;
    await ok('snapshot', 'take', 'other', '--name', 'base');
    const shown = (await ok('show', 'other', '--json')).json;
    other = { id: o.id, folder: o.folder, disk: shown.disks[0].path, frozen: shown.disks[0].chain[1] };
    assert.ok(other.disk.startsWith(other.folder) && other.frozen.startsWith(other.folder));
    copyFileSync(guest.disk, mine);
    await ok('create', '--name', 'inplace', '--disk-image', mine, '--nic', 'none', '--memory', '128');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  });
  after(async () => {
    try {
      await cleanup();
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });

  test('hostile VM names are refused by create, rename and clone with one line and exit 2; nothing changes', async () => {
    const before = await everything();
    const cases: [string, RegExp][] = [
      ['', /name must not be empty/],
      ['   ', /must not be empty or only white space/],
      [' lead', /must not start or end with white space/],
      ['trail\u00a0', /must not start or end with white space/],
      ['a\nb', /must not contain control characters/],
      ['tab\there', /must not contain control characters/],
      ['\x1b[31mred', /must not contain control characters/],
      ['del\x7f', /must not contain control characters/],
      ['nel\u0085', /must not contain control characters/],
      ['cr\r', /must not contain control characters/],
      ['x\u202eexe.txt', /bidirectional-text controls or line separators/],
      ['iso\u2066late\u2069', /bidirectional-text controls or line separators/],
      ['line\u2028sep', /bidirectional-text controls or line separators/],
      ['bo\ufeffm', /bidirectional-text controls or line separators/],
      ['x'.repeat(10_000), /at most 128 characters/],
      ['é'.repeat(129), /at most 128 characters/],
      ['.', /must not be '\.' or '\.\.'/],
      ['..', /must not be '\.' or '\.\.'/],
      ['../x', /must not contain '\/' or '\\'/],
      ['/etc', /must not contain '\/' or '\\'/],
      ['..\\..\\x', /must not contain '\/' or '\\'/],
      ['--force', /must not start with '-' \(it would read as an option\)/],
      ['-x', /must not start with '-'/],
      ['-', /must not start with '-'/],
      [other.id, /must not look like a VM id/],
      [other.id.toUpperCase(), /must not look like a VM id/],
    ];
    for (const [name, message] of cases) {
      const shown = JSON.stringify(name.slice(0, 40));
      expectFail(await h('create', `--name=${name}`, '--disk', 'none', '--nic', 'none'), 2, message, `create ${shown}`);
      expectFail(await h('modify', 'other', `--name=${name}`), 2, message, `rename to ${shown}`);
      expectFail(await h('clone', 'other', `--name=${name}`), 2, message, `clone as ${shown}`);
    }
    // The option look-alike as a separate word is a value of --name too, and as refused.
    expectFail(await h('create', '--name', '--force', '--disk', 'none'), 2, /must not start with '-'/, 'create --name --force');
    assert.deepEqual(await everything(), before);
  });

  test('hostile references find nothing, on one line that shows them escaped', async () => {
    const before = await everything();
    const nl = await h('show', 'a\nb');
    expectFail(nl, 1, /^hangar: no VM named or with id 'a\\nb'\n$/, 'a newline in a reference');
    const rtl = await h('delete', 'x\u202eyz');
    expectFail(rtl, 1, /^hangar: no VM named or with id 'x\\u202eyz'\n$/, 'an RTL override in a reference');
    assert.ok(!rtl.stderr.includes('\u202e'), 'the override is not printed raw');
    expectFail(await h('show', '\x1b]0;pwned\x07'), 1, /no VM named or with id '\\x1b\]0;pwned\\x07'/, 'a terminal escape sequence in a reference');
    expectFail(await h('show', 'y'.repeat(10_000)), 2, /.*/, 'a 10,000-character reference');
    expectFail(await h('show', ''), 2, /a VM name or id is needed/, 'an empty reference');
    expectFail(await h('delete', '--force'), 2, /unknown option '--force' for 'delete'/, 'an option look-alike');
    expectFail(await h('delete', '--', '--force'), 1, /no VM named or with id '--force'/, 'an option look-alike after --');
    for (const ref of ['.', '..', '../other', '/etc', `${other.id}/..`, 'other ']) expectFail(await h('delete', ref), 1, /no VM named or with id/, `delete ${JSON.stringify(ref)}`);
    assert.deepEqual(await everything(), before);
  });

  test('hostile snapshot names are refused; readable ones round-trip exactly and name their snapshot', async () => {
    await ok('create', '--name', 'snaps', '--disk', '16M', '--nic', 'none', '--memory', '128');
    const refusedNames: [string, RegExp][] = [
      ['', /--name must not be empty/],
      ['   ', /snapshot name must not be empty or only white space/],
      ['a\nb', /snapshot name must not contain control characters/],
      ['p\u0085q', /snapshot name must not contain control characters/],
      ['x\u202eyz', /bidirectional-text controls or line separators/],
      [' lead', /snapshot name must not start or end with white space/],
      ['x'.repeat(10_000), /snapshot name must be at most 256 characters/],
    ];
    for (const [name, message] of refusedNames) expectFail(await h('snapshot', 'take', 'snaps', `--name=${name}`), 2, message, `snapshot ${JSON.stringify(name.slice(0, 20))}`);
    assert.deepEqual((await ok('snapshot', 'list', 'snaps', '--json')).json.snapshots, []);
    const names = ['../../etc', 'a/b\\c', `"quoted" 'single' $(x) \`y\``, '🚀 e\u0301 日本', '--force'];
    for (const name of names) await ok('snapshot', 'take', 'snaps', `--name=${name}`);
    const listed = (await ok('snapshot', 'list', 'snaps', '--json')).json.snapshots as { id: string; name: string }[];
    assert.deepEqual(listed.map((s) => s.name), names);
    assert.deepEqual((await ok('show', 'snaps', '--json')).json.snapshots.map((s: { name: string }) => s.name), names);
    expectFail(await h('snapshot', 'edit', 'snaps', '../../etc', '--name=a\tb'), 2, /control characters/, 'rename to a tab');
    const restored = await ok('snapshot', 'restore', 'snaps', '../../etc', '--json');
    assert.equal((await ok('show', 'snaps', '--json')).json.currentSnapshotId, listed[0]!.id, restored.stderr);
    for (const name of names) await ok('snapshot', 'delete', 'snaps', '--', name);
    assert.deepEqual((await ok('snapshot', 'list', 'snaps', '--json')).json.snapshots, []);
    await ok('delete', 'snaps');
  });

  test('disk images, ISOs and kernels that are Hangar\'s or another VM\'s are refused; nothing is adopted', async () => {
    const links = {
      toOther: join(user, 'link-to-other.qcow2'),
      toMine: join(user, 'link-to-mine.qcow2'),
      hardMine: join(user, 'hard-mine.qcow2'),
      overOther: join(user, 'over-other.qcow2'),
      overMine: join(user, 'over-mine.qcow2'),
      folder: join(user, 'folder'),
    };
    symlinkSync(other.disk, links.toOther);
    symlinkSync(mine, links.toMine);
    linkSync(mine, links.hardMine);
    mkdirSync(links.folder);
    for (const [over, base] of [[links.overOther, other.frozen], [links.overMine, mine]] as const) {
      const r = spawnSync('qemu-img', ['create', '-f', 'qcow2', '-F', 'qcow2', '-b', base, over], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    // An ISO and a kernel stashed in the other VM's folder (then taken away again).
    const stashIso = join(other.folder, 'stash.iso');
    const stashKernel = join(other.folder, 'stash-vmlinuz');
    copyFileSync(guest.iso, stashIso);
    copyFileSync(guest.kernel, stashKernel);
    const isoLink = join(user, 'stash.iso');
    symlinkSync(stashIso, isoLink);
    const before = await everything();
    const inventory = homePaths(home).inventory;
    const belongsToOther = /belongs to VM 'other': a VM cannot use another VM's files \(to copy a VM, clone it\)/;
    const create = (...args: string[]) => h('create', '--name', 'intruder', '--nic', 'none', ...args);
    const cases: [string, () => Promise<CliResult>, RegExp][] = [
      ["the other VM's disk", () => create('--disk-image', other.disk), belongsToOther],
      ["the other VM's frozen snapshot image", () => create('--disk-image', other.frozen), belongsToOther],
      ['a symlink to it', () => create('--disk-image', links.toOther), belongsToOther],
      ['a ../../ path to it', () => create('--disk-image', traversal(other.disk)), belongsToOther],
      ['a path through VMs/../VMs', () => create('--disk-image', join(home, 'VMs', '..', 'VMs', other.id, 'disks', '..', 'disks', other.disk.split('/').pop()!)), belongsToOther],
      ["a hard link to the image another VM uses in place", () => create('--disk-image', links.hardMine), /is a disk of VM 'inplace' \(.*mine\.qcow2\)/],
      ['a symlink to it', () => create('--disk-image', links.toMine), /is a disk of VM 'inplace'/],
      ["the image another VM uses in place", () => create('--disk-image', mine), /already a disk of another VM|is a disk of VM 'inplace'/],
      ["an overlay on the other VM's snapshot image", () => create('--disk-image', links.overOther), /reads data from other files: .* \(its backing file\): to copy it, .* add --flatten$/m],
      ['the same, flattened', () => create('--disk-image', links.overOther, '--flatten'), /reads .* \(its backing file\), which belongs to VM 'other': a VM cannot use another VM's files/],
      ["an overlay on another VM's in-place image", () => create('--disk-image', links.overMine), /reads data from other files: .*mine\.qcow2 \(its backing file\)/],
      ['the same, flattened', () => create('--disk-image', links.overMine, '--flatten'), /reads .*mine\.qcow2 \(its backing file\), which is a disk of VM 'inplace'/],
      ["the inventory", () => create('--disk-image', inventory), /one of Hangar's own files|not a disk image/],
      ['/dev/zero', () => create('--disk-image', '/dev/zero'), /\/dev\/zero is not a file/],
      ['a FIFO', () => create('--disk-image', fifo), /fifo is not a file/],
      ['a folder', () => create('--disk-image', links.folder), /folder is not a file/],
      ['a missing file', () => create('--disk-image', join(user, 'missing.qcow2')), /missing\.qcow2 does not exist/],
      ["an ISO in the other VM's folder", () => create('--disk', 'none', '--iso', stashIso), belongsToOther],
      ['a symlink to it', () => create('--disk', 'none', '--iso', isoLink), belongsToOther],
      ['an ISO that is /dev/zero', () => create('--disk', 'none', '--iso', '/dev/zero'), /is not a regular file/],
      ['an ISO that is a FIFO', () => create('--disk', 'none', '--iso', fifo), /is not a regular file/],
      ['an ISO that is a folder', () => create('--disk', 'none', '--iso', links.folder), /is not a regular file/],
      ["a kernel in the other VM's folder", () => create('--disk', 'none', '--kernel', stashKernel), belongsToOther],
      ['a kernel that is the inventory', () => create('--disk', 'none', '--kernel', inventory), /is one of Hangar's own files .*: a VM cannot use the files Hangar manages/],
      ['a kernel that is /dev/zero', () => create('--disk', 'none', '--kernel', '/dev/zero'), /is not a regular file/],
      ['a kernel that is a FIFO', () => create('--disk', 'none', '--kernel', fifo), /is not a regular file/],
      ['a missing initrd', () => create('--disk', 'none', '--kernel', guest.kernel, '--initrd', join(user, 'nope')), /does not exist or cannot be read/],
      ["an initrd that is the other VM's disk", () => create('--disk', 'none', '--kernel', guest.kernel, '--initrd', links.toOther), belongsToOther],
      ["a disk added to a VM from the other VM", () => h('modify', 'inplace', '--disk-image', links.toOther), belongsToOther],
      ["an ISO put into a VM from the other VM", () => h('modify', 'inplace', '--iso', isoLink), belongsToOther],
      ['a kernel set from /dev/zero', () => h('modify', 'inplace', '--kernel', '/dev/zero'), /is not a regular file/],
    ];
    // One at a time: each must find the home as it was.
    for (const [what, run, message] of cases) expectFail(await run(), 2, message, what);
    assert.deepEqual(await everything(), before);
    // Nobody else's disk is named by any VM but its owner.
    for (const vm of ((await ok('list', '--json')).json.vms as { name: string }[]).filter((v) => v.name !== 'other')) {
      const shown = (await ok('show', vm.name, '--json')).json;
      for (const d of shown.disks as { chain: string[] }[]) for (const p of d.chain) assert.ok(!p.startsWith(other.folder), `${vm.name} uses ${p}`);
    }
    rmSync(stashIso);
    rmSync(stashKernel);
  });

  test('import reads only regular appliance files', async () => {
    const before = await everything();
    const cases: [string, string, RegExp][] = [
      ['a missing file', join(user, 'missing.ova'), /missing\.ova does not exist/],
      ['a folder', user, /is not a file/],
      ['/dev/zero', '/dev/zero', /\/dev\/zero is not a file/],
      ['a FIFO', fifo, /fifo is not a file/],
      ['a ../../ path to /etc/passwd', traversal('/etc/passwd'), /\/etc\/passwd is not an OVA/],
      ["the other VM's disk", other.disk, /is a QCOW2 disk image, not a tar/],
    ];
    for (const [what, file, message] of cases) {
      expectFail(await h('import', file, '--dry-run'), 2, message, `${what} (dry run)`);
      expectFail(await h('import', file, '--name', 'imported'), 2, message, what);
    }
    assert.deepEqual(await everything(), before);
  });

  test('export -o refuses the folders Hangar manages, things that are not files, and existing files', async () => {
    const folderLink = join(user, 'into-other');
    symlinkSync(other.folder, folderLink);
    const existing = join(user, 'exists.ova');
    writeFileSync(existing, 'keep me');
    const pipe = join(user, 'pipe.ova');
    assert.equal(spawnSync('mkfifo', [pipe]).status, 0);
    mkdirSync(join(user, 'dir.ova'));
    const before = await everything();
    const filesBefore = userFiles();
    const exp = (file: string) => h('export', 'inplace', '-o', file);
    const cases: [string, string, number, RegExp][] = [
      ["the other VM's folder", join(other.folder, 'x.ova'), 2, /x\.ova belongs to VM 'other': Hangar does not write your files there; choose another place/],
      ["the other VM's disks folder (.ovf)", join(other.folder, 'disks', 'x.ovf'), 2, /belongs to VM 'other'/],
      ["the exporting VM's own folder", join((await ok('show', 'inplace', '--json')).json.folder, 'x.ova'), 2, /belongs to VM 'inplace'/],
      ['the VMs folder', join(home, 'VMs', 'x.ova'), 2, /inside Hangar's VM folders/],
      ["a symlinked folder into the other VM's", join(folderLink, 'x.ova'), 2, /belongs to VM 'other'/],
      ["a ../../ path into the other VM's folder", traversal(join(other.folder, 'x.ova')), 2, /belongs to VM 'other'/],
      ['a folder that is a file', join(mine, 'x.ova'), 2, /mine\.qcow2 is not a folder/],
      ['a missing folder', join(user, 'nowhere', 'x.ova'), 1, /folder .*nowhere does not exist/],
      ['an existing file', existing, 1, /exists\.ova already exists/],
      ['a FIFO', pipe, 2, /pipe\.ova exists and is not a regular file/],
      ['a folder', join(user, 'dir.ova'), 2, /dir\.ova exists and is not a regular file/],
      ['a name that is no appliance', join(user, 'x.qcow2'), 2, /-o takes a file ending in \.ova or \.ovf/],
    ];
    for (const [what, file, code, message] of cases) expectFail(await exp(file), code, message, what);
    assert.equal(readFileSync(existing, 'utf8'), 'keep me');
    assert.deepEqual(userFiles(), filesBefore, 'no staging files left behind');
    assert.deepEqual(await everything(), before);
  });

  test('names with quotes, commas, shell and format characters and any script round-trip exactly; such a VM boots, and its screenshot goes only where it may', async () => {
    const fine = [`it's "quoted"`, '🚀 émoji e\u0301 日本語 עברית', '$(touch x) `id` ; | & > <', '%s %n {0} ${x}', '*?[glob]~', '.hidden', '...', 'a,b=c,,d', 'space  inside', 'Ωmega-ß'];
    const ids = new Map<string, string>();
    for (const name of fine) {
      const r = await ok('create', `--name=${name}`, '--disk', 'none', '--nic', 'none', '--memory', '128', '--json');
      assert.equal(r.json.name, name);
      ids.set(name, r.json.id);
    }
    const listed = ((await ok('list', '--json')).json.vms as { id: string; name: string }[]).filter((v) => ids.has(v.name));
    assert.deepEqual(listed.map((v) => v.name).sort(), [...fine].sort());
    for (const name of fine) {
      assert.equal((await ok('show', name, '--json')).json.name, name, `by name: ${name}`);
      assert.equal((await ok('show', ids.get(name)!, '--json')).json.name, name, `by id: ${name}`);
    }
    for (const name of fine) await ok('delete', name);

    const bootName = `Boot "🚀" e\u0301, x=y; $(id)`;
    const vm = (
      await ok('create', `--name=${bootName}`, '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', 'none', '--nic', 'none', '--memory', '128', '--json')
    ).json;
    const started = await ok('start', bootName, '--wait-serial', GUEST_READY, '--timeout', '300', '--json');
    assert.equal(started.json.serialMatched, true);
    const running = ((await ok('list', '--json')).json.vms as { name: string; state: string }[]).find((v) => v.name === bootName);
    assert.equal(running?.state, 'running');

    // Screenshots: never into Hangar's folders or files, never into a FIFO or a device.
    const mineDigest = digest(mine);
    const dangling = join(user, 'dangling.png');
    symlinkSync(join(other.folder, 'planted.png'), dangling);
    const shot = (file: string) => h('screenshot', bootName, '-o', file);
    const cases: [string, string, number, RegExp][] = [
      ["the other VM's folder", join(other.folder, 'shot.png'), 2, /belongs to VM 'other'/],
      ["its own VM's folder", join(vm.folder, 'shot.png'), 2, /belongs to VM 'Boot "🚀" e\u0301, x=y; \$\(id\)'/],
      ['the inventory', homePaths(home).inventory, 2, /is one of Hangar's own files/],
      ["another VM's disk outside the home", mine, 2, /is a disk of VM 'inplace'/],
      ['a FIFO', fifo, 2, /exists and is not a regular file/],
      ['/dev/null', '/dev/null', 2, /exists and is not a regular file/],
      ['a folder', user, 2, /exists and is not a regular file/],
      ['a link to a missing file in the other VM\'s folder', dangling, 2, /belongs to VM 'other'|link to a file that does not exist/],
      ['a missing folder', join(user, 'nowhere', 's.png'), 1, /folder .*nowhere does not exist/],
      ['a folder that is a file', join(mine, 's.png'), 2, /mine\.qcow2 is not a folder/],
    ];
    for (const [what, file, code, message] of cases) expectFail(await shot(file), code, message, what);
    assert.equal(digest(mine), mineDigest, "the other VM's disk is untouched");
    assert.deepEqual(readdirSync(other.folder).filter((f) => f.endsWith('.png')), []);
    const db = new Database(homePaths(home).inventory, { readonly: true, fileMustExist: true });
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      db.close();
    }
    // A fine name, and an existing file of the user's own is overwritten as asked.
    const png = join(user, `shot "q" 🚀.png`);
    writeFileSync(png, 'old');
    for (let i = 0; i < 2; i++) {
      await ok('screenshot', bootName, '-o', png);
      assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    }
    const stopped = await ok('stop', bootName, '--force', '--json');
    assert.equal(stopped.json.state, 'stopped');
    await ok('delete', bootName);
  });
});

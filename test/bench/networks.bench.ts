// Network benchmarks (issue 17), in a network namespace of their own (needs root):
// - VM-to-VM TCP throughput on a Hangar nat network, against the same two QEMUs (the argv Hangar
//   gave them, with run folders and taps of their own) started bare at the same time, their taps on a
//   bridge made by hand with nothing else on it; the two are measured in turns;
// - guest-to-host TCP throughput through user-mode NAT (slirp), against the same through a tap.
// The guests send with busybox nc; the VM-to-VM sender times itself (/proc/uptime, 10 ms steps), the
// host's receiver times the guest-to-host transfers. Under TCG the figures are small; the ratios count.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestNetns } from '../helpers/netns.node.js';
import { waitUntil } from '../helpers/cli.node.js';
import { createClient } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { median, type BenchFigure } from './results.js';

const RUNS = 4;
/** 8 MiB per transfer: a few seconds under TCG. */
const BLOCKS = 128;
const BYTES = BLOCKS * 65536;
const SEND = (to: string, port: number) => `dd if=/dev/zero bs=65536 count=${BLOCKS} 2>/dev/null | nc ${to} ${port}`;

/** A TCP receiver inside the namespace that reports, per connection, the bytes and the time from first byte to end. */
function startSink(ns: TestNetns, port: number): { proc: ChildProcess; results: () => { bytes: number; ms: number }[] } {
  const script = `const n=require('net');n.createServer((s)=>{let b=0,t=0;s.on('data',(d)=>{if(!t)t=performance.now();b+=d.length});s.on('end',()=>{process.stdout.write(JSON.stringify({bytes:b,ms:performance.now()-t})+'\\n');s.destroy()})}).listen(${port},'0.0.0.0')`;
  const proc = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, results: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { bytes: number; ms: number }) };
}

const mibps = (bytes: number, ms: number) => bytes / 2 ** 20 / (ms / 1000);

/** A QEMU started bare from the argv Hangar gave it: QMP handshake and cont, its serial console typed into. */
class BareGuest {
  private text = '';
  private n = 0;
  private constructor(
    private readonly qemu: ChildProcess,
    private readonly serial: Socket,
  ) {
    serial.on('data', (d: Buffer) => (this.text += d.toString()));
  }

  static async start(ns: TestNetns, spec: { qemu: { binary: string; argv: string[]; env: Record<string, string> }; qmpSocket: string; serialSocket: string }): Promise<BareGuest> {
    for (const p of [spec.qmpSocket, spec.serialSocket]) rmSync(p, { force: true });
    const qemu = spawn('ip', ['netns', 'exec', ns.name, spec.qemu.binary, ...spec.qemu.argv], { env: spec.qemu.env, stdio: 'ignore' });
    const open = (path: string) =>
      waitUntil(`${path} to accept`, () => new Promise<Socket | undefined>((resolve) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      }), 30_000, 20);
    const qmp = await open(spec.qmpSocket);
    const serial = await open(spec.serialSocket);
    const guest = new BareGuest(qemu, serial);
    let q = '';
    qmp.on('data', (d: Buffer) => (q += d.toString()));
    await waitUntil('the QMP greeting', () => (q.includes('"QMP"') ? true : undefined), 30_000, 10);
    qmp.write('{"execute":"qmp_capabilities"}\n{"execute":"cont"}\n');
    await guest.waitFor(/TESTGUEST READY/, 240_000);
    return guest;
  }

  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    return waitUntil(`${re} on a bare guest`, () => re.exec(this.text)?.[1] ?? re.exec(this.text)?.[0], timeoutMs, 100);
  }

  async value(command: string, timeoutMs = 120_000): Promise<string> {
    const tag = `out${++this.n}x`;
    this.serial.write(`echo "${tag}=[$(${command} 2>&1 | tr '\\n' ' ')]"\r`);
    return (await this.waitFor(new RegExp(`${tag}=\\[([^\\]$]*)\\]`), timeoutMs)).trim();
  }

  send(line: string): void {
    this.serial.write(`${line}\r`);
  }

  stop(): void {
    this.serial.destroy();
    this.qemu.kill('SIGKILL');
  }
}

/**
 * A guest of the owner typed into through the API (vm.send) and read from its console events: no
 * process is started while a transfer runs (a CLI per poll would take CPU from the TCG guests).
 */
async function apiGuests(home: string) {
  const client = createClient(await connectUnix(homePaths(home).ownerSocket), hangarApi);
  const text = new Map<string, string>();
  client.onEvent((name, payload) => {
    const e = payload as { id: string; data?: string };
    if (name === 'vm.console' && e.data) text.set(e.id, (text.get(e.id) ?? '') + Buffer.from(e.data, 'base64').toString());
  });
  let n = 0;
  return {
    async attach(ref: string): Promise<string> {
      const { id } = await client.call('vm.consoleAttach', { ref, backlogBytes: 0 });
      text.set(id, '');
      return id;
    },
    async value(id: string, command: string, timeoutMs = 180_000): Promise<string> {
      const tag = `out${++n}x`;
      await client.call('vm.send', { ref: id, text: `echo "${tag}=[$(${command} 2>&1 | tr '\\n' ' ')]"` });
      const re = new RegExp(`${tag}=\\[([^\\]$]*)\\]`);
      return (await waitUntil(`'${command}'`, () => re.exec(text.get(id) ?? '')?.[1], timeoutMs, 100)).trim();
    },
    async send(id: string, line: string): Promise<void> {
      await client.call('vm.send', { ref: id, text: line });
    },
    dispose: () => client.dispose(),
  };
}

/**
 * Seconds a guest takes to send 8 MiB to the receiver's port (timed by the sender itself); the
 * receiver counts what arrived, and a transfer that lost a byte fails the benchmark.
 */
async function timedSend(
  sender: (cmd: string) => Promise<string>,
  receiver: { send: (line: string) => Promise<void>; value: (cmd: string) => Promise<string> },
  to: string,
  port: number,
): Promise<number> {
  // Typed as a line of its own (not inside a command substitution, which would wait for it).
  await receiver.send(`nc -l -p ${port} | wc -c > /tmp/got.${port} &`);
  await new Promise((r) => setTimeout(r, 1500));
  const out = await sender(`read S _ < /proc/uptime; ${SEND(to, port)}; read E _ < /proc/uptime; echo $S $E`);
  const [s, e] = out.split(/\s+/).map(Number);
  const got = await waitUntil(`the receiver to count port ${port}`, async () => {
    const v = (await receiver.value(`cat /tmp/got.${port}`)).trim();
    return /^\d+$/.test(v) ? Number(v) : undefined;
  }, 60_000, 500);
  if (got !== BYTES) throw new Error(`the transfer to ${to}:${port} delivered ${got} of ${BYTES} bytes`);
  return e! - s!;
}

export async function networksBench(): Promise<BenchFigure[]> {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgbench');
  const home = mkdtempSync(join(tmpdir(), 'hangar-bench-net-'));
  const { h, ok } = ns.cli(home);
  const sinks: ChildProcess[] = [];
  const bare: BareGuest[] = [];
  let guests: Awaited<ReturnType<typeof apiGuests>> | undefined;
  try {
    const vm = (name: string, nic: string) => ok('create', '--name', name, '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet', '--nic', nic, '--json');
    await ok('network', 'create', 'lab', '--mode', 'nat', '--subnet', '10.77.0.0/24');
    const a = (await vm('a', 'virtio,network=lab')).json;
    const b = (await vm('b', 'virtio,network=lab')).json;
    await vm('c', 'virtio');
    // Each figure and its reference are measured in turns (Hangar, bare, Hangar, …), so that the load
    // of a shared machine falls on both alike.
    await Promise.all(['a', 'b', 'c'].map((n) => ok('start', n, '--wait-serial', 'TESTGUEST NET', '--timeout', '300')));
    const bAddr = (await ok('show', 'b', '--json')).json.nics[0].ipAddresses[0] as string;
    guests = await apiGuests(home);
    const g = guests;
    const [ga, gb, gc] = [await g.attach('a'), await g.attach('b'), await g.attach('c')];

    // The same two QEMUs bare: a and b's argv with their own run folders and taps, on a bridge made by
    // hand (no dnsmasq, no nftables), with static addresses.
    const bareDir = mkdtempSync(join(tmpdir(), 'hangar-bench-bare-'));
    ns.run('ip', 'link', 'add', 'barebr', 'type', 'bridge');
    ns.run('ip', 'link', 'set', 'barebr', 'up');
    for (const [i, v] of [a, b].entries()) {
      const spec = JSON.parse(readFileSync(join(v.folder as string, 'run', 'host-spec.json'), 'utf8'));
      const runDir = join(v.folder as string, 'run');
      const own = join(bareDir, `vm${i}`);
      mkdirSync(own, { recursive: true });
      const tapName = `hgbare${i}`;
      const argv = (spec.qemu.argv as string[]).map((x) => x.split(runDir).join(own).replace(/ifname=hgt[0-9a-f]+/, `ifname=${tapName}`));
      ns.run('ip', 'tuntap', 'add', 'dev', tapName, 'mode', 'tap', 'vnet_hdr');
      ns.run('ip', 'link', 'set', 'dev', tapName, 'master', 'barebr');
      ns.run('ip', 'link', 'set', 'dev', tapName, 'up');
      bare.push(await BareGuest.start(ns, { qemu: { ...spec.qemu, argv }, qmpSocket: join(own, 'qmp.sock'), serialSocket: join(own, 'serial.sock') }));
    }
    const [ba, bb] = bare as [BareGuest, BareGuest];
    await ba.value('ip addr add 10.88.0.1/24 dev eth0 && ip link set eth0 up');
    await bb.value('ip addr add 10.88.0.2/24 dev eth0 && ip link set eth0 up');
    await waitUntil('the bare guests to see each other', async () => ((await ba.value('ping -c 1 -W 2 10.88.0.2 >/dev/null; echo $?')) === '0' ? true : undefined), 60_000);

    // VM to VM: on the nat network, and bare.
    const hangarVmToVm: number[] = [];
    const bareVmToVm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // (the order alternates too: whichever goes first in a turn is not favoured)
      const hangar = () => timedSend((c) => g.value(ga, c), { send: (l) => g.send(gb, l), value: (c) => g.value(gb, c) }, bAddr, 5001 + i);
      const bareRun = () => timedSend((c) => ba.value(c), { send: async (l) => bb.send(l), value: (c) => bb.value(c) }, '10.88.0.2', 7001 + i);
      if (i % 2 === 0) {
        hangarVmToVm.push(await hangar());
        bareVmToVm.push(await bareRun());
      } else {
        bareVmToVm.push(await bareRun());
        hangarVmToVm.push(await hangar());
      }
    }
    for (const x of bare) x.stop();

    // Guest to host: through a tap (the nat network's gateway) and user-mode NAT (10.0.2.2 is the host).
    const sink = startSink(ns, 6000);
    sinks.push(sink.proc);
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < RUNS; i++) {
      await g.value(ga, SEND('10.77.0.1', 6000));
      await waitUntil('the receiver', () => (sink.results().length >= 2 * i + 1 ? true : undefined), 60_000);
      await g.value(gc, SEND('10.0.2.2', 6000));
      await waitUntil('the receiver', () => (sink.results().length >= 2 * i + 2 ? true : undefined), 60_000);
    }
    const results = sink.results();
    for (const r of results) if (r.bytes !== BYTES) throw new Error(`a transfer to the host delivered ${r.bytes} of ${BYTES} bytes`);
    const rates = results.map((r) => mibps(r.bytes, r.ms));
    const tap = median(rates.filter((_, i) => i % 2 === 0));
    const userMode = median(rates.filter((_, i) => i % 2 === 1));
    rmSync(bareDir, { recursive: true, force: true });

    const hv = mibps(BYTES, median(hangarVmToVm) * 1000);
    const bv = mibps(BYTES, median(bareVmToVm) * 1000);
    const round = (x: number) => Math.round(x * 100) / 100;
    return [
      {
        name: `VM-to-VM TCP throughput on a nat network (8 MiB with busybox nc, median of ${RUNS})`,
        value: round(hv),
        unit: 'MiB/s',
        reference: round(bv),
        referenceName: 'the same two QEMUs (same argv) started bare, their taps on a hand-made bridge',
        ratio: hv / bv,
        note: `TCG guests: the emulated CPUs, not the network, set the pace; measured in turns with the reference; runs ${hangarVmToVm.map((x) => x.toFixed(2)).join(', ')} s vs ${bareVmToVm.map((x) => x.toFixed(2)).join(', ')} s`,
      },
      {
        name: `guest-to-host TCP throughput through user-mode NAT (8 MiB, median of ${RUNS})`,
        value: round(userMode),
        unit: 'MiB/s',
        reference: round(tap),
        referenceName: 'the same transfer from a guest on a nat network (tap on the bridge)',
        ratio: userMode / tap,
        note: 'measured in turns with the reference; QEMU copies every packet through its slirp stack',
      },
    ];
  } finally {
    guests?.dispose();
    for (const g of bare) g.stop();
    for (const s of sinks) s.kill('SIGKILL');
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    rmSync(home, { recursive: true, force: true });
  }
}

// A client of the QEMU guest agent, through QEMU's chardev socket for the org.qemu.guest_agent.0 port.
// One call at a time (the agent answers in order, without ids); every conversation after a doubt (the
// first one, a timeout, a reconnect) starts with guest-sync-delimited, so no stale reply is ever taken
// for a new one, and no command is ever sent to a port nobody reads (it would run whenever an agent
// started, long after the caller gave up).
import { connect, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { HangarError } from '../base/errors.js';
import { QgaDecoder, encodeQga, type QgaMessage } from './protocol.js';

export class QgaError extends HangarError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super('QEMU_FAILED', `the guest agent refused ${command}: ${desc}`);
  }
}

export class QgaClient {
  private sock: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private decoder: QgaDecoder;
  private synced = false;
  private waiter: ((m: QgaMessage) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly socketPath: string,
    private readonly log: (line: string) => void,
  ) {
    this.decoder = new QgaDecoder((why) => this.log(`agent: dropped ${why}`));
  }

  /** Runs `f` after every earlier call has finished. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(f, f);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private socket(): Promise<Socket> {
    if (this.disposed) return Promise.reject(new HangarError('STATE_CONFLICT', 'the VM has ended'));
    if (this.sock && !this.sock.destroyed) return Promise.resolve(this.sock);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect(this.socketPath);
      s.once('connect', () => {
        this.sock = s;
        this.synced = false;
        this.connecting = undefined;
        resolve(s);
      });
      s.once('error', (e) => {
        this.connecting = undefined;
        reject(new HangarError('IO_ERROR', `cannot reach the guest agent's channel: ${e.message}`));
      });
      s.on('data', (chunk: Buffer) => {
        for (const m of this.decoder.push(chunk)) {
          const w = this.waiter;
          this.waiter = undefined;
          if (w) w(m);
          else this.log(`agent: a reply nobody waited for was dropped`);
        }
      });
      s.on('close', () => {
        if (this.sock === s) this.sock = undefined;
        this.synced = false;
      });
    });
    return this.connecting;
  }

  /** Waits for the next message, or undefined after the timeout (the conversation is then out of step). */
  private next(timeoutMs: number, signal?: AbortSignal): Promise<QgaMessage | undefined> {
    return new Promise((resolve) => {
      const done = (m: QgaMessage | undefined) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiter === done) this.waiter = undefined;
        resolve(m);
      };
      const onAbort = () => done(undefined);
      const t = setTimeout(() => done(undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = done;
    });
  }

  private async syncNow(timeoutMs: number): Promise<boolean> {
    const s = await this.socket();
    const id = randomInt(1, 2 ** 31);
    this.decoder.resync();
    s.write(encodeQga('guest-sync-delimited', { id }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const m = await this.next(left);
      if (!m) return false;
      if ('return' in m && m.return === id) {
        this.synced = true;
        return true;
      }
      // A stale reply (an earlier sync's, or a command's whose caller timed out): keep reading.
    }
  }

  /** Whether an agent answers within the time (a guest-sync-delimited round trip). */
  sync(timeoutMs: number): Promise<boolean> {
    return this.serial(async () => {
      try {
        return await this.syncNow(timeoutMs);
      } catch {
        return false;
      }
    });
  }

  /**
   * Runs one command. Throws AGENT_ABSENT-flavoured UNSUPPORTED when no agent answers the sync, TIMEOUT
   * when the command's reply does not come in time, QgaError when the agent refuses it. `noReply`: the
   * command answers nothing on success (guest-shutdown).
   */
  execute<T>(command: string, args?: Record<string, unknown>, o: { timeoutMs?: number; syncTimeoutMs?: number; noReply?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    return this.serial(async () => {
      if (!this.synced || !this.sock || this.sock.destroyed) {
        let ok = false;
        try {
          ok = await this.syncNow(o.syncTimeoutMs ?? 3_000);
        } catch {
          ok = false;
        }
        if (!ok) throw new HangarError('UNSUPPORTED', 'the guest agent does not answer', { details: { agent: 'absent' } });
      }
      const s = this.sock!;
      s.write(encodeQga(command, args));
      if (o.noReply) {
        // Whatever it answers (an error, if any) is read by the next sync; the conversation is out of step.
        this.synced = false;
        return undefined as T;
      }
      const m = await this.next(o.timeoutMs ?? 10_000, o.signal);
      if (!m) {
        this.synced = false;
        if (o.signal?.aborted) throw new HangarError('CANCELLED', `stopped waiting for the guest agent's reply to ${command}`);
        throw new HangarError('TIMEOUT', `the guest agent did not answer ${command} within ${Math.round((o.timeoutMs ?? 10_000) / 1000)} s`);
      }
      if ('error' in m) throw new QgaError(command, m.error.class, m.error.desc);
      return m.return as T;
    });
  }

  dispose(): void {
    this.disposed = true;
    this.sock?.destroy();
    this.sock = undefined;
    this.waiter?.(undefined as unknown as QgaMessage);
  }
}

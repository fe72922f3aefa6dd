// A tiny VNC (RFB 3.8) server on a unix socket, for the fake VMM host: security type None, raw
// encoding, the picture a callback draws. It serves what noVNC sends (pixel format, encodings, update
// requests, keys, pointer, clipboard) and drops a client that sends anything else.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { Disposable } from '../../src-vmm/base/disposable.js';

export interface VncScreen {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel */
  rgba(): Uint8Array;
}

export const XK_CONTROL_L = 0xffe3;
export const XK_ALT_L = 0xffe9;
export const XK_DELETE = 0xffff;

interface PixelFormat {
  bigEndian: boolean;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

export interface FakeVncServer extends Disposable {
  /** the picture changed: clients that asked for an update get it */
  invalidate(): void;
}

export async function startFakeVnc(path: string, name: string, screen: VncScreen, onKey: (keysym: number, down: boolean) => void): Promise<FakeVncServer> {
  const sessions = new Set<Session>();
  rmSync(path, { force: true });
  const server: Server = createServer((sock) => {
    const s = new Session(sock, name, screen, onKey);
    sessions.add(s);
    sock.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(previous);
    }
  });
  return {
    invalidate: () => sessions.forEach((s) => s.invalidate()),
    dispose: () => {
      for (const s of sessions) s.close();
      server.close();
      rmSync(path, { force: true });
    },
  };
}

class Session {
  private phase: 'version' | 'security' | 'init' | 'normal' = 'version';
  private inbox = Buffer.alloc(0);
  private format: PixelFormat = { bigEndian: false, redShift: 16, greenShift: 8, blueShift: 0 };
  private waiting = false;
  private dirty = false;

  constructor(
    private readonly sock: Socket,
    private readonly name: string,
    private readonly screen: VncScreen,
    private readonly onKey: (keysym: number, down: boolean) => void,
  ) {
    sock.on('data', (d: Buffer) => {
      this.inbox = Buffer.concat([this.inbox, d]);
      this.process();
    });
    sock.on('error', () => sock.destroy());
    sock.write('RFB 003.008\n');
  }

  close(): void {
    this.sock.destroy();
  }

  invalidate(): void {
    this.dirty = true;
    if (this.waiting) this.sendFrame();
  }

  private take(n: number): Buffer | null {
    if (this.inbox.length < n) return null;
    const head = this.inbox.subarray(0, n);
    this.inbox = this.inbox.subarray(n);
    return head;
  }

  private process(): void {
    for (;;) {
      switch (this.phase) {
        case 'version':
          if (!this.take(12)) return;
          this.phase = 'security';
          this.sock.write(Buffer.from([1, 1])); // one security type: None
          continue;
        case 'security':
          if (!this.take(1)) return;
          this.phase = 'init';
          this.sock.write(Buffer.from([0, 0, 0, 0])); // SecurityResult: OK
          continue;
        case 'init': {
          if (!this.take(1)) return; // ClientInit (shared flag)
          this.phase = 'normal';
          const name = Buffer.from(this.name);
          const m = Buffer.alloc(24 + name.length);
          m.writeUInt16BE(this.screen.width, 0);
          m.writeUInt16BE(this.screen.height, 2);
          m.set([32, 24, 0, 1], 4); // bits per pixel, depth, big-endian, true colour
          m.writeUInt16BE(255, 8);
          m.writeUInt16BE(255, 10);
          m.writeUInt16BE(255, 12);
          m.set([16, 8, 0], 14);
          m.writeUInt32BE(name.length, 20);
          name.copy(m, 24);
          this.sock.write(m);
          continue;
        }
        case 'normal': {
          if (this.inbox.length < 1) return;
          const type = this.inbox[0]!;
          let size: number;
          if (type === 0) size = 20;
          else if (type === 2) {
            if (this.inbox.length < 4) return;
            size = 4 + 4 * this.inbox.readUInt16BE(2);
          } else if (type === 3) size = 10;
          else if (type === 4) size = 8;
          else if (type === 5) size = 6;
          else if (type === 6) {
            if (this.inbox.length < 8) return;
            size = 8 + Math.abs(this.inbox.readInt32BE(4));
          } else {
            // A message this server never offered: its length is unknown, so the stream cannot be read on.
            this.close();
            return;
          }
          const msg = this.take(size);
          if (!msg) return;
          this.handle(type, msg);
          continue;
        }
      }
    }
  }

  private handle(type: number, m: Buffer): void {
    if (type === 0) {
      this.format = { bigEndian: m[6] !== 0, redShift: m[14]!, greenShift: m[15]!, blueShift: m[16]! };
    } else if (type === 3) {
      const incremental = m[1] === 1;
      if (!incremental || this.dirty) this.sendFrame();
      else this.waiting = true;
    } else if (type === 4) {
      this.onKey(m.readUInt32BE(4), m[1] === 1);
    }
  }

  private sendFrame(): void {
    this.waiting = false;
    this.dirty = false;
    const { width: w, height: h } = this.screen;
    const rgba = this.screen.rgba();
    const msg = Buffer.alloc(16 + w * h * 4);
    msg.writeUInt8(0, 0); // FramebufferUpdate
    msg.writeUInt16BE(1, 2);
    msg.writeUInt16BE(w, 8);
    msg.writeUInt16BE(h, 10);
    msg.writeInt32BE(0, 12); // raw encoding
    const f = this.format;
    for (let i = 0, o = 16; i < w * h * 4; i += 4, o += 4) {
      const v = ((rgba[i]! << f.redShift) | (rgba[i + 1]! << f.greenShift) | (rgba[i + 2]! << f.blueShift)) >>> 0;
      if (f.bigEndian) msg.writeUInt32BE(v, o);
      else msg.writeUInt32LE(v, o);
    }
    this.sock.write(msg);
  }
}

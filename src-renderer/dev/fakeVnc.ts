// A tiny RFB 3.8 server behind a WebSocket-shaped object, for the development harness: security
// type None, raw encoding, a screen drawn on an OffscreenCanvas. noVNC accepts such a channel in
// place of a websocket URL.

const W = 800;
const H = 500;
const XK_DELETE = 0xffff;
const XK_CONTROL_L = 0xffe3;
const XK_ALT_L = 0xffe9;

type Phase = 'version' | 'security' | 'init' | 'normal';

export class FakeVncChannel {
  binaryType = 'arraybuffer';
  protocol = '';
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((e: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;

  private phase: Phase = 'version';
  private inbox = new Uint8Array(0);
  private readonly down = new Set<number>();
  private lines: string[];
  private pendingIncremental = false;
  private dirty = false;

  constructor(private readonly vmName: string) {
    this.lines = ['SeaBIOS (version 1.16.2-debian-1.16.2-1)', '', 'Booting from Hard Disk...', '', `Debian GNU/Linux 12 ${vmName} tty1`, '', `${vmName} login: _`];
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
      this.push(new TextEncoder().encode('RFB 003.008\n'));
    }, 10);
  }

  send(data: ArrayBuffer | Uint8Array): void {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const merged = new Uint8Array(this.inbox.length + bytes.length);
    merged.set(this.inbox);
    merged.set(bytes, this.inbox.length);
    this.inbox = merged;
    this.process();
  }

  close(): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code: 1000, reason: '', wasClean: true }), 0);
  }

  private push(bytes: Uint8Array): void {
    if (this.readyState !== 1) return;
    const copy = bytes.slice().buffer;
    setTimeout(() => this.onmessage?.({ data: copy }), 0);
  }

  private take(n: number): Uint8Array | null {
    if (this.inbox.length < n) return null;
    const head = this.inbox.slice(0, n);
    this.inbox = this.inbox.slice(n);
    return head;
  }

  private process(): void {
    for (;;) {
      const dv = new DataView(this.inbox.buffer, this.inbox.byteOffset, this.inbox.byteLength);
      switch (this.phase) {
        case 'version':
          if (!this.take(12)) return;
          this.phase = 'security';
          this.push(new Uint8Array([1, 1])); // one security type: None
          continue;
        case 'security':
          if (!this.take(1)) return;
          this.phase = 'init';
          this.push(new Uint8Array([0, 0, 0, 0])); // SecurityResult OK
          continue;
        case 'init': {
          if (!this.take(1)) return;
          this.phase = 'normal';
          const name = new TextEncoder().encode(`${this.vmName} (mock)`);
          const m = new Uint8Array(24 + name.length);
          const v = new DataView(m.buffer);
          v.setUint16(0, W);
          v.setUint16(2, H);
          m.set([32, 24, 0, 1], 4); // bpp, depth, big-endian, true colour
          v.setUint16(8, 255);
          v.setUint16(10, 255);
          v.setUint16(12, 255);
          m.set([16, 8, 0], 14);
          v.setUint32(20, name.length);
          m.set(name, 24);
          this.push(m);
          continue;
        }
        case 'normal': {
          if (this.inbox.length < 1) return;
          const type = this.inbox[0]!;
          let size: number;
          switch (type) {
            case 0:
              size = 20;
              break;
            case 2:
              if (this.inbox.length < 4) return;
              size = 4 + 4 * dv.getUint16(2);
              break;
            case 3:
              size = 10;
              break;
            case 4:
              size = 8;
              break;
            case 5:
              size = 6;
              break;
            case 6:
              if (this.inbox.length < 8) return;
              size = 8 + Math.abs(dv.getInt32(4));
              break;
            default:
              // Unknown message: stop reading rather than guess its length.
              this.inbox = new Uint8Array(0);
              return;
          }
          const msg = this.take(size);
          if (!msg) return;
          this.handle(type, new DataView(msg.buffer));
          continue;
        }
      }
    }
  }

  private handle(type: number, v: DataView): void {
    if (type === 3) {
      const incremental = v.getUint8(1) === 1;
      if (!incremental || this.dirty) this.sendFrame();
      else this.pendingIncremental = true;
    } else if (type === 4) {
      const isDown = v.getUint8(1) === 1;
      const key = v.getUint32(4);
      if (isDown) this.down.add(key);
      else this.down.delete(key);
      if (isDown && key === XK_DELETE && this.down.has(XK_CONTROL_L) && this.down.has(XK_ALT_L)) {
        this.lines = [...this.lines.slice(0, -1), '', 'Ctrl-Alt-Del received: rebooting...', '', `${this.vmName} login: _`];
        this.dirty = true;
        if (this.pendingIncremental) this.sendFrame();
      }
    }
  }

  private sendFrame(): void {
    this.pendingIncremental = false;
    this.dirty = false;
    const canvas = new OffscreenCanvas(W, H);
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#000';
    g.fillRect(0, 0, W, H);
    g.fillStyle = '#c0c0c0';
    g.font = '16px monospace';
    this.lines.forEach((line, i) => g.fillText(line, 12, 28 + i * 22));
    const rgba = g.getImageData(0, 0, W, H).data;
    const header = new Uint8Array(16);
    const hv = new DataView(header.buffer);
    hv.setUint8(0, 0); // FramebufferUpdate
    hv.setUint16(2, 1);
    hv.setUint16(8, W);
    hv.setUint16(10, H);
    hv.setInt32(12, 0); // raw
    // noVNC asks for 32 bpp little-endian with red at shift 0: the bytes are R, G, B, X, like RGBA.
    const msg = new Uint8Array(header.length + rgba.length);
    msg.set(header);
    msg.set(rgba, header.length);
    this.push(msg);
  }
}

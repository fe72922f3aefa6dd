// One xterm.js terminal per VM for the life of the page, so the console keeps its screen when the
// user switches tabs or VMs. The first view of a VM subscribes this connection to its console
// (`vm.consoleAttach`, which returns the recent output), the last one to leave unsubscribes
// (`vm.consoleDetach`). Typing goes out in order through a send queue.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import type { Disposable } from '../../src-vmm/base/disposable.js';
import type { ApiConnection } from '../api/apiConnection.js';
import { createSendQueue, type SendQueue } from './sendQueue.js';
import { registryOf, type ConsoleRegistry } from './registry.js';
import { guestLinkTarget, type GuestLink } from './guestLinks.js';

const BACKLOG_BYTES = 64 * 1024;

export const LIGHT_TERMINAL: ITheme = { background: '#ffffff', foreground: '#1f2328', cursor: '#1f2328', selectionBackground: '#b6d7ff' };
export const DARK_TERMINAL: ITheme = { background: '#121212', foreground: '#e6e6e6', cursor: '#e6e6e6', selectionBackground: '#264f78' };

export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Where a terminal's console comes from: a local VM's (the default) or a remote domain's (remotes/). */
export interface ConsoleSource {
  /** subscribes this connection and returns the recent output (base64) */
  attach(id: string, backlogBytes: number): Promise<string>;
  detach(id: string): Promise<unknown>;
  /** what the console prints from now on (base64) */
  onData(id: string, cb: (data: string) => void): Disposable;
  send(id: string, text: string): Promise<void>;
}

function localConsole(api: ApiConnection): ConsoleSource {
  return {
    attach: (id, backlogBytes) => api.call('vm.consoleAttach', { ref: id, backlogBytes }).then((r) => r.backlog),
    detach: (id) => api.call('vm.consoleDetach', { ref: id }),
    onData: (id, cb) => api.on('vm.console', (p) => p.id === id && cb(p.data)),
    send: (id, text) => api.call('vm.send', { ref: id, text, enter: false }).then(() => undefined),
  };
}

export interface ConsoleEntry {
  readonly vmId: string;
  readonly source: ConsoleSource;
  readonly term: Terminal;
  readonly fit: FitAddon;
  /** the element the terminal lives in; views move it into their own container */
  readonly host: HTMLDivElement;
  users: number;
  /** the connection generation the subscription belongs to; null when not subscribed */
  attachedGeneration: number | null;
  attaching: Promise<void> | null;
  /** console events are written only once the backlog is on screen */
  ready: boolean;
  events: Disposable | null;
  queue: SendQueue;
  onSendError: ((e: unknown) => void) | null;
  /** a link in the guest's output was clicked: the view asks before anything opens */
  onLink: ((link: GuestLink) => void) | null;
}

export class TerminalRegistry implements ConsoleRegistry {
  private readonly entries = new Map<string, ConsoleEntry>();
  private theme: ITheme = LIGHT_TERMINAL;
  private readonly local: ConsoleSource;

  constructor(private readonly api: ApiConnection) {
    this.local = localConsole(api);
  }

  setTheme(theme: ITheme): void {
    this.theme = theme;
    for (const e of this.entries.values()) e.term.options.theme = theme;
  }

  /** A view starts showing the VM's console. */
  acquire(vmId: string, source: ConsoleSource = this.local): ConsoleEntry {
    let e = this.entries.get(vmId);
    if (!e) {
      const host = document.createElement('div');
      host.style.width = '100%';
      host.style.height = '100%';
      const term = new Terminal({
        convertEol: false,
        cursorBlink: true,
        scrollback: 5000,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
        fontSize: 13,
        theme: this.theme,
        disableStdin: true,
        // OSC 8 hyperlinks come from the guest. Without a handler xterm.js asks with the page's
        // confirm() and opens the raw URI; here a click only hands the normalized target to the
        // view, which shows where it leads and opens nothing unless the user says so.
        linkHandler: {
          allowNonHttpProtocols: false,
          activate: (event, uri) => {
            event.preventDefault();
            const link = guestLinkTarget(uri);
            if (link) entry.onLink?.(link);
          },
        },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host);
      const entry: ConsoleEntry = {
        vmId,
        source,
        term,
        fit,
        host,
        users: 0,
        attachedGeneration: null,
        attaching: null,
        ready: false,
        events: null,
        onSendError: null,
        onLink: null,
        queue: createSendQueue(
          (text) => source.send(vmId, text),
          (err) => entry.onSendError?.(err),
        ),
      };
      term.onData((text) => {
        if (!term.options.disableStdin) entry.queue.push(text);
      });
      this.entries.set(vmId, entry);
      e = entry;
    }
    e.users++;
    return e;
  }

  /**
   * Subscribes this connection to the VM's console (again after a reconnect) and replaces the
   * screen with the recent output.
   */
  attach(vmId: string): Promise<void> {
    const e = this.entries.get(vmId);
    if (!e || e.users === 0) return Promise.resolve();
    const generation = this.api.generation;
    if (e.attachedGeneration === generation && e.attaching) return e.attaching;
    e.attachedGeneration = generation;
    e.ready = false;
    e.events ??= e.source.onData(vmId, (data) => {
      if (e.ready) e.term.write(decodeBase64(data));
    });
    const attaching = e.source.attach(vmId, BACKLOG_BYTES).then(
      (backlog) => {
        e.term.reset();
        e.term.write(decodeBase64(backlog));
        e.ready = true;
      },
      (err: unknown) => {
        if (e.attachedGeneration === generation) e.attachedGeneration = null;
        e.attaching = null;
        throw err;
      },
    );
    e.attaching = attaching;
    return attaching;
  }

  /** A view stops showing the console; the last one unsubscribes (the terminal is kept). */
  release(vmId: string): void {
    const e = this.entries.get(vmId);
    if (!e) return;
    e.users = Math.max(0, e.users - 1);
    if (e.users > 0) return;
    e.events?.dispose();
    e.events = null;
    e.ready = false;
    const wasAttached = e.attachedGeneration !== null;
    e.attachedGeneration = null;
    e.attaching = null;
    if (wasAttached) e.source.detach(vmId).catch(() => undefined);
  }

  /** Typing reaches the guest only while it runs. */
  setInputEnabled(vmId: string, enabled: boolean): void {
    const e = this.entries.get(vmId);
    if (e) e.term.options.disableStdin = !enabled;
  }

  /** Drops the terminal of a VM that no longer exists. */
  forget(vmId: string): void {
    const e = this.entries.get(vmId);
    if (!e) return;
    if (e.users > 0) return;
    e.events?.dispose();
    e.term.dispose();
    e.host.remove();
    this.entries.delete(vmId);
  }

  has(vmId: string): boolean {
    return this.entries.has(vmId);
  }
}

export function terminalsFor(api: ApiConnection): TerminalRegistry {
  return registryOf(api, () => new TerminalRegistry(api));
}

// The Electron main process: one sealed window over the same owner graph as `hangar serve`. It takes
// the home over from a headless owner, serves the API to the page over one IPC channel, relays the VNC
// display through a loopback WebSocket, and on quit never stops a VM without asking. Every decision
// lives in policy.ts (pure, unit-tested); this file only wires it to Electron.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  session,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type MessageBoxOptions,
} from 'electron';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DisposableStore, toDisposable } from '../../src-vmm/base/disposable.js';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { createClient, createTransportPair, isWire, type Client } from '../../src-vmm/base/rpc.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { hangarApi, type HangarApi, type VmSummary } from '../api/contract.js';
import { resolveHome } from '../home.js';
import { startOwner } from '../owner/owner.node.js';
import { defaultRendererDir, startWebServer, type WebServerOptions } from '../web/server.node.js';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  APP_SCHEME,
  MENU_EVENT,
  OPEN_FILE_EVENT,
  PICK_FILE_CHANNEL,
  RPC_CHANNEL,
  appFilePath,
  appResponseHeaders,
  appSchemePrivileges,
  dialogFilters,
  displayArguments,
  fileArgFromArgv,
  isAllowedNavigation,
  isAllowedPermission,
  isTrustedSender,
  mainWindowOptions,
  menuSpec,
  parsePickFileRequest,
  quitActionFor,
  quitChoice,
  quitFailureMessage,
  type MenuCommand,
  type MenuItemSpec,
} from './policy.js';
import { createRendererLink, isSessionId } from './rendererLink.js';
import { takeOverHome } from '../owner/takeover.node.js';

const preloadPath = fileURLToPath(new URL('./preload.electron.cjs', import.meta.url));
const log = (line: string) => process.stderr.write(`${new Date().toISOString()} electron pid=${process.pid} ${line}\n`);

interface Shell {
  focus(): void;
  openFile(path: string): void;
}

// Before 'ready': the scheme's privileges, and the sandbox for every renderer.
protocol.registerSchemesAsPrivileged([appSchemePrivileges]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the window; it received our argv through 'second-instance'.
  app.quit();
} else {
  let shell: Shell | null = null;
  const early: string[] = [];
  const openFile = (path: string) => (shell ? shell.openFile(path) : early.push(path));

  app.on('second-instance', (_e, argv, workingDirectory) => {
    shell?.focus();
    const file = fileArgFromArgv(argv.slice(1), workingDirectory);
    if (file) openFile(file);
  });
  // macOS delivers opened files as events, possibly before 'ready'
  app.on('open-file', (e, path) => {
    e.preventDefault();
    openFile(path);
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  // On macOS the app stays in the dock without a window; elsewhere the window closes only on quit.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app
    .whenReady()
    .then(async () => {
      shell = await startShell();
      const initial = fileArgFromArgv(process.argv.slice(1), process.cwd());
      for (const path of [...early.splice(0), ...(initial ? [initial] : [])]) shell.openFile(path);
    })
    .catch((e: unknown) => {
      const he = toHangarError(e);
      log(`cannot start: ${he.message}`);
      dialog.showErrorBox('Hangar cannot start', he.message);
      app.exit(1);
    });
}

async function startShell(): Promise<Shell> {
  const home = resolveHome(process.env, process.platform, homedir());
  const store = new DisposableStore();
  try {
    await takeOverHome(home, 'the desktop app');
    // VMM hosts are forked with child_process.fork, as under Node (supervisor/fork.node.ts says why).
    const owner = store.add(await startOwner({ home, kind: 'the desktop app' }));
    const [inner, outer] = createTransportPair();
    owner.connect(inner);
    const api: Client<HangarApi> = store.add(createClient(outer, hangarApi));

    // The display (noVNC) reaches each VM's VNC socket through a loopback WebSocket behind a random
    // token that only the preload knows. The API never goes over it: it travels over IPC.
    const displayToken = randomBytes(24).toString('base64url');
    const displayOptions: WebServerOptions & { allowedOrigins?: string[] } = {
      connect: (t) => t.close(),
      vncSocketFor: (id) => owner.vncSocketFor(id),
      host: '127.0.0.1',
      token: displayToken,
      // the page's WebSockets carry Origin app://hangar (needs the server's allowedOrigins option)
      allowedOrigins: [APP_ORIGIN],
      log,
    };
    const display = store.add(await startWebServer(displayOptions));
    return wire({ home, store, owner, api, display, displayToken });
  } catch (e) {
    store.dispose();
    throw e;
  }
}

function wire(ctx: {
  home: string;
  store: DisposableStore;
  owner: Awaited<ReturnType<typeof startOwner>>;
  api: Client<HangarApi>;
  display: { port: number };
  displayToken: string;
}): Shell {
  const { store, owner, api, display } = ctx;
  let win: BrowserWindow | null = null;
  let quitConfirmed = false;

  // ---------------------------------------------------------------- the page and its files
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const file = appFilePath(request.url, defaultRendererDir);
    if (!file) return new Response(null, { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: appResponseHeaders(file, display.port) });
    } catch {
      if (file.endsWith('index.html')) {
        return new Response('The interface is not built: run npm run build.\n', { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
      }
      return new Response(null, { status: 404 });
    }
  });
  store.add(toDisposable(() => protocol.unhandle(APP_SCHEME)));
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(isAllowedPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => isAllowedPermission(permission));

  // ---------------------------------------------------------------- the API over IPC
  const link = store.add(
    createRendererLink({
      post: (sessionId, m) => {
        if (win && !win.isDestroyed()) win.webContents.send(RPC_CHANNEL, sessionId, m);
      },
      connect: (t) => owner.connect(t),
      log,
    }),
  );
  const trusted = (e: IpcMainEvent | IpcMainInvokeEvent): boolean =>
    isTrustedSender(
      { webContentsId: e.sender.id, frame: e.senderFrame },
      win && !win.isDestroyed() ? { webContentsId: win.webContents.id, mainFrame: win.webContents.mainFrame } : null,
    );
  ipcMain.on(RPC_CHANNEL, (e, sessionId: unknown, m: unknown) => {
    if (!trusted(e)) return log(`refused a message from ${e.senderFrame?.url ?? 'a closed frame'}`);
    if (!isSessionId(sessionId) || !isWire(m)) return log('dropped a malformed message from the page');
    link.receive(sessionId, m);
  });
  ipcMain.handle(PICK_FILE_CHANNEL, async (e, raw: unknown) => {
    if (!trusted(e)) throw new Error('refused: not the Hangar window');
    const req = parsePickFileRequest(raw);
    if (!req) throw new Error('a file dialog needs { title, filter, defaultPath? }');
    const options = {
      title: req.title,
      properties: ['openFile' as const],
      filters: dialogFilters(req.filter),
      ...(req.defaultPath ? { defaultPath: req.defaultPath } : {}),
    };
    const r = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  store.add(
    toDisposable(() => {
      ipcMain.removeAllListeners(RPC_CHANNEL);
      ipcMain.removeHandler(PICK_FILE_CHANNEL);
    }),
  );

  // ---------------------------------------------------------------- the window
  const createWindow = (): BrowserWindow => {
    const w = new BrowserWindow(
      mainWindowOptions(preloadPath, { additionalArguments: displayArguments(display.port, ctx.displayToken), devTools: !app.isPackaged }),
    );
    const wc = w.webContents;
    const denyForeign = (e: { url: string; preventDefault(): void }) => {
      if (isAllowedNavigation(e.url)) return;
      e.preventDefault();
      log(`denied navigation to ${e.url}`);
    };
    wc.on('will-navigate', denyForeign);
    wc.on('will-redirect', denyForeign);
    wc.setWindowOpenHandler(() => ({ action: 'deny' }));
    wc.on('render-process-gone', (_e, details) => {
      log(`the page's process ended (${details.reason})`);
      link.drop();
    });
    w.once('ready-to-show', () => w.show());
    w.on('close', (e) => {
      if (quitConfirmed || process.platform === 'darwin') return;
      e.preventDefault();
      void requestQuit();
    });
    w.on('closed', () => {
      link.drop();
      if (win === w) win = null;
    });
    void w.loadURL(APP_ENTRY_URL);
    return w;
  };
  const focus = () => {
    if (!win || win.isDestroyed()) win = createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  app.on('activate', () => {
    if (!quitConfirmed && (!win || win.isDestroyed())) win = createWindow();
  });

  // ---------------------------------------------------------------- menu
  const onMenu = (command: MenuCommand) => {
    switch (command) {
      case 'newVm':
      case 'importAppliance':
        focus();
        link.sendEvent(MENU_EVENT, { command });
        return;
      case 'about':
        void showBox({
          type: 'info',
          title: 'About Hangar',
          message: `Hangar ${app.getVersion()}`,
          detail: `Virtual machines on QEMU.\nElectron ${process.versions.electron}, Node ${process.versions.node}\nHome: ${ctx.home}`,
          buttons: ['OK'],
        });
        return;
    }
  };
  const toTemplate = (items: MenuItemSpec[]): MenuItemConstructorOptions[] =>
    items.map(({ command, submenu, ...item }) => ({
      ...item,
      ...(submenu ? { submenu: toTemplate(submenu) } : {}),
      ...(command ? { click: () => onMenu(command) } : {}),
    }));
  Menu.setApplicationMenu(Menu.buildFromTemplate(toTemplate(menuSpec({ packaged: app.isPackaged, platform: process.platform }))));

  // ---------------------------------------------------------------- quitting
  const showBox = (options: MessageBoxOptions) =>
    win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options);

  /** Quits without asking: the owner releases the home; running VMs keep running. */
  const quitNow = (why: string) => {
    if (quitConfirmed) return;
    quitConfirmed = true;
    log(`quitting (${why})`);
    try {
      store.dispose();
    } catch (e) {
      log(`while releasing the home: ${(e as Error).message}`);
    }
    app.quit();
  };

  let asking = false;
  const requestQuit = async () => {
    if (asking || quitConfirmed) return;
    asking = true;
    try {
      let running: VmSummary[] = [];
      try {
        running = (await api.call('vm.list', {})).vms.filter((v) => isActive(v.state));
      } catch (e) {
        // unknown: quitting keeps whatever runs running, which never loses a VM
        log(`could not list VMs before quitting: ${toHangarError(e).message}`);
      }
      const question = quitChoice(running.map((v) => v.name));
      const action = question ? quitActionFor(question, (await showBox(question.options)).response) : 'keep';
      if (action === 'cancel') return;
      if (action === 'save' || action === 'poweroff') {
        win?.setProgressBar(2); // indeterminate while VMs save or stop
        const results = await Promise.allSettled(
          running.map((v) => (action === 'save' ? api.call('vm.save', { ref: v.id }) : api.call('vm.stop', { ref: v.id, force: true }))),
        );
        if (win && !win.isDestroyed()) win.setProgressBar(-1);
        const failures = results.flatMap((r, i) =>
          r.status === 'rejected' ? [{ name: running[i]!.name, message: toHangarError(r.reason).message }] : [],
        );
        if (failures.length) {
          await showBox({ type: 'warning', title: 'Quit Hangar', message: 'Some virtual machines are still running.', detail: quitFailureMessage(action, failures), buttons: ['OK'] });
          return;
        }
      }
      quitNow(action === 'keep' ? (running.length ? `${running.length} VM(s) keep running` : 'no VM running') : `VMs: ${action}`);
    } finally {
      asking = false;
    }
  };
  app.on('before-quit', (e) => {
    if (quitConfirmed) return;
    e.preventDefault();
    void requestQuit();
  });
  // `hangar shutdown` asked the owner to stop (it has powered VMs off or refused already)
  void owner.shutdownRequested.then(() => quitNow('the owner was asked to shut down'));
  // a session logout or Ctrl-C in a terminal: no question can be asked, so VMs keep running
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => quitNow(signal));

  win = createWindow();
  return {
    focus,
    openFile: (path) => {
      focus();
      link.sendEvent(OPEN_FILE_EVENT, { path });
    },
  };
}

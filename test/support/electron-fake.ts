/**
 * A faithful, in-memory fake of the parts of the `electron` module the app uses. The Electron
 * binary cannot run on our build machines, so main/electron and the preload are tested against
 * this: same names, same call shapes, same event semantics (preventable events, IPC arguments
 * and results structured-cloned, one handler per channel), plus `fake` helpers that let a test
 * play the part of Chromium, the OS and the user.
 *
 * Use in a test file:  vi.mock('electron', () => import('../../support/electron-fake.js'));
 * and call `resetElectronFake()` in beforeEach.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** An event object like Electron's: `preventDefault()` marks it so the default action is skipped. */
export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
  [key: string]: unknown;
}

function fakeEvent(extra: Record<string, unknown> = {}): FakeEvent {
  const event: FakeEvent = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
    ...extra,
  };
  return event;
}

// ---------------------------------------------------------------------------------------------
// app

class FakeApp extends EventEmitter {
  singleInstanceLock = true;
  ready = true;
  exitCode: number | undefined;
  quitCalls = 0;
  loginItemSettings: { openAtLogin: boolean; args?: string[] } = { openAtLogin: false };
  version = '0.1.0';
  appPath = process.cwd();
  private readyWaiters: Array<() => void> = [];

  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLock;
  }

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  isReady(): boolean {
    return this.ready;
  }

  getVersion(): string {
    return this.version;
  }

  getName(): string {
    return 'Token Broker';
  }

  getAppPath(): string {
    return this.appPath;
  }

  appUserModelId: string | undefined;
  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }

  /**
   * Electron's order: `before-quit` (preventable: cancels the quit), then every window gets
   * `close` (preventable: cancels the quit), then `will-quit` (preventable), then `quit`.
   */
  quit(): void {
    this.quitCalls += 1;
    const beforeQuit = fakeEvent();
    this.emit('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    for (const window of [...liveWindows]) {
      if (!window.requestClose()) return;
    }
    const willQuit = fakeEvent();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) return;
    this.emit('quit', fakeEvent(), 0);
    this.exitCode ??= 0;
  }

  /** Exits at once: no before-quit / close events (Electron's `app.exit`). */
  exit(code = 0): void {
    this.exitCode = code;
    for (const window of [...liveWindows]) window.destroy();
  }

  setLoginItemSettings(settings: { openAtLogin?: boolean; args?: string[] }): void {
    this.loginItemSettings = {
      openAtLogin: settings.openAtLogin ?? false,
      ...(settings.args === undefined ? {} : { args: [...settings.args] }),
    };
  }

  getLoginItemSettings(): { openAtLogin: boolean } {
    return { openAtLogin: this.loginItemSettings.openAtLogin };
  }

  /** Test helper: becomes ready (resolves whenReady, emits `ready`). */
  becomeReady(): void {
    this.ready = true;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    this.emit('ready', fakeEvent(), {});
  }

  /** Test helper: what Electron does in the first instance when a second one is launched. */
  launchSecondInstance(argv: string[] = []): void {
    this.emit('second-instance', fakeEvent(), argv, process.cwd(), {});
  }
}

// ---------------------------------------------------------------------------------------------
// web frames and web contents

let nextId = 1;

export class FakeWebFrameMain {
  readonly frames: FakeWebFrameMain[] = [];
  readonly routingId = nextId++;
  constructor(
    public url: string,
    public readonly parent: FakeWebFrameMain | null,
  ) {}

  get top(): FakeWebFrameMain {
    return this.parent === null ? this : this.parent.top;
  }

  /** Test helper: an iframe inside this frame. */
  addChildFrame(url: string): FakeWebFrameMain {
    const child = new FakeWebFrameMain(url, this);
    this.frames.push(child);
    return child;
  }
}

type WindowOpenHandler = (details: { url: string; frameName: string; features: string; disposition: string }) => {
  action: 'allow' | 'deny';
};

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame = new FakeWebFrameMain('about:blank', null);
  /** Every `send(channel, ...args)`, args structured-cloned like real IPC. */
  readonly sent: Array<{ channel: string; args: unknown[] }> = [];
  windowOpenHandler: WindowOpenHandler | undefined;
  private destroyed = false;

  constructor(readonly session: FakeSession) {
    super();
  }

  getURL(): string {
    return this.mainFrame.url;
  }

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    const cloned = args.map((arg) => structuredClone(arg));
    this.sent.push({ channel, args: cloned });
    if (this === preloadContents) rendererIpc.deliver(channel, cloned);
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed', fakeEvent());
  }

  /** Test helper: the page calls window.open(url); returns whether a window would open. */
  openWindow(url: string): boolean {
    // Without a handler Electron allows the new window.
    const response = this.windowOpenHandler?.({ url, frameName: '', features: '', disposition: 'new-window' }) ?? { action: 'allow' };
    return response.action === 'allow';
  }

  /** Test helper: the page starts navigating to url; returns whether it would proceed. */
  navigate(url: string): boolean {
    const event = fakeEvent({ url, isMainFrame: true, frame: this.mainFrame });
    this.emit('will-navigate', event, url);
    if (!event.defaultPrevented) this.mainFrame.url = url;
    return !event.defaultPrevented;
  }

  /** Test helper: a server redirect during navigation; returns whether it would be followed. */
  redirect(url: string): boolean {
    const event = fakeEvent({ url, isMainFrame: true, frame: this.mainFrame });
    this.emit('will-redirect', event, url);
    return !event.defaultPrevented;
  }

  /** Test helper: the page inserts a <webview>; returns whether it would attach. */
  attachWebview(src: string): boolean {
    const webPreferences: Record<string, unknown> = {};
    const event = fakeEvent();
    this.emit('will-attach-webview', event, webPreferences, { src });
    return !event.defaultPrevented;
  }

  /** Loading a page: the main frame commits the URL, then did-finish-load. */
  load(url: string): Promise<void> {
    this.mainFrame.url = url;
    return new Promise((resolve) => {
      setImmediate(() => {
        this.emit('did-finish-load', fakeEvent());
        resolve();
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// BrowserWindow

const liveWindows = new Set<FakeBrowserWindow>();

export interface FakeWebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInWorker?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  experimentalFeatures?: boolean;
  webviewTag?: boolean;
  [key: string]: unknown;
}

export class FakeBrowserWindow extends EventEmitter {
  readonly id = nextId++;
  readonly webContents: FakeWebContents;
  readonly options: { show?: boolean; webPreferences?: FakeWebPreferences; [key: string]: unknown };
  loadedFile: string | undefined;
  loadedUrl: string | undefined;
  focusCount = 0;
  private visible: boolean;
  private minimized = false;
  private destroyed = false;

  constructor(options: FakeBrowserWindow['options'] = {}) {
    super();
    this.options = options;
    this.visible = options.show !== false;
    this.webContents = new FakeWebContents(session.defaultSession);
    liveWindows.add(this);
    appWebContents.push(this.webContents);
    app.emit('browser-window-created', fakeEvent(), this);
    app.emit('web-contents-created', fakeEvent(), this.webContents);
  }

  static getAllWindows(): FakeBrowserWindow[] {
    return [...liveWindows];
  }

  static getFocusedWindow(): FakeBrowserWindow | null {
    return [...liveWindows].find((window) => window.visible) ?? null;
  }

  async loadFile(filePath: string): Promise<void> {
    this.loadedFile = filePath;
    await this.webContents.load(pathToFileURL(filePath).href);
    this.emit('ready-to-show', fakeEvent());
  }

  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    await this.webContents.load(url);
    this.emit('ready-to-show', fakeEvent());
  }

  show(): void {
    this.visible = true;
    this.minimized = false;
    this.emit('show', fakeEvent());
  }

  hide(): void {
    this.visible = false;
    this.emit('hide', fakeEvent());
  }

  focus(): void {
    this.focusCount += 1;
    this.emit('focus', fakeEvent());
  }

  isVisible(): boolean {
    return this.visible && !this.destroyed;
  }

  minimize(): void {
    this.minimized = true;
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  restore(): void {
    this.minimized = false;
  }

  /** Like the user clicking the close button: `close` is preventable; if not prevented the window is destroyed. */
  close(): void {
    this.requestClose();
  }

  /** Returns false if a `close` listener prevented it. */
  requestClose(): boolean {
    if (this.destroyed) return true;
    const event = fakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.destroy();
    return true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    liveWindows.delete(this);
    this.webContents.destroy();
    this.emit('closed', fakeEvent());
    if (liveWindows.size === 0) app.emit('window-all-closed', fakeEvent());
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const appWebContents: FakeWebContents[] = [];

// ---------------------------------------------------------------------------------------------
// session

type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void;
type PermissionCheckHandler = (contents: unknown, permission: string, origin: string, details: unknown) => boolean;
type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { cancel?: boolean; responseHeaders?: Record<string, string[] | string> }) => void,
) => void;

export class FakeSession {
  permissionRequestHandler: PermissionRequestHandler | null = null;
  permissionCheckHandler: PermissionCheckHandler | null = null;
  private headersListener: HeadersListener | null = null;

  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener | null): void => {
      this.headersListener = listener;
    },
  };

  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequestHandler = handler;
  }

  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.permissionCheckHandler = handler;
  }

  /** Test helper: a page asks for a permission. Without a handler Electron grants it. */
  requestPermission(permission: string): Promise<boolean> {
    const handler = this.permissionRequestHandler;
    if (handler === null) return Promise.resolve(true);
    return new Promise((resolve) => handler(null, permission, resolve, { requestingUrl: 'file:///' }));
  }

  /** Test helper: a permission check. Without a handler Electron allows it. */
  checkPermission(permission: string, origin = 'file:///'): boolean {
    return this.permissionCheckHandler?.(null, permission, origin, {}) ?? true;
  }

  /** Test helper: a response arrives; returns the headers the page would see. */
  receiveHeaders(url: string, responseHeaders: Record<string, string[]> = {}): Promise<Record<string, string[] | string>> {
    const listener = this.headersListener;
    if (listener === null) return Promise.resolve(responseHeaders);
    return new Promise((resolve) => listener({ url, responseHeaders }, (response) => resolve(response.responseHeaders ?? responseHeaders)));
  }
}

// ---------------------------------------------------------------------------------------------
// ipcMain / ipcRenderer

type InvokeListener = (event: unknown, ...args: unknown[]) => unknown;

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeListener>();

  handle(channel: string, listener: InvokeListener): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  handleOnce(channel: string, listener: InvokeListener): void {
    this.handle(channel, (event, ...args) => {
      this.handlers.delete(channel);
      return listener(event, ...args);
    });
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /**
   * Test helper: `ipcRenderer.invoke(channel, ...args)` from the main frame of the first window,
   * as if that frame were showing `senderFrameUrl`. Args and result are structured-cloned;
   * a thrown error rejects with only its message, like Electron.
   */
  invoke(channel: string, senderFrameUrl: string, ...args: unknown[]): Promise<unknown> {
    const window = [...liveWindows][0];
    if (window === undefined) return Promise.reject(new Error('no window'));
    const frame = window.webContents.mainFrame;
    const saved = frame.url;
    frame.url = senderFrameUrl;
    try {
      return this.invokeFrom(channel, { sender: window.webContents, frame }, ...args);
    } finally {
      frame.url = saved;
    }
  }

  /** Test helper: invoke from any frame of any web contents (e.g. a subframe). */
  async invokeFrom(
    channel: string,
    from: { sender: FakeWebContents; frame: FakeWebFrameMain | null },
    ...args: unknown[]
  ): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const event = { sender: from.sender, senderFrame: from.frame, processId: 1, frameId: from.frame?.routingId ?? 0 };
    try {
      const result = handler(event, ...args.map((arg) => structuredClone(arg)));
      return structuredClone(await result);
    } catch (error) {
      throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
    }
  }
}

/** The web contents whose page the preload runs in (the first window's). */
let preloadContents: FakeWebContents | undefined;

class FakeIpcRenderer extends EventEmitter {
  readonly invocations: Array<{ channel: string; args: unknown[] }> = [];

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push({ channel, args });
    const window = [...liveWindows][0];
    if (window === undefined) return Promise.reject(new Error('no window'));
    return ipcMain.invokeFrom(channel, { sender: window.webContents, frame: window.webContents.mainFrame }, ...args);
  }

  deliver(channel: string, args: unknown[]): void {
    this.emit(channel, { sender: this }, ...args);
  }
}

// ---------------------------------------------------------------------------------------------
// shell, clipboard, dialog, contextBridge

class FakeShell {
  readonly opened: string[] = [];
  openExternal(url: string): Promise<void> {
    this.opened.push(url);
    return Promise.resolve();
  }
}

class FakeClipboard {
  text = '';
  readonly writes: string[] = [];
  readText(): Promise<string> {
    return Promise.resolve(this.text);
  }
  writeText(text: string): Promise<void> {
    this.text = text;
    this.writes.push(text);
    return Promise.resolve();
  }
  clear(): void {
    this.text = '';
  }
}

class FakeDialog {
  readonly errorBoxes: Array<{ title: string; content: string }> = [];
  showErrorBox(title: string, content: string): void {
    this.errorBoxes.push({ title, content });
  }
}

class FakeContextBridge {
  /** What the page's main world sees (`window.<key>`). */
  readonly mainWorld: Record<string, unknown> = {};
  exposeInMainWorld(key: string, api: unknown): void {
    if (key in this.mainWorld) throw new Error(`Cannot bind an API on top of an existing property on the window object`);
    // contextBridge copies values across worlds: functions stay callable, objects are frozen copies.
    this.mainWorld[key] = api;
  }
}

// ---------------------------------------------------------------------------------------------
// nativeImage, nativeTheme, Tray, Menu, Notification

export class FakeNativeImage {
  template = false;
  constructor(readonly path: string) {}
  static createFromPath(path: string): FakeNativeImage {
    return new FakeNativeImage(path);
  }
  static createEmpty(): FakeNativeImage {
    return new FakeNativeImage('');
  }
  /** Like Electron: an image whose file is missing or unreadable is empty. */
  isEmpty(): boolean {
    return this.path === '' || !existsSync(this.path);
  }
  setTemplateImage(option: boolean): void {
    this.template = option;
  }
  isTemplateImage(): boolean {
    return this.template || /Template(@\dx)?\.png$/.test(this.path);
  }
}

class FakeNativeTheme extends EventEmitter {
  shouldUseDarkColors = false;
  themeSource: 'system' | 'light' | 'dark' = 'system';
}

export interface FakeMenuItemOptions {
  label?: string;
  type?: string;
  enabled?: boolean;
  click?: (...args: unknown[]) => void;
  submenu?: FakeMenuItemOptions[] | FakeMenu;
  [key: string]: unknown;
}

export class FakeMenu {
  constructor(readonly items: FakeMenuItemOptions[]) {}
  static buildFromTemplate(template: FakeMenuItemOptions[]): FakeMenu {
    for (const item of template) {
      if (item.type !== 'separator' && item.label === undefined && item.role === undefined && item.submenu === undefined) {
        throw new Error('Invalid template for MenuItem: must have at least one of label, role or type');
      }
    }
    return new FakeMenu(
      template.map((item) => ({
        ...item,
        ...(Array.isArray(item.submenu) ? { submenu: FakeMenu.buildFromTemplate(item.submenu) } : {}),
      })),
    );
  }
  static setApplicationMenu(): void {}

  /** Test helper: finds an item by label path, e.g. find('github — expires in 12 min', 'Refresh now'). */
  find(...labels: string[]): FakeMenuItemOptions | undefined {
    const [first, ...rest] = labels;
    const item = this.items.find((candidate) => candidate.label === first);
    if (item === undefined || rest.length === 0) return item;
    return item.submenu instanceof FakeMenu ? item.submenu.find(...rest) : undefined;
  }

  /** Test helper: clicks an item like the user, if it is enabled. */
  click(...labels: string[]): void {
    const item = this.find(...labels);
    if (item === undefined) throw new Error(`no menu item ${labels.join(' > ')}`);
    if (item.enabled === false) throw new Error(`menu item ${labels.join(' > ')} is disabled`);
    item.click?.(item, undefined, {});
  }
}

export class FakeTray extends EventEmitter {
  static readonly instances: FakeTray[] = [];
  image: FakeNativeImage;
  tooltip = '';
  title = '';
  contextMenu: FakeMenu | null = null;
  destroyed = false;
  constructor(image: FakeNativeImage | string) {
    super();
    this.image = typeof image === 'string' ? new FakeNativeImage(image) : image;
    FakeTray.instances.push(this);
  }
  setImage(image: FakeNativeImage | string): void {
    this.image = typeof image === 'string' ? new FakeNativeImage(image) : image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setTitle(title: string): void {
    this.title = title;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.contextMenu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeNotification extends EventEmitter {
  static readonly shown: FakeNotification[] = [];
  static supported = true;
  readonly title: string;
  readonly body: string;
  constructor(options: { title?: string; body?: string } = {}) {
    super();
    this.title = options.title ?? '';
    this.body = options.body ?? '';
  }
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  show(): void {
    FakeNotification.shown.push(this);
    this.emit('show', fakeEvent());
  }
  close(): void {
    this.emit('close', fakeEvent());
  }
  /** Test helper: the user clicks the notification. */
  click(): void {
    this.emit('click', fakeEvent());
  }
}

// ---------------------------------------------------------------------------------------------
// the module's exports (names as in 'electron')

export let app = new FakeApp();
export const session = { defaultSession: new FakeSession() };
export let ipcMain = new FakeIpcMain();
export let ipcRenderer = new FakeIpcRenderer();
let rendererIpc = ipcRenderer;
export let shell = new FakeShell();
export let clipboard = new FakeClipboard();
export let dialog = new FakeDialog();
export let contextBridge = new FakeContextBridge();
export let nativeTheme = new FakeNativeTheme();
export const BrowserWindow = FakeBrowserWindow;
export const Menu = FakeMenu;
export const Tray = FakeTray;
export const Notification = FakeNotification;
export const nativeImage = FakeNativeImage;

/** Everything a test may inspect or drive, in one place. */
export const fake = {
  get app() {
    return app;
  },
  get session() {
    return session.defaultSession;
  },
  get ipcMain() {
    return ipcMain;
  },
  get ipcRenderer() {
    return ipcRenderer;
  },
  get shell() {
    return shell;
  },
  get clipboard() {
    return clipboard;
  },
  get dialog() {
    return dialog;
  },
  get contextBridge() {
    return contextBridge;
  },
  get nativeTheme() {
    return nativeTheme;
  },
  get windows() {
    return FakeBrowserWindow.getAllWindows();
  },
  get trays() {
    return FakeTray.instances;
  },
  get notifications() {
    return FakeNotification.shown;
  },
  /** Makes the preload's ipcRenderer receive what this contents sends. */
  attachPreloadTo(contents: FakeWebContents): void {
    preloadContents = contents;
  },
};

/** Fresh state for every test. */
export function resetElectronFake(): void {
  for (const window of [...liveWindows]) window.destroy();
  liveWindows.clear();
  appWebContents.length = 0;
  app = new FakeApp();
  session.defaultSession = new FakeSession();
  ipcMain = new FakeIpcMain();
  ipcRenderer = new FakeIpcRenderer();
  rendererIpc = ipcRenderer;
  preloadContents = undefined;
  shell = new FakeShell();
  clipboard = new FakeClipboard();
  dialog = new FakeDialog();
  contextBridge = new FakeContextBridge();
  nativeTheme = new FakeNativeTheme();
  FakeTray.instances.length = 0;
  FakeNotification.shown.length = 0;
  FakeNotification.supported = true;
}

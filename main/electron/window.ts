/**
 * The one app window, locked down per Electron's security checklist
 * (https://www.electronjs.org/docs/latest/tutorial/security): context isolation, sandbox, no Node
 * in the page, a strict CSP (header here, meta tag in renderer/index.html), no navigation, no new
 * windows, no webviews, every permission denied, and nothing but the app's own files loaded.
 */
import { BrowserWindow, type Session, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Content-Security-Policy of the app's own page: nothing but its own files. One literal so the
 * security gate (electronegativity's CSP check) can read and evaluate it; renderer/index.html
 * carries the same policy as a meta tag.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface WindowPaths {
  preload: string;
  indexHtml: string;
}

export function appPaths(distDir: string): WindowPaths {
  return { preload: join(distDir, 'preload/index.cjs'), indexHtml: join(distDir, 'renderer/index.html') };
}

/** The file: URL the window loads; the only page whose IPC calls are trusted. */
export function pageUrl(paths: WindowPaths): string {
  return pathToFileURL(paths.indexHtml).href;
}

/**
 * Applies the checklist's locks to a web contents: no navigation or redirects away from the
 * page, no new windows, no webviews. Applied to every web contents the app creates.
 */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Denies every permission request and check, and adds the CSP header to every response of the session. */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

export function createMainWindow(paths: WindowPaths, options: { show: boolean; icon?: string }): BrowserWindow {
  const window = new BrowserWindow({
    width: 960,
    height: 680,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Token Broker',
    ...(options.icon === undefined ? {} : { icon: options.icon }),
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // Middle-click would otherwise try to open links in a new window (denied anyway, belt and braces).
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      spellcheck: false,
    },
  });
  if (options.show) window.once('ready-to-show', () => window.show());
  void window.loadFile(paths.indexHtml);
  return window;
}

/** Brings the window to the front (second launch, tray "Open", approval prompt, notification click). */
export function showWindow(window: BrowserWindow): void {
  if (window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

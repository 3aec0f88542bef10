/**
 * The headless daemon's browser opener: the platform's "open this URL" command, without a
 * shell (the URL is an argument, never parsed by sh or cmd).
 */
import { spawn } from 'node:child_process';
import type { BrowserOpener } from '../core/ports.js';

export function systemBrowserOpener(platform: NodeJS.Platform = process.platform): BrowserOpener {
  const [file, prefix]: [string, string[]] =
    platform === 'darwin' ? ['open', []] : platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler']] : ['xdg-open', []];
  return (url) =>
    new Promise((resolve) => {
      if (!/^https?:\/\//i.test(url)) {
        resolve();
        return;
      }
      const child = spawn(file, [...prefix, url], { stdio: 'ignore', detached: true });
      // No browser available (a server, a container): the URL is printed for the user anyway.
      child.once('error', () => resolve());
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    });
}

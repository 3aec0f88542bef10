/**
 * Electron main process entry (bundled to dist/main/index.js). Under Electron it starts the app;
 * imported anywhere else (tests against the electron fake) it only exports {@link startApp}.
 */
import { startApp } from './app.js';

export { startApp } from './app.js';
export type { AppDeps, RunningApp } from './app.js';

if (process.versions.electron !== undefined) {
  startApp().catch((error: unknown) => {
    console.error('[electron] startup failed', error instanceof Error ? error.name : 'unknown error');
    process.exit(1);
  });
}

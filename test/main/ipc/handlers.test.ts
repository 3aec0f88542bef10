import { describe, expect, it } from 'vitest';
import { createIpcHandlers, invokeHandler } from '../../../main/ipc/handlers.js';

describe('IPC handler table', () => {
  it('answers version with the app version as a result object', async () => {
    const table = createIpcHandlers({ appVersion: '1.2.3' });
    const result = await invokeHandler(table, 'version', []);
    expect(result).toEqual({ ok: true, value: { app: '1.2.3', node: process.versions.node } });
  });
});

import { describe, expect, it } from 'vitest';
import { defaultSocketPath, isWindowsPipe, windowsPipeName } from '../../../main/core/socket-path.js';
import { defaultSocketPath as fromDaemon } from '../../../main/core/daemon.js';

describe('socket path', () => {
  it('is <dataDir>/broker.sock unless TOKEN_BROKER_SOCKET says otherwise', () => {
    expect(defaultSocketPath('/home/u/.config/token-broker', {}, 'linux')).toBe('/home/u/.config/token-broker/broker.sock');
    expect(defaultSocketPath('/d', { TOKEN_BROKER_SOCKET: '/run/user/1000/tb.sock' }, 'linux')).toBe('/run/user/1000/tb.sock');
    expect(defaultSocketPath('/d', { TOKEN_BROKER_SOCKET: '' }, 'darwin')).toBe('/d/broker.sock');
    expect(fromDaemon).toBe(defaultSocketPath);
  });

  it('is a per-user named pipe on Windows', () => {
    expect(defaultSocketPath('C:\\Users\\u\\AppData\\Roaming\\Token Broker', {}, 'win32')).toMatch(/^\\\\\.\\pipe\\token-broker-/);
    expect(windowsPipeName('Jane Doe')).toBe('\\\\.\\pipe\\token-broker-Jane_Doe');
    expect(windowsPipeName('')).toBe('\\\\.\\pipe\\token-broker-user');
    expect(isWindowsPipe('\\\\.\\pipe\\token-broker-x')).toBe(true);
    expect(isWindowsPipe('/tmp/x.sock')).toBe(false);
  });
});

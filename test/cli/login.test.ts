import { describe, expect, it } from 'vitest';
import { noDisplayReason } from '../../main/cli/commands/login.js';

describe('login without a display', () => {
  it('falls back to printing the URL in an SSH session or on Linux without X11/Wayland', () => {
    expect(noDisplayReason({ SSH_CONNECTION: '10.0.0.2 51000 10.0.0.1 22', DISPLAY: ':0' }, 'linux')).toBe('an SSH session');
    expect(noDisplayReason({ SSH_TTY: '/dev/pts/1' }, 'darwin')).toBe('an SSH session');
    expect(noDisplayReason({}, 'linux')).toBe('neither DISPLAY nor WAYLAND_DISPLAY is set');
    expect(noDisplayReason({ DISPLAY: '', WAYLAND_DISPLAY: '' }, 'linux')).toBe('neither DISPLAY nor WAYLAND_DISPLAY is set');
  });

  it('opens a browser with a display, and on macOS and Windows outside SSH', () => {
    expect(noDisplayReason({ DISPLAY: ':0' }, 'linux')).toBeUndefined();
    expect(noDisplayReason({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBeUndefined();
    expect(noDisplayReason({}, 'darwin')).toBeUndefined();
    expect(noDisplayReason({ SSH_CONNECTION: '' }, 'win32')).toBeUndefined();
  });
});

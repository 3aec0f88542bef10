/** RFC 8252 loopback redirect listener. */
export { startLoopbackListener, parseLoopbackRedirectUri, DEFAULT_LOOPBACK_TIMEOUT_MS, DEFAULT_REDIRECT_URI } from './listener.js';
export type { LoopbackListener, LoopbackOptions, LoopbackRedirect } from './listener.js';

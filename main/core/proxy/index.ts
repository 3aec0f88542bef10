/**
 * The authenticating local proxy: forwards plain HTTP from local tools to one upstream with the
 * broker's credentials added. See README.md beside this file.
 */
export { startProxy, parseUpstream, DEFAULT_PROXY_LIMITS } from './proxy-server.js';
export type {
  ProxyAuthorizeRequest,
  ProxyCredentials,
  ProxyLimits,
  ProxyListen,
  ProxyOptions,
  ProxyRequestRecord,
  RunningProxy,
} from './proxy-server.js';
export type { UpstreamCredentials } from './headers.js';
export { proxyClientName, proxyListenOf, startAccountProxy } from './account-proxy.js';
export type { AccountProxyDeps, ProxySpec } from './account-proxy.js';

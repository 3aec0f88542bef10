/**
 * The broker: the token service behind the local token API, the CLI's admin endpoints and the
 * desktop app. See docs/architecture.md ("A token request", "A sign-in") and ./types.ts for the contract.
 */
import { createBrokerService, type BrokerDeps } from './broker-service.js';
import { defaultGrantPort } from './grant-port.js';
import type { BrokerService } from './types.js';

export type { BrokerDeps } from './broker-service.js';
export type { GrantPort } from './grant-port.js';
export type { SetTimer } from './scheduler.js';
export * from './types.js';

/**
 * Creates the broker over an open vault and config store. Proactive refresh starts at once
 * (unless `schedule.enabled` is false); `close()` stops it and closes the vault.
 */
export function createBroker(deps: BrokerDeps): BrokerService {
  return createBrokerService({ ...deps, grants: { ...defaultGrantPort, ...deps.grants } });
}

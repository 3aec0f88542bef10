/**
 * The approval gate for `approval: ask` accounts: every hand-out to a script asks the
 * {@link ApprovalPort} (the GUI). Headless there is no port and the answer is DENIED; an
 * unanswered request is denied when it expires. Concurrent requests from the same program (the
 * verified executable, not only the claimed client name) for the same account share one question,
 * so a burst of requests does not open a burst of dialogs.
 * Remembering an answer ("allow for 1 hour") is the port's business: it answers at once.
 */
import { randomUUID } from 'node:crypto';
import { BrokerError } from '../errors.js';
import type { Clock } from '../ports.js';
import { createSingleFlight } from './concurrency.js';
import type { ApprovalPort } from './types.js';
import { callerKey, type CallerInfo } from '../../shared/caller.js';

/** How long a person has to answer before the request is denied. */
export const APPROVAL_TIMEOUT_MS = 60_000;

export interface ApprovalGate {
  /** Resolves when allowed; throws DENIED otherwise. `caller` is who really asks (peer credentials). */
  check(account: string, client: string, caller?: CallerInfo): Promise<void>;
}

export function createApprovalGate(port: ApprovalPort | undefined, clock: Clock, timeoutMs = APPROVAL_TIMEOUT_MS): ApprovalGate {
  const pending = createSingleFlight<string, 'allow' | 'deny'>();

  async function ask(account: string, client: string, caller: CallerInfo | undefined): Promise<'allow' | 'deny'> {
    if (port === undefined) return 'deny';
    const requestedAt = clock.now();
    let cancel: (() => void) | undefined;
    const timeout = new Promise<'deny'>((resolve) => {
      const timer = setTimeout(() => resolve('deny'), timeoutMs);
      timer.unref();
      cancel = () => clearTimeout(timer);
    });
    try {
      return await Promise.race([
        port.requestApproval({
          id: randomUUID(),
          account,
          client,
          ...(caller === undefined ? {} : { caller }),
          requestedAt,
          expiresAt: requestedAt + timeoutMs,
        }),
        timeout,
      ]);
    } catch {
      return 'deny';
    } finally {
      cancel?.();
    }
  }

  return {
    async check(account, client, caller) {
      // Requests share a question only when the same program (not just the same claimed name) asks.
      const answer = await pending.run(`${account}\u0000${client}\u0000${callerKey(caller)}`, () => ask(account, client, caller));
      if (answer !== 'allow') {
        throw new BrokerError(
          'DENIED',
          port === undefined
            ? `Account '${account}' requires approval for each token, and no approval UI is running.`
            : `The request by '${client}' for a token of '${account}' was not approved.`,
          { account },
        );
      }
    },
  };
}

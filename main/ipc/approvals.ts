/**
 * The approval queue behind `approval: ask` accounts (main/core/broker/README.md, "Approvals"). It is the
 * broker's {@link ApprovalPort}: each request waits here until the user answers in the window
 * (allow once / for an hour / deny) or the timeout denies it. Fail closed: anything unanswered,
 * and everything still pending when the app quits, is denied.
 */
import type { ApprovalPort, ApprovalRequest } from '../core/broker/types.js';
import { BrokerError } from '../core/errors.js';
import type { ApprovalAnswer, ApprovalRequestView } from './contract.js';
import type { TimerClock, TimerHandle } from './desktop-ports.js';
import { callerKey, printable, type CallerInfo } from '../shared/caller.js';
import { readCommandLine } from '../core/api/peer-credentials.js';

export const APPROVAL_TIMEOUT_MS = 60_000;
export const APPROVAL_REMEMBER_MS = 60 * 60_000;

export type ApprovalQueueEvent = { type: 'requested'; request: ApprovalRequestView } | { type: 'resolved'; id: string };

export interface ApprovalQueue extends ApprovalPort {
  list(): ApprovalRequestView[];
  /** Answers a pending request; INVALID_REQUEST if there is none with that id (already answered or timed out). */
  answer(id: string, answer: ApprovalAnswer): void;
  on(listener: (event: ApprovalQueueEvent) => void): () => void;
  /** Denies everything still pending and forgets remembered approvals. */
  dispose(): void;
}

interface Pending {
  view: ApprovalRequestView;
  resolve: (answer: 'allow' | 'deny') => void;
  timer: TimerHandle;
}

/** What a remembered answer covers: the account, the claimed name and the verified program. */
const rememberKey = (account: string, client: string, caller: CallerInfo | undefined): string =>
  JSON.stringify([account, client, callerKey(caller)]);

/** The program and its first argument (the script an interpreter runs), escaped; never later arguments. */
function commandLineOf(caller: CallerInfo | undefined): string[] | undefined {
  if (caller?.verified !== true || caller.pid === undefined) return undefined;
  const args = readCommandLine(caller.pid);
  return args?.slice(0, 2).map((arg) => printable(arg.length > 96 ? `${arg.slice(0, 96)}…` : arg));
}

export function createApprovalQueue(options: { clock: TimerClock; timeoutMs?: number; rememberMs?: number }): ApprovalQueue {
  const { clock } = options;
  const timeoutMs = options.timeoutMs ?? APPROVAL_TIMEOUT_MS;
  const rememberMs = options.rememberMs ?? APPROVAL_REMEMBER_MS;
  const pending = new Map<string, Pending>();
  const allowedUntil = new Map<string, number>();
  const listeners = new Set<(event: ApprovalQueueEvent) => void>();
  let sequence = 0;

  const emit = (event: ApprovalQueueEvent): void => {
    for (const listener of listeners) listener(event);
  };

  const settle = (id: string, outcome: 'allow' | 'deny'): void => {
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    clock.clearTimeout(entry.timer);
    entry.resolve(outcome);
    emit({ type: 'resolved', id });
  };

  const isRemembered = (account: string, client: string, caller: CallerInfo | undefined): boolean => {
    const key = rememberKey(account, client, caller);
    const until = allowedUntil.get(key);
    if (until === undefined) return false;
    if (until > clock.now()) return true;
    allowedUntil.delete(key);
    return false;
  };

  return {
    requestApproval(request: ApprovalRequest) {
      if (isRemembered(request.account, request.client, request.caller)) return Promise.resolve('allow');
      const now = clock.now();
      // The broker's own deadline wins if it is sooner; ours bounds how long a script waits.
      const expiresAt = Math.max(now, Math.min(request.expiresAt, now + timeoutMs));
      // Ids cross IPC and come back in answerApproval; make them unique even if the broker repeats one.
      const id = pending.has(request.id) ? `${request.id}-${++sequence}` : request.id;
      const commandLine = commandLineOf(request.caller);
      const view: ApprovalRequestView = {
        id,
        account: request.account,
        client: request.client,
        ...(request.caller === undefined ? {} : { caller: { ...request.caller } }),
        ...(commandLine === undefined ? {} : { commandLine }),
        requestedAt: now,
        expiresAt,
      };
      return new Promise<'allow' | 'deny'>((resolve) => {
        const timer = clock.setTimeout(() => settle(id, 'deny'), expiresAt - now);
        pending.set(id, { view, resolve, timer });
        emit({ type: 'requested', request: view });
      });
    },
    list: () => [...pending.values()].map((entry) => ({ ...entry.view })),
    answer(id, answer) {
      const entry = pending.get(id);
      if (entry === undefined) throw new BrokerError('INVALID_REQUEST', 'This approval request is no longer pending');
      if (answer === 'deny') {
        settle(id, 'deny');
        return;
      }
      settle(id, 'allow');
      if (answer === 'hour') {
        const { account, client, caller } = entry.view;
        const key = rememberKey(account, client, caller);
        allowedUntil.set(key, clock.now() + rememberMs);
        // Requests from the same program for the same account that are already waiting are covered too.
        for (const other of [...pending.values()]) {
          if (rememberKey(other.view.account, other.view.client, other.view.caller) === key) settle(other.view.id, 'allow');
        }
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    dispose() {
      for (const id of [...pending.keys()]) settle(id, 'deny');
      allowedUntil.clear();
    },
  };
}

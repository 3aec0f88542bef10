/**
 * When to notify (pure): once per account per change into "needs sign-in" or "refresh failed",
 * not on every repeated event. A successful refresh or sign-in re-arms the account.
 */
import type { BrokerEvent } from '../core/broker/types.js';

export interface NotificationContent {
  title: string;
  body: string;
  account?: string;
}

type Attention = 'needs_login' | 'refresh_failed';

export interface AttentionTracker {
  /** The notification this event calls for, if any. */
  next(event: BrokerEvent): NotificationContent | undefined;
}

export function createAttentionTracker(): AttentionTracker {
  const states = new Map<string, Attention>();
  const enter = (account: string, state: Attention): boolean => {
    if (states.get(account) === state) return false;
    states.set(account, state);
    return true;
  };
  return {
    next(event) {
      switch (event.type) {
        case 'needs_login':
          return enter(event.account, 'needs_login')
            ? {
                title: `Sign in to ${event.account} again`,
                body: 'Scripts cannot get a token for this account until you sign in.',
                account: event.account,
              }
            : undefined;
        case 'refresh_failed':
          // Error messages are secret-free by construction (main/core/errors.ts).
          return enter(event.account, 'refresh_failed')
            ? { title: `Refreshing ${event.account} failed`, body: event.error.message, account: event.account }
            : undefined;
        case 'token_refreshed':
          states.delete(event.account);
          return undefined;
        case 'sign_in_progress':
          if (event.progress.phase === 'done') states.delete(event.progress.account);
          return undefined;
        default:
          return undefined;
      }
    },
  };
}

export function approvalNotification(account: string, client: string): NotificationContent {
  return { title: 'Token request needs your approval', body: `Allow ${client} to get a token for ${account}?`, account };
}

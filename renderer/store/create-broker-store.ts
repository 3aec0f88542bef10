import { createStore } from 'zustand/vanilla';
import type { BrokerApi } from '../../main/ipc/contract.js';
import { createAccountsSlice } from './accounts-slice.js';
import { createActivitySlice } from './activity-slice.js';
import { createApprovalsSlice } from './approvals-slice.js';
import { createSettingsSlice } from './settings-slice.js';
import { createSignInSlice } from './sign-in-slice.js';
import type { BrokerState, BrokerStore } from './types.js';
import { createUiSlice } from './ui-slice.js';

export interface BrokerStoreOptions {
  /** The clock (epoch ms); tests pass their own so countdowns are deterministic. */
  now?: () => number;
  /** How often `now` advances; 0 disables the interval (tests call `tick()`). Default 1000. */
  tickMs?: number;
}

/**
 * The renderer's one store, built from the `window.broker` API. `connect()` subscribes to the
 * broker's events (accounts, sign-in progress, approvals, audit), loads the initial state and
 * starts the clock; the returned function undoes all three.
 */
export function createBrokerStore(api: BrokerApi, options: BrokerStoreOptions = {}): BrokerStore {
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 1000;
  return createStore<BrokerState>()((set, get) => ({
    ...createUiSlice(now)(set, get, api),
    ...createAccountsSlice(set, get, api),
    ...createSignInSlice(set, get, api),
    ...createApprovalsSlice(set, get, api),
    ...createActivitySlice(set, get, api),
    ...createSettingsSlice(set, get, api),
    connect: () => {
      const unsubscribers = [
        api.on('accountsChanged', (accounts) => set({ accounts, accountsLoaded: true })),
        api.on('signInProgress', (progress) => get().applySignInProgress(progress)),
        api.on('approvalRequested', (request) => get().addApproval(request)),
        api.on('approvalResolved', ({ id }) => get().resolveApproval(id)),
        api.on('auditAppended', (entry) => get().appendAudit(entry)),
      ];
      const timer = tickMs > 0 ? setInterval(() => get().tick(), tickMs) : undefined;
      const state = get();
      state.tick();
      void Promise.all([
        state.loadAccounts(),
        state.loadPresets(),
        state.loadApprovals(),
        state.loadAudit(),
        state.loadSettings(),
        state.loadVersion(),
      ]);
      return () => {
        for (const unsubscribe of unsubscribers) unsubscribe();
        if (timer !== undefined) clearInterval(timer);
      };
    },
  }));
}

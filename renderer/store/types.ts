import type { StoreApi } from 'zustand/vanilla';
import type { BrokerApi } from '../../main/ipc/contract.js';
import type { AccountsSlice } from './accounts-slice.js';
import type { ActivitySlice } from './activity-slice.js';
import type { ApprovalsSlice } from './approvals-slice.js';
import type { SettingsSlice } from './settings-slice.js';
import type { SignInSlice } from './sign-in-slice.js';
import type { UiSlice } from './ui-slice.js';

export type BrokerState = AccountsSlice & SignInSlice & ApprovalsSlice & ActivitySlice & SettingsSlice & UiSlice & LifecycleSlice;

export interface LifecycleSlice {
  /** Subscribes to broker events, loads everything and starts the clock; returns the disconnect. */
  connect: () => () => void;
}

export type BrokerStore = StoreApi<BrokerState>;

/** A slice factory: its part of the state, built from the store's set/get and the API. */
export type SliceCreator<T> = (set: BrokerStore['setState'], get: BrokerStore['getState'], api: BrokerApi) => T;

import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { BrokerState, BrokerStore } from './types.js';

export const BrokerStoreContext = createContext<BrokerStore | null>(null);

/** Reads one value from the broker store; components select exactly what they render. */
export function useBroker<T>(selector: (state: BrokerState) => T): T {
  const store = useContext(BrokerStoreContext);
  if (store === null) throw new Error('useBroker outside <BrokerStoreContext.Provider>');
  return useStore(store, selector);
}

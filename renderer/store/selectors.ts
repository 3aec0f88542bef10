import type { AccountView, AuditEntryView } from '../../main/ipc/contract.js';
import type { BrokerState } from './types.js';

/** Selectors shared by several views. Derived lists go through `useShallow` at the call site. */
export const selectAccount =
  (name: string) =>
  (state: BrokerState): AccountView | undefined =>
    state.accounts.find((account) => account.name === name);

export const selectFilteredAudit = (state: BrokerState): AuditEntryView[] => {
  const { account, client } = state.auditFilter;
  return state.audit.filter((entry) => (account === '' || entry.account === account) && (client === '' || entry.client === client));
};

export const selectAuditFor =
  (name: string) =>
  (state: BrokerState): AuditEntryView[] =>
    state.audit.filter((entry) => entry.account === name);

export const selectAuditClients = (state: BrokerState): string[] => [...new Set(state.audit.map((entry) => entry.client))].sort();

export const selectAuditAccounts = (state: BrokerState): string[] =>
  [...new Set([...state.accounts.map((a) => a.name), ...state.audit.map((entry) => entry.account)])].sort();

export const selectAccountNames = (state: BrokerState): string[] => state.accounts.map((account) => account.name);

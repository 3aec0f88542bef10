import type { AccountDraft, AccountView, DiscoveryCheck, IpcResult, PresetView, TokenDetailsView } from '../../main/ipc/contract.js';
import { explainError } from '../lib/explain-error.js';
import type { SliceCreator } from './types.js';

export interface AccountsSlice {
  accounts: AccountView[];
  accountsLoaded: boolean;
  presets: PresetView[];
  /** Token metadata per account, loaded when its detail view opens; null = no token yet. */
  tokenDetails: Record<string, TokenDetailsView | null>;
  /** Accounts with a refresh/sign-out/remove in flight, so their buttons show it. */
  busy: Record<string, string>;
  loadAccounts: () => Promise<void>;
  loadPresets: () => Promise<void>;
  loadTokenDetails: (name: string) => Promise<void>;
  addAccount: (draft: AccountDraft) => Promise<IpcResult<AccountView>>;
  updateAccount: (name: string, draft: AccountDraft) => Promise<IpcResult<AccountView>>;
  checkDiscovery: (issuer: string) => Promise<IpcResult<DiscoveryCheck>>;
  refreshAccount: (name: string) => Promise<boolean>;
  signOut: (name: string) => Promise<boolean>;
  removeAccount: (name: string) => Promise<boolean>;
  copyToken: (name: string) => Promise<boolean>;
}

function upsert(accounts: AccountView[], account: AccountView): AccountView[] {
  const index = accounts.findIndex((a) => a.name === account.name);
  if (index === -1) return [...accounts, account];
  return accounts.map((a, i) => (i === index ? account : a));
}

export const createAccountsSlice: SliceCreator<AccountsSlice> = (set, get, api) => {
  /** Runs one account action with a busy marker, announcing the outcome. */
  async function withBusy<T>(name: string, label: string, run: () => Promise<IpcResult<T>>): Promise<IpcResult<T>> {
    set({ busy: { ...get().busy, [name]: label } });
    try {
      const result = await run();
      if (!result.ok) get().announce(`${name}: ${explainError(result.error)}`, 'error');
      return result;
    } finally {
      const { [name]: _done, ...rest } = get().busy;
      set({ busy: rest });
    }
  }

  return {
    accounts: [],
    accountsLoaded: false,
    presets: [],
    tokenDetails: {},
    busy: {},
    loadAccounts: async () => {
      const result = await api.listAccounts();
      if (result.ok) set({ accounts: result.value, accountsLoaded: true });
      else {
        set({ accountsLoaded: true });
        get().announce(`Could not load accounts: ${explainError(result.error)}`, 'error');
      }
    },
    loadPresets: async () => {
      const result = await api.listPresets();
      if (result.ok) set({ presets: result.value });
    },
    loadTokenDetails: async (name) => {
      const result = await api.tokenDetails(name);
      if (result.ok) set({ tokenDetails: { ...get().tokenDetails, [name]: result.value } });
    },
    addAccount: async (draft) => {
      const result = await api.addAccount(draft);
      if (result.ok) {
        set({ accounts: upsert(get().accounts, result.value) });
        get().announce(`Account “${result.value.name}” added.`, 'success');
      }
      return result;
    },
    updateAccount: async (name, draft) => {
      const result = await api.updateAccount(name, draft);
      if (result.ok) {
        set({ accounts: upsert(get().accounts, result.value) });
        get().announce(`Account “${result.value.name}” saved.`, 'success');
      }
      return result;
    },
    checkDiscovery: (issuer) => api.checkDiscovery(issuer),
    refreshAccount: async (name) => {
      const result = await withBusy(name, 'Refreshing…', () => api.refresh(name));
      if (result.ok) {
        set({ accounts: upsert(get().accounts, result.value) });
        get().announce(`${name}: token refreshed.`, 'success');
        void get().loadTokenDetails(name);
      }
      return result.ok;
    },
    signOut: async (name) => {
      const result = await withBusy(name, 'Signing out…', () => api.signOut(name));
      if (result.ok) {
        set({ accounts: upsert(get().accounts, result.value), tokenDetails: { ...get().tokenDetails, [name]: null } });
        get().announce(`Signed out of ${name}.`, 'success');
      }
      return result.ok;
    },
    removeAccount: async (name) => {
      const result = await withBusy(name, 'Removing…', () => api.removeAccount(name));
      if (result.ok) {
        const { [name]: _gone, ...tokenDetails } = get().tokenDetails;
        set({ accounts: get().accounts.filter((a) => a.name !== name), tokenDetails });
        get().announce(`Account “${name}” removed.`, 'success');
      }
      return result.ok;
    },
    copyToken: async (name) => {
      const result = await api.copyToken(name);
      if (result.ok) {
        // The clock in state may be up to one tick old; read it fresh for this message.
        get().tick();
        const seconds = Math.max(1, Math.round((result.value.clearsAt - get().now) / 1000));
        get().announce(`Copied — clipboard clears in ${seconds} s`, 'success');
      } else {
        get().announce(`${name}: ${explainError(result.error)}`, 'error');
      }
      return result.ok;
    },
  };
};

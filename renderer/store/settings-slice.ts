import type { SettingsPatch, SettingsView } from '../../main/ipc/contract.js';
import { explainError } from '../lib/explain-error.js';
import type { SliceCreator } from './types.js';

export interface SettingsSlice {
  settings: SettingsView | null;
  version: string | null;
  loadSettings: () => Promise<void>;
  loadVersion: () => Promise<void>;
  updateSettings: (patch: SettingsPatch) => Promise<boolean>;
  copyTcpKey: () => Promise<void>;
  regenerateTcpKey: () => Promise<void>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get, api) => ({
  settings: null,
  version: null,
  loadSettings: async () => {
    const result = await api.getSettings();
    if (result.ok) set({ settings: result.value });
  },
  loadVersion: async () => {
    const result = await api.version();
    if (result.ok) set({ version: result.value.app });
  },
  updateSettings: async (patch) => {
    const result = await api.updateSettings(patch);
    if (result.ok) {
      set({ settings: result.value });
      get().announce('Settings saved.', 'success');
    } else {
      get().announce(`Settings not saved: ${explainError(result.error)}`, 'error');
    }
    return result.ok;
  },
  copyTcpKey: async () => {
    const result = await api.copyTcpKey();
    if (result.ok) {
      // The clock in state may be up to one tick old; read it fresh for this message.
      get().tick();
      const seconds = Math.max(1, Math.round((result.value.clearsAt - get().now) / 1000));
      get().announce(`Key copied — clipboard clears in ${seconds} s`, 'success');
    } else get().announce(explainError(result.error), 'error');
  },
  regenerateTcpKey: async () => {
    const result = await api.regenerateTcpKey();
    if (result.ok) {
      set({ settings: result.value });
      get().announce('New key in effect: the old key is refused from now on.', 'success');
    } else get().announce(explainError(result.error), 'error');
  },
});

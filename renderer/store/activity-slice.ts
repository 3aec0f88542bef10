import type { AuditEntryView } from '../../main/ipc/contract.js';
import type { SliceCreator } from './types.js';

/** The audit log kept in memory, newest first; bounded like the broker's own log. */
export const AUDIT_LIMIT = 500;

export interface ActivitySlice {
  audit: AuditEntryView[];
  auditFilter: { account: string; client: string };
  loadAudit: () => Promise<void>;
  appendAudit: (entry: AuditEntryView) => void;
  setAuditFilter: (filter: Partial<{ account: string; client: string }>) => void;
}

export const createActivitySlice: SliceCreator<ActivitySlice> = (set, get, api) => ({
  audit: [],
  auditFilter: { account: '', client: '' },
  loadAudit: async () => {
    const result = await api.auditLog({ limit: AUDIT_LIMIT });
    if (result.ok) set({ audit: [...result.value].sort((a, b) => b.at - a.at) });
  },
  appendAudit: (entry) => set({ audit: [entry, ...get().audit].slice(0, AUDIT_LIMIT) }),
  setAuditFilter: (filter) => set({ auditFilter: { ...get().auditFilter, ...filter } }),
});

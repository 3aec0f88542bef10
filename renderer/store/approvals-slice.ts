import type { ApprovalAnswer, ApprovalRequestView } from '../../main/ipc/contract.js';
import { explainError } from '../lib/explain-error.js';
import type { SliceCreator } from './types.js';

export interface ApprovalsSlice {
  /** Pending approval requests, oldest first; the dialog shows the first. */
  approvals: ApprovalRequestView[];
  loadApprovals: () => Promise<void>;
  addApproval: (request: ApprovalRequestView) => void;
  resolveApproval: (id: string) => void;
  answerApproval: (id: string, answer: ApprovalAnswer) => Promise<void>;
}

export const createApprovalsSlice: SliceCreator<ApprovalsSlice> = (set, get, api) => ({
  approvals: [],
  loadApprovals: async () => {
    const result = await api.listApprovals();
    if (result.ok) set({ approvals: result.value });
  },
  addApproval: (request) => {
    if (get().approvals.some((a) => a.id === request.id)) return;
    set({ approvals: [...get().approvals, request] });
  },
  resolveApproval: (id) => set({ approvals: get().approvals.filter((a) => a.id !== id) }),
  answerApproval: async (id, answer) => {
    const request = get().approvals.find((a) => a.id === id);
    get().resolveApproval(id);
    const result = await api.answerApproval(id, answer);
    if (!result.ok) get().announce(explainError(result.error), 'error');
    else if (request !== undefined) {
      const verdict = answer === 'deny' ? 'Denied' : answer === 'hour' ? 'Allowed for 1 hour:' : 'Allowed once:';
      get().announce(`${verdict} ${request.client} → ${request.account}`, answer === 'deny' ? 'info' : 'success');
    }
  },
});

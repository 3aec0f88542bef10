/**
 * Approvals and verified callers (issue 10 item 4): the prompt shows the verified executable and
 * pid beside the claimed client name, and "allow for an hour" is remembered for that executable —
 * another program claiming the same name is asked again.
 */
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../../main/core/broker/types.js';
import type { CallerInfo } from '../../../main/shared/caller.js';
import { createApprovalQueue } from '../../../main/ipc/approvals.js';
import { createFakeTimerClock } from '../../support/fake-timer-clock.js';

function request(id: string, client: string, caller: CallerInfo): ApprovalRequest {
  return { id, account: 'work', client, requestedAt: 0, expiresAt: 60_000, caller };
}

const KUBECTL = { verified: true, uid: 1000, pid: 4321, exe: '/usr/local/bin/kubectl' };
const IMPOSTOR = { verified: true, uid: 1000, pid: 6666, exe: '/tmp/evil/kubectl-lookalike' };

describe('approval prompts and verified callers', () => {
  it('the pending request shows the verified executable and pid beside the claimed name', () => {
    const queue = createApprovalQueue({ clock: createFakeTimerClock() });
    void queue.requestApproval(request('1', 'kubectl', KUBECTL));
    expect(queue.list()[0]).toMatchObject({ client: 'kubectl', caller: { verified: true, pid: 4321, exe: '/usr/local/bin/kubectl' } });
  });

  it('"allow for an hour" covers that executable, not another program claiming the same name', async () => {
    const queue = createApprovalQueue({ clock: createFakeTimerClock() });
    const first = queue.requestApproval(request('1', 'kubectl', KUBECTL));
    queue.answer('1', 'hour');
    expect(await first).toBe('allow');
    expect(await queue.requestApproval(request('2', 'kubectl', { ...KUBECTL, pid: 4400 }))).toBe('allow');

    let settled = false;
    const impostor = queue.requestApproval(request('3', 'kubectl', IMPOSTOR)).then((answer) => {
      settled = true;
      return answer;
    });
    await Promise.resolve();
    expect(settled, 'an impostor claiming "kubectl" was let through on the remembered answer').toBe(false);
    expect(queue.list().map((view) => view.id)).toEqual(['3']);
    queue.answer('3', 'deny');
    expect(await impostor).toBe('deny');
  });

  it('unverified callers are remembered apart from verified ones', async () => {
    const queue = createApprovalQueue({ clock: createFakeTimerClock() });
    const first = queue.requestApproval(request('1', 'ci', { verified: false }));
    expect(queue.list()[0]).toMatchObject({ caller: { verified: false } });
    queue.answer('1', 'hour');
    expect(await first).toBe('allow');
    let settled = false;
    void queue.requestApproval(request('2', 'ci', KUBECTL)).then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
  });
});

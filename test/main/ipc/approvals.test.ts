import { describe, expect, it } from 'vitest';
import { createApprovalQueue, type ApprovalQueueEvent } from '../../../main/ipc/approvals.js';
import { createFakeTimerClock } from '../../support/fake-timer-clock.js';

const request = (id: string, account = 'prod', client = 'deploy', expiresIn = 60_000, now = 0) => ({
  id,
  account,
  client,
  requestedAt: now,
  expiresAt: now + expiresIn,
});

function setup() {
  const clock = createFakeTimerClock(1_000_000);
  const queue = createApprovalQueue({ clock });
  const events: ApprovalQueueEvent[] = [];
  queue.on((event) => events.push(event));
  return {
    clock,
    queue,
    events,
    req: (id: string, account?: string, client?: string) => request(id, account, client, 60_000, clock.now()),
  };
}

describe('approval queue', () => {
  it('"once" allows this request only', async () => {
    const { queue, events, req } = setup();
    const answer = queue.requestApproval(req('a'));
    expect(queue.list()).toEqual([expect.objectContaining({ id: 'a', account: 'prod', client: 'deploy' })]);
    queue.answer('a', 'once');
    await expect(answer).resolves.toBe('allow');
    expect(events.map((e) => e.type)).toEqual(['requested', 'resolved']);
    const next = queue.requestApproval(req('b'));
    expect(queue.list()).toHaveLength(1);
    queue.answer('b', 'deny');
    await expect(next).resolves.toBe('deny');
  });

  it('"hour" allows the same account and client for 60 minutes, including requests already waiting', async () => {
    const { queue, clock, req } = setup();
    const first = queue.requestApproval(req('a'));
    const waiting = queue.requestApproval(req('b'));
    const otherClient = queue.requestApproval(req('c', 'prod', 'other'));
    queue.answer('a', 'hour');
    await expect(first).resolves.toBe('allow');
    await expect(waiting).resolves.toBe('allow');
    expect(queue.list().map((r) => r.id)).toEqual(['c']);
    await expect(queue.requestApproval(req('d'))).resolves.toBe('allow');
    clock.advance(60 * 60_000 - 1);
    await expect(queue.requestApproval(req('e'))).resolves.toBe('allow');
    clock.advance(1);
    const expired = queue.requestApproval(req('f'));
    expect(queue.list().map((r) => r.id)).toContain('f');
    queue.answer('f', 'deny');
    await expect(expired).resolves.toBe('deny');
    // The other client's request was never covered; its own timeout denied it meanwhile.
    await expect(otherClient).resolves.toBe('deny');
  });

  it('denies after the timeout, and a late answer is refused', async () => {
    const { queue, clock, events, req } = setup();
    const answer = queue.requestApproval(req('a'));
    clock.advance(59_999);
    expect(queue.list()).toHaveLength(1);
    clock.advance(1);
    await expect(answer).resolves.toBe('deny');
    expect(events.at(-1)).toEqual({ type: 'resolved', id: 'a' });
    expect(() => queue.answer('a', 'once')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('uses the broker deadline when it is sooner', async () => {
    const { queue, clock } = setup();
    const answer = queue.requestApproval(request('a', 'prod', 'deploy', 5_000, clock.now()));
    expect(queue.list()[0]?.expiresAt).toBe(clock.now() + 5_000);
    clock.advance(5_000);
    await expect(answer).resolves.toBe('deny');
  });

  it('keeps ids unique and denies everything on dispose', async () => {
    const { queue, req } = setup();
    const one = queue.requestApproval(req('same'));
    const two = queue.requestApproval(req('same', 'other'));
    const ids = queue.list().map((r) => r.id);
    expect(new Set(ids).size).toBe(2);
    queue.dispose();
    await expect(one).resolves.toBe('deny');
    await expect(two).resolves.toBe('deny');
    expect(queue.list()).toEqual([]);
  });
});

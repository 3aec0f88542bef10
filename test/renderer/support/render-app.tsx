import { act, cleanup, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach } from 'vitest';
import { App } from '../../../renderer/app.js';
import { createBrokerStore } from '../../../renderer/store/create-broker-store.js';
import type { BrokerStore } from '../../../renderer/store/types.js';
import type { FakeApiOptions } from './fake-api.js';
import { FakeBroker } from './fake-api.js';

// Importing this registers the one fixture every view test needs: what a test rendered is
// unmounted after it (Testing Library's cleanup), so the next test starts on an empty document.
afterEach(cleanup);

/** A controllable clock for countdown tests. */
export class TestClock {
  constructor(public value = Date.UTC(2026, 10, 21, 12, 0, 0)) {}
  readonly now = (): number => this.value;
}

export interface RenderedApp {
  fake: FakeBroker;
  store: BrokerStore;
  clock: TestClock;
  user: ReturnType<typeof userEvent.setup>;
  /** Moves the clock forward and lets the store tick, as its interval would. */
  advance: (ms: number) => Promise<void>;
}

/** Renders the whole app over a fake broker with a manual clock (no ticking interval). */
export async function renderApp(options: Omit<FakeApiOptions, 'now'> = {}, clock = new TestClock()): Promise<RenderedApp> {
  const fake = new FakeBroker({ ...options, now: clock.now });
  const store = createBrokerStore(fake.api, { now: clock.now, tickMs: 0 });
  const user = userEvent.setup();
  render(<App store={store} />);
  // Let the initial loads resolve.
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
  return {
    fake,
    store,
    clock,
    user,
    advance: async (ms) => {
      clock.value += ms;
      await act(async () => store.getState().tick());
    },
  };
}

/**
 * The window at scale (issue 15): the built renderer in real Chromium over the real IPC handlers
 * and broker (the IPC rig, test/support/ipc-rig.ts), with hundreds of signed-in accounts. Shared by the e2e test, which
 * checks what renders, and `npm run bench`, which reports how long it takes — timing belongs in
 * the bench, not in a test's assertions.
 *
 * Two measurements, both from inside the page:
 * - the accounts view: performance marks around a click on "Accounts" (from another view): when
 *   React committed every row, and when the frame after that was painted;
 * - re-renders per countdown tick: a stand-in for the React DevTools hook (`__REACT_DEVTOOLS_GLOBAL_HOOK__`,
 *   which React calls on every commit, production builds included) walks each committed tree and
 *   counts the account rows in which any component rendered. A component that rendered has new
 *   hook state or props objects; one that bailed out keeps the very same objects.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { AccountInput } from '../../../main/core/accounts/model.js';
import type { TimerClock } from '../../../main/ipc/desktop-ports.js';
import type { IpcRig } from '../../support/ipc-rig.js';

export interface ScaleProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Adds `count` client-credentials accounts (`acct-000`, …) on the fixture's basic client and gets
 * each a token, `parallel` at a time, so every row shows a live countdown ("expires in 59 min").
 * With `shortLived`, the first `shortLived.count` accounts then get a token living
 * `shortLived.seconds`: their countdown shows seconds, so each tick changes their text.
 */
export async function addSignedInAccounts(
  rig: IpcRig<TimerClock>,
  provider: ScaleProvider,
  count: number,
  options: { parallel?: number; shortLived?: { count: number; seconds: number; setTtl(seconds: number): unknown } } = {},
): Promise<string[]> {
  const parallel = options.parallel ?? 8;
  const names = Array.from({ length: count }, (_, i) => `acct-${String(i).padStart(3, '0')}`);
  // One at a time: each change rewrites config.json.
  for (const name of names) {
    const input: AccountInput = {
      name,
      provider: { tokenEndpoint: `${provider.issuer}/token` },
      client: { id: provider.clientId, auth: 'basic' },
      grant: 'client_credentials',
      scopes: ['api'],
    };
    await rig.daemon.broker.addAccount(input, { clientSecret: provider.clientSecret });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < names.length) {
        const name = names[next++] as string;
        await rig.daemon.broker.refresh(name, { client: 'window-scale', skipApproval: true });
      }
    }),
  );
  const short = options.shortLived;
  if (short !== undefined) {
    await short.setTtl(short.seconds);
    try {
      for (const name of names.slice(0, short.count)) await rig.daemon.broker.refresh(name, { client: 'window-scale', skipApproval: true });
    } finally {
      await short.setTtl(3600);
    }
  }
  return names;
}

/** Page-side state of the render counter. */
interface RenderCounter {
  enabled: boolean;
  /** Per commit while enabled: how many account rows had a component render. */
  commits: number[];
  /** Remembers the rows on screen, as the baseline of the first counted commit. */
  seed: () => void;
}

/** Runs in the page before React loads (an init script): the counting DevTools hook stand-in. */
function installRenderCounter(): void {
  interface Fiber {
    tag: number;
    key: string | null;
    type: unknown;
    memoizedProps: Record<string, unknown> | null;
    memoizedState: unknown;
    child: Fiber | null;
    sibling: Fiber | null;
  }
  // React's work tags for components that run user code.
  const COMPONENT_TAGS = new Set([0, 1, 11, 14, 15]);
  const HOST_COMPONENT = 5;
  const counter: RenderCounter = { enabled: false, commits: [], seed: () => undefined };
  const last = new Map<string, unknown[]>();
  let lastRoot: { current: Fiber } | undefined;

  /** The hook state and props objects of every component in the row, in tree order. */
  function identities(row: Fiber): unknown[] {
    const out: unknown[] = [];
    const stack: Fiber[] = [row];
    while (stack.length > 0) {
      const fiber = stack.pop() as Fiber;
      if (COMPONENT_TAGS.has(fiber.tag)) out.push(fiber.memoizedProps, fiber.memoizedState);
      if (fiber.sibling !== null && fiber !== row) stack.push(fiber.sibling);
      if (fiber.child !== null) stack.push(fiber.child);
    }
    return out;
  }

  /** Walks the committed tree; counts (and remembers) the rows whose components rendered. */
  function countRows(root: Fiber): number {
    let rendered = 0;
    const stack: Fiber[] = [root];
    while (stack.length > 0) {
      const fiber = stack.pop() as Fiber;
      const child = fiber.child;
      const isRow =
        COMPONENT_TAGS.has(fiber.tag) &&
        child !== null &&
        child.tag === HOST_COMPONENT &&
        child.type === 'li' &&
        typeof child.memoizedProps?.['data-account'] === 'string';
      if (isRow) {
        const name = child.memoizedProps?.['data-account'] as string;
        const now = identities(fiber);
        const before = last.get(name);
        if (before === undefined || before.length !== now.length || now.some((value, i) => value !== before[i])) rendered += 1;
        last.set(name, now);
      } else if (child !== null) {
        stack.push(child);
      }
      if (fiber.sibling !== null && fiber !== root) stack.push(fiber.sibling);
    }
    return rendered;
  }

  // Counting starts from what is on screen now, so the first commit counted is compared too.
  counter.seed = () => {
    last.clear();
    if (lastRoot !== undefined) countRows(lastRoot.current);
  };
  Object.defineProperty(window, '__tbRenderCounter', { value: counter });
  Object.defineProperty(window, '__REACT_DEVTOOLS_GLOBAL_HOOK__', {
    value: {
      supportsFiber: true,
      isDisabled: false,
      renderers: new Map(),
      inject: () => 1,
      checkDCE: () => {},
      onCommitFiberUnmount: () => {},
      onPostCommitFiberRoot: () => {},
      onCommitFiberRoot: (_id: number, root: { current: Fiber }) => {
        lastRoot = root;
        // Walking every row costs time inside the commit: only while counting, never while timing.
        if (!counter.enabled) return;
        counter.commits.push(countRows(root.current));
      },
    },
  });
}

/** Installs the render counter in the context's pages; call before the page loads the app. */
export async function prepareContext(context: BrowserContext): Promise<void> {
  await context.addInitScript(installRenderCounter);
}

export interface ViewTiming {
  /** Click → the list committed (React's work), ms. */
  committedMs: number;
  /** Click → the frame after the commit painted (style, layout and paint included), ms. */
  paintedMs: number;
  /** Rows in the DOM then (a long list renders the rows in view). */
  rowsRendered: number;
}

/**
 * Switches from Settings to Accounts `rounds` times and times each switch with performance
 * marks in the page: done when the list is there and announces all `expectedRows` accounts
 * (`aria-setsize`). Resolves with every round's figures.
 */
export async function timeAccountsView(page: Page, expectedRows: number, rounds: number): Promise<ViewTiming[]> {
  const out: ViewTiming[] = [];
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (let i = 0; i < rounds; i++) {
    await nav.getByRole('button', { name: /^Settings/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    // Let the settings view settle (its own data loads) before the measured switch.
    await page.waitForTimeout(300);
    const timing = await page.evaluate(async (rows: number): Promise<ViewTiming> => {
      const button = [...document.querySelectorAll<HTMLButtonElement>('nav[aria-label="Main"] button')].find((b) =>
        /^Accounts/.test(b.textContent ?? ''),
      );
      if (button === undefined) throw new Error('no Accounts button');
      performance.clearMarks();
      performance.clearMeasures();
      performance.mark('accounts-view:click');
      button.click();
      // A click is a discrete event: React renders it synchronously, at the latest in a microtask.
      const deadline = performance.now() + 10_000;
      const listed = (): boolean => document.querySelector('li[data-account]')?.getAttribute('aria-setsize') === String(rows);
      while (!listed()) {
        if (performance.now() > deadline) throw new Error('the rows did not appear');
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      performance.mark('accounts-view:committed');
      const rowsRendered = document.querySelectorAll('li[data-account]').length;
      // The next frame's callback runs before its paint; a task queued from it runs after.
      await new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      performance.mark('accounts-view:painted');
      const committed = performance.measure('accounts-view:commit', 'accounts-view:click', 'accounts-view:committed');
      const painted = performance.measure('accounts-view:paint', 'accounts-view:click', 'accounts-view:painted');
      return { committedMs: committed.duration, paintedMs: painted.duration, rowsRendered };
    }, expectedRows);
    out.push(timing);
  }
  return out;
}

export interface TickRenders {
  /** Ticks of the one-second countdown while counting. */
  ticks: number;
  /** Account rows in which something rendered, per React commit (a tick that changes nothing commits nothing). */
  rowsPerCommit: number[];
  /** Account rows in the DOM. */
  rowsRendered: number;
}

/** Counts, for `ticks` seconds of idle time on the accounts view, how many rows the countdown re-rendered. */
export async function countTickRenders(page: Page, ticks: number): Promise<TickRenders> {
  await page.evaluate(() => {
    const counter = (window as unknown as { __tbRenderCounter: RenderCounter }).__tbRenderCounter;
    counter.seed();
    counter.commits = [];
    counter.enabled = true;
  });
  await page.waitForTimeout(ticks * 1000 + 200);
  const { commits, rowsRendered } = await page.evaluate(() => {
    const counter = (window as unknown as { __tbRenderCounter: RenderCounter }).__tbRenderCounter;
    counter.enabled = false;
    return { commits: counter.commits, rowsRendered: document.querySelectorAll('li[data-account]').length };
  });
  return { ticks, rowsPerCommit: commits, rowsRendered };
}

/**
 * Builds a real broker for integration tests: the oidc-provider fixture, a vault in a temp
 * directory keyed by the real keyring (tests run inside with-secret-service.mjs), the real config
 * store and the real OAuth engine. Only time is faked: a fake clock and a fake timer port for the
 * scheduler.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfigStore, type ConfigStore } from '../../../main/core/accounts/config-store.js';
import type { AccountInput } from '../../../main/core/accounts/model.js';
import {
  createBroker,
  type BrokerDeps,
  type BrokerEvent,
  type BrokerService,
  type SignInProgress,
} from '../../../main/core/broker/index.js';
import { defaultGrantPort, type GrantPort } from '../../../main/core/broker/grant-port.js';
import { createHttpClient } from '../../../main/core/oauth/index.js';
import type { Logger } from '../../../main/core/ports.js';
import { createKeytarSecretStore, openVault } from '../../../main/core/vault/index.js';
import type { SecretVault } from '../../../main/core/vault/types.js';
import type { AuthServer } from '../../support/auth-server.js';
import { approveDeviceCode, completeLoginHttp, followStartUrl } from '../../support/login.js';
import { useTracked } from '../../support/fixtures.js';

export class FakeClock {
  constructor(public current = Date.now()) {}
  now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

/** The scheduler's timer port, fired by hand. */
export class FakeTimers {
  pending: { callback: () => void; delayMs: number; cancelled: boolean }[] = [];
  setTimer = (callback: () => void, delayMs: number): (() => void) => {
    const entry = { callback, delayMs, cancelled: false };
    this.pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  };
  /** The armed (not cancelled, not fired) timers. */
  armed(): { callback: () => void; delayMs: number }[] {
    return this.pending.filter((entry) => !entry.cancelled);
  }
  /** Fires every armed timer (as if its delay elapsed, or the machine woke up). */
  fire(): void {
    const due = this.armed();
    this.pending = [];
    for (const entry of due) entry.callback();
  }
}

export interface LoggedLines {
  lines: string[];
  logger: Logger;
}

export function captureLogger(): LoggedLines {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      info: (line) => lines.push(line),
      warn: (line) => lines.push(line),
      error: (line) => lines.push(line),
    },
  };
}

export interface Harness {
  dataDir: string;
  broker: BrokerService;
  vault: SecretVault;
  configStore: ConfigStore;
  clock: FakeClock;
  timers: FakeTimers;
  events: BrokerEvent[];
  log: LoggedLines;
  auditFile: string;
  /** Closes the broker (and its vault) and removes the data directory. */
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  grants?: Partial<GrantPort>;
  schedule?: boolean;
  approvals?: BrokerDeps['approvals'];
  dataDir?: string;
  clock?: FakeClock;
  keepDataDir?: boolean;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'token-broker-broker-')));
  const vault = await openVault({ dataDir, secretStore: createKeytarSecretStore() });
  const configStore = await openConfigStore(dataDir);
  const clock = options.clock ?? new FakeClock();
  const timers = new FakeTimers();
  const log = captureLogger();
  const auditFile = join(dataDir, 'audit.log');
  const broker = createBroker({
    configStore,
    vault,
    http: createHttpClient({ env: {} }),
    clock,
    logger: log.logger,
    auditFile,
    random: () => 0.5,
    schedule: { enabled: options.schedule ?? false, setTimer: timers.setTimer },
    ...(options.grants === undefined ? {} : { grants: options.grants }),
    ...(options.approvals === undefined ? {} : { approvals: options.approvals }),
  });
  const events: BrokerEvent[] = [];
  broker.on((event) => events.push(event));
  let disposed = false;
  return {
    dataDir,
    broker,
    vault,
    configStore,
    clock,
    timers,
    events,
    log,
    auditFile,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await broker.close();
      if (options.keepDataDir !== true) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Account inputs against the fixture. */
export function passwordAccount(server: AuthServer, name: string, extra: Partial<AccountInput> = {}): AccountInput {
  return {
    name,
    provider: { issuer: server.issuer },
    client: { id: server.clients.basic.clientId, auth: 'basic' },
    grant: 'password',
    scopes: ['openid', 'api'],
    allowLegacy: true,
    ...extra,
  };
}

export function basicSecrets(server: AuthServer): { clientSecret: string } {
  return { clientSecret: server.clients.basic.clientSecret };
}

/** Adds a password-grant account and signs it in: the quickest way to a token set with a refresh token. */
export async function addSignedIn(h: Harness, server: AuthServer, name: string, extra: Partial<AccountInput> = {}): Promise<void> {
  await h.broker.addAccount(passwordAccount(server, name, extra), basicSecrets(server));
  await h.broker.signIn(name, { username: server.user.username, password: server.user.password });
}

/** Runs a sign-in, completing the browser or device step as the test user over HTTP. */
export async function signInInteractively(
  broker: BrokerService,
  server: AuthServer,
  name: string,
  complete: (progress: SignInProgress) => Promise<void> = (progress) => completeProgress(server, progress),
): Promise<SignInProgress[]> {
  const seen: SignInProgress[] = [];
  const steps: Promise<void>[] = [];
  await broker.signIn(name, {
    noBrowser: true,
    onProgress: (progress) => {
      seen.push(progress);
      if (progress.phase === 'waiting_for_browser' || progress.phase === 'device_code') steps.push(complete(progress));
    },
  });
  await Promise.all(steps);
  return seen;
}

export async function completeProgress(server: AuthServer, progress: SignInProgress): Promise<void> {
  if (progress.phase === 'waiting_for_browser') await completeLoginHttp(progress.url);
  if (progress.phase === 'device_code') await approveDeviceCode(server, progress.userCode);
}

/**
 * Completes an implicit sign-in over HTTP the way the loopback relay page's script does in a
 * browser: sign in, load the relay page, then POST the URL fragment back with the page's relay key.
 */
export async function completeImplicitHttp(authorizationUrl: string): Promise<void> {
  // The broker's start URL sets the sign-in cookie the relay page and its POST must carry.
  const started = await followStartUrl(authorizationUrl);
  const cookieHeader: Record<string, string> = started.cookie === undefined ? {} : { cookie: started.cookie };
  const finalUrl = new URL(await completeLoginHttp(started.url, { deliver: false }));
  const page = await (await fetch(new URL(finalUrl.pathname, finalUrl.origin), { headers: cookieHeader })).text();
  const relayKey = /'x-token-broker-relay':\s*"([^"]+)"/.exec(page)?.[1];
  if (relayKey === undefined) throw new Error('relay key not found on the loopback page');
  const response = await fetch(new URL(finalUrl.pathname, finalUrl.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-broker-relay': relayKey, ...cookieHeader },
    body: finalUrl.hash.slice(1),
  });
  await response.arrayBuffer();
}

/** The real grant functions with one replaced. */
export function grantsWith(overrides: Partial<GrantPort>): Partial<GrantPort> {
  return { ...defaultGrantPort, ...overrides };
}

/** Resolves with the next event matching `predicate`. */
export function nextEvent(broker: BrokerService, predicate: (event: BrokerEvent) => boolean): Promise<BrokerEvent> {
  return new Promise((resolve) => {
    const off = broker.on((event) => {
      if (predicate(event)) {
        off();
        resolve(event);
      }
    });
  });
}

/**
 * The harness as a fixture: returns `harness(options)`, which creates one; every harness a test
 * created is disposed after that test (closed, its data directory removed unless kept).
 */
export function useHarnesses(): (options?: HarnessOptions) => Promise<Harness> {
  const track = useTracked<Harness>((harness) => harness.dispose());
  return async (options) => track(await createHarness(options));
}

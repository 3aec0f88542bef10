/**
 * An in-memory BrokerApi for component tests: it keeps accounts, audit, approvals and settings,
 * emits events like the real main process, and records every call. The real IPC handlers over
 * the real broker are covered by the e2e suite (test/e2e); this fake only lets views be tested
 * quickly and deterministically.
 */
import type {
  AccountDraft,
  AccountView,
  ApprovalAnswer,
  ApprovalRequestView,
  AuditEntryView,
  BrokerApi,
  IpcChannel,
  IpcError,
  IpcEvent,
  IpcEventMap,
  IpcInvokeMap,
  IpcResult,
  PresetView,
  SettingsView,
  SignInProgressView,
  TokenDetailsView,
} from '../../../main/ipc/contract.js';
import { PRESETS } from '../../../main/core/accounts/presets.js';
import type { ErrorCode } from '../../../main/shared/errors.js';

/** The broker's real presets: plain data, so the form is tested against what main will list. */
export const FAKE_PRESETS: PresetView[] = PRESETS.map((preset) => ({ ...preset, fields: preset.fields.map((field) => ({ ...field })) }));

export interface FakeApiOptions {
  now?: () => number;
  accounts?: AccountView[];
  audit?: AuditEntryView[];
  approvals?: ApprovalRequestView[];
  settings?: Partial<SettingsView>;
  tokenDetails?: Record<string, TokenDetailsView>;
}

export interface FakeCall {
  channel: IpcChannel;
  args: unknown[];
}

type Pending = { resolve: (result: IpcResult<null>) => void };

export function accountView(overrides: Partial<AccountView> & { name: string }): AccountView {
  return {
    grant: 'authorization_code',
    status: 'ok',
    scopes: [],
    clientId: `${overrides.name}-client`,
    clientAuth: 'basic',
    approval: 'auto',
    allowLegacy: false,
    dpop: 'auto',
    senderConstrained: false,
    hasRefreshToken: true,
    refreshPolicy: 'auto',
    refreshMode: 'proactive',
    issuer: 'https://id.example.com',
    ...overrides,
  };
}

export class FakeBroker {
  readonly calls: FakeCall[] = [];
  accounts: AccountView[];
  audit: AuditEntryView[];
  approvals: ApprovalRequestView[];
  settings: SettingsView;
  tokenDetails: Record<string, TokenDetailsView>;
  readonly answers: Array<{ id: string; answer: ApprovalAnswer }> = [];
  /** Scripted failures: the next call on the channel answers this error. */
  readonly failures = new Map<IpcChannel, IpcError>();
  readonly discovery = new Map<string, IpcResult<IpcInvokeMap['checkDiscovery']['result']>>();
  private readonly listeners = new Map<IpcEvent, Set<(payload: never) => void>>();
  private readonly pendingSignIns = new Map<string, Pending>();
  private readonly now: () => number;
  readonly api: BrokerApi;

  constructor(options: FakeApiOptions = {}) {
    this.now = options.now ?? Date.now;
    this.accounts = options.accounts ?? [];
    this.audit = options.audit ?? [];
    this.approvals = options.approvals ?? [];
    this.tokenDetails = options.tokenDetails ?? {};
    this.settings = {
      socketPath: '/home/dev/.local/share/token-broker/broker.sock',
      tcpListener: { enabled: false, port: 0 },
      startAtLogin: false,
      ...options.settings,
    };
    this.api = this.buildApi();
  }

  emit<E extends IpcEvent>(event: E, payload: IpcEventMap[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (p: IpcEventMap[E]) => void)(payload);
  }

  listenerCount(event: IpcEvent): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  callsTo(channel: IpcChannel): unknown[][] {
    return this.calls.filter((call) => call.channel === channel).map((call) => call.args);
  }

  /** Emits a sign-in progress event (tests drive the interactive flows with this). */
  progress(progress: SignInProgressView): void {
    this.emit('signInProgress', progress);
  }

  /** Completes a pending sign-in the way main would: account ok, done event, call resolves. */
  finishSignIn(name: string, outcome: { error?: IpcError } = {}): void {
    const pending = this.pendingSignIns.get(name);
    this.pendingSignIns.delete(name);
    if (outcome.error === undefined) {
      this.updateAccount(name, { status: 'ok', expiresAt: this.now() + 3600_000, hasRefreshToken: true });
      this.progress({ account: name, phase: 'done' });
      pending?.resolve({ ok: true, value: null });
    } else {
      this.progress({ account: name, phase: 'failed', error: outcome.error });
      pending?.resolve({ ok: false, error: outcome.error });
    }
  }

  updateAccount(name: string, patch: Partial<AccountView>): void {
    this.accounts = this.accounts.map((a) => (a.name === name ? { ...a, ...patch } : a));
    this.emit('accountsChanged', this.accounts);
  }

  private buildApi(): BrokerApi {
    const ok = <T>(value: T): IpcResult<T> => ({ ok: true, value });
    const err = (code: ErrorCode, message: string): IpcResult<never> => ({ ok: false, error: { code, message } });
    const find = (name: string) => this.accounts.find((a) => a.name === name);
    const handlers: {
      [K in IpcChannel]: (
        ...args: IpcInvokeMap[K]['args']
      ) => IpcResult<IpcInvokeMap[K]['result']> | Promise<IpcResult<IpcInvokeMap[K]['result']>>;
    } = {
      version: () => ok({ app: '0.1.0' }),
      listAccounts: () => ok(this.accounts),
      listPresets: () => ok(FAKE_PRESETS),
      checkDiscovery: (issuer) =>
        this.discovery.get(issuer) ?? ok({ issuer, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token` }),
      addAccount: (draft) => {
        if (find(draft.name) !== undefined) return err('ACCOUNT_EXISTS', `Account ${draft.name} already exists`);
        const account = this.viewFromDraft(draft);
        this.accounts = [...this.accounts, account];
        this.emit('accountsChanged', this.accounts);
        return ok(account);
      },
      updateAccount: (name, draft) => {
        if (find(name) === undefined) return err('ACCOUNT_NOT_FOUND', `No account ${name}`);
        const account = { ...find(name), ...this.viewFromDraft(draft) };
        this.accounts = this.accounts.map((a) => (a.name === name ? account : a));
        this.emit('accountsChanged', this.accounts);
        return ok(account);
      },
      renameAccount: (name, newName) => {
        const account = find(name);
        if (account === undefined) return err('ACCOUNT_NOT_FOUND', `No account ${name}`);
        if (find(newName) !== undefined) return err('ACCOUNT_EXISTS', `Account ${newName} already exists`);
        const renamed = { ...account, name: newName };
        this.accounts = this.accounts.map((a) => (a.name === name ? renamed : a));
        this.emit('accountsChanged', this.accounts);
        return ok(renamed);
      },
      removeAccount: (name) => {
        if (find(name) === undefined) return err('ACCOUNT_NOT_FOUND', `No account ${name}`);
        this.accounts = this.accounts.filter((a) => a.name !== name);
        this.emit('accountsChanged', this.accounts);
        return ok(null);
      },
      signIn: (name) => {
        if (find(name) === undefined) return err('ACCOUNT_NOT_FOUND', `No account ${name}`);
        this.progress({ account: name, phase: 'starting' });
        return new Promise((resolve) => this.pendingSignIns.set(name, { resolve }));
      },
      cancelSignIn: (name) => {
        const pending = this.pendingSignIns.get(name);
        this.pendingSignIns.delete(name);
        if (pending !== undefined) {
          this.progress({ account: name, phase: 'cancelled' });
          pending.resolve(err('CANCELLED', 'Sign-in cancelled'));
        }
        return ok(null);
      },
      openVerificationUri: () => ok(null),
      refresh: (name) => {
        const account = find(name);
        if (account === undefined) return err('ACCOUNT_NOT_FOUND', `No account ${name}`);
        this.updateAccount(name, { status: 'ok', expiresAt: this.now() + 3600_000, lastRefreshAt: this.now() });
        return ok(find(name) as AccountView);
      },
      signOut: (name) => {
        if (find(name) === undefined) return err('ACCOUNT_NOT_FOUND', `No account ${name}`);
        this.updateAccount(name, { status: 'needs_login', hasRefreshToken: false });
        const { [name]: _gone, ...rest } = this.tokenDetails;
        this.tokenDetails = rest;
        return ok(find(name) as AccountView);
      },
      copyToken: () => ok({ clearsAt: this.now() + 30_000 }),
      tokenDetails: (name) => ok(this.tokenDetails[name] ?? null),
      listApprovals: () => ok(this.approvals),
      answerApproval: (id, answer) => {
        this.answers.push({ id, answer });
        this.approvals = this.approvals.filter((a) => a.id !== id);
        this.emit('approvalResolved', { id });
        return ok(null);
      },
      auditLog: (filter) =>
        ok(
          this.audit.filter(
            (e) =>
              (filter?.account === undefined || e.account === filter.account) &&
              (filter?.client === undefined || e.client === filter.client),
          ),
        ),
      getSettings: () => ok(this.settings),
      updateSettings: (patch) => {
        this.settings = {
          ...this.settings,
          ...(patch.startAtLogin === undefined ? {} : { startAtLogin: patch.startAtLogin }),
          ...(patch.tcpListener === undefined
            ? {}
            : {
                tcpListener: {
                  enabled: patch.tcpListener.enabled,
                  port: patch.tcpListener.port ?? this.settings.tcpListener.port,
                  ...(patch.tcpListener.enabled ? { address: `127.0.0.1:${patch.tcpListener.port || 49152}` } : {}),
                },
              }),
        };
        return ok(this.settings);
      },
      copyTcpKey: () => ok({ clearsAt: this.now() + 30_000 }),
      regenerateTcpKey: () => ok(this.settings),
    };

    const api: Record<string, unknown> = {
      on: (event: IpcEvent, listener: (payload: never) => void) => {
        const set = this.listeners.get(event) ?? new Set();
        set.add(listener);
        this.listeners.set(event, set);
        return () => set.delete(listener);
      },
    };
    for (const channel of Object.keys(handlers) as IpcChannel[]) {
      api[channel] = async (...args: unknown[]) => {
        this.calls.push({ channel, args });
        const failure = this.failures.get(channel);
        if (failure !== undefined) {
          this.failures.delete(channel);
          return { ok: false, error: failure };
        }
        return (handlers[channel] as (...a: unknown[]) => unknown)(...args);
      };
    }
    return api as BrokerApi;
  }

  private viewFromDraft(draft: AccountDraft): AccountView {
    const clientCredentials = draft.grant === 'client_credentials';
    return {
      name: draft.name,
      ...(draft.preset === undefined ? {} : { preset: draft.preset }),
      grant: draft.grant,
      dpop: draft.dpop ?? 'auto',
      senderConstrained: false,
      status: clientCredentials ? 'ok' : 'needs_login',
      ...(clientCredentials ? { expiresAt: this.now() + 3600_000 } : {}),
      scopes: draft.scopes,
      ...(draft.issuer === undefined ? {} : { issuer: draft.issuer }),
      ...(draft.tokenEndpoint === undefined ? {} : { tokenEndpoint: draft.tokenEndpoint }),
      ...(draft.authorizationEndpoint === undefined ? {} : { authorizationEndpoint: draft.authorizationEndpoint }),
      ...(draft.deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint: draft.deviceAuthorizationEndpoint }),
      ...(draft.revocationEndpoint === undefined ? {} : { revocationEndpoint: draft.revocationEndpoint }),
      ...(draft.extraParams === undefined || Object.keys(draft.extraParams).length === 0 ? {} : { extraParams: { ...draft.extraParams } }),
      clientId: draft.clientId,
      clientAuth: draft.clientAuth,
      ...(draft.keyId === undefined ? {} : { keyId: draft.keyId }),
      ...(draft.gitHosts === undefined ? {} : { gitHosts: [...draft.gitHosts], gitUsername: draft.gitUsername ?? 'oauth2' }),
      approval: draft.approval,
      allowLegacy: draft.allowLegacy,
      ...(draft.redirectUri === undefined ? {} : { redirectUri: draft.redirectUri }),
      hasRefreshToken: false,
      refreshPolicy: draft.refreshPolicy ?? 'auto',
      ...(draft.idleAfterHours === undefined ? {} : { idleAfterHours: draft.idleAfterHours }),
      refreshMode: clientCredentials ? 'idle' : 'none',
    };
  }
}

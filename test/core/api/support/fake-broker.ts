/**
 * A small in-memory BrokerService for the API server's own tests (routing, limits, error
 * mapping). The integration tests run the real broker; this double only lets the server be
 * tested without a provider.
 */
import type { AccountInput } from '../../../../main/core/accounts/model.js';
import type {
  AccountUpstream,
  DpopProofHandout,
  DpopProofRequest,
  AccountSecretsInput,
  AccountSummary,
  BrokerService,
  IdTokenHandout,
  SignInOptions,
  TokenHandout,
  TokenRequest,
} from '../../../../main/core/broker/types.js';
import { BrokerError } from '../../../../main/core/errors.js';

export interface FakeAccount {
  summary: AccountSummary;
  token?: TokenHandout;
  idToken?: IdTokenHandout;
  /** Error getToken throws. */
  error?: BrokerError;
  /** A refresh token the fake holds, to prove it never leaves. */
  refreshToken?: string;
}

export class FakeBroker implements BrokerService {
  readonly accounts = new Map<string, FakeAccount>();
  readonly calls: {
    method: string;
    name?: string;
    request?: TokenRequest;
    code?: string;
    options?: Omit<SignInOptions, 'onProgress' | 'signal'>;
  }[] = [];
  signInAborted = false;
  /** When set, signIn waits for this before finishing. */
  signInGate: Promise<void> | undefined;

  add(
    name: string,
    extra: Partial<FakeAccount> & { git?: { hosts: string[]; username: string }; config?: Partial<AccountSummary['config']> } = {},
  ): void {
    const config = {
      name,
      provider: { issuer: 'https://issuer.example' },
      client: { id: 'client', auth: 'none' as const },
      grant: 'client_credentials' as const,
      scopes: ['read'],
      allowLegacy: false,
      approval: 'auto' as const,
      dpop: 'auto' as const,
      ...(extra.git === undefined ? {} : { git: extra.git }),
      ...extra.config,
    };
    this.accounts.set(name, {
      summary: {
        config,
        name,
        grant: config.grant,
        status: 'ok',
        ...(extra.token?.expiresAt === undefined ? {} : { expiresAt: extra.token.expiresAt }),
        scopes: ['read'],
        hasRefreshToken: true,
        senderConstrained: false,
        refreshMode: 'proactive',
      },
      ...extra,
    });
  }

  private get(name: string): FakeAccount {
    const account = this.accounts.get(name);
    if (account === undefined) throw new BrokerError('ACCOUNT_NOT_FOUND', `No account named ${name}.`, { account: name });
    return account;
  }

  listAccounts(): AccountSummary[] {
    return [...this.accounts.values()].map((a) => a.summary);
  }
  getAccount(name: string): AccountSummary {
    return this.get(name).summary;
  }
  async addAccount(input: AccountInput, secrets?: AccountSecretsInput): Promise<AccountSummary> {
    this.calls.push({ method: 'addAccount', name: input.name });
    if (this.accounts.has(input.name)) throw new BrokerError('ACCOUNT_EXISTS', `${input.name} exists.`);
    if (secrets?.clientSecret === 'bad') throw new BrokerError('CONFIG_INVALID', 'bad secret');
    this.add(input.name);
    return this.get(input.name).summary;
  }
  async updateAccount(name: string): Promise<AccountSummary> {
    return this.get(name).summary;
  }
  async renameAccount(name: string, newName: string): Promise<AccountSummary> {
    const account = this.get(name);
    this.calls.push({ method: 'renameAccount', name });
    this.accounts.delete(name);
    const { summary, ...rest } = account;
    this.add(newName, rest);
    this.get(newName).summary.status = summary.status;
    return this.get(newName).summary;
  }
  async checkAccount(input: AccountInput): Promise<void> {
    this.calls.push({ method: 'checkAccount', name: input.name });
  }
  async removeAccount(name: string): Promise<void> {
    this.get(name);
    this.calls.push({ method: 'removeAccount', name });
    this.accounts.delete(name);
  }
  async getToken(name: string, request?: TokenRequest): Promise<TokenHandout> {
    this.calls.push({ method: 'getToken', name, ...(request === undefined ? {} : { request }) });
    const account = this.get(name);
    if (account.error !== undefined) throw account.error;
    if (account.token === undefined) throw new BrokerError('NEEDS_LOGIN', `Sign in to ${name} first.`, { account: name });
    return account.token;
  }
  /**
   * Off by default (every request then goes through getToken, as the tests record it); with
   * `cacheHits` the fake answers from `token` synchronously like the real broker's cache.
   */
  cacheHits = false;
  cachedToken(name: string, request: TokenRequest): TokenHandout | undefined {
    const account = this.accounts.get(name);
    if (!this.cacheHits || account?.token === undefined || account.error !== undefined) return undefined;
    this.calls.push({ method: 'cachedToken', name, request });
    return account.token;
  }
  recordRefusal(name: string, request: Pick<TokenRequest, 'client' | 'caller'>, error: { code: string }): void {
    this.calls.push({ method: 'recordRefusal', name, request: { ...request }, code: error.code });
  }

  async getIdToken(name: string, request?: TokenRequest): Promise<IdTokenHandout> {
    this.calls.push({ method: 'getIdToken', name, ...(request === undefined ? {} : { request }) });
    const account = this.get(name);
    if (account.error !== undefined) throw account.error;
    if (account.idToken === undefined) throw new BrokerError('NEEDS_LOGIN', `Sign in to ${name} first.`, { account: name });
    return account.idToken;
  }
  async refresh(name: string, request?: TokenRequest): Promise<TokenHandout> {
    this.calls.push({ method: 'refresh', name, ...(request === undefined ? {} : { request }) });
    return this.getToken(name, request);
  }
  async signIn(name: string, options: SignInOptions = {}): Promise<void> {
    this.get(name);
    const { onProgress, signal, ...rest } = options;
    this.calls.push({ method: 'signIn', name, options: rest });
    onProgress?.({ account: name, phase: 'starting' });
    onProgress?.({ account: name, phase: 'waiting_for_browser', url: 'https://issuer.example/authorize?x=1' });
    if (this.signInGate !== undefined) {
      await Promise.race([
        this.signInGate,
        new Promise<void>((_, reject) =>
          signal?.addEventListener('abort', () => {
            this.signInAborted = true;
            reject(new BrokerError('CANCELLED', 'Sign-in cancelled.'));
          }),
        ),
      ]);
    }
    if (options.username !== undefined && options.password !== 'right') {
      throw new BrokerError('OAUTH_ERROR', 'The provider refused the sign-in.', { oauthError: 'invalid_grant' });
    }
    onProgress?.({ account: name, phase: 'done' });
  }
  cancelSignIn(): boolean {
    return true;
  }
  async logout(name: string): Promise<void> {
    this.calls.push({ method: 'logout', name });
    const account = this.get(name);
    delete account.token;
  }
  tokenDetails(): undefined {
    return undefined;
  }
  /** Records the request; answers a stand-in proof naming what it was for (the route's shape, not DPoP). */
  async dpopProof(name: string, request: DpopProofRequest): Promise<DpopProofHandout> {
    this.calls.push({ method: 'dpopProof', name });
    const account = this.get(name);
    if (account.error !== undefined) throw account.error;
    return {
      proof: `proof-for-${request.htm}-${request.htu}${request.nonce === undefined ? '' : `-${request.nonce}`}`,
      expiresAt: 2_000_000_000_000,
    };
  }
  async openUpstream(name: string): Promise<AccountUpstream> {
    this.get(name);
    throw new BrokerError('INTERNAL', 'The fake broker runs no proxies.');
  }
  auditLog(): [] {
    return [];
  }
  on(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

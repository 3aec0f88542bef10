import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AccountView, TokenDetailsView } from '../../main/ipc/contract.js';
import { identityLabel } from '../../main/shared/accounts.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Expiry } from '../components/expiry.js';
import { BackIcon, CopyIcon, EditIcon, RefreshIcon, SignInIcon, SignOutIcon, TrashIcon } from '../components/icons.js';
import { ProviderIcon } from '../components/provider-icon.js';
import { StatusBadge } from '../components/status-badge.js';
import { explainError } from '../lib/explain-error.js';
import {
  CLIENT_AUTH_LABELS,
  displayStatus,
  GRANT_LABELS,
  isInteractiveGrant,
  refreshModeLabel,
  refreshPolicyLabel,
} from '../lib/status.js';
import { formatRelative, formatTimestamp } from '../lib/time.js';
import { useBroker } from '../store/hooks.js';
import { selectAccount, selectAuditFor } from '../store/selectors.js';
import { AuditTable } from './audit-table.js';
import { Scopes } from './accounts-view.js';
import { providerLabel } from './provider-label.js';
import { GRANT_TRAITS } from '../../main/shared/grants.js';

/** One account: token metadata (never values), claims, configuration, its activity and actions. */
export function AccountDetailView({ name }: { name: string }) {
  const account = useBroker(selectAccount(name));
  const navigate = useBroker((state) => state.navigate);
  if (account === undefined) {
    return (
      <section className="page" aria-labelledby="detail-title">
        <h1 id="detail-title">{name}</h1>
        <p className="muted">This account no longer exists.</p>
        <button type="button" className="button" onClick={() => navigate({ name: 'accounts' })}>
          Back to accounts
        </button>
      </section>
    );
  }
  return <Detail account={account} />;
}

function Detail({ account }: { account: AccountView }) {
  const now = useBroker((state) => state.now);
  const presets = useBroker((state) => state.presets);
  const navigate = useBroker((state) => state.navigate);
  const details = useBroker((state) => state.tokenDetails[account.name]);
  const loadTokenDetails = useBroker((state) => state.loadTokenDetails);
  const status = displayStatus(account, now);

  // Reload the metadata whenever the broker reports a change to this account's token.
  useEffect(() => {
    void loadTokenDetails(account.name);
  }, [loadTokenDetails, account.name, account.expiresAt, account.lastRefreshAt, account.status]);

  return (
    <section className="page" aria-labelledby="detail-title">
      <header className="page__header page__header--detail">
        <div>
          <button type="button" className="link-button back" onClick={() => navigate({ name: 'accounts' })}>
            <BackIcon />
            Accounts
          </button>
          <div className="detail-title">
            <ProviderIcon preset={account.preset} size={40} />
            <div>
              <h1 id="detail-title">{account.name}</h1>
              <p className="page__subtitle">
                {providerLabel(account, presets)} · {GRANT_LABELS[account.grant]}
                {account.identity === undefined ? null : (
                  <>
                    {' · '}
                    <span title={`Subject: ${account.identity.subject}`}>
                      {status === 'needs_login' ? 'last signed in as ' : 'signed in as '}
                      <strong>{identityLabel(account.identity)}</strong>
                    </span>
                  </>
                )}
              </p>
            </div>
            <div className="detail-title__status" aria-live="polite">
              <StatusBadge status={status} />
              {account.senderConstrained ? (
                <span
                  className="badge"
                  title="Its tokens are bound to a key that never leaves the broker (DPoP, RFC 9449): a copied token is useless."
                >
                  Sender-constrained (DPoP)
                </span>
              ) : null}
              {account.status === 'ok' ? <Expiry expiresAt={account.expiresAt} /> : null}
            </div>
          </div>
        </div>
      </header>
      <Actions account={account} status={status} />
      {account.lastError === undefined ? null : (
        <p className="banner banner--error" role="alert">
          {explainError(account.lastError)} <span className="muted">({account.lastError.oauthError ?? account.lastError.code})</span>
        </p>
      )}
      <div className="detail-grid">
        <TokenCard details={details} idTokenExpiresAt={account.idTokenExpiresAt} now={now} />
        <ConfigCard account={account} />
      </div>
      {details?.accessTokenClaims === undefined ? null : <ClaimsCard title="Access token claims" claims={details.accessTokenClaims} />}
      {details?.idTokenClaims === undefined ? null : <ClaimsCard title="ID token claims" claims={details.idTokenClaims} />}
      <AccountActivity name={account.name} />
    </section>
  );
}

function Actions({ account, status }: { account: AccountView; status: ReturnType<typeof displayStatus> }) {
  const busy = useBroker((state) => state.busy[account.name]);
  const refresh = useBroker((state) => state.refreshAccount);
  const copyToken = useBroker((state) => state.copyToken);
  const signOut = useBroker((state) => state.signOut);
  const remove = useBroker((state) => state.removeAccount);
  const startSignIn = useBroker((state) => state.startSignIn);
  const openSignInPanel = useBroker((state) => state.openSignInPanel);
  const navigate = useBroker((state) => state.navigate);
  const [confirm, setConfirm] = useState<'sign-out' | 'remove' | null>(null);
  const signedIn = status !== 'needs_login';
  const interactive = isInteractiveGrant(account.grant);

  return (
    <div className="toolbar" role="toolbar" aria-label="Account actions">
      {interactive ? (
        <button
          type="button"
          className={`button ${signedIn ? '' : 'button--primary'}`}
          onClick={() => {
            openSignInPanel(account.name);
            if (!GRANT_TRAITS[account.grant].needsPassword) void startSignIn(account.name);
          }}
        >
          <SignInIcon />
          {signedIn ? 'Sign in again' : 'Sign in'}
        </button>
      ) : null}
      <button type="button" className="button" disabled={busy !== undefined} onClick={() => void refresh(account.name)}>
        <RefreshIcon className={busy === undefined ? undefined : 'spin'} />
        {busy ?? 'Refresh now'}
      </button>
      <button type="button" className="button" disabled={!signedIn} onClick={() => void copyToken(account.name)}>
        <CopyIcon />
        Copy access token
      </button>
      <button type="button" className="button" onClick={() => navigate({ name: 'edit-account', account: account.name })}>
        <EditIcon />
        Edit
      </button>
      <span className="toolbar__spacer" />
      <button type="button" className="button" disabled={!signedIn} onClick={() => setConfirm('sign-out')}>
        <SignOutIcon />
        Sign out
      </button>
      <button type="button" className="button button--danger-quiet" onClick={() => setConfirm('remove')}>
        <TrashIcon />
        Remove
      </button>
      {confirm === 'sign-out' ? (
        <ConfirmDialog
          title={`Sign out of ${account.name}?`}
          confirmLabel="Sign out"
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            void signOut(account.name);
          }}
        >
          The tokens are revoked at the provider (where it supports revocation) and forgotten here. The account stays; sign in again to use
          it.
        </ConfirmDialog>
      ) : null}
      {confirm === 'remove' ? (
        <ConfirmDialog
          title={`Remove ${account.name}?`}
          confirmLabel="Remove account"
          danger
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            void remove(account.name).then((removed) => {
              if (removed) navigate({ name: 'accounts' });
            });
          }}
        >
          The account, its client secret and its tokens are deleted. Scripts asking for “{account.name}” will get ACCOUNT_NOT_FOUND.
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function TokenCard({
  details,
  idTokenExpiresAt,
  now,
}: {
  details: TokenDetailsView | null | undefined;
  /** The ID token's own expiry, shown beside the access token's. */
  idTokenExpiresAt: number | undefined;
  now: number;
}) {
  return (
    <section className="card" aria-labelledby="token-card-title">
      <h2 id="token-card-title" className="card__title">
        Token
      </h2>
      {details === undefined ? (
        <p className="muted">Loading…</p>
      ) : details === null ? (
        <p className="muted">No token yet. Sign in or refresh to get one.</p>
      ) : (
        <dl className="kv">
          <dt>Type</dt>
          <dd>{details.tokenType}</dd>
          <dt>Scopes</dt>
          <dd>{details.scope === undefined || details.scope === '' ? '—' : <Scopes scopes={details.scope.split(' ')} max={20} />}</dd>
          <dt>Obtained</dt>
          <dd>
            {formatTimestamp(details.obtainedAt)} <span className="muted">({formatRelative(details.obtainedAt, now)})</span>
          </dd>
          <dt>Expires</dt>
          <dd>
            {details.expiresAt === undefined ? (
              'No expiry given'
            ) : (
              <>
                {formatTimestamp(details.expiresAt)} <span className="muted">({formatRelative(details.expiresAt, now)})</span>
              </>
            )}
          </dd>
          <dt>Refresh token</dt>
          <dd>{details.hasRefreshToken ? 'Yes' : 'No'}</dd>
          <dt>ID token</dt>
          <dd data-testid="id-token-expiry">
            {!details.hasIdToken ? (
              'No'
            ) : idTokenExpiresAt === undefined ? (
              'Yes (no expiry given)'
            ) : (
              <>
                Expires {formatTimestamp(idTokenExpiresAt)} <span className="muted">({formatRelative(idTokenExpiresAt, now)})</span>
              </>
            )}
          </dd>
          <dt>Last refresh</dt>
          <dd>
            {details.lastRefreshAt === undefined ? (
              'Never'
            ) : (
              <>
                {formatRelative(details.lastRefreshAt, now)}{' '}
                {details.lastRefreshOutcome === undefined ? null : (
                  <span className={`outcome-tag outcome-tag--${details.lastRefreshOutcome}`}>
                    {details.lastRefreshOutcome === 'ok' ? 'succeeded' : 'failed'}
                  </span>
                )}
              </>
            )}
          </dd>
          {details.lastError === undefined ? null : (
            <>
              <dt>Last error</dt>
              <dd>{explainError(details.lastError)}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

function ConfigCard({ account }: { account: AccountView }) {
  return (
    <section className="card" aria-labelledby="config-card-title">
      <h2 id="config-card-title" className="card__title">
        Configuration
      </h2>
      <dl className="kv">
        <dt>Client ID</dt>
        <dd className="mono">{account.clientId}</dd>
        <dt>Client auth</dt>
        <dd>{CLIENT_AUTH_LABELS[account.clientAuth]}</dd>
        {account.issuer === undefined ? null : (
          <>
            <dt>Issuer</dt>
            <dd className="mono">{account.issuer}</dd>
          </>
        )}
        {account.tokenEndpoint === undefined ? null : (
          <>
            <dt>Token endpoint</dt>
            <dd className="mono">{account.tokenEndpoint}</dd>
          </>
        )}
        {account.redirectUri === undefined ? null : (
          <>
            <dt>Redirect URI</dt>
            <dd className="mono">{account.redirectUri}</dd>
          </>
        )}
        {account.registryHosts === undefined ? null : (
          <>
            <dt>Container registries</dt>
            <dd className="mono">
              {account.registryHosts.join(' ')}
              {account.registryUsername === undefined ? null : <span className="muted"> (as {account.registryUsername})</span>}
            </dd>
          </>
        )}
        {account.kubernetesTokenType === undefined ? null : (
          <>
            <dt>Kubernetes credential</dt>
            <dd>{account.kubernetesTokenType === 'id_token' ? 'ID token' : 'Access token'}</dd>
          </>
        )}
        <dt>Approval</dt>
        <dd>{account.approval === 'ask' ? 'Ask every time' : 'Automatic'}</dd>
        <dt>DPoP</dt>
        <dd>{DPOP_LABELS[account.dpop]}</dd>
        {account.exchangeAudiences === undefined ? null : (
          <>
            <dt>Token exchange</dt>
            <dd className="mono">{account.exchangeAudiences.join(' ')}</dd>
          </>
        )}
        <dt>Proactive refresh</dt>
        <dd data-testid="refresh-mode">
          {refreshPolicyLabel(account)}
          <br />
          <span className={account.refreshMode === 'idle' ? 'muted' : undefined}>{refreshModeLabel(account)}</span>
        </dd>
        <dt>Scopes</dt>
        <dd>{account.scopes.length === 0 ? '—' : <Scopes scopes={account.scopes} max={20} />}</dd>
      </dl>
    </section>
  );
}

const DPOP_LABELS: Record<AccountView['dpop'], string> = {
  auto: 'When the provider supports it',
  on: 'Always (Bearer tokens refused)',
  off: 'Off (Bearer tokens)',
};

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

function claimValue(key: string, value: unknown): string {
  if (TIME_CLAIMS.has(key) && typeof value === 'number') return `${value} (${formatTimestamp(value * 1000)})`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function ClaimsCard({ title, claims }: { title: string; claims: Record<string, unknown> }) {
  const entries = Object.entries(claims);
  return (
    <section className="card" aria-label={title}>
      <h2 className="card__title">
        {title} <span className="muted small">decoded, not verified</span>
      </h2>
      <table className="table table--claims">
        <thead>
          <tr>
            <th scope="col">Claim</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([key, value]) => (
            <tr key={key}>
              <th scope="row" className="mono">
                {key}
              </th>
              <td className="mono">{claimValue(key, value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AccountActivity({ name }: { name: string }) {
  const entries = useBroker(useShallow(selectAuditFor(name)));
  return (
    <section className="card" aria-labelledby="account-activity-title">
      <h2 id="account-activity-title" className="card__title">
        Activity
      </h2>
      {entries.length === 0 ? (
        <p className="muted">No token requests yet.</p>
      ) : (
        <AuditTable entries={entries.slice(0, 50)} showAccount={false} />
      )}
    </section>
  );
}

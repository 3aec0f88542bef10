import { memo, useRef } from 'react';
import type { AccountView } from '../../main/ipc/contract.js';
import { Expiry } from '../components/expiry.js';
import { PlusIcon, RefreshIcon, SignInIcon } from '../components/icons.js';
import { ProviderIcon } from '../components/provider-icon.js';
import { StatusBadge } from '../components/status-badge.js';
import { displayStatus, GRANT_LABELS, isInteractiveGrant } from '../lib/status.js';
import { useWindowedRange } from '../lib/use-windowed-range.js';
import { useBroker } from '../store/hooks.js';
import { providerLabel } from './provider-label.js';
import { GRANT_TRAITS } from '../../main/shared/grants.js';

/**
 * Every account with its live status; the empty state leads to adding the first one.
 *
 * Built for hundreds of accounts (issue 15): rows get their account as a prop and are memoized,
 * so a change to one account re-renders that row only (the others keep their objects), and no
 * row looks itself up in the list. Rows subscribe to what time changes — their status and the
 * expiry text — not to the clock, so the one-second tick re-renders only the rows whose text
 * changes. A long list renders the rows in view (lib/use-windowed-range.ts), each row telling
 * assistive technology its place in the whole list. `npm run bench` measures both in Chromium
 * (bench/window.bench.ts).
 */
export function AccountsView() {
  const accounts = useBroker((state) => state.accounts);
  const loaded = useBroker((state) => state.accountsLoaded);
  const navigate = useBroker((state) => state.navigate);

  return (
    <section className="page" aria-labelledby="accounts-title">
      <header className="page__header">
        <div>
          <h1 id="accounts-title">Accounts</h1>
          <p className="page__subtitle">Sign in once here; scripts get fresh tokens over the local socket.</p>
        </div>
        {accounts.length > 0 ? (
          <button type="button" className="button button--primary" onClick={() => navigate({ name: 'add-account' })}>
            <PlusIcon />
            Add account
          </button>
        ) : null}
      </header>
      {!loaded ? (
        <p className="muted">Loading accounts…</p>
      ) : accounts.length === 0 ? (
        <EmptyState onAdd={() => navigate({ name: 'add-account' })} />
      ) : (
        <AccountList accounts={accounts} />
      )}
    </section>
  );
}

function AccountList({ accounts }: { accounts: AccountView[] }) {
  const listRef = useRef<HTMLUListElement>(null);
  const { start, end, padTop, padBottom } = useWindowedRange(listRef, accounts.length);
  return (
    <ul
      ref={listRef}
      className="account-list"
      aria-label="Accounts"
      style={padTop === 0 && padBottom === 0 ? undefined : { paddingTop: padTop, paddingBottom: padBottom }}
    >
      {accounts.slice(start, end).map((account, index) => (
        <AccountRow key={account.name} account={account} position={start + index + 1} total={accounts.length} />
      ))}
    </ul>
  );
}

function EmptyState({ onAdd }: { onAdd: () => void }) {
  return (
    <div className="empty">
      <svg className="empty__art" viewBox="0 0 120 90" width="120" height="90" aria-hidden="true">
        <rect x="10" y="18" width="100" height="60" rx="10" className="empty__card" />
        <circle cx="38" cy="48" r="12" className="empty__accent" />
        <rect x="58" y="40" width="40" height="6" rx="3" className="empty__line" />
        <rect x="58" y="52" width="26" height="6" rx="3" className="empty__line" />
      </svg>
      <h2>No accounts yet</h2>
      <p className="muted">Connect GitHub, Google, Entra ID, Okta or any OpenID Connect provider. Secrets stay in the encrypted vault.</p>
      <button type="button" className="button button--primary" onClick={onAdd}>
        <PlusIcon />
        Add your first account
      </button>
    </div>
  );
}

const AccountRow = memo(function AccountRow({ account, position, total }: { account: AccountView; position: number; total: number }) {
  // A string: the row re-renders when its status changes (ok → expiring → expired), not every tick.
  const status = useBroker((state) => displayStatus(account, state.now));
  const presets = useBroker((state) => state.presets);
  return (
    <li
      className={`account-row account-row--${status}`}
      data-account={account.name}
      data-status={status}
      aria-posinset={position}
      aria-setsize={total}
    >
      <ProviderIcon preset={account.preset} />
      <div className="account-row__main">
        <OpenButton account={account} />
        <p className="account-row__meta">
          {providerLabel(account, presets)} · {GRANT_LABELS[account.grant]}
        </p>
        <Scopes scopes={account.scopes} />
      </div>
      <div className="account-row__status">
        <StatusBadge status={status} />
        {account.status === 'ok' ? (
          <Expiry expiresAt={account.expiresAt} />
        ) : (
          <span className="expiry">{account.lastError?.message ?? ''}</span>
        )}
        {account.refreshMode === 'idle' ? (
          <span className="expiry muted" title="Not used for a while: its refresh token is left alone until a script asks again.">
            idle · refreshes on next use
          </span>
        ) : null}
      </div>
      <RowAction account={account} needsSignIn={status === 'needs_login' || (status === 'expired' && !account.hasRefreshToken)} />
    </li>
  );
});

function OpenButton({ account }: { account: AccountView }) {
  const navigate = useBroker((state) => state.navigate);
  return (
    <button type="button" className="link-button account-row__name" onClick={() => navigate({ name: 'account', account: account.name })}>
      {account.name}
    </button>
  );
}

export function Scopes({ scopes, max = 4 }: { scopes: string[]; max?: number }) {
  if (scopes.length === 0) return null;
  const shown = scopes.slice(0, max);
  return (
    <ul className="scopes" aria-label="Scopes">
      {shown.map((scope) => (
        <li key={scope} className="scope">
          {scope}
        </li>
      ))}
      {scopes.length > max ? <li className="scope scope--more">+{scopes.length - max}</li> : null}
    </ul>
  );
}

function RowAction({ account, needsSignIn }: { account: AccountView; needsSignIn: boolean }) {
  const busy = useBroker((state) => state.busy[account.name]);
  const refresh = useBroker((state) => state.refreshAccount);
  const startSignIn = useBroker((state) => state.startSignIn);
  const openSignInPanel = useBroker((state) => state.openSignInPanel);
  if (needsSignIn && isInteractiveGrant(account.grant)) {
    return (
      <button
        type="button"
        className="button button--primary button--small"
        aria-label={`Sign in to ${account.name}`}
        onClick={() => {
          openSignInPanel(account.name);
          if (!GRANT_TRAITS[account.grant].needsPassword) void startSignIn(account.name);
        }}
      >
        <SignInIcon />
        Sign in
      </button>
    );
  }
  return (
    <button
      type="button"
      className="button button--small"
      aria-label={`Refresh ${account.name}`}
      disabled={busy !== undefined}
      onClick={() => void refresh(account.name)}
    >
      <RefreshIcon className={busy === undefined ? undefined : 'spin'} />
      {busy ?? 'Refresh'}
    </button>
  );
}

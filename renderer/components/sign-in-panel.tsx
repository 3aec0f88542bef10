import { useState } from 'react';
import type { FormEvent } from 'react';
import type { AccountView, SignInProgressView } from '../../main/ipc/contract.js';
import { explainError } from '../lib/explain-error.js';
import { formatDuration } from '../lib/time.js';
import { useBroker } from '../store/hooks.js';
import { selectAccount } from '../store/selectors.js';
import { CopyButton } from './copy-button.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { Dialog } from './dialog.js';
import { identityDescription } from '../../main/shared/accounts.js';
import { AlertIcon, CheckIcon, ExternalIcon } from './icons.js';
import { GRANT_TRAITS } from '../../main/shared/grants.js';

const ACTIVE: ReadonlySet<SignInProgressView['phase']> = new Set(['starting', 'waiting_for_browser', 'device_code', 'exchanging']);

/** The sign-in dialog for the account in `signInPanel`: browser wait, device code, password form, outcome. */
export function SignInPanel() {
  const name = useBroker((state) => state.signInPanel);
  if (name === null) return null;
  return <SignInDialog name={name} />;
}

function SignInDialog({ name }: { name: string }) {
  const account = useBroker(selectAccount(name));
  const progress = useBroker((state) => state.signIns[name]);
  const close = useBroker((state) => state.closeSignInPanel);
  const clearSignIn = useBroker((state) => state.clearSignIn);
  const cancelSignIn = useBroker((state) => state.cancelSignIn);
  const active = progress !== undefined && ACTIVE.has(progress.phase);

  const onClose = () => {
    // Closing while the flow runs would leave a browser tab waiting on nothing; cancel it.
    if (active) void cancelSignIn(name);
    clearSignIn(name);
    close();
  };

  return (
    <Dialog title={`Sign in to ${name}`} onClose={onClose} className="sign-in">
      <div className="dialog__body" aria-live="polite">
        <Phase name={name} account={account} progress={progress} />
      </div>
      <div className="dialog__actions">
        {active ? (
          <button type="button" className="button" onClick={() => void cancelSignIn(name)}>
            Cancel
          </button>
        ) : (
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        )}
      </div>
    </Dialog>
  );
}

function Phase({ name, account, progress }: { name: string; account: AccountView | undefined; progress: SignInProgressView | undefined }) {
  const startSignIn = useBroker((state) => state.startSignIn);
  if (progress === undefined) {
    return needsPassword(account) ? <PasswordForm name={name} /> : <Working text="Starting…" />;
  }
  switch (progress.phase) {
    case 'starting':
      return <Working text="Starting…" />;
    case 'exchanging':
      return <Working text="Finishing sign-in…" />;
    case 'waiting_for_browser':
      return <WaitingForBrowser name={name} />;
    case 'device_code':
      return <DeviceCode name={name} progress={progress} />;
    case 'done':
      return (
        <div className="outcome outcome--ok">
          <CheckIcon width={28} height={28} />
          <p className="outcome__title" data-testid="signed-in-as">
            Signed in to {name}
            {account?.identity === undefined ? null : <> as {identityDescription(account.identity)}</>}
          </p>
          <p className="muted">Scripts can now get tokens for this account.</p>
        </div>
      );
    case 'cancelled':
      return (
        <div className="outcome">
          <p className="outcome__title">Sign-in cancelled</p>
          <button type="button" className="button button--primary" onClick={() => void retry(startSignIn, name, account)}>
            Try again
          </button>
        </div>
      );
    case 'failed':
      if (progress.error.code === 'IDENTITY_CHANGED') return <OtherUser name={name} message={progress.error.message} />;
      return (
        <div className="outcome outcome--error" role="alert">
          <AlertIcon width={28} height={28} />
          <p className="outcome__title">Sign-in failed</p>
          <p>{explainError(progress.error)}</p>
          <p className="muted small">
            <code>{progress.error.oauthError ?? progress.error.code}</code>
            {progress.error.oauthErrorDescription === undefined ? null : <> — {progress.error.oauthErrorDescription}</>}
          </p>
          {needsPassword(account) ? null : (
            <button type="button" className="button button--primary" onClick={() => void retry(startSignIn, name, account)}>
              Try again
            </button>
          )}
        </div>
      );
  }
}

function WaitingForBrowser({ name }: { name: string }) {
  const startSignIn = useBroker((state) => state.startSignIn);
  return (
    <div className="sign-in__waiting">
      <Working text="Waiting for your browser…" />
      <p className="muted">Finish signing in on the page that opened in your browser. This window updates by itself.</p>
      <p className="small">
        No page, or closed it? {/* The sign-in link works once (another user could read it), so this starts a new sign-in. */}
        <button type="button" className="link-button link-button--accent" onClick={() => void startSignIn(name)}>
          Start the sign-in again
        </button>
      </p>
    </div>
  );
}

/**
 * The sign-in came back as another person than the account's: nothing was changed. The person
 * may sign in again as the account's user, or confirm the switch (then sign in again).
 */
function OtherUser({ name, message }: { name: string; message: string }) {
  const startSignIn = useBroker((state) => state.startSignIn);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="outcome outcome--error" role="alert">
      <AlertIcon width={28} height={28} />
      <p className="outcome__title">Signed in as someone else</p>
      <p>{message}</p>
      <div className="outcome__actions">
        <button type="button" className="button button--primary" onClick={() => void startSignIn(name)}>
          Sign in again
        </button>
        <button type="button" className="button" onClick={() => setConfirming(true)}>
          Switch to the new user…
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title={`Switch ${name} to another user?`}
          confirmLabel="Switch and sign in"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void startSignIn(name, undefined, { allowOtherUser: true });
          }}
        >
          <p>
            Scripts that use <strong>{name}</strong> will act as the user you sign in as next. Only do this if you meant to sign in as
            someone else; if you did not, someone else may have completed your sign-in.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function retry(startSignIn: (name: string) => Promise<void>, name: string, account: AccountView | undefined): Promise<void> {
  if (needsPassword(account)) return Promise.resolve();
  return startSignIn(name);
}

function Working({ text }: { text: string }) {
  return (
    <p className="working">
      <span className="spinner" aria-hidden="true" />
      {text}
    </p>
  );
}

function DeviceCode({ name, progress }: { name: string; progress: Extract<SignInProgressView, { phase: 'device_code' }> }) {
  const now = useBroker((state) => state.now);
  const openVerificationUri = useBroker((state) => state.openVerificationUri);
  const left = progress.expiresAt - now;
  return (
    <div className="device-code">
      <p>
        Open <strong>{progress.verificationUri}</strong> and enter this code:
      </p>
      <output className="device-code__code" data-testid="user-code" aria-label="User code">
        {progress.userCode}
      </output>
      <div className="device-code__actions">
        <CopyButton value={progress.userCode} label="Copy code" />
        <button type="button" className="button button--primary button--small" onClick={() => void openVerificationUri(name)}>
          <ExternalIcon />
          Open verification page
        </button>
      </div>
      <p className="muted small">{left > 0 ? `The code expires in ${formatDuration(left)}.` : 'The code has expired.'}</p>
    </div>
  );
}

/** Password grant (legacy): the credentials go to main for one request and are cleared here at once. */
function PasswordForm({ name }: { name: string }) {
  const startSignIn = useBroker((state) => state.startSignIn);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (username === '' || password === '') {
      setError('Enter both the username and the password.');
      return;
    }
    const credentials = { username, password };
    setPassword('');
    setUsername('');
    void startSignIn(name, credentials);
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      <p className="muted small">These are sent to the provider once and never stored.</p>
      <div className="field">
        <label className="field__label" htmlFor="sign-in-username">
          Username
        </label>
        <input
          id="sign-in-username"
          className="input"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </div>
      <div className="field">
        <label className="field__label" htmlFor="sign-in-password">
          Password
        </label>
        <input
          id="sign-in-password"
          className="input"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      {error === null ? null : <p className="field__error">{error}</p>}
      <button type="submit" className="button button--primary">
        Sign in
      </button>
    </form>
  );
}

/** The sign-in needs the password form in the window (the legacy password grant). */
function needsPassword(account: AccountView | undefined): boolean {
  return account !== undefined && GRANT_TRAITS[account.grant].needsPassword;
}

import { useState } from 'react';
import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { SettingsView as Settings } from '../../main/ipc/contract.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { KeyIcon, RefreshIcon } from '../components/icons.js';
import { Switch } from '../components/switch.js';
import { buildSnippets } from '../lib/snippets.js';
import { useBroker } from '../store/hooks.js';
import { selectAccountNames } from '../store/selectors.js';

/** Socket path and ready-to-paste snippets, the TCP listener and its key, start at login. */
export function SettingsView() {
  const settings = useBroker((state) => state.settings);
  const version = useBroker((state) => state.version);
  return (
    <section className="page" aria-labelledby="settings-title">
      <header className="page__header">
        <div>
          <h1 id="settings-title">Settings</h1>
          <p className="page__subtitle">How scripts reach the broker{version === null ? '' : ` · Token Broker ${version}`}</p>
        </div>
      </header>
      {settings === null ? (
        <p className="muted">Loading settings…</p>
      ) : (
        <>
          <SocketCard settings={settings} />
          <TcpCard settings={settings} />
          <GeneralCard settings={settings} />
        </>
      )}
    </section>
  );
}

function SocketCard({ settings }: { settings: Settings }) {
  const names = useBroker(useShallow(selectAccountNames));
  const [chosen, setChosen] = useState('');
  const account = names.includes(chosen) ? chosen : (names[0] ?? 'my-account');
  const snippets = buildSnippets(settings.socketPath, account);
  return (
    <section className="card" aria-labelledby="socket-title">
      <h2 id="socket-title" className="card__title">
        Local token API
      </h2>
      <p className="muted">Scripts ask for tokens over this socket. Only your user can open it.</p>
      <div className="code-row">
        <code className="code-inline" data-testid="socket-path">
          {settings.socketPath}
        </code>
        <CopyButton value={settings.socketPath} label="Copy path" />
      </div>
      <div className="snippets__header">
        <h3 className="section-title">Use it from</h3>
        {names.length > 1 ? (
          <label className="inline-select">
            <span>Account</span>
            <select className="input input--small" value={account} onChange={(e) => setChosen(e.target.value)}>
              {names.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      <ul className="snippets">
        {snippets.map((snippet) => (
          <li key={snippet.id} className="snippet">
            <div className="snippet__bar">
              <span className="snippet__label">{snippet.label}</span>
              <CopyButton value={snippet.code} label={`Copy`} />
            </div>
            <pre className="snippet__code" aria-label={`${snippet.label} snippet`}>
              <code>{snippet.code}</code>
            </pre>
          </li>
        ))}
      </ul>
    </section>
  );
}

function TcpCard({ settings }: { settings: Settings }) {
  const update = useBroker((state) => state.updateSettings);
  const copyTcpKey = useBroker((state) => state.copyTcpKey);
  const regenerate = useBroker((state) => state.regenerateTcpKey);
  const [port, setPort] = useState(String(settings.tcpListener.port));
  const [portError, setPortError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const enabled = settings.tcpListener.enabled;

  const parsePort = (): number | null => {
    const value = Number(port);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      setPortError('Use a port between 1 and 65535, or 0 for any free port.');
      return null;
    }
    setPortError(null);
    return value;
  };
  const applyPort = (event: FormEvent) => {
    event.preventDefault();
    const value = parsePort();
    if (value !== null) void update({ tcpListener: { enabled, port: value } });
  };

  return (
    <section className="card" aria-labelledby="tcp-title">
      <h2 id="tcp-title" className="card__title">
        TCP listener
      </h2>
      <Switch
        checked={enabled}
        onChange={(on) => {
          const value = parsePort();
          void update({ tcpListener: value === null ? { enabled: on } : { enabled: on, port: value } });
        }}
        label="Listen on 127.0.0.1"
        description="For tools that cannot use a Unix socket. Changes apply at once. Every request needs the bearer key; requests from web pages are refused."
      />
      <form className="input-row input-row--port" onSubmit={applyPort} noValidate>
        <label htmlFor="tcp-port" className="field__label">
          Port
        </label>
        <input
          id="tcp-port"
          className="input input--small mono"
          inputMode="numeric"
          value={port}
          aria-invalid={portError === null ? undefined : true}
          aria-describedby={portError === null ? undefined : 'tcp-port-error'}
          onChange={(e) => setPort(e.target.value)}
        />
        <button type="submit" className="button button--small">
          Apply
        </button>
        {enabled ? <TcpState settings={settings} /> : null}
      </form>
      <p className="hint">Port 0 picks a free port. The key lives in a 0600 file and is only ever copied, never shown.</p>
      {portError === null ? null : (
        <p id="tcp-port-error" className="field__error">
          {portError}
        </p>
      )}
      <div className="toolbar toolbar--plain">
        <button type="button" className="button" disabled={!enabled} onClick={() => void copyTcpKey()}>
          <KeyIcon />
          Copy key
        </button>
        <button type="button" className="button" disabled={!enabled} onClick={() => setConfirm(true)}>
          <RefreshIcon />
          Regenerate key
        </button>
      </div>
      {confirm ? (
        <ConfirmDialog
          title="Regenerate the TCP key?"
          confirmLabel="Regenerate"
          danger
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setConfirm(false);
            void regenerate();
          }}
        >
          The current key stops working at once: scripts using it need the new one.
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** What the running listener does now; changes apply at once unless the broker says otherwise. */
function TcpState({ settings }: { settings: Settings }) {
  const { address, problem } = settings.tcpListener;
  return (
    <span className="muted small" data-testid="tcp-state" aria-live="polite">
      {address !== undefined ? (
        <>
          Listening on <code>{address}</code>
        </>
      ) : (
        (problem ?? 'Not listening: the port could not be opened. Choose another port, or 0 for any free one.')
      )}
    </span>
  );
}

function GeneralCard({ settings }: { settings: Settings }) {
  const update = useBroker((state) => state.updateSettings);
  return (
    <section className="card" aria-labelledby="general-title">
      <h2 id="general-title" className="card__title">
        General
      </h2>
      <Switch
        checked={settings.startAtLogin}
        onChange={(on) => void update({ startAtLogin: on })}
        label="Start at login"
        description="Keep the broker running in the tray so scripts find it after a reboot."
      />
    </section>
  );
}

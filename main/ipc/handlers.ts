/**
 * The transport-agnostic IPC handler table: channel → function over the core. Electron's ipcMain
 * binding (main/electron/ipc-binding.ts) and the renderer's browser-test harness both serve this
 * table. Every handler parses its arguments (input-schemas.ts) before any logic; errors cross as
 * result objects via {@link invokeHandler}. Token values never leave main: "copy token" writes the
 * clipboard here.
 */
import type { BrokerConfig, Settings } from '../core/accounts/model.js';
import type { BrokerService } from '../core/broker/types.js';
import { BrokerError, toBrokerError } from '../core/errors.js';
import type { DiscoveryCheck, IpcChannel, IpcEvent, IpcEventMap, IpcInvokeMap, IpcResult, PresetView, SettingsView } from './contract.js';
import {
  draftToAccountInput,
  toAccountView,
  toIpcError,
  toAuditEntryView,
  toSignInProgressView,
  toTokenDetailsView,
  type PresetProviderFn,
} from './account-mapping.js';
import type { ApprovalQueue } from './approvals.js';
import type { BrokerUrlRegistry } from './broker-urls.js';
import { createClipboardGuard, type ClipboardGuard } from './clipboard-guard.js';
import type { DesktopPorts, TimerClock } from './desktop-ports.js';
import { parseIpcArgs } from './input-schemas.js';

export type IpcHandler<K extends IpcChannel> = (
  ...args: IpcInvokeMap[K]['args']
) => Promise<IpcInvokeMap[K]['result']> | IpcInvokeMap[K]['result'];

export type IpcHandlerTable = { readonly [K in IpcChannel]: IpcHandler<K> };

/** The name the app uses for itself in the audit log when it asks for a token (copy, refresh). */
export const APP_CLIENT_NAME = 'Token Broker app';

/** The config store's shape (main/core/accounts/config-store.ts `ConfigStore`). */
export interface SettingsStore {
  get(): BrokerConfig;
  update(mutate: (config: BrokerConfig) => BrokerConfig): Promise<BrokerConfig>;
}

/** Facts about the running token API the settings page shows. */
export interface ApiInfoPort {
  socketPath: string;
  /** Where the TCP listener is bound right now, if it runs. */
  tcpAddress?: () => { host: string; port: number } | undefined;
  /** Why an enabled TCP listener is not running, if it is not. */
  tcpProblem?: () => string | undefined;
  /** Applies a changed TCP listener setting (or a regenerated key) to the running listener at once. */
  applyTcpListener: (tcp: Settings['tcpListener']) => Promise<void>;
}

export interface HandlerDeps {
  appVersion: string;
  electronVersion?: string;
  broker: BrokerService;
  configStore: SettingsStore;
  /** Provider presets (main/core/accounts/presets.ts PRESETS). */
  presets: readonly PresetView[];
  presetProvider?: PresetProviderFn;
  /** OpenID Connect / RFC 8414 discovery for the form's "check" button. */
  discover: (issuer: string) => Promise<DiscoveryCheck>;
  desktop: DesktopPorts;
  approvals: ApprovalQueue;
  urls: BrokerUrlRegistry;
  api: ApiInfoPort;
  clock: TimerClock;
  /** Shared with the tray's "Copy access token"; created from desktop.clipboard when absent. */
  clipboardGuard?: ClipboardGuard;
}

function toPresetView(preset: PresetView): PresetView {
  // Built field by field: a preset object may carry functions, which cannot be cloned over IPC.
  return {
    id: preset.id,
    label: preset.label,
    fields: preset.fields.map((field) => ({ ...field })),
    grants: [...preset.grants],
    defaultGrant: preset.defaultGrant,
    defaultScopes: [...preset.defaultScopes],
    defaultClientAuth: preset.defaultClientAuth,
    hints: [...preset.hints],
    ...(preset.docsUrl === undefined ? {} : { docsUrl: preset.docsUrl }),
    ...(preset.extraParams === undefined ? {} : { extraParams: { ...preset.extraParams } }),
    ...(preset.kubernetesTokenType === undefined ? {} : { kubernetesTokenType: preset.kubernetesTokenType }),
    ...(preset.registryUsername === undefined ? {} : { registryUsername: preset.registryUsername }),
  };
}

/** Wraps a handler so its arguments are validated before it runs. */
function validated<K extends IpcChannel>(
  channel: K,
  run: (...args: IpcInvokeMap[K]['args']) => Promise<IpcInvokeMap[K]['result']> | IpcInvokeMap[K]['result'],
): IpcHandler<K> {
  return ((...args: unknown[]) => run(...(parseIpcArgs(channel, args) as IpcInvokeMap[K]['args']))) as IpcHandler<K>;
}

export function createIpcHandlers(deps: HandlerDeps): IpcHandlerTable {
  const { broker, configStore, desktop, approvals, urls, api } = deps;
  const clipboard = deps.clipboardGuard ?? createClipboardGuard({ clipboard: desktop.clipboard, clock: deps.clock });
  const accountView = (name: string) => toAccountView(broker.getAccount(name));

  const settingsView = (): SettingsView => {
    const { settings } = configStore.get();
    const address = api.tcpAddress?.();
    return {
      socketPath: api.socketPath,
      tcpListener: {
        enabled: settings.tcpListener.enabled,
        port: address?.port ?? settings.tcpListener.port,
        ...(address === undefined ? {} : { address: `${address.host}:${address.port}` }),
        ...(api.tcpProblem?.() === undefined ? {} : { problem: api.tcpProblem?.() as string }),
      },
      startAtLogin: settings.startAtLogin,
    };
  };

  return {
    version: validated('version', () => ({
      app: deps.appVersion,
      node: process.versions.node,
      ...(deps.electronVersion === undefined ? {} : { electron: deps.electronVersion }),
    })),
    listAccounts: validated('listAccounts', () => broker.listAccounts().map(toAccountView)),
    listPresets: validated('listPresets', () => deps.presets.map(toPresetView)),
    checkDiscovery: validated('checkDiscovery', (issuer) => deps.discover(issuer)),
    addAccount: validated('addAccount', async (draft) => {
      const { input, secrets } = draftToAccountInput(draft, deps.presetProvider);
      return toAccountView(await broker.addAccount(input, secrets));
    }),
    updateAccount: validated('updateAccount', async (name, draft) => {
      const { input, secrets } = draftToAccountInput(draft, deps.presetProvider);
      return toAccountView(await broker.updateAccount(name, input, secrets));
    }),
    renameAccount: validated('renameAccount', async (name, newName) => toAccountView(await broker.renameAccount(name, newName))),
    removeAccount: validated('removeAccount', async (name) => {
      await broker.removeAccount(name);
      urls.forget(name);
      return null;
    }),
    signIn: validated('signIn', async (name, credentials, options) => {
      // Progress (and the URLs the window may open) arrives through broker events.
      await broker.signIn(name, {
        ...(credentials === undefined ? {} : { username: credentials.username, password: credentials.password }),
        ...(options?.allowOtherUser === true ? { allowOtherUser: true } : {}),
      });
      return null;
    }),
    cancelSignIn: validated('cancelSignIn', (name) => {
      broker.cancelSignIn(name);
      return null;
    }),
    openVerificationUri: validated('openVerificationUri', async (name) => {
      const url = urls.urlFor(name);
      if (url === undefined) {
        throw new BrokerError('INVALID_REQUEST', `No sign-in for ${name} is waiting for the browser`, { account: name });
      }
      await desktop.openExternal(url);
      return null;
    }),
    refresh: validated('refresh', async (name) => {
      // A person clicked: the app's own request skips the approval prompt (it would ask that same person).
      await broker.refresh(name, { client: APP_CLIENT_NAME, skipApproval: true });
      return accountView(name);
    }),
    signOut: validated('signOut', async (name) => {
      await broker.logout(name);
      return accountView(name);
    }),
    copyToken: validated('copyToken', async (name) => {
      const handout = await broker.getToken(name, { client: APP_CLIENT_NAME, skipApproval: true });
      return clipboard.copySecret(handout.accessToken);
    }),
    tokenDetails: validated('tokenDetails', (name) => {
      const details = broker.tokenDetails(name);
      return details === undefined ? null : toTokenDetailsView(details);
    }),
    listApprovals: validated('listApprovals', () => approvals.list()),
    answerApproval: validated('answerApproval', (id, answer) => {
      approvals.answer(id, answer);
      return null;
    }),
    auditLog: validated('auditLog', (filter) => broker.auditLog(filter).map(toAuditEntryView)),
    getSettings: validated('getSettings', () => settingsView()),
    updateSettings: validated('updateSettings', async (patch) => {
      const before = configStore.get().settings;
      const updated = await configStore.update((config) => ({
        ...config,
        settings: {
          ...config.settings,
          ...(patch.tcpListener === undefined
            ? {}
            : {
                tcpListener: {
                  // Keeps what the window does not edit (`required`, for serve).
                  ...config.settings.tcpListener,
                  enabled: patch.tcpListener.enabled,
                  port: patch.tcpListener.port ?? config.settings.tcpListener.port,
                },
              }),
          ...(patch.startAtLogin === undefined ? {} : { startAtLogin: patch.startAtLogin }),
        },
      }));
      if (patch.startAtLogin !== undefined && patch.startAtLogin !== before.startAtLogin) {
        desktop.loginItem.set(updated.settings.startAtLogin);
      }
      // Applied even when unchanged: that retries a listener that could not start (port was taken).
      if (patch.tcpListener !== undefined) {
        try {
          await api.applyTcpListener(updated.settings.tcpListener);
        } catch (error) {
          // The running listener is still the old one: keep the saved setting in step with it.
          await configStore.update((config) => ({ ...config, settings: { ...config.settings, tcpListener: before.tcpListener } }));
          throw error;
        }
      }
      return settingsView();
    }),
    copyTcpKey: validated('copyTcpKey', async () => {
      const key = await desktop.tcpKey.read();
      if (key === undefined) {
        throw new BrokerError('INVALID_REQUEST', 'There is no TCP listener key yet: enable the TCP listener first');
      }
      return clipboard.copySecret(key);
    }),
    regenerateTcpKey: validated('regenerateTcpKey', async () => {
      await desktop.tcpKey.regenerate();
      await api.applyTcpListener(configStore.get().settings.tcpListener);
      return settingsView();
    }),
  };
}

/**
 * Fans the broker's and the approval queue's events out as IPC events (main → renderer).
 * Token values are not part of any event; URLs of sign-ins are remembered for openExternal.
 * Returns the unsubscribe function.
 */
export function forwardBrokerEvents(deps: {
  broker: BrokerService;
  approvals: ApprovalQueue;
  urls: BrokerUrlRegistry;
  emit: <E extends IpcEvent>(event: E, payload: IpcEventMap[E]) => void;
}): () => void {
  const { broker, approvals, urls, emit } = deps;
  const accountsChanged = (): void => {
    emit('accountsChanged', broker.listAccounts().map(toAccountView));
  };
  const offBroker = broker.on((event) => {
    switch (event.type) {
      case 'accounts_changed':
      case 'token_refreshed':
      case 'needs_login':
      case 'refresh_failed':
        accountsChanged();
        return;
      case 'sign_in_progress': {
        urls.rememberProgress(event.progress);
        emit('signInProgress', toSignInProgressView(event.progress));
        const { phase } = event.progress;
        if (phase === 'done' || phase === 'failed' || phase === 'cancelled') accountsChanged();
        return;
      }
      case 'token_handed_out':
        emit('auditAppended', toAuditEntryView(event.entry));
        return;
    }
  });
  const offApprovals = approvals.on((event) => {
    if (event.type === 'requested') emit('approvalRequested', { ...event.request });
    else emit('approvalResolved', { id: event.id });
  });
  return () => {
    offBroker();
    offApprovals();
  };
}

/**
 * Runs a handler and turns whatever it throws into an error result with a code. Only BrokerError
 * messages cross (they are written to be secret-free); anything else becomes a generic INTERNAL.
 */
export async function invokeHandler<K extends IpcChannel>(
  table: IpcHandlerTable,
  channel: K,
  args: IpcInvokeMap[K]['args'],
): Promise<IpcResult<IpcInvokeMap[K]['result']>> {
  try {
    const handler = table[channel] as (...a: unknown[]) => unknown;
    const value = (await handler(...args)) as IpcInvokeMap[K]['result'];
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toIpcError(toBrokerError(error).toJSON()) };
  }
}

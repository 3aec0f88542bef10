/**
 * What an account hands to Kubernetes and to container registries when its config does not say:
 * the config first, then the account's provider preset, then a rule. Pure.
 */
import { DEFAULT_REGISTRY_USERNAME, type KubernetesTokenType } from '../../shared/consumers.js';
import { GRANT_TRAITS } from '../../shared/grants.js';
import type { AccountConfig } from './model.js';
import { findPreset } from './presets.js';

/**
 * The token `kubectl-credential` hands out: `kubernetes.tokenType`; else, for a grant that yields
 * ID tokens, the preset's choice (OpenID Connect providers: `id_token`), or `id_token` when the
 * account requests `openid`; otherwise the access token.
 */
export function kubernetesTokenTypeOf(account: AccountConfig): KubernetesTokenType {
  if (account.kubernetes !== undefined) return account.kubernetes.tokenType;
  if (!GRANT_TRAITS[account.grant].yields.includes('id_token')) return 'access_token';
  const preset = account.preset === undefined ? undefined : findPreset(account.preset);
  if (preset !== undefined) return preset.kubernetesTokenType;
  return account.scopes.includes('openid') ? 'id_token' : 'access_token';
}

/** The registry username: `registry.username`, else the preset's (Google, GitLab), else `oauth2accesstoken`. */
export function registryUsernameOf(account: AccountConfig): string {
  if (account.registry?.username !== undefined) return account.registry.username;
  const preset = account.preset === undefined ? undefined : findPreset(account.preset);
  return preset?.registryUsername ?? DEFAULT_REGISTRY_USERNAME;
}

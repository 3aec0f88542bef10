import type { AccountView, PresetView } from '../../main/ipc/contract.js';
import { presetKind } from '../lib/presets.js';

/** "GitHub", or the issuer's host for generic accounts (OIDC by issuer, explicit OAuth 2.0 endpoints). */
export function providerLabel(account: AccountView, presets: readonly PresetView[]): string {
  const preset = account.preset === undefined ? undefined : presets.find((p) => p.id === account.preset);
  // Generic presets say nothing about the provider; its host does.
  if (preset !== undefined && presetKind(preset) === 'preset') return preset.label;
  const url = account.issuer ?? account.tokenEndpoint;
  if (url === undefined) return 'Custom provider';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

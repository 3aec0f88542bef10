import type { PresetField, PresetView } from '../../main/ipc/contract.js';

/**
 * How a preset names its provider in the form:
 * - `issuer`: the person types an issuer URL and may check its discovery document (generic OIDC);
 * - `endpoints`: explicit authorization/token/device/revocation endpoints (generic OAuth 2.0);
 * - `preset`: the preset knows its provider, possibly from a tenant/domain/realm field.
 */
export type PresetKind = 'issuer' | 'endpoints' | 'preset';

/** The broker's generic OAuth 2.0 preset: explicit endpoints instead of discovery. */
export const GENERIC_OAUTH2_ID = 'oauth2';

export function presetKind(preset: PresetView): PresetKind {
  if (preset.fields.length === 1 && preset.fields[0]?.key === 'issuer') return 'issuer';
  if (isGenericOAuth2(preset)) return 'endpoints';
  return 'preset';
}

function isGenericOAuth2(preset: PresetView): boolean {
  return preset.id === GENERIC_OAUTH2_ID;
}

/**
 * Preset fields that main sends as a request parameter of the same name (Auth0 `audience`)
 * rather than building endpoints from; the form shows them as the field, not as an extra parameter.
 */
export const PARAMETER_FIELDS: ReadonlySet<PresetField['key']> = new Set<PresetField['key']>(['audience']);

/**
 * Whether a preset field may be left empty: the preset says `required: false`, or it has a
 * default that main fills in. Fields that say nothing are required.
 */
export function isOptionalField(field: PresetField): boolean {
  return field.required === false || field.defaultValue !== undefined;
}

/** The placeholder shown in a preset field: its own, else the default it falls back to. */
export function fieldPlaceholder(field: PresetField): string | undefined {
  return field.placeholder ?? field.defaultValue;
}

/**
 * Recovers a preset's field values from a stored account's issuer or token endpoint, so the edit
 * form starts filled in (the account view carries URLs, not the fields they were built from).
 */
export function presetFieldsFromAccount(
  preset: PresetView,
  account: { issuer?: string | undefined; tokenEndpoint?: string | undefined; extraParams?: Record<string, string> | undefined },
): Record<string, string> {
  const fields: Record<string, string> = {};
  // Fields that become request parameters (Auth0 audience) come back from the parameters.
  for (const field of preset.fields) {
    const param = PARAMETER_FIELDS.has(field.key) ? account.extraParams?.[field.key] : undefined;
    if (param !== undefined) fields[field.key] = param;
  }
  const source = account.issuer ?? account.tokenEndpoint;
  if (source === undefined) return fields;
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return fields;
  }
  for (const field of preset.fields) {
    switch (field.key) {
      case 'issuer':
        if (account.issuer !== undefined) fields.issuer = account.issuer;
        break;
      case 'domain':
        fields.domain = url.host;
        break;
      case 'tenant': {
        const tenant = url.pathname.split('/').find((part) => part !== '');
        if (tenant !== undefined) fields.tenant = tenant;
        break;
      }
      case 'realm': {
        const match = /\/realms\/([^/]+)/.exec(url.pathname);
        if (match?.[1] !== undefined) fields.realm = decodeURIComponent(match[1]);
        break;
      }
      case 'baseUrl': {
        const realmAt = url.pathname.indexOf('/realms/');
        fields.baseUrl = realmAt === -1 ? url.origin : `${url.origin}${url.pathname.slice(0, realmAt)}`;
        break;
      }
    }
  }
  // Okta's issuer field is only needed for a non-default authorization server.
  if (
    preset.fields.some((f) => f.key === 'domain') &&
    fields.issuer !== undefined &&
    fields.issuer === `https://${fields.domain ?? ''}/oauth2/default`
  ) {
    delete fields.issuer;
  }
  return fields;
}

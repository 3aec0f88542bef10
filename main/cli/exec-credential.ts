/**
 * kubectl's exec credential plugin protocol, pure: what kubectl asks for (the
 * `KUBERNETES_EXEC_INFO` environment variable) and the `ExecCredential` we answer with.
 *
 * kubectl rejects an answer whose apiVersion differs from the one in its kubeconfig, and many
 * kubeconfigs still say `v1beta1`, so the answer echoes the apiVersion kubectl sent. client-go
 * has set `KUBERNETES_EXEC_INFO` on every plugin call since it learned `v1` (1.22), so a caller
 * that sends none is older than that and can only read `v1beta1` — kubelogin's default too.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
 * @see https://kubernetes.io/docs/reference/config-api/client-authentication.v1/
 */
import { CliError, EXIT } from './exit.js';
import { rfc3339 } from './format.js';
import { requireSafeValue, safeJsonStringify } from './output-safety.js';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

/** The apiVersion answered when kubectl says nothing (see the module comment). */
export const DEFAULT_EXEC_API_VERSION: ExecApiVersion = 'client.authentication.k8s.io/v1beta1';

export interface ExecInfo {
  apiVersion: ExecApiVersion;
  /**
   * kubectl's `spec.interactive`: stdin is a terminal a person can use (and the kubeconfig's
   * `interactiveMode` is not `Never`). Only then may the plugin wait for a browser sign-in.
   */
  interactive: boolean;
}

function isExecApiVersion(value: unknown): value is ExecApiVersion {
  return typeof value === 'string' && (EXEC_API_VERSIONS as readonly string[]).includes(value);
}

function badExecInfo(detail: string): CliError {
  return new CliError(
    `${detail}; token-broker answers ${EXEC_API_VERSIONS.join(' and ')}: set the exec apiVersion in your kubeconfig to one of them.`,
    EXIT.usage,
    'USAGE',
  );
}

/**
 * Reads `KUBERNETES_EXEC_INFO`. Unset or empty → {@link DEFAULT_EXEC_API_VERSION}, not
 * interactive. Throws a usage CliError for JSON that is not an ExecCredential or an apiVersion
 * we do not speak (v1alpha1 was removed from kubectl in 1.24).
 */
export function parseExecInfo(raw: string | undefined): ExecInfo {
  if (raw === undefined || raw.trim() === '') return { apiVersion: DEFAULT_EXEC_API_VERSION, interactive: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badExecInfo('KUBERNETES_EXEC_INFO is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badExecInfo('KUBERNETES_EXEC_INFO is not an object');
  const info = parsed as { kind?: unknown; apiVersion?: unknown; spec?: unknown };
  if (info.kind !== undefined && info.kind !== 'ExecCredential') throw badExecInfo('KUBERNETES_EXEC_INFO is not an ExecCredential');
  if (!isExecApiVersion(info.apiVersion)) {
    const named = typeof info.apiVersion === 'string' ? info.apiVersion.slice(0, 80) : 'no apiVersion';
    throw badExecInfo(`kubectl asked for an ExecCredential in ${named}`);
  }
  const spec = typeof info.spec === 'object' && info.spec !== null ? (info.spec as { interactive?: unknown }) : {};
  return { apiVersion: info.apiVersion, interactive: spec.interactive === true };
}

/**
 * The plugin's answer on stdout: `status.token` and, when known, `status.expirationTimestamp`
 * (RFC 3339), after which kubectl runs the plugin again.
 */
export function buildExecCredential(apiVersion: ExecApiVersion, token: string, expiresAt: number | null): string {
  // kubectl sends the token as a header value: one that would need escaping is refused (issue 10).
  const status: { token: string; expirationTimestamp?: string } = { token: requireSafeValue(token, 'token') };
  if (expiresAt !== null && Number.isSafeInteger(expiresAt)) status.expirationTimestamp = rfc3339(expiresAt);
  return `${safeJsonStringify({ apiVersion, kind: 'ExecCredential', status })}\n`;
}

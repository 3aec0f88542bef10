import { describe, expect, it } from 'vitest';
import { buildExecCredential, DEFAULT_EXEC_API_VERSION, parseExecInfo } from '../../main/cli/exec-credential.js';
import { CliError, EXIT } from '../../main/cli/exit.js';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/** KUBERNETES_EXEC_INFO exactly as client-go 1.32 sets it. */
const info = (apiVersion: string, interactive: boolean): string =>
  JSON.stringify({ kind: 'ExecCredential', apiVersion, spec: { interactive } });

describe('KUBERNETES_EXEC_INFO', () => {
  it('echoes the apiVersion kubectl asked for, v1 and v1beta1', () => {
    expect(parseExecInfo(info(V1, false))).toEqual({ apiVersion: V1, interactive: false });
    expect(parseExecInfo(info(V1BETA1, false))).toEqual({ apiVersion: V1BETA1, interactive: false });
  });

  it('detects an interactive session only from spec.interactive === true', () => {
    expect(parseExecInfo(info(V1, true)).interactive).toBe(true);
    expect(parseExecInfo(info(V1BETA1, true)).interactive).toBe(true);
    expect(parseExecInfo(JSON.stringify({ kind: 'ExecCredential', apiVersion: V1 })).interactive).toBe(false);
    expect(parseExecInfo(JSON.stringify({ kind: 'ExecCredential', apiVersion: V1, spec: { interactive: 'true' } })).interactive).toBe(
      false,
    );
    // provideClusterInfo adds spec.cluster; it changes nothing for us.
    const withCluster = JSON.stringify({
      kind: 'ExecCredential',
      apiVersion: V1,
      spec: { interactive: true, cluster: { server: 'https://x' } },
    });
    expect(parseExecInfo(withCluster)).toEqual({ apiVersion: V1, interactive: true });
  });

  it('answers v1beta1, non-interactive, when kubectl says nothing (a client older than v1)', () => {
    expect(DEFAULT_EXEC_API_VERSION).toBe(V1BETA1);
    expect(parseExecInfo(undefined)).toEqual({ apiVersion: V1BETA1, interactive: false });
    expect(parseExecInfo('  ')).toEqual({ apiVersion: V1BETA1, interactive: false });
  });

  it('refuses apiVersions it does not speak and malformed values with a usage error naming what it speaks', () => {
    for (const raw of [
      info('client.authentication.k8s.io/v1alpha1', false),
      '{not json',
      '[]',
      '"x"',
      JSON.stringify({ kind: 'Pod', apiVersion: V1 }),
      '{}',
    ]) {
      let caught: unknown;
      try {
        parseExecInfo(raw);
      } catch (error) {
        caught = error;
      }
      expect(caught, raw).toBeInstanceOf(CliError);
      expect((caught as CliError).exitCode).toBe(EXIT.usage);
      expect((caught as CliError).message).toContain(`${V1} and ${V1BETA1}`);
    }
    expect(() => parseExecInfo(info('client.authentication.k8s.io/v1alpha1', false))).toThrow(
      /asked for an ExecCredential in client\.authentication\.k8s\.io\/v1alpha1/,
    );
  });
});

describe('ExecCredential answer', () => {
  it('carries the token and an RFC 3339 expiry in the asked apiVersion', () => {
    for (const apiVersion of [V1, V1BETA1] as const) {
      const text = buildExecCredential(apiVersion, 'eyJ.id-token', 1_800_000_000);
      expect(text.endsWith('\n')).toBe(true);
      expect(JSON.parse(text)).toEqual({
        apiVersion,
        kind: 'ExecCredential',
        status: { token: 'eyJ.id-token', expirationTimestamp: '2027-01-15T08:00:00Z' },
      });
    }
  });

  it('leaves the expiry out when unknown (kubectl then keeps the token until a 401)', () => {
    expect(JSON.parse(buildExecCredential(V1, 'opaque', null)).status).toEqual({ token: 'opaque' });
  });
});

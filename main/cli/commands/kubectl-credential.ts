/**
 * `token-broker kubectl-credential NAME [--token-type id_token|access_token]`: kubectl's exec
 * credential plugin, the way kubelogin behaves.
 *
 * - Hands out the ID token (OpenID Connect clusters) or the access token: the flag, else the
 *   account's `kubernetes.tokenType`, else its preset's choice (the broker resolves it).
 * - Answers in the apiVersion kubectl asked for (`KUBERNETES_EXEC_INFO`), v1 or v1beta1.
 * - When the account needs a sign-in and kubectl says a person is at the terminal
 *   (`spec.interactive`), starts the sign-in in the browser and waits for it, then answers;
 *   otherwise it exits 3 with the message, as `token` does.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
 */
import type { KubernetesCredentialBody } from '../../core/api/wire.js';
import { isKubernetesTokenType, KUBERNETES_TOKEN_TYPES } from '../../shared/consumers.js';
import { parse } from '../args.js';
import { getJson, seg } from '../client.js';
import { buildExecCredential, parseExecInfo } from '../exec-credential.js';
import { CliError, usageError } from '../exit.js';
import { writeErr, writeOut } from '../output.js';
import { loadSignIn } from '../sign-in-loader.js';

/** kubectl caches the credential until expirationTimestamp; hand out one that lasts a little. */
const KUBECTL_MIN_TTL_SECONDS = 30;
const CLIENT = 'kubectl';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    'kubectl-credential',
    args,
    { 'token-type': { type: 'string' } },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const name = positionals[0] as string;
  const tokenType = values['token-type'];
  if (tokenType !== undefined && !isKubernetesTokenType(tokenType)) {
    throw usageError(`--token-type must be ${KUBERNETES_TOKEN_TYPES.join(' or ')}.`, 'kubectl-credential');
  }
  const info = parseExecInfo(process.env.KUBERNETES_EXEC_INFO);
  const path = `/v1/accounts/${seg(name)}/kubernetes-credential?min_ttl=${KUBECTL_MIN_TTL_SECONDS}${tokenType === undefined ? '' : `&token_type=${tokenType}`}`;
  let body: KubernetesCredentialBody;
  try {
    body = await getJson<KubernetesCredentialBody>(path, { client: CLIENT });
  } catch (error) {
    if (!(info.interactive && error instanceof CliError && error.code === 'NEEDS_LOGIN')) throw error;
    // A person is at the terminal (kubectl passes our stderr through): sign in now and carry on.
    writeErr(`token-broker: ${error.message}\ntoken-broker: signing in to ${name} now; kubectl continues once you are signed in.\n`);
    const signIn = await loadSignIn();
    await signIn(name, { noBrowser: false, client: 'kubectl-credential' });
    body = await getJson<KubernetesCredentialBody>(path, { client: CLIENT });
  }
  writeOut(buildExecCredential(info.apiVersion, body.token, body.expires_at));
  return 0;
}

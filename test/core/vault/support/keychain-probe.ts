/**
 * Child process of the keychain test: calls createKeytarSecretStore().getPassword once and
 * prints the outcome as JSON on stdout (the parent runs it without a reachable D-Bus).
 */
import { createKeytarSecretStore } from '../../../../main/core/vault/keychain.js';
import { isBrokerError } from '../../../../main/core/errors.js';

try {
  const value = await createKeytarSecretStore().getPassword('token-broker-probe', 'probe');
  process.stdout.write(`${JSON.stringify({ ok: true, found: value !== null })}\n`);
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, code: isBrokerError(error) ? error.code : 'NOT_A_BROKER_ERROR', message: (error as Error).message })}\n`,
  );
}

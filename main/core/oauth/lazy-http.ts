/**
 * The HTTP client of the daemon, loaded with the first provider request. got and what it brings
 * (http2-wrapper, cacheable-request, node:tls, node:https …) cost a broker that only hands out
 * cached tokens several MB of resident memory, and such a broker can go hours without asking a
 * provider (issue 15). The CA file is still checked at once, so a bad `TOKEN_BROKER_CA_FILE`
 * stops the start as before.
 */
import { caFileFromEnv, readCaFile } from './ca-file.js';
import type { HttpClient, HttpClientOptions } from './http.js';

/**
 * An {@link HttpClient} that imports ./http.js and builds the real client on its first request;
 * a failed import is retried on the next request.
 * @throws BrokerError `CONFIG_INVALID` when the CA file cannot be read.
 */
export function createLazyHttpClient(options: HttpClientOptions = {}): HttpClient {
  const caFile = options.caFile ?? caFileFromEnv(options.env ?? process.env);
  if (caFile !== undefined) readCaFile(caFile);
  let client: Promise<HttpClient> | undefined;
  const load = (): Promise<HttpClient> =>
    (client ??= import('./http.js').then(
      (http) => http.createHttpClient(options),
      (error: unknown) => {
        client = undefined;
        throw error;
      },
    ));
  return {
    async request(request) {
      return (await load()).request(request);
    },
  };
}

/**
 * `token-broker proxy NAME --upstream URL [--listen 127.0.0.1:PORT | --socket PATH]`
 *
 * Asks the running broker to start an authenticating proxy for the account and keeps it running
 * until Ctrl-C (closing the request stops it). The broker does the work: tokens, DPoP proofs and
 * the audit log stay in one place.
 */
import type { IncomingMessage } from 'node:http';
import type { ErrorBody } from '../../core/api/wire.js';
import { parseListenAddress, LISTEN_ADDRESS_RULE } from '../../shared/proxy-listen.js';
import { parse } from '../args.js';
import { apiError, describeApiError } from '../client.js';
import { ndjsonLines, openRequest, readJsonBody } from '../client-http.js';
import { CliError, EXIT, exitCodeForApiError, usageError } from '../exit.js';

/** One line of the `POST /v1/proxies` stream. */
type ProxyStreamLine = { proxy: { account: string; upstream: string; url: string } } | (ErrorBody & { status: number });

export async function run(args: string[]): Promise<number> {
  const cmd = 'proxy';
  const { values, positionals } = parse(
    cmd,
    args,
    { upstream: { type: 'string' }, listen: { type: 'string' }, socket: { type: 'string' } },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const name = positionals[0] as string;
  if (values.upstream === undefined) throw usageError('--upstream URL is required.', cmd);
  if (values.listen !== undefined && values.socket !== undefined) throw usageError('Give --listen or --socket, not both.', cmd);
  const listen = values.socket === undefined ? (values.listen ?? '127.0.0.1:0') : undefined;
  if (listen !== undefined && parseListenAddress(listen) === undefined) throw usageError(`--listen must be ${LISTEN_ADDRESS_RULE}.`, cmd);

  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const res = await openRequest('POST', '/v1/proxies', {
      body: {
        account: name,
        upstream: values.upstream,
        ...(listen === undefined ? {} : { listen }),
        ...(values.socket === undefined ? {} : { socket: values.socket }),
      },
      client: 'token-broker proxy',
      signal: controller.signal,
      // The proxy runs until stopped: no idle timeout.
      timeoutMs: 0,
    });
    if (res.statusCode !== 200) throw apiError(res.statusCode ?? 0, await readJsonBody(res));
    await follow(res, name);
    throw new CliError(`the broker stopped the proxy for ${name} (did the broker stop?)`);
  } catch (error) {
    if (controller.signal.aborted) return EXIT.ok;
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Prints where the proxy listens; returns when the broker ends the stream. */
async function follow(res: IncomingMessage, name: string): Promise<void> {
  for await (const line of ndjsonLines<ProxyStreamLine>(res)) {
    if ('proxy' in line) {
      process.stderr.write(`Proxy for ${name}: ${line.proxy.url} → ${line.proxy.upstream} (Ctrl-C stops it)\n`);
      // The address on stdout alone, for scripts that start the proxy in the background.
      process.stdout.write(`${line.proxy.url}\n`);
    } else if ('error' in line) {
      throw new CliError(
        `proxy for ${name} failed: ${describeApiError(line.error)}`,
        exitCodeForApiError(line.error.code),
        line.error.code,
      );
    }
  }
}

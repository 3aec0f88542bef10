/**
 * node:http client for the commands that are not on the hot path: account changes, sign-out
 * and the streamed sign-in (NDJSON).
 */
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { assertBrokerIsOurs } from './broker-peer.js';
import { apiError, brokerSocketPath, connectionError, DEFAULT_TIMEOUT_MS, type RequestOptions } from './client.js';
import { CliError } from './exit.js';

/** Sends one request; resolves with the raw response (for streaming) once headers arrive. */
export function openRequest(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
  const socketPath = brokerSocketPath(options.env);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        // Connected here so nothing (a client secret, a password) is written before the broker
        // on the other end is known to run as this user.
        createConnection: (_options, ready) => {
          const socket = connect(socketPath);
          let settled = false;
          const once = (error: Error | null): void => {
            if (settled) return;
            settled = true;
            if (error === null) ready(null, socket);
            else {
              socket.destroy();
              ready(error, socket);
            }
          };
          socket.once('connect', () => {
            assertBrokerIsOurs(socket, socketPath).then(
              () => once(null),
              (error: unknown) => once(error as Error),
            );
          });
          socket.once('error', (error) => once(error));
          return undefined;
        },
        method,
        path,
        headers: {
          Host: 'broker',
          Accept: 'application/json',
          'X-Token-Broker-Client': options.client ?? 'token-broker-cli',
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      resolve,
    );
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (timeoutMs > 0) {
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
      });
    }
    req.once('error', (error: NodeJS.ErrnoException) =>
      reject(error instanceof CliError ? error : connectionError(error, socketPath, timeoutMs)),
    );
    req.end(payload);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

/** The parsed JSON body of a response, or undefined when it is not JSON (for error answers). */
export async function readJsonBody(res: IncomingMessage): Promise<unknown> {
  const text = await readAll(res);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The lines of a streamed NDJSON answer (the sign-in's progress, the proxy's address), parsed,
 * as they arrive; blank lines are skipped. Ends when the broker ends the stream.
 */
export async function* ndjsonLines<T>(res: IncomingMessage): AsyncGenerator<T> {
  res.setEncoding('utf8');
  let buffered = '';
  for await (const chunk of res) {
    buffered += chunk as string;
    let newline;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const text = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (text !== '') yield JSON.parse(text) as T;
    }
  }
}

/** Sends a request and returns the parsed JSON body of a 2xx answer; throws CliError otherwise. */
export async function callApi<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await openRequest(method, path, options);
  const text = await readAll(res);
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new CliError(`the broker answered HTTP ${res.statusCode ?? 0} with a body that is not JSON`);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) throw apiError(status, body, options.account);
  return body as T;
}

/**
 * A hostile provider for tests: a reverse proxy in front of the real authorization server
 * (auth-server.ts) that forwards every request unchanged and can rewrite the JSON answers of the
 * token endpoint — a real rotated refresh token next to a poisoned access token, a header
 * injection in `token_type`, an absurd `expires_in`. It also records every refresh token the
 * real server issued, so a test can check none was lost or leaked.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Rewrites a successful token response; `form` is the request's form body. Return the body to send. */
export type TokenRewrite = (body: Record<string, unknown>, form: URLSearchParams) => Record<string, unknown>;

export interface TokenProxy {
  /** `http://127.0.0.1:PORT`: use it as the token endpoint's origin (`${url}/token`). */
  url: string;
  /** Refresh tokens the real server issued, in order. */
  issuedRefreshTokens: string[];
  /** Token requests seen, by grant_type. */
  requests: Record<string, number>;
  /** Rewrites the next successful token response (of `grantType`, when given). Queued in order. */
  rewriteNext(rewrite: TokenRewrite, grantType?: string): void;
  close(): Promise<void>;
}

export async function startTokenProxy(target: string): Promise<TokenProxy> {
  const issuedRefreshTokens: string[] = [];
  const requests: Record<string, number> = {};
  const rewrites: { rewrite: TokenRewrite; grantType?: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks);
      const form = new URLSearchParams(requestBody.toString('utf8'));
      const isToken = req.method === 'POST' && (req.url ?? '').split('?')[0] === '/token';
      const grantType = form.get('grant_type') ?? 'unknown';
      if (isToken) requests[grantType] = (requests[grantType] ?? 0) + 1;
      const upstream = httpRequest(
        `${target}${req.url ?? ''}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            let text = Buffer.concat(body).toString('utf8');
            const headers = { ...answer.headers };
            if (isToken && answer.statusCode === 200) {
              const json = JSON.parse(text) as Record<string, unknown>;
              if (typeof json.refresh_token === 'string') issuedRefreshTokens.push(json.refresh_token);
              const at = rewrites.findIndex((candidate) => candidate.grantType === undefined || candidate.grantType === grantType);
              if (at >= 0) {
                const [{ rewrite }] = rewrites.splice(at, 1) as [{ rewrite: TokenRewrite }];
                text = JSON.stringify(rewrite(json, form));
                delete headers['content-length'];
                delete headers['transfer-encoding'];
              }
            }
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(requestBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    issuedRefreshTokens,
    requests,
    rewriteNext(rewrite, grantType) {
      rewrites.push({ rewrite, ...(grantType === undefined ? {} : { grantType }) });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

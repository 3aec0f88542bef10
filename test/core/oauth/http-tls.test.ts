import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../main/core/oauth/http.js';
import { rejectionOf } from './helpers/http-util.js';

// A private CA situation: a self-signed certificate for idp.test / 127.0.0.1, made with openssl.
let dir: string;
let caFile: string;
let tlsServer: HttpsServer;
let tlsPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tb-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
    '-subj', '/CN=idp.test', '-addext', 'subjectAltName=DNS:idp.test,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  caFile = join(dir, 'cert.pem');
  tlsServer = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(caFile) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ host: req.headers.host }));
  });
  tlsServer.listen(0, '127.0.0.1');
  await once(tlsServer, 'listening');
  tlsPort = (tlsServer.address() as AddressInfo).port;
});

afterAll(async () => {
  tlsServer.closeAllConnections();
  await new Promise<void>((r) => tlsServer.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS trust', () => {
  it('refuses an untrusted certificate with a hint about TOKEN_BROKER_CA_FILE', async () => {
    const error = await rejectionOf(createHttpClient({ env: {} }).request({ method: 'GET', url: `https://127.0.0.1:${tlsPort}/` }));
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(error.message).toContain('TOKEN_BROKER_CA_FILE');
  });

  it('trusts the extra CA from TOKEN_BROKER_CA_FILE', async () => {
    const response = await createHttpClient({ env: { TOKEN_BROKER_CA_FILE: caFile } }).request({ method: 'GET', url: `https://127.0.0.1:${tlsPort}/` });
    expect(response.status).toBe(200);
  });

  it('refuses a CA file without a certificate', () => {
    const bogus = join(dir, 'bogus.pem');
    writeFileSync(bogus, 'not a pem');
    expect(() => createHttpClient({ env: { TOKEN_BROKER_CA_FILE: bogus } })).toThrow(/no PEM certificate/);
  });

  it('tunnels https through a CONNECT proxy with TLS end to end (SNI and certificate of the target name)', async () => {
    const authorities: string[] = [];
    const tunnels: Socket[] = [];
    const proxy = createHttpServer();
    proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
      authorities.push(req.url ?? '');
      tunnels.push(clientSocket);
      const upstream = connect(tlsPort, '127.0.0.1', () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      upstream.on('error', () => clientSocket.destroy());
      clientSocket.on('error', () => upstream.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    try {
      const proxyPort = (proxy.address() as AddressInfo).port;
      const http = createHttpClient({ env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, TOKEN_BROKER_CA_FILE: caFile }, requestTimeoutMs: 3000 });
      const response = await http.request({ method: 'GET', url: 'https://idp.test/.well-known/openid-configuration' });
      expect(JSON.parse(response.body)).toEqual({ host: 'idp.test' });
      expect(authorities).toEqual(['idp.test:443']);
    } finally {
      // CONNECT sockets are detached from the server; close() would wait for them.
      for (const socket of tunnels) socket.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { createHttpClient } from '../../../main/core/oauth/http.js';
import { rejectionOf } from './helpers/http-util.js';

// A private CA situation: a self-signed certificate for idp.test / localhost / 127.0.0.1, made with openssl.
const temp = useTempDir('tb-tls-', 'file');
let caFile: string;
let tlsServer: HttpsServer;
let tlsPort: number;

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(temp.path, 'key.pem'),
      '-out',
      join(temp.path, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=idp.test',
      '-addext',
      'subjectAltName=DNS:idp.test,DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  caFile = join(temp.path, 'cert.pem');
  tlsServer = createHttpsServer({ key: readFileSync(join(temp.path, 'key.pem')), cert: readFileSync(caFile) }, (req, res) => {
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
});

describe('TLS trust', () => {
  it('refuses an untrusted certificate with a hint about TOKEN_BROKER_CA_FILE', async () => {
    const error = await rejectionOf(createHttpClient({ env: {} }).request({ method: 'GET', url: `https://127.0.0.1:${tlsPort}/` }));
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(error.message).toContain('TOKEN_BROKER_CA_FILE');
  });

  it('a certificate for another host name says to check the host', async () => {
    // The same certificate served on 127.0.0.2, which it does not name.
    const other = createHttpsServer({ key: readFileSync(join(temp.path, 'key.pem')), cert: readFileSync(caFile) }, (_req, res) =>
      res.end(),
    );
    other.listen(0, '127.0.0.2');
    await once(other, 'listening');
    try {
      const url = `https://127.0.0.2:${(other.address() as AddressInfo).port}/`;
      const error = await rejectionOf(createHttpClient({ env: { TOKEN_BROKER_CA_FILE: caFile } }).request({ method: 'GET', url }));
      expect(error.code).toBe('PROVIDER_UNREACHABLE');
      expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(error.message).toContain('check the host in the URL');
    } finally {
      other.closeAllConnections();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('https:// against a plain http server names the typo; http:// against TLS suggests https', async () => {
    const plain = createHttpServer((_req, res) => res.end('{}'));
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    try {
      const port = (plain.address() as AddressInfo).port;
      const typo = await rejectionOf(createHttpClient({ env: {} }).request({ method: 'GET', url: `https://127.0.0.1:${port}/issuer` }));
      expect(typo.code).toBe('PROVIDER_UNREACHABLE');
      expect(typo.message).toContain(`use http://127.0.0.1:${port}/issuer`);
    } finally {
      await new Promise<void>((r) => plain.close(() => r()));
    }
    const cleartext = await rejectionOf(
      createHttpClient({ env: {}, connectRetries: 0 }).request({ method: 'GET', url: `http://127.0.0.1:${tlsPort}/` }),
    );
    expect(cleartext.code).toMatch(/PROVIDER_UNREACHABLE|PROVIDER_ERROR/);
    expect(cleartext.message).toContain(`https://127.0.0.1:${tlsPort}/`);
  });

  it('trusts the extra CA from TOKEN_BROKER_CA_FILE', async () => {
    const response = await createHttpClient({ env: { TOKEN_BROKER_CA_FILE: caFile } }).request({
      method: 'GET',
      url: `https://127.0.0.1:${tlsPort}/`,
    });
    expect(response.status).toBe(200);
  });

  it('refuses a CA file without a certificate', () => {
    const bogus = join(temp.path, 'bogus.pem');
    writeFileSync(bogus, 'not a pem');
    expect(() => createHttpClient({ env: { TOKEN_BROKER_CA_FILE: bogus } })).toThrow(/no PEM certificate/);
  });

  it('tunnels https through a CONNECT proxy with TLS end to end (SNI and certificate of the target name)', async () => {
    const proxy = await startConnectProxy();
    try {
      const http = createHttpClient({
        env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, TOKEN_BROKER_CA_FILE: caFile },
        requestTimeoutMs: 3000,
      });
      const response = await http.request({ method: 'GET', url: 'https://idp.test/.well-known/openid-configuration' });
      expect(JSON.parse(response.body)).toEqual({ host: 'idp.test' });
      expect(proxy.authorities).toEqual(['idp.test:443']);
    } finally {
      await proxy.close();
    }
  });

  it('checks an IP-address target against its own address, not the proxy host (no interception by the proxy)', async () => {
    // The proxy answers every CONNECT with a server whose certificate is valid for localhost and
    // 127.0.0.1 (names the proxy itself could hold a certificate for). A provider at 192.0.2.10
    // (never contacted: the proxy diverts the tunnel) must not accept it.
    const proxy = await startConnectProxy();
    try {
      const http = createHttpClient({
        env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, TOKEN_BROKER_CA_FILE: caFile },
        requestTimeoutMs: 3000,
      });
      const error = await rejectionOf(http.request({ method: 'GET', url: 'https://192.0.2.10/.well-known/openid-configuration' }));
      expect(error.code).toBe('PROVIDER_UNREACHABLE');
      expect(proxy.authorities).toEqual(['192.0.2.10:443']);
    } finally {
      await proxy.close();
    }
  });
});

/** A CONNECT proxy on 127.0.0.1 that sends every tunnel to the local TLS server. */
async function startConnectProxy(): Promise<{ port: number; authorities: string[]; close(): Promise<void> }> {
  const authorities: string[] = [];
  const tunnels: Socket[] = [];
  const proxy = createHttpServer();
  proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    authorities.push(req.url ?? '');
    const upstream = connect(tlsPort, '127.0.0.1', () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    // Both ends are tracked: after a refused handshake the upstream half would otherwise keep
    // the TLS server from closing.
    tunnels.push(clientSocket, upstream);
    upstream.on('error', () => clientSocket.destroy());
    clientSocket.on('error', () => upstream.destroy());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    port: (proxy.address() as AddressInfo).port,
    authorities,
    async close() {
      // CONNECT sockets are detached from the server; close() would wait for them.
      for (const socket of tunnels) socket.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

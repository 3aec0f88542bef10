/**
 * Defends: an account's DPoP private key never leaves the broker (RFC 9449 §2: whoever holds the
 * key can use the token). Every IPC result, event, notification, log line and token-API answer
 * of a session with a DPoP account (hand-outs, proofs, refresh, details, audit, settings) is
 * searched for the key the vault holds: its PKCS#8 body and its private scalar `d`.
 */
import { createPrivateKey } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { createKeytarSecretStore } from '../../../main/core/vault/keychain.js';
import { openVault } from '../../../main/core/vault/index.js';
import type { IpcChannel, IpcInvokeMap } from '../../../main/ipc/contract.js';
import { fake } from '../../support/electron-fake.js';
import { useAuthServer } from '../../support/fixtures.js';
import { clientCredentialsDraft, socketGet, useBootedApps } from '../support/app-harness.js';

const server = useAuthServer({ dpop: true });
const bootApp = useBootedApps();

/** POST over the broker's Unix socket; the raw answer text. */
function socketPost(socketPath: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method: 'POST',
        headers: { host: 'broker', 'content-type': 'application/json', 'x-token-broker-client': 'script' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('the DPoP private key stays in the broker', () => {
  it('is in no IPC result or event, log line, notification or token-API answer', async () => {
    const lines: string[] = [];
    const logger = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const booted = await bootApp({ logger });
    const transcript: unknown[] = [];
    const call = async <K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']) => {
      const result = await booted.call(channel, ...args);
      transcript.push(result);
      return result;
    };

    await call('addAccount', clientCredentialsDraft(server, 'cc'));
    await call('copyToken', 'cc');
    const details = await call('tokenDetails', 'cc');
    expect(details).toMatchObject({ ok: true, value: { tokenType: 'DPoP' } });
    const accounts = await call('listAccounts');
    expect(accounts).toMatchObject({ ok: true, value: [{ name: 'cc', dpop: 'auto', senderConstrained: true }] });
    await call('refresh', 'cc');

    // A script takes a token and a proof over the socket; the window sees the audit entries.
    const answers: string[] = [];
    const token = await socketGet(booted.app.daemon.socketPath, '/v1/accounts/cc/token', { 'X-Token-Broker-Client': 'script' });
    expect(token).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    answers.push(JSON.stringify(token.body));
    const proof = await socketPost(booted.app.daemon.socketPath, '/v1/accounts/cc/dpop-proof', {
      htm: 'GET',
      htu: 'https://api.example.test/me',
    });
    expect(proof.status).toBe(200);
    answers.push(proof.text);
    for (const path of ['/v1/accounts', '/v1/accounts/cc', '/v1/audit']) {
      const answer = await socketGet(booted.app.daemon.socketPath, path);
      expect(answer.status, path).toBe(200);
      answers.push(JSON.stringify(answer.body));
    }
    await call('auditLog');
    await call('getSettings');

    // The key as the vault holds it (the refresh above kept it).
    const sent = fake.windows.flatMap((window) => window.webContents.sent);
    await booted.app.quit();
    const vault = await openVault({ dataDir: booted.home, secretStore: createKeytarSecretStore() });
    let pem: string | undefined;
    try {
      pem = vault.get('cc')?.dpopKeyPem;
    } finally {
      await vault.close();
    }
    if (pem === undefined) throw new Error('no DPoP key in the vault');
    const body = pem.split('\n').slice(1, -2).join('');
    const d = createPrivateKey(pem).export({ format: 'jwk' }).d;
    const needles = [body.slice(0, 48), body.slice(-48), d as string];

    const everything = JSON.stringify({
      transcript,
      sent,
      answers,
      lines,
      notifications: fake.notifications.map((n) => [n.title, n.body]),
      tray: fake.trays.map((t) => [t.tooltip, t.title, JSON.stringify(t.contextMenu?.items ?? [])]),
      errorBoxes: fake.dialog.errorBoxes,
    });
    expect(sent.length).toBeGreaterThan(3);
    // The proof carries the public key (jwk with x, y) and must: the search is for the private part.
    expect(proof.text).toContain('"proof"');
    for (const needle of needles) {
      expect(needle.length).toBeGreaterThan(20);
      expect(everything.includes(needle), 'the private key crossed a boundary').toBe(false);
    }
  });
});

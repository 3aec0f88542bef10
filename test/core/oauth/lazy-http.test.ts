import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLazyHttpClient } from '../../../main/core/oauth/lazy-http.js';
import { BROKER_VERSION } from '../../../main/core/version.js';
import { useTempDir } from '../../support/fixtures.js';
import { json, startTestServer, type TestServer } from './helpers/http-util.js';

const temp = useTempDir('token-broker-lazy-http-');
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('createLazyHttpClient', () => {
  it('is the real client from its first request on (same User-Agent, form body, any status)', async () => {
    const s = await startTestServer((_req, res) => json(res, 400, { error: 'invalid_request' }));
    servers.push(s);
    const http = createLazyHttpClient({ env: {} });
    const first = await http.request({ method: 'POST', url: `${s.url}/token`, form: { a: '1' } });
    const second = await http.request({ method: 'GET', url: `${s.url}/again` });
    expect([first.status, second.status]).toEqual([400, 400]);
    expect(s.requests[0]?.headers['user-agent']).toBe(`token-broker/${BROKER_VERSION}`);
    expect(new URLSearchParams(s.requests[0]?.body).get('a')).toBe('1');
  });

  it('refuses a CA file it cannot use at once, before any request (the daemon does not start)', async () => {
    expect(() => createLazyHttpClient({ env: { TOKEN_BROKER_CA_FILE: join(temp.path, 'missing.pem') } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    const notPem = join(temp.path, 'not.pem');
    await writeFile(notPem, 'hello');
    expect(() => createLazyHttpClient({ env: { TOKEN_BROKER_CA_FILE: notPem } })).toThrow(/holds no PEM certificate/);
  });
});

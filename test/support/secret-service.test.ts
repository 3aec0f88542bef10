import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type Keytar from 'keytar';

const require = createRequire(import.meta.url);
const keytar = require('keytar') as typeof Keytar;

describe('real Secret Service (test/support/with-secret-service.mjs)', () => {
  it('runs the suite inside the throwaway keyring', () => {
    expect(process.env.TOKEN_BROKER_TEST_KEYRING).toBe('1');
    expect(process.env.DBUS_SESSION_BUS_ADDRESS).toBeTruthy();
  });

  it('round-trips a secret through keytar and gnome-keyring', async () => {
    const service = `token-broker-selftest-${randomUUID()}`;
    await keytar.setPassword(service, 'account', 'value-1');
    expect(await keytar.getPassword(service, 'account')).toBe('value-1');
    await keytar.setPassword(service, 'account', 'value-2');
    expect(await keytar.getPassword(service, 'account')).toBe('value-2');
    expect(await keytar.deletePassword(service, 'account')).toBe(true);
    expect(await keytar.getPassword(service, 'account')).toBeNull();
  });
});

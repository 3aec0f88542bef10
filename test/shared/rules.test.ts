import { describe, expect, it } from 'vitest';
import { ACCOUNT_NAME_MAX_LENGTH, isAccountName } from '../../main/shared/accounts.js';
import { EXTRA_PARAM_NAME, isReservedRequestParam, RESERVED_REQUEST_PARAMS } from '../../main/shared/request-params.js';

describe('account names', () => {
  it('accepts letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64', () => {
    for (const good of ['work.gh-1_x', 'a', '9', 'x'.repeat(ACCOUNT_NAME_MAX_LENGTH)]) expect(isAccountName(good), good).toBe(true);
    for (const bad of ['', '-x', '.x', '../x', 'a b', 'a/b', 'x'.repeat(65), 42, undefined])
      expect(isAccountName(bad), String(bad)).toBe(false);
  });
});

describe('extra request parameters', () => {
  it('treats the protocol parameters as reserved, in any case', () => {
    for (const name of RESERVED_REQUEST_PARAMS) {
      expect(isReservedRequestParam(name)).toBe(true);
      expect(isReservedRequestParam(name.toUpperCase())).toBe(true);
      expect(EXTRA_PARAM_NAME.test(name)).toBe(true);
    }
    for (const name of ['audience', 'access_type', 'resource', 'prompt']) expect(isReservedRequestParam(name)).toBe(false);
  });
});

/**
 * Every grant in the shared list has its traits, and the traits agree with each other. A grant
 * added to GRANTS without a GRANT_TRAITS entry fails the type check (the `Record<Grant, …>`
 * annotation and the assertion below) and this test at run time.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_AUTH_METHODS, CLIENT_AUTH_TRAITS } from '../../main/shared/client-auth.js';
import { GRANT_TRAITS, GRANTS, LEGACY_GRANTS, isGrant, isLegacyGrant, type Grant } from '../../main/shared/grants.js';

// Type level: no grant without traits, and no traits for a grant that is not in the list.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const traitsCoverGrants: Same<keyof typeof GRANT_TRAITS, Grant> = true;
void traitsCoverGrants;

describe('GRANT_TRAITS', () => {
  it('has exactly one entry per grant in GRANTS', () => {
    expect(Object.keys(GRANT_TRAITS).sort()).toEqual([...GRANTS].sort());
    expect(new Set(GRANTS).size).toBe(GRANTS.length);
  });

  it.each(GRANTS)('%s has consistent traits', (grant) => {
    const traits = GRANT_TRAITS[grant];
    expect(traits.label).not.toBe('');
    expect(traits.description).not.toBe('');
    // A browser or a typed password means a person; renewing by running the grant again means none.
    if (traits.needsBrowser || traits.needsPassword) expect(traits.needsPerson).toBe(true);
    expect(traits.renewal === 'reissue').toBe(!traits.needsPerson);
    // A browser sign-in starts at the authorization endpoint; a refresh token comes from the token endpoint.
    if (traits.needsBrowser) expect(traits.endpoints).toContain('authorization');
    if (traits.renewal === 'refresh_token') {
      expect(traits.endpoints).toContain('token');
      expect(traits.yields).toContain('refresh_token');
    } else {
      expect(traits.yields).not.toContain('refresh_token');
    }
    expect(traits.yields).toContain('access_token');
    expect(traits.label.includes('legacy')).toBe(traits.legacy);
  });

  it('derives the legacy list and the guards from the traits', () => {
    expect(LEGACY_GRANTS).toEqual(['password', 'implicit']);
    for (const grant of GRANTS) expect(isLegacyGrant(grant)).toBe(LEGACY_GRANTS.includes(grant));
    expect(GRANTS.every(isGrant)).toBe(true);
    expect(['refresh_token', '', 'Implicit', 42, undefined].some(isGrant)).toBe(false);
  });
});

describe('CLIENT_AUTH_TRAITS', () => {
  it('has one entry per method; only a public client has no secret', () => {
    expect(Object.keys(CLIENT_AUTH_TRAITS).sort()).toEqual([...CLIENT_AUTH_METHODS].sort());
    expect(CLIENT_AUTH_METHODS.filter((method) => CLIENT_AUTH_TRAITS[method].secret === undefined)).toEqual(['none']);
    expect(CLIENT_AUTH_TRAITS.private_key_jwt.secret?.field).toBe('privateKeyPem');
  });
});

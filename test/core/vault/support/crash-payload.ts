/** The content the crash writer puts in the vault, shared with the checking parent. */
import type { AccountSecrets } from '../../../../main/core/vault/types.js';

/** Accounts written once, so every generation also carries a realistic bulk of unchanged data. */
export const STATIC_ACCOUNTS = 20;

export function staticSecrets(index: number): AccountSecrets {
  return {
    clientSecret: `static-secret-${index}`,
    tokens: {
      accessToken: `static-${index}-`.padEnd(1200, 'a'),
      refreshToken: `static-rt-${index}`,
      tokenType: 'Bearer',
      obtainedAt: index,
    },
  };
}

/** Generation `n` of the counter account: the generation is in several fields, which must agree. */
export function counterSecrets(generation: number): AccountSecrets {
  return {
    clientSecret: `counter-secret-${generation}`,
    tokens: {
      accessToken: `gen-${generation}-`.padEnd(2000, 'g'),
      refreshToken: `rt-${generation}`,
      tokenType: 'Bearer',
      obtainedAt: generation,
    },
  };
}

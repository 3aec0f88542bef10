/** The DPoP and token exchange settings across IPC: form draft → account input, summary → view. */
import { describe, expect, it } from 'vitest';
import { validateAccountInput } from '../../../main/core/accounts/validate.js';
import type { AccountSummary } from '../../../main/core/broker/types.js';
import { draftToAccountInput, toAccountView } from '../../../main/ipc/account-mapping.js';
import { IPC_INPUT_SCHEMAS } from '../../../main/ipc/input-schemas.js';
import type { AccountDraft } from '../../../main/ipc/contract.js';

const draft: AccountDraft = {
  name: 'api',
  issuer: 'https://id.example.com',
  clientId: 'c',
  clientAuth: 'none',
  grant: 'authorization_code',
  scopes: ['api'],
  allowLegacy: false,
  approval: 'auto',
  dpop: 'on',
  exchangeAudiences: ['https://reports.example.com', ' '],
};

describe('DPoP and token exchange settings over IPC', () => {
  it('turn a draft into the account model and back into the view', () => {
    const { input } = draftToAccountInput(draft);
    const account = validateAccountInput(input);
    expect(account).toMatchObject({ dpop: 'on', tokenExchange: { audiences: ['https://reports.example.com'] } });
    const summary: AccountSummary = {
      config: account,
      name: 'api',
      grant: account.grant,
      status: 'ok',
      scopes: ['api'],
      hasRefreshToken: true,
      senderConstrained: true,
      refreshMode: 'proactive',
    };
    expect(toAccountView(summary)).toMatchObject({
      dpop: 'on',
      senderConstrained: true,
      exchangeAudiences: ['https://reports.example.com'],
    });
    const { input: noExchange } = draftToAccountInput({ ...draft, exchangeAudiences: [] });
    expect(validateAccountInput(noExchange).tokenExchange).toBeUndefined();
  });

  it('refuses a bad DPoP mode and oversized audiences at the IPC boundary', () => {
    const schema = IPC_INPUT_SCHEMAS.addAccount;
    expect(schema.safeParse([{ ...draft, dpop: 'sometimes' }]).success).toBe(false);
    expect(schema.safeParse([{ ...draft, exchangeAudiences: ['x'.repeat(600)] }]).success).toBe(false);
    expect(schema.safeParse([{ ...draft, exchangeAudiences: ['https://reports.example.com'] }]).success).toBe(true);
  });
});

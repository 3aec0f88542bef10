import { describe, expect, it } from 'vitest';
import {
  accountExistsMessage,
  accountNotFoundHint,
  describeParseProblem,
  invalidClientHint,
  needsSecretHint,
  optionHint,
  remedyFor,
  unknownCommandMessage,
} from '../../main/cli/messages.js';

const TOKEN_OPTIONS = ['min-ttl', 'scope', 'format'];

describe('parse problems', () => {
  it('suggests the option meant', () => {
    expect(describeParseProblem('token', { kind: 'unknown-option', option: 'fromat' }, TOKEN_OPTIONS)).toBe(
      "Unknown option --fromat for 'token'. Did you mean --format?",
    );
    expect(describeParseProblem('token', { kind: 'unknown-option', option: 'zzz' }, TOKEN_OPTIONS)).toBe(
      "Unknown option --zzz for 'token'.",
    );
    expect(describeParseProblem('token', { kind: 'unknown-option', option: 'x' }, TOKEN_OPTIONS)).toBe("Unknown option -x for 'token'.");
  });

  it('points a secret on the command line to stdin', () => {
    const message = describeParseProblem('account add', { kind: 'unknown-option', option: 'client-secret' }, ['client-secret-stdin']);
    expect(message).toContain('secrets are read from stdin');
    expect(message).toContain('--client-secret-stdin');
    expect(message).toContain('printf \'%s\\n\' "$CLIENT_SECRET" | token-broker account add … --client-secret-stdin');
    expect(describeParseProblem('login', { kind: 'unknown-option', option: 'password' }, [])).toContain('--username USER --password-stdin');
    expect(optionHint('account edit', 'private-key')).toContain('--auth private_key_jwt --client-secret-stdin');
  });

  it('knows the format flag of each command', () => {
    expect(optionHint('token', 'json')).toBe('use --format json');
    expect(optionHint('account list', 'format')).toBe('use --json for JSON');
    expect(optionHint('status', 'format')).toBe('use --json for JSON');
    expect(optionHint('exec', 'json')).toBeUndefined();
    expect(optionHint('account add', 'scopes')).toContain('--scope "a b"');
  });

  it('phrases values and arguments', () => {
    expect(describeParseProblem('token', { kind: 'missing-value', option: 'format' }, [])).toBe(
      '--format needs a value (--format VALUE or --format=VALUE).',
    );
    expect(describeParseProblem('account list', { kind: 'unexpected-value', option: 'json' }, [])).toBe(
      '--json is a switch and takes no value.',
    );
    expect(describeParseProblem('token', { kind: 'missing-argument', names: 'the account NAME' }, [])).toBe('Missing the account NAME.');
    expect(describeParseProblem('token', { kind: 'extra-argument', value: 'b'.repeat(100) }, [])).toBe(
      `Unexpected argument '${'b'.repeat(64)}'.`,
    );
  });
});

describe('commands and accounts', () => {
  it('suggests commands and subcommands', () => {
    expect(unknownCommandMessage('tokne', ['token', 'login'])).toBe("Unknown command 'tokne'. Did you mean 'token'?");
    expect(unknownCommandMessage('lsit', ['add', 'list'], 'account')).toBe("Unknown subcommand 'account lsit'. Did you mean 'list'?");
    expect(unknownCommandMessage('frobnicate', ['token'])).toBe("Unknown command 'frobnicate'.");
  });

  it('suggests account names, or how to find them', () => {
    expect(accountNotFoundHint('wrok', ['work', 'ci'])).toBe("Did you mean 'work'?");
    expect(accountNotFoundHint('zzz', ['work'])).toBe("See 'token-broker account list' for the names.");
    expect(accountNotFoundHint('zzz', [])).toContain('token-broker account add NAME');
  });

  it('points an existing name to edit', () => {
    expect(accountExistsMessage('work')).toBe(
      "An account named 'work' already exists. Change it with 'token-broker account edit work …' (see it with 'token-broker account show work'), or pick another name.",
    );
  });
});

describe('provider trouble', () => {
  it('explains invalid_client with both usual causes and the other auth method', () => {
    const basic = invalidClientHint('work', 'basic');
    expect(basic).toContain('the client secret is wrong');
    expect(basic).toContain('token-broker account edit work --client-secret-stdin');
    expect(basic).toContain('token-broker account edit work --auth post --client-secret-stdin');
    expect(invalidClientHint('work', 'post')).toContain('--auth basic --client-secret-stdin');
    expect(invalidClientHint('work')).toContain('--auth post (or --auth basic)');
  });

  it('says how to store a lost secret', () => {
    expect(needsSecretHint('cc', 'basic')).toBe(
      'The client secret of cc is missing from the vault; store it again: printf \'%s\\n\' "$CLIENT_SECRET" | token-broker account edit cc --client-secret-stdin',
    );
    expect(needsSecretHint('cc', 'private_key_jwt')).toContain('private key of cc');
  });

  it('picks the remedy for an API error', () => {
    expect(remedyFor({ code: 'ACCOUNT_NOT_FOUND', message: '' }, { account: 'wrok', accounts: ['work'] })).toBe("Did you mean 'work'?");
    expect(remedyFor({ code: 'ACCOUNT_EXISTS', message: '' }, { account: 'work' })).toContain('account edit work');
    expect(remedyFor({ code: 'OAUTH_ERROR', message: '', oauth_error: 'invalid_client' }, { account: 'work', auth: 'basic' })).toContain(
      '--auth post',
    );
    expect(remedyFor({ code: 'TIMEOUT', message: '' }, { account: 'work' })).toBeUndefined();
  });
});

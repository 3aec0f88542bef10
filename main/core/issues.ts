/**
 * The one formatter for validation problems, whoever found them: zod issues from config.json, the
 * account model, the vault payload or an IPC argument tuple, and the rules one field alone cannot
 * express. Every problem is a `path: message` line with the path in JavaScript notation
 * (`accounts[1].provider.issuer: must be an http(s) URL`); values are never echoed, since the
 * value may be a secret.
 */
import type * as z from 'zod';
import { BrokerError, type BrokerErrorDetails, type ErrorCode } from './errors.js';

/** Problems shown in one message; the rest are counted. */
const MAX_SHOWN = 10;

/** zod issues as `path: message` lines; `prefix` is where the validated value sits in its container. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((issue) => `${formatPath([...prefix, ...issue.path]) || '(root)'}: ${issue.message}`);
}

/** `['accounts', 1, 'provider', 'issuer']` → `accounts[1].provider.issuer`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/**
 * A BrokerError listing problems under a title: `Title: problem` for one, an indented list for
 * several (at most ten, then how many more).
 */
export function invalidInput(code: ErrorCode, title: string, problems: readonly string[], details?: BrokerErrorDetails): BrokerError {
  const shown = problems.slice(0, MAX_SHOWN);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  return new BrokerError(code, `${title}: ${shown.length === 1 ? shown[0] : `\n  ${shown.join('\n  ')}`}${more}`, details);
}

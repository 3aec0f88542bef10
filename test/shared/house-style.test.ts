/**
 * House style that ESLint and Prettier cannot see (docs/architecture.md, "Conventions"): TSDoc
 * `@see` references to a specification are links to the section, as oauth4webapi writes them, and
 * no grant-name checks outside the shared layer (a new grant would silently miss them).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'main', 'preload', 'renderer'], {
    cwd: root,
    encoding: 'utf8',
  });
  return listed.split('\n').filter((file) => /\.(ts|tsx)$/.test(file));
}

describe('house style', () => {
  it('every @see naming an RFC or OpenID spec links to it', () => {
    const bare: string[] = [];
    for (const file of sourceFiles()) {
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const see = /@see (.*)$/.exec(line)?.[1];
          if (see === undefined) return;
          // Every "RFC nnnn" or "OpenID Connect …" mention must sit inside a {@link URL text}.
          const unlinked = see.replace(/\{@link [^}]*\}/g, '');
          if (/\bRFC \d{3,5}\b|OpenID Connect/.test(unlinked)) bare.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(bare, 'write @see {@link https://www.rfc-editor.org/rfc/rfcNNNN.html#section-X.Y RFC NNNN §X.Y}').toEqual([]);
  });

  it('grant behaviour is read from GRANT_TRAITS, not from grant-name checks outside main/shared', () => {
    const checks: string[] = [];
    for (const file of sourceFiles().filter((f) => !f.startsWith('main/shared/'))) {
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (/\bgrant\s*[!=]==\s*'/.test(line)) checks.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(checks, 'ask GRANT_TRAITS[grant] (main/shared/grants.ts) instead; see docs/architecture.md, "A new grant"').toEqual([]);
  });
});

/**
 * The layering of docs/architecture.md is enforced by eslint.config.js; these cases check the
 * rules themselves, so loosening one by accident fails here and not only in review.
 */
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** Rule ids that fire for `code` linted as if it were the file at `path` (relative to the repo). */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('no-restricted')).map((m) => m.ruleId as string);
}

describe('layering', () => {
  it('main/shared imports only from itself, and uses no runtime-specific globals', async () => {
    expect(await violations('main/shared/x.ts', "import { GRANTS } from './grants.js';\nexport const n = GRANTS.length;\n")).toEqual([]);
    for (const source of ['../core/errors.js', 'zod', 'node:path', '../ipc/contract.js']) {
      expect(await violations('main/shared/x.ts', `import { a } from '${source}';\nexport const b = a;\n`), source).toContain(
        'no-restricted-syntax',
      );
    }
    expect(await violations('main/shared/x.ts', "export { a } from '../core/errors.js';\n")).toContain('no-restricted-syntax');
    expect(await violations('main/shared/x.ts', "export const load = () => import('../core/errors.js');\n")).toContain(
      'no-restricted-syntax',
    );
    expect(await violations('main/shared/x.ts', 'export const home = process.env.HOME;\n')).toContain('no-restricted-globals');
  });

  it('the IPC contract imports only from main/shared', async () => {
    expect(await violations('main/ipc/contract.ts', "import type { Grant } from '../shared/grants.js';\nexport type G = Grant;\n")).toEqual(
      [],
    );
    for (const source of ['../core/errors.js', './handlers.js', 'zod', '../shared/../core/errors.js']) {
      expect(await violations('main/ipc/contract.ts', `import type { A } from '${source}';\nexport type B = A;\n`), source).toContain(
        'no-restricted-imports',
      );
    }
  });

  it('the renderer imports runtime code from main/ only from main/shared', async () => {
    const runtime = (source: string) => `import { a } from '${source}';\nexport const b = a;\n`;
    expect(await violations('renderer/lib/x.ts', runtime('../../main/shared/grants.js'))).toEqual([]);
    expect(await violations('renderer/lib/x.ts', "import type { A } from '../../main/ipc/contract.js';\nexport type B = A;\n")).toEqual([]);
    expect(await violations('renderer/lib/x.ts', runtime('../../main/ipc/contract.js'))).toContain('no-restricted-imports');
    expect(await violations('renderer/lib/x.ts', runtime('../../main/core/errors.js'))).toContain('no-restricted-imports');
    expect(await violations('renderer/lib/x.ts', runtime('electron'))).toContain('no-restricted-imports');
  });

  it('main/core imports neither electron, the CLI nor the renderer', async () => {
    const runtime = (source: string) => `import { a } from '${source}';\nexport const b = a;\n`;
    expect(await violations('main/core/x.ts', runtime('../shared/grants.js'))).toEqual([]);
    for (const source of ['electron', '../electron/app.js', '../cli/exit.js', '../../renderer/lib/time.js']) {
      expect(await violations('main/core/x.ts', runtime(source)), source).toContain('no-restricted-imports');
    }
  });
});

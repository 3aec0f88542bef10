import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText } from '../../../main/core/accounts/config-schema.js';
import { REPO_ROOT } from '../vault/support/helpers.js';

const SCHEMA_FILE = join(REPO_ROOT, 'schema', 'config.schema.json');

describe('published JSON Schema (schema/config.schema.json)', () => {
  it('the checked-in file equals the one generated from the zod definition', async () => {
    // Regenerate after changing main/core/accounts/model.ts:
    //   UPDATE_CONFIG_SCHEMA=1 npx vitest run test/core/accounts/config-schema.test.ts
    if (process.env.UPDATE_CONFIG_SCHEMA === '1') await writeFile(SCHEMA_FILE, configJsonSchemaText());
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
  });

  it('describes the fields editors need (draft 2020-12, strict objects, enums, the provider rule)', () => {
    const schema = configJsonSchema() as { $schema: string; properties: Record<string, unknown>; required: string[] };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['version']);
    const text = JSON.stringify(schema);
    expect(text).toContain('"additionalProperties":false');
    expect(text).toContain('"enum":["authorization_code","client_credentials","device_code","password","implicit"]');
    expect(text).toContain('"anyOf":[{"required":["issuer"]},{"required":["tokenEndpoint"]}]');
  });

  it('ships in the npm package', { timeout: 60_000 }, async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { files?: string[] };
    if (pkg.files !== undefined) {
      expect(pkg.files.some((entry) => entry === 'schema' || entry.startsWith('schema/'))).toBe(true);
    }
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    expect(packed.files.map((file) => file.path)).toContain('schema/config.schema.json');
  });
});

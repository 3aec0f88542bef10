import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

async function loadConfig(): Promise<Record<string, unknown>> {
  return yaml.load(await readFile(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
}

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's own JSON schema (offline)", async () => {
    const schema = JSON.parse(await readFile(join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const config = await loadConfig();
    const valid = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check is real: a wrong field is rejected', async () => {
    const schema = JSON.parse(await readFile(join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate({ ...(await loadConfig()), appID: 'typo' })).toBe(false);
    expect(validate({ ...(await loadConfig()), mac: { hardenedRuntime: 'yes' } })).toBe(false);
  });

  it('declares what the design asks for', async () => {
    const config = (await loadConfig()) as {
      appId: string;
      productName: string;
      directories: { output: string };
      files: string[];
      asarUnpack: string[];
      linux: { target: string[]; category: string };
      deb: { depends: string[] };
      mac: { target: string[]; hardenedRuntime: boolean; category: string };
      win: { target: string[] };
    };
    expect(config.appId).toBe('dev.tokenbroker.app');
    expect(config.productName).toBe('Token Broker');
    expect(config.directories.output).toBe('release');
    expect(config.files).toEqual(expect.arrayContaining(['dist/**', 'package.json', 'schema/**']));
    expect(config.asarUnpack).toContain('**/*.node');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('Development');
    expect(config.deb.depends).toContain('libsecret-1-0');
    expect(config.mac).toMatchObject({ target: ['dmg'], hardenedRuntime: true, category: 'public.app-category.developer-tools' });
    expect(config.win.target).toEqual(['nsis']);
    for (const icon of ['build/icon.png', 'build/tray/all-goodTemplate.png']) expect(existsSync(join(ROOT, icon)), icon).toBe(true);
  });
});

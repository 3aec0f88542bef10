/**
 * `config.json`: the non-secret account configuration, human-readable and validated on load.
 *
 * A missing file is an empty configuration — unless `config.json.bak` is there (the file was
 * lost: refused, as the vault refuses a missing vault.bin beside its backup). A file that does not parse or validate is reported
 * with the line/column or the field path and is never overwritten. Updates are serialized,
 * validated before they are written, and written atomically (0600, previous generation kept as
 * `config.json.bak`).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../data-dir.js';
import { BrokerError } from '../errors.js';
import { BACKUP_SUFFIX, writeFileAtomic } from '../fs/atomic-write.js';
import { configJsonSchemaText } from './config-schema.js';
import { findJsonErrorPosition } from './json-position.js';
import type { BrokerConfig } from './model.js';
import { validateConfig } from './validate.js';

export const CONFIG_FILE_NAME = 'config.json';
/** Written next to config.json so `"$schema": "./config.schema.json"` resolves offline. */
export const CONFIG_SCHEMA_FILE_NAME = 'config.schema.json';

export interface ConfigStore {
  /** The current configuration (a copy: mutating it changes nothing). */
  get(): BrokerConfig;
  /**
   * Applies `mutate` to a copy of the current configuration, validates the result and writes it.
   * Updates run one at a time, each seeing the previous one's result.
   * @throws BrokerError `CONFIG_INVALID` (nothing written) when the result does not validate.
   */
  update(mutate: (config: BrokerConfig) => BrokerConfig): Promise<BrokerConfig>;
}

/**
 * Loads `<dataDir>/config.json`.
 * @throws BrokerError `CONFIG_INVALID` naming the line/column or field path of the first problems.
 */
export async function openConfigStore(dataDir: string): Promise<ConfigStore> {
  await ensurePrivateDir(dataDir);
  const path = join(dataDir, CONFIG_FILE_NAME);
  const schemaPath = join(dataDir, CONFIG_SCHEMA_FILE_NAME);
  let current = await loadConfig(path);
  let queue: Promise<unknown> = Promise.resolve();
  let schemaWritten = false;

  const apply = async (mutate: (config: BrokerConfig) => BrokerConfig): Promise<BrokerConfig> => {
    const candidate = mutate(structuredClone(current));
    const next = validateConfig({ ...candidate, $schema: `./${CONFIG_SCHEMA_FILE_NAME}` }, 'configuration change');
    if (!schemaWritten) {
      const schema = configJsonSchemaText();
      if ((await readFile(schemaPath, 'utf8').catch(() => undefined)) !== schema)
        await writeFileAtomic(schemaPath, schema, { mode: 0o600 });
      schemaWritten = true;
    }
    await writeFileAtomic(path, serializeConfig(next), { mode: 0o600, keepBackup: true });
    current = next;
    return structuredClone(next);
  };

  return {
    get: () => structuredClone(current),
    update(mutate) {
      const result = queue.then(() => apply(mutate));
      queue = result.catch(() => {});
      return result;
    },
  };
}

/** Parses and validates config.json text; `source` names the file in messages. */
export function parseConfigText(text: string, source: string): BrokerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const at = findJsonErrorPosition(text);
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.column}`;
    throw new BrokerError('CONFIG_INVALID', `${source} is not valid JSON${where}. Fix the file (it was left unchanged).`, { cause: error });
  }
  return validateConfig(value, source);
}

/** The file content for a config: 2-space JSON, `$schema` first, trailing newline. */
export function serializeConfig(config: BrokerConfig): string {
  const { $schema, ...rest } = config;
  return `${JSON.stringify({ $schema: $schema ?? `./${CONFIG_SCHEMA_FILE_NAME}`, ...rest }, null, 2)}\n`;
}

async function loadConfig(path: string): Promise<BrokerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // No file is a first start — unless its previous generation is there: then the file was
      // lost (or removed by someone), and starting empty would quietly drop every account.
      const backup = `${path}${BACKUP_SUFFIX}`;
      if ((await stat(backup).catch(() => undefined))?.isFile() === true) {
        throw new BrokerError(
          'CONFIG_INVALID',
          `The configuration ${path} is missing but its backup ${backup} exists. Nothing was changed. ` +
            `Restore it with: cp '${backup}' '${path}' — or remove the backup to start with no accounts.`,
        );
      }
      return validateConfig({ version: 1 });
    }
    throw new BrokerError('CONFIG_INVALID', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: error });
  }
  return parseConfigText(text, path);
}

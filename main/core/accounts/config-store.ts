/**
 * `config.json`: the non-secret account configuration, human-readable and validated on load.
 *
 * A missing file is an empty configuration — unless `config.json.bak` is there (the file was
 * lost: refused, as the vault refuses a missing vault.bin beside its backup). A file that does not parse or validate is reported
 * with the line/column or the field path and is never overwritten. Updates are serialized,
 * validated before they are written, and written atomically (0600, previous generation kept as
 * `config.json.bak`).
 *
 * The schema code (zod, ~3 MB of a daemon's resident memory) is imported only when something
 * must be validated (issue 15): a change, or a file this store did not write itself. Beside
 * config.json, `config.json.checked` holds the SHA-256 of the text the store last validated and
 * wrote, with the schema and version it was validated by; a start that finds exactly that text
 * uses it as it is. Any edit by hand (or by another version) changes the digest and is validated.
 * Whoever can write the stamp can write config.json itself, which is all the stamp stands for.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../data-dir.js';
import { BrokerError } from '../errors.js';
import { BACKUP_SUFFIX, writeFileAtomic } from '../fs/atomic-write.js';
import { BROKER_VERSION } from '../version.js';
import type { BrokerConfig } from './model.js';

export const CONFIG_FILE_NAME = 'config.json';
/** Written next to config.json so `"$schema": "./config.schema.json"` resolves offline. */
export const CONFIG_SCHEMA_FILE_NAME = 'config.schema.json';
/** The digest of the config.json text this store last validated and wrote (see above). */
export const CONFIG_CHECKED_FILE_NAME = 'config.json.checked';

declare const __CONFIG_SCHEMA_DIGEST__: string | undefined;
/** The schema the build validates with (the SHA-256 of schema/config.schema.json, set at build time). */
const SCHEMA_DIGEST = typeof __CONFIG_SCHEMA_DIGEST__ === 'string' ? __CONFIG_SCHEMA_DIGEST__ : 'dev';

/** What `config.json.checked` holds for `text`. */
export function checkedStamp(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')} schema:${SCHEMA_DIGEST} version:${BROKER_VERSION}\n`;
}

/** Parses and validates config.json text; `source` names the file in messages. Loads the schema code. */
export async function parseConfigText(text: string, source: string): Promise<BrokerConfig> {
  return (await import('./validate.js')).parseConfigText(text, source);
}

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
  const checkedPath = join(dataDir, CONFIG_CHECKED_FILE_NAME);
  let current = await loadConfig(path, checkedPath);
  let queue: Promise<unknown> = Promise.resolve();
  let schemaWritten = false;

  const apply = async (mutate: (config: BrokerConfig) => BrokerConfig): Promise<BrokerConfig> => {
    const [{ validateConfig }, { configJsonSchemaText }] = await Promise.all([import('./validate.js'), import('./config-schema.js')]);
    const candidate = mutate(structuredClone(current));
    const next = validateConfig({ ...candidate, $schema: `./${CONFIG_SCHEMA_FILE_NAME}` }, 'configuration change');
    if (!schemaWritten) {
      const schema = configJsonSchemaText();
      if ((await readFile(schemaPath, 'utf8').catch(() => undefined)) !== schema)
        await writeFileAtomic(schemaPath, schema, { mode: 0o600 });
      schemaWritten = true;
    }
    const text = serializeConfig(next);
    await writeFileAtomic(path, text, { mode: 0o600, keepBackup: true });
    await stamp(checkedPath, text);
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

/** The file content for a config: 2-space JSON, `$schema` first, trailing newline. */
export function serializeConfig(config: BrokerConfig): string {
  const { $schema, ...rest } = config;
  return `${JSON.stringify({ $schema: $schema ?? `./${CONFIG_SCHEMA_FILE_NAME}`, ...rest }, null, 2)}\n`;
}

/** Records that `text` was validated (best effort: without the stamp the next start validates). */
async function stamp(checkedPath: string, text: string): Promise<void> {
  await writeFile(checkedPath, checkedStamp(text), { mode: 0o600 }).catch(() => undefined);
}

async function loadConfig(path: string, checkedPath: string): Promise<BrokerConfig> {
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
      return (await import('./validate.js')).validateConfig({ version: 1 });
    }
    throw new BrokerError('CONFIG_INVALID', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: error });
  }
  const checked = await readFile(checkedPath, 'utf8').catch(() => undefined);
  // Exactly the text this store validated and wrote, under the same schema: as it was then.
  if (checked === checkedStamp(text)) return JSON.parse(text) as BrokerConfig;
  const config = await parseConfigText(text, path);
  // A valid file in the store's own form (an edit that kept it) needs no validation next time.
  if (serializeConfig(config) === text) await stamp(checkedPath, text);
  return config;
}

/**
 * Child process of the crash-consistency test: opens the vault (real keychain) and rewrites it
 * in a loop, one generation per write, until it is killed. Before each write it reports
 * `begin N`, after the write resolved `done N`, on stdout. Those lines go straight into the
 * pipe with writeSync, so whatever was reported before a SIGKILL reaches the parent.
 */
import { writeSync } from 'node:fs';
import { openVault } from '../../../../main/core/vault/index.js';
import { createKeytarSecretStore } from '../../../../main/core/vault/keychain.js';
import { counterSecrets, STATIC_ACCOUNTS, staticSecrets } from './crash-payload.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: crash-writer DATA_DIR');

const vault = await openVault({ dataDir, secretStore: createKeytarSecretStore() });
let generation = vault.get('counter')?.tokens?.obtainedAt ?? 0;
if (generation === 0) {
  for (let index = 0; index < STATIC_ACCOUNTS; index += 1) await vault.set(`static-${index}`, staticSecrets(index));
}
writeSync(1, `ready ${generation}\n`);
for (;;) {
  generation += 1;
  writeSync(1, `begin ${generation}\n`);
  await vault.set('counter', counterSecrets(generation));
  writeSync(1, `done ${generation}\n`);
}

#!/usr/bin/env node
// `npm test`: build, lint, type-check, then every vitest suite against a real Secret Service.
// Extra arguments go to vitest (`npm test -- test/core/vault`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { missingSecretServicePrograms } from '../test/support/with-secret-service.mjs';

const extra = process.argv.slice(2);

/** Runs one step; `after` runs once its verdict is printed, so what it prints comes last. */
function step(title, command, args, after = () => {}) {
  console.log(`\n▶ ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit' });
  const passed = result.status === 0;
  if (passed) console.log(`✔ ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  else console.error(`✖ ${title} failed (exit ${result.status ?? result.signal}).`);
  after(result);
  if (!passed) process.exit(result.status ?? 1);
}

const missing = [];
if (process.platform === 'linux') {
  missing.push(...missingSecretServicePrograms());
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) missing.push('chromium');
  // The real consumers of ID tokens and registry credentials (test/support/kube-api-server.ts, registry.ts).
  for (const [name, path] of [
    ['openssl', process.env.OPENSSL_PATH ?? '/usr/bin/openssl'],
    ['docker-registry', process.env.DOCKER_REGISTRY_PATH ?? '/usr/bin/docker-registry'],
    ['skopeo', process.env.SKOPEO_PATH ?? '/usr/bin/skopeo'],
    ['kubectl (1.22+)', process.env.KUBECTL_PATH ?? '/usr/bin/kubectl'],
  ]) {
    if (!existsSync(path)) missing.push(name);
  }
}
if (missing.length > 0) {
  console.error(
    `The tests need a real Secret Service, Chromium and the real consumers, but these are missing: ${missing.join(', ')}.\n` +
      'On Debian/Ubuntu: sudo apt-get install dbus gnome-keyring libsecret-1-dev chromium openssl docker-registry skopeo\n' +
      '(kubectl 1.22+ is not in Debian 12: install it from the Kubernetes package repository, or set KUBECTL_PATH)',
  );
  process.exit(1);
}

step('native modules built for Node', process.execPath, ['scripts/native-deps.mjs', 'node']);
step('build', process.execPath, ['scripts/build.mjs']);
step('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings', '0', '.']);
step('format (prettier --check; fix with npm run format)', process.execPath, [
  'node_modules/prettier/bin/prettier.cjs',
  '--check',
  '--log-level',
  'warn',
  '.',
]);
step('type-check', process.execPath, ['node_modules/typescript/bin/tsc', '-b']);
const report = 'test-results/vitest-report.json';
rmSync(report, { force: true });
step(
  'tests (real keyring, real authorization server, real Chromium)',
  process.execPath,
  [
    'test/support/with-secret-service.mjs',
    '--',
    process.execPath,
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...extra,
  ],
  () => {
    // One plain closing line with the counts, whatever the reporter printed above it.
    if (!existsSync(report)) return;
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
    const skipped = numPendingTests + numTodoTests;
    console.log(`\ntests: ${numPassedTests} passed, ${numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  },
);

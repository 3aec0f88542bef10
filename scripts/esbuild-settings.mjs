// The esbuild settings of the shipped bundles, in one place: scripts/build.mjs builds dist/ with
// them, and the test support that builds the CLI on its own (test/integration/support/cli.ts)
// imports them, so the tests run the `token-broker` bin exactly as it ships.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The package version, compiled into every bundle as __TOKEN_BROKER_VERSION__. */
export async function readPackageVersion(root) {
  return JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version;
}

/** Bundled ESM still meets CommonJS dependencies that call require(); give them one. */
export const esmRequireBanner = [
  "import { createRequire as __tbCreateRequire } from 'node:module';",
  'const require = __tbCreateRequire(import.meta.url);',
].join('\n');

/**
 * The SHA-256 of schema/config.schema.json (kept equal to the zod model by
 * test/core/accounts/config-schema.test.ts): the config store records it beside each config it
 * validated, so a start under another schema validates again.
 */
export function configSchemaDigest(root) {
  return createHash('sha256')
    .update(readFileSync(join(root, 'schema/config.schema.json')))
    .digest('hex')
    .slice(0, 16);
}

/** Options every bundle shares. */
export function sharedOptions(root, version) {
  return {
    logLevel: 'warning',
    absWorkingDir: root,
    sourcemap: 'linked',
    legalComments: 'none',
    define: { __TOKEN_BROKER_VERSION__: JSON.stringify(version), __CONFIG_SCHEMA_DIGEST__: JSON.stringify(configSchemaDigest(root)) },
  };
}

/**
 * Build-time trims of dependencies of got, for the daemon's memory (issue 15; measured in
 * /work/brief/notes/i15.md and by `npm run bench`):
 * - http2-wrapper, cacheable-request and cacheable-lookup are replaced by stubs that refuse: got
 *   imports them (and with them node:http2, http-cache-semantics, keyv …) at load, but uses them
 *   only with its `http2`, `cache` and `dnsCache` options, which the broker never sets (~2 MB RSS);
 * - @sindresorhus/is builds two `Intl.ListFormat`s at load, for error messages only: that touches
 *   ICU's data and builds ICU formatters (~6 MB RSS). They are built on first use instead.
 * A dependency update that changes the patched text fails the build, so the trim is never lost
 * silently.
 */
export const leanDependencies = {
  name: 'lean-dependencies',
  setup(build) {
    const stubs = {
      'http2-wrapper':
        "const off = () => { throw new Error('HTTP/2 is not enabled in Token Broker'); };\n" +
        'export default { auto: off, request: off, get: off, globalAgent: undefined };\n',
      'cacheable-request':
        'export class CacheError extends Error {}\n' +
        "export default class CacheableRequest { constructor() { throw new Error('HTTP caching is not enabled in Token Broker'); } }\n",
      'cacheable-lookup':
        "export default class CacheableLookup { constructor() { throw new Error('got dnsCache is not enabled in Token Broker'); } }\n",
    };
    build.onResolve({ filter: /^(http2-wrapper|cacheable-request|cacheable-lookup)$/ }, (args) => ({
      path: args.path,
      namespace: 'lean-stub',
    }));
    // node:tls through require() in the ESM build: an ESM import of a builtin makes Node build its
    // namespace by reading every export, and tls.rootCertificates is a getter that materialises
    // ~140 PEM strings (~220 KB of V8 heap, kept for the process lifetime) that the broker only
    // needs with TOKEN_BROKER_CA_FILE. require() hands out the module object; esbuild reads the
    // named imports from it where they are used.
    build.onResolve({ filter: /^(node:)?tls$/ }, (args) =>
      args.namespace === 'cjs-builtin'
        ? { path: 'node:tls', external: true }
        : build.initialOptions.format === 'esm'
          ? { path: 'node:tls', namespace: 'cjs-builtin' }
          : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'cjs-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'lean-stub' }, (args) => ({ contents: stubs[args.path], loader: 'js' }));
    build.onLoad({ filter: /[\\/]@sindresorhus[\\/]is[\\/]distribution[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = /const (andFormatter|orFormatter) = new Intl\.ListFormat\(('en', \{[^}]*\})\);/g;
      if ((text.match(eager) ?? []).length !== 2) {
        throw new Error(
          `${args.path}: the two eager Intl.ListFormat lines changed; update leanDependencies in scripts/esbuild-settings.mjs`,
        );
      }
      return {
        contents: text.replace(
          eager,
          (_line, name, options) => `const ${name} = { format: (list) => new Intl.ListFormat(${options}).format(list) };`,
        ),
        loader: 'js',
      };
    });
  },
};

/** Where the ESM build of every command goes, below the bin (main/cli/token-broker.ts imports it). */
export const CLI_FULL_DIR = 'full';

/**
 * The `token-broker` bin, in two builds (issue 15):
 * - `token-broker.js`: CommonJS, one file, minified — the commands scripts call on every use run
 *   from it without the ESM loader or any chunk (a `package.json` of `{"type":"commonjs"}` next
 *   to it says so, since the package is ESM); the docker credential helper
 *   (`docker-credential-token-broker.js`, a second bin run on every pull and push) is built the
 *   same way, one file of its own;
 * - `full/token-broker.mjs` + `full/chunks/*.mjs`: ESM, code-split, minified — every command,
 *   each loading only its own chunk; `serve` loads the broker, and the OAuth engine only on the
 *   first provider request.
 * keytar (native) stays external and must resolve from `outdir`.
 */
export function cliBuilds(root, version, outdir) {
  const common = {
    ...sharedOptions(root, version),
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['keytar'],
    minify: true,
    plugins: [leanDependencies],
  };
  return [
    {
      ...common,
      entryPoints: {
        'token-broker': 'main/cli/token-broker.ts',
        'docker-credential-token-broker': 'main/cli/docker-credential-token-broker.ts',
      },
      outdir,
      format: 'cjs',
      external: [...common.external, `./${CLI_FULL_DIR}/*`],
      // `import.meta.url` is this file's URL, computed on first use only: the URL round trip costs
      // ~0.5 ms of every call, and the hot path never asks (core/net/koffi.ts uses __filename).
      define: { ...common.define, 'import.meta.url': '__tbImportMeta.url' },
      banner: {
        js: '#!/usr/bin/env node\nvar __tbImportMeta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
      },
    },
    {
      ...common,
      entryPoints: { 'token-broker': 'main/cli/main.ts' },
      outdir: join(outdir, CLI_FULL_DIR),
      format: 'esm',
      splitting: true,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      banner: { js: esmRequireBanner },
    },
  ];
}

/** Builds the bin into `outdir` (see {@link cliBuilds}); resolves to the entry file. */
export async function buildCli(root, version, outdir, overrides = {}) {
  const { build } = await import('esbuild');
  await Promise.all(cliBuilds(root, version, outdir).map((options) => build({ ...options, ...overrides })));
  await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  const entry = join(outdir, 'token-broker.js');
  await Promise.all([entry, join(outdir, 'docker-credential-token-broker.js')].map((bin) => chmod(bin, 0o755)));
  return entry;
}

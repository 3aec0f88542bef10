// Lint rules, including the layering of docs/architecture.md (a violation fails `npm test`;
// test/shared/layering.test.ts checks the rules themselves):
//   main/shared    imports nothing outside itself (no packages, no Node, no other layer)
//   main/core      never imports electron, the renderer, main/electron or the CLI (it runs under plain Node)
//   renderer       never imports electron or runtime code from main/, except main/shared (type-only imports are fine)
//   main/ipc/contract.ts imports only from main/shared
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const electronBan = { name: 'electron', message: 'Only main/electron and preload may import electron.' };

/** Import sources that are not `./x` (a sibling in the same folder): packages, `node:*`, `../…`. */
const OUTSIDE_OWN_FOLDER = '/^(?!\\.\\x2F)/';
const ownFolderOnly = (message) =>
  ['ImportDeclaration', 'ExportAllDeclaration', 'ExportNamedDeclaration', 'ImportExpression'].map((node) => ({
    selector: `${node}[source.value=${OUTSIDE_OWN_FOLDER}]`,
    message,
  }));

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', '.tsbuild/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      'no-console': 'off',
      // `import { z } from 'zod'` brings all 40+ zod locales into the bundles (≈ 450 KB, ≈ 3 MB of
      // daemon RSS); the namespace import lets esbuild drop them (issue 15).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "Import zod as a namespace (`import * as z from 'zod'`): the `z` export keeps every locale in the bundle.",
        },
      ],
    },
  },
  {
    files: ['main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              group: ['**/electron/**', '**/main/electron', '**/main/electron/**'],
              message: 'main/core must not depend on main/electron.',
            },
            { group: ['**/renderer', '**/renderer/**'], message: 'main/core must not depend on the renderer.' },
            { group: ['**/cli/**'], message: 'main/core must not depend on the CLI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/cli/**/*.ts', 'main/ipc/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [electronBan], patterns: [{ group: ['**/renderer/**'], message: 'Only the renderer is renderer code.' }] },
      ],
    },
  },
  {
    files: ['main/shared/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...ownFolderOnly('main/shared is dependency-free: it imports only from main/shared.')],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require', 'window', 'document'].map((name) => ({
          name,
          message: 'main/shared runs in every layer (Node, the sandboxed renderer): no runtime-specific globals.',
        })),
      ],
    },
  },
  {
    files: ['main/ipc/contract.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\.\\./shared/[^/]+$)', message: 'The IPC contract imports only from main/shared.' }] },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              regex: '(^|/)main/(?!shared/[^/]+$)',
              allowTypeImports: true,
              message: 'The renderer talks only to window.broker: import types from main/, runtime code only from main/shared.',
            },
            { group: ['node:*'], message: 'The renderer has no Node.' },
          ],
        },
      ],
    },
  },
);

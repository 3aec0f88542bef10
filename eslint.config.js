// Lint rules, including the layering the design fixes (a violation fails `npm test`):
//   main/core      never imports electron, the renderer or main/electron (it runs under plain Node)
//   renderer       never imports electron or runtime code from main/ (type-only imports are fine)
//   main/ipc/contract.ts imports nothing
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const electronBan = { name: 'electron', message: 'Only main/electron and preload may import electron.' };

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
    files: ['main/ipc/contract.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['*', '**'], message: 'The IPC contract imports nothing.' }] }],
      'no-restricted-syntax': ['error', { selector: 'ImportDeclaration', message: 'The IPC contract imports nothing.' }],
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
              group: ['**/main/**'],
              allowTypeImports: true,
              message: 'The renderer talks only to window.broker: import types from main/, never runtime code.',
            },
            { group: ['node:*'], message: 'The renderer has no Node.' },
          ],
        },
      ],
    },
  },
);

// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';

// Production code (src/) must run without the dev tooling: the image ships src/ only. Every src/ block
// below names this pattern, because a later `no-restricted-imports` replaces an earlier one for the same files.
const NO_DEV_TOOLING = {
  group: ['**/scripts/*', '**/scripts/**'],
  message: 'production code never imports the dev tooling in scripts/',
};

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.data', '.cache', 'coverage', 'scripts/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver()] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Production code (src/) must run without the dev tooling: the image ships src/ only.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [NO_DEV_TOOLING],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, and the pure core runs there too:
    // no Node built-ins, no I/O libraries, no native modules.
    files: ['src/workflows/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_DEV_TOOLING,
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process'],
              message: 'no Node built-ins in sandboxed code',
            },
            {
              group: [
                'mongoose',
                'mongodb',
                're2',
                'pino',
                'express',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
              ],
              message: 'no I/O or native modules in sandboxed code',
            },
            {
              group: ['**/activities', '**/activities/*', '**/services/*', '**/models/*', '**/api/*'],
              allowTypeImports: true,
              message: 'import Node-side code as types only',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_DEV_TOOLING,
            {
              group: ['**/activities', '**/activities/*', '**/worker', '**/server'],
              message: 'the API never imports activity implementations or entry points',
            },
          ],
        },
      ],
    },
  },
  prettier,
);

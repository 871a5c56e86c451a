// Lint: type-aware typescript-eslint rules plus the layer direction of ARCHITECTURE.md,
// enforced with no-restricted-imports per folder (core knows no HTTP, SQL or processes;
// dialects never import each other; only server/ and cli/ compose everything).
import tseslint from 'typescript-eslint';

const layer = (files, patterns, paths = []) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns, paths }],
  },
});

const nodeIo = ['node:http', 'node:https', 'node:child_process', 'node:net', 'better-sqlite3', 'fastify'].map(
  (name) => ({ name, message: 'core/ knows no HTTP, SQL or processes (ARCHITECTURE.md)' }),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.hearth/**',
      'test/fixtures/**',
      'bin/**',
      'bench/**/*.mjs',
      'scripts/**/*.mjs',
      'eslint.config.js',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      curly: ['error', 'all'],
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'src/**/*.contract.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  layer(
    ['src/core/**/*.ts'],
    [
      {
        group: [
          '**/dialects/**',
          '**/store/**',
          '**/pool/**',
          '**/server/**',
          '**/cli/**',
          '**/scheduler/**',
          '**/runtimes/**',
        ],
        message: 'core/ imports no dialect, store, pool or server (ARCHITECTURE.md)',
      },
    ],
    nodeIo,
  ),
  layer(
    ['src/dialects/aws-lambda/**/*.ts'],
    [
      {
        group: ['**/tencent-scf/**', '**/store/**', '**/pool/**', '**/server/**', '**/cli/**'],
        message: 'a dialect talks only to core (ARCHITECTURE.md)',
      },
    ],
  ),
  layer(
    ['src/dialects/tencent-scf/**/*.ts'],
    [
      {
        group: ['**/aws-lambda/**', '**/store/**', '**/pool/**', '**/server/**', '**/cli/**'],
        message: 'a dialect talks only to core (ARCHITECTURE.md)',
      },
    ],
  ),
  layer(
    ['src/store/**/*.ts'],
    [
      {
        group: ['**/dialects/**', '**/pool/**', '**/server/**', '**/cli/**', '**/scheduler/**'],
        message: 'store/ implements core ports only',
      },
    ],
  ),
  layer(
    ['src/pool/**/*.ts'],
    [
      {
        group: ['**/dialects/**', '**/store/**', '**/server/**', '**/cli/**', '**/scheduler/**'],
        message: 'pool/ implements core ports only',
      },
    ],
  ),
  layer(
    ['src/scheduler/**/*.ts'],
    [
      {
        group: ['**/dialects/**', '**/store/**', '**/pool/**', '**/server/**', '**/cli/**'],
        message: 'scheduler/ talks only to core',
      },
    ],
  ),
  layer(
    ['src/runtimes/**/*.ts'],
    [
      {
        group: [
          '**/core/**',
          '**/dialects/**',
          '**/store/**',
          '**/pool/**',
          '**/server/**',
          '**/cli/**',
          '**/scheduler/**',
        ],
        message: 'runtimes/ runs inside an environment and imports nothing of hearth',
      },
    ],
  ),
);

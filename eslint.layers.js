// The layer direction of ARCHITECTURE.md as lint rules, shared by eslint.config.js and the
// test that proves each rule fails on a forbidden import (test/lint/layer-rules.test.ts).
//
//   core/      imports only core and node:crypto/node:util (an allowlist: no HTTP, SQL,
//              processes, files, logging, configuration or any other package; those arrive
//              through ports)
//   dialects/  (every folder there, read from disk) talk only to core and the shared helpers
//              beside them (http.ts, which names no dialect); never to each other, the store,
//              the pool, the scheduler, the runtimes, the config, the server or the CLI, and
//              no process, file or SQL modules
//   core/ and dialects/ load nothing at run time (no import(), require() or createRequire),
//              so the rules above cannot be stepped around
//   auth/      credentials and signature verification: imports no other hearth layer;
//              dialects and the server import it (src/auth/README.md)
//   store/, pool/, scheduler/  implement core ports only
//   cluster/   wraps core ports for several nodes on one PostgreSQL; uses store/postgres helpers
//   runtimes/  run inside an environment and import nothing of hearth (import or require)
//   server/, cli/  compose everything
//   web/       the dashboard's browser code (bundled by vite): imports nothing of hearth's
//              src/; it talks to hearth over HTTP only (/_hearth/api)
import { readdirSync } from 'node:fs';

const HEARTH = [
  'core',
  'dialects',
  'store',
  'pool',
  'server',
  'cli',
  'scheduler',
  'runtimes',
  'config',
  'auth',
  'cluster',
];
const folders = (...names) => names.map((n) => `**/${n}/**`);

/** Node's modules with and without the `node:` prefix. */
const builtins = (...names) => names.flatMap((n) => [n, `node:${n}`]);

const restrict = (files, patterns, paths = [], syntax = []) => ({
  files,
  ignores: ['**/*.test.ts', '**/*.contract.ts', '**/testing/**'],
  rules: {
    'no-restricted-imports': ['error', { patterns, paths }],
    ...(syntax.length === 0 ? {} : { 'no-restricted-syntax': ['error', ...syntax] }),
  },
});

/** Run-time loading, which no-restricted-imports does not see. */
const noRuntimeLoading = (layer) => [
  {
    selector: 'ImportExpression',
    message: `${layer} uses static imports only (the layer rules check those)`,
  },
  { selector: "CallExpression[callee.name='require']", message: `${layer} uses static imports only` },
];

/** Everything but relative paths and node:crypto/node:util (bare or prefixed). */
const CORE_PACKAGES = {
  regex: '^(?!\\.|(node:)?(crypto|util)$)',
  message: 'core/ imports only core and node:crypto/node:util; I/O arrives through ports (ARCHITECTURE.md)',
};

const DIALECT_IO = [
  ...builtins('child_process', 'fs', 'fs/promises', 'module', 'worker_threads'),
  'better-sqlite3',
  'pg',
  'yauzl',
].map((name) => ({ name, message: 'a dialect talks only to core (ARCHITECTURE.md)' }));

/** Every folder under src/dialects/ is a dialect: a new one is covered without an edit here. */
const DIALECTS = readdirSync(new URL('./src/dialects/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** `files` may import core and the dialects' shared helpers, and no dialect in `others`. */
const dialect = (files, others) =>
  restrict(
    files,
    [
      {
        group: [
          ...folders(
            ...others,
            'store',
            'pool',
            'server',
            'cli',
            'scheduler',
            'runtimes',
            'config',
            'cluster',
          ),
        ],
        message: 'a dialect talks only to core (ARCHITECTURE.md)',
      },
    ],
    DIALECT_IO,
    noRuntimeLoading('a dialect'),
  );

export const layerRules = [
  restrict(
    ['src/core/**/*.ts'],
    [
      {
        group: folders(...HEARTH.filter((n) => n !== 'core')),
        message:
          'core/ imports no dialect, store, pool, scheduler, runtime, config or server (ARCHITECTURE.md)',
      },
      CORE_PACKAGES,
    ],
    [],
    noRuntimeLoading('core/'),
  ),
  restrict(
    ['src/auth/**/*.ts'],
    [
      {
        group: folders(...HEARTH.filter((n) => n !== 'auth')),
        message: 'auth/ imports no other layer: dialects and the server call it (src/auth/README.md)',
      },
    ],
  ),
  ...DIALECTS.map((self) =>
    dialect(
      [`src/dialects/${self}/**/*.ts`],
      DIALECTS.filter((d) => d !== self),
    ),
  ),
  // The helpers shared by every dialect (http.ts) depend on no dialect in particular.
  dialect(['src/dialects/*.ts'], DIALECTS),
  restrict(
    ['src/store/**/*.ts'],
    [
      {
        group: folders('dialects', 'pool', 'server', 'cli', 'scheduler', 'runtimes', 'cluster'),
        message: 'store/ implements core ports only',
      },
    ],
  ),
  restrict(
    ['src/pool/**/*.ts'],
    [
      {
        group: folders('dialects', 'store', 'server', 'cli', 'scheduler', 'config', 'cluster'),
        message: 'pool/ implements core ports only',
      },
    ],
  ),
  // A cluster node wraps core's ports (Pool, PackageStore, the keyed mutex) around the
  // local ones; it reaches PostgreSQL through the store's helpers and knows no pool internals.
  restrict(
    ['src/cluster/**/*.ts'],
    [
      {
        group: folders('dialects', 'pool', 'server', 'cli', 'scheduler', 'runtimes', 'config'),
        message: 'cluster/ wraps core ports; the server composes it (src/cluster/README.md)',
      },
    ],
  ),
  restrict(
    ['src/scheduler/**/*.ts'],
    [
      {
        group: folders('dialects', 'store', 'pool', 'server', 'cli', 'runtimes', 'config'),
        message: 'scheduler/ talks only to core',
      },
    ],
  ),
  restrict(
    ['web/**/*.ts'],
    [
      {
        group: ['**/src/**', ...folders(...HEARTH)],
        message: 'web/ runs in the browser and talks to hearth over HTTP only (/_hearth/api)',
      },
    ],
  ),
  // The bundled runtime clients: ES imports, import() and CommonJS require() alike.
  {
    files: ['src/runtimes/**/*.ts', 'src/runtimes/**/*.cjs', 'src/runtimes/**/*.mjs'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: folders(...HEARTH.filter((n) => n !== 'runtimes')),
              message: 'runtimes/ imports nothing of hearth',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: `:matches(CallExpression[callee.name='require'], ImportExpression) > Literal[value=/(^|\\/)(${HEARTH.filter((n) => n !== 'runtimes').join('|')})\\//]`,
          message: 'runtimes/ requires or import()s nothing of hearth',
        },
      ],
    },
  },
];

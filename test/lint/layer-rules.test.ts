/**
 * The layer rules fail on forbidden imports (issue 8): each layer is linted with a file
 * that imports what it must not, and with one that imports what it may. Only the layer
 * rules run here (eslint.layers.js, the same objects eslint.config.js uses), parsed with
 * typescript-eslint's parser, so the check needs no type information.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain JavaScript module shared with eslint.config.js
import { layerRules } from '../../eslint.layers.js';

const cwd = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({
  cwd,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts', '**/*.cjs', '**/*.mjs'], languageOptions: { parser: tseslint.parser } },
    ...(layerRules as object[]),
  ],
});

/** Every dialect folder on disk: one added later is covered by the rules without an edit. */
const dialects = readdirSync(new URL('../../src/dialects/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('layer rules', () => {
  it.each([
    ['src/core/services/x.ts', "import { spawn } from 'node:child_process';"],
    ['src/core/services/x.ts', "import { spawn } from 'child_process';"],
    ['src/core/services/x.ts', "import http from 'http';"],
    ['src/core/services/x.ts', "import { readFile } from 'node:fs';"],
    ['src/core/services/x.ts', "import { connect } from 'node:http2';"],
    ['src/core/services/x.ts', "import pino from 'pino';"],
    ['src/core/services/x.ts', "import yauzl from 'yauzl';"],
    ['src/core/services/x.ts', "import { loadConfig } from '../../config/load.js';"],
    ['src/core/services/x.ts', "import { createPool } from '../../pool/index.js';"],
    // An allowlist: any other module is refused, not only the ones named in a list.
    ['src/core/services/x.ts', "import os from 'node:os';"],
    ['src/core/services/x.ts', "import path from 'path';"],
    ['src/core/services/x.ts', "import { fetch } from 'undici';"],
    ['src/core/services/x.ts', "import { LambdaClient } from '@aws-sdk/client-lambda';"],
    ['src/core/services/x.ts', "import type { Logger } from 'pino';"],
    ['src/core/services/x.ts', "const fs = await import('node:fs');"],
    ['src/core/services/x.ts', "const fs = require('fs');"],
    ['src/dialects/aws-lambda/x.ts', "import { spawn } from 'node:child_process';"],
    ['src/dialects/aws-lambda/x.ts', "import Database from 'better-sqlite3';"],
    ['src/dialects/aws-lambda/x.ts', "import { decide } from '../../scheduler/decider.js';"],
    ['src/dialects/aws-lambda/x.ts', "import { x } from '../../runtimes/node/x.js';"],
    ['src/dialects/aws-lambda/x.ts', "import { loadConfig } from '../../config/load.js';"],
    ['src/dialects/aws-lambda/x.ts', "import { x } from '../tencent-scf/codec.js';"],
    ['src/dialects/aws-lambda/x.ts', "import { createRequire } from 'node:module';"],
    [
      'src/dialects/aws-lambda/x.ts',
      "const { openSqliteStore } = await import('../../store/sqlite/sqlite-store.js');",
    ],
    ['src/dialects/tencent-scf/x.ts', "import { x } from '../aws-lambda/codec.js';"],
    ['src/dialects/tencent-scf/x.ts', "import { x } from '../aws-logs/operations.js';"],
    ['src/dialects/aws-logs/x.ts', "import { x } from '../aws-lambda/codec.js';"],
    ['src/dialects/aws-logs/x.ts', "import { SqliteLogStore } from '../../store/logs/sqlite-log-store.js';"],
    ...dialects.flatMap((d) => [
      [`src/dialects/${d}/x.ts`, "import { openSqliteStore } from '../../store/sqlite/sqlite-store.js';"],
      ...dialects
        .filter((other) => other !== d)
        .map((other) => [`src/dialects/${d}/x.ts`, `import { x } from '../${other}/index.js';`]),
    ]),
    ['src/dialects/x.ts', "import { createTencentScfDialect } from './tencent-scf/index.js';"],
    ['src/dialects/x.ts', "import { openSqliteStore } from '../store/sqlite/sqlite-store.js';"],
    ['src/dialects/x.ts', "import { spawn } from 'node:child_process';"],
    ['src/store/sqlite/x.ts', "import { createPool } from '../../pool/index.js';"],
    ['src/auth/x.ts', "import { renderError } from '../dialects/aws-lambda/index.js';"],
    ['src/auth/x.ts', "import { loadConfig } from '../config/load.js';"],
    ['src/core/services/x.ts', "import { verifySigV4 } from '../../auth/sigv4.js';"],
    ['src/pool/x.ts', "import { openSqliteStore } from '../store/sqlite/sqlite-store.js';"],
    ['src/scheduler/x.ts', "import { createPool } from '../pool/index.js';"],
    ['src/runtimes/node/x.cjs', "const { PlatformError } = require('../../core/errors.js');"],
    ['src/runtimes/node/x.mjs', "import { PlatformError } from '../../core/errors.js';"],
    ['src/runtimes/node/x.mjs', "const { PlatformError } = await import('../../core/errors.js');"],
    ['src/cluster/x.ts', "import { createPool } from '../pool/index.js';"],
    ['src/cluster/x.ts', "import { createFrontDoor } from '../server/front-door.js';"],
    ['src/cluster/x.ts', "import { x } from '../dialects/aws-lambda/codec.js';"],
    ['src/store/x.ts', "import { ClusterPool } from '../cluster/cluster-pool.js';"],
    ['src/pool/x.ts', "import { ClusterNode } from '../cluster/cluster-node.js';"],
    ['web/dashboard/src/x.ts', "import type { State } from '../../../src/server/dashboard.js';"],
    ['web/dashboard/src/x.ts', "import { LATEST } from '../../../src/core/model.js';"],
  ])('%s may not: %s', async (filePath, code) => {
    const found = await problems(filePath, code);
    expect(found.length, found.join('\n')).toBe(1);
    expect(found[0]).toMatch(/^no-restricted-(imports|syntax): /);
  });

  it.each([
    [
      'src/core/services/x.ts',
      "import { randomUUID } from 'node:crypto';\nimport { PlatformError } from '../errors.js';",
    ],
    [
      'src/core/services/x.ts',
      "import { isDeepStrictEqual } from 'node:util';\nimport type { Scope } from '../model.js';",
    ],
    ['src/dialects/aws-lambda/x.ts', "import { PlatformError } from '../../core/errors.js';"],
    ['src/dialects/aws-lambda/x.ts', "import { type DialectLogger } from '../http.js';"],
    ['src/dialects/x.ts', "import { PlatformError } from '../core/errors.js';"],
    ['src/dialects/aws-logs/x.ts', "import type { LogStore } from '../../core/logs/log-port.js';"],
    ['src/dialects/aws-lambda/x.ts', "import { authenticateAws } from '../../auth/aws-caller.js';"],
    [
      'src/pool/x.ts',
      "import { spawn } from 'node:child_process';\nimport type { Pool } from '../core/ports.js';",
    ],
    [
      'src/runtimes/node/x.cjs',
      "const { readSync } = require('node:fs');\nconst frames = require('./frames.cjs');",
    ],
    ['src/runtimes/node/x.mjs', 'const handler = await import(url);'],
    ['web/dashboard/src/x.ts', "import { html } from 'htm/preact';\nimport { fetchState } from './api.js';"],
    [
      'src/cluster/x.ts',
      "import pg from 'pg';\nimport type { Pool } from '../core/ports.js';\nimport { migratePg } from '../store/postgres/migrations.js';",
    ],
    [
      'src/server/x.ts',
      "import { createPool } from '../pool/index.js';\nimport { openSqliteStore } from '../store/sqlite/sqlite-store.js';",
    ],
  ])('%s may: %s', async (filePath, code) => {
    expect(await problems(filePath, code)).toEqual([]);
  });
});

#!/usr/bin/env node
// What the function log store costs the invoke path: two hearths side by side
// (bench/paired.mjs), A without the log store's sink (HEARTH_FUNCTION_LOGS=false) and B
// with it (the default), 32 provisioned environments each, alternating load slices. Every
// invoke writes at least START, END and REPORT lines, so B stores 3 events per request.
// Prints paired.mjs's table and the B/A ratios (req/s, server CPU per request, sequential
// p50): 1.00 means the log store is free.
//
//   npm run build && node bench/logs.mjs [paired.mjs options: --rounds 8 --slice 1.5 ...]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { root } from './lib.mjs';

const child = spawn(
  process.execPath,
  [
    path.join(root, 'bench/paired.mjs'),
    '--a-env',
    JSON.stringify({ HEARTH_FUNCTION_LOGS: 'false' }),
    '--b-env',
    JSON.stringify({ HEARTH_FUNCTION_LOGS: 'true' }),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
child.on('exit', (code) => process.exit(code ?? 1));

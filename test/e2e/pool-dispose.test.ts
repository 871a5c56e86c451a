/**
 * The built pool (dist/) in a script of its own, as a bench or an embedder uses it: after
 * an invocation started the spawner, `dispose()` holds the script until the spawner and
 * what it started are gone, though nothing else is left on the script's event loop (the
 * spawner runs unref'd so that it never keeps hearth alive).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it.skipIf(process.platform !== 'linux')(
  'dispose() resolves in a script with nothing else on its loop, and leaves no process behind',
  async () => {
    const pool = pathToFileURL(path.resolve('dist/pool/index.js')).href;
    const codeDir = path.resolve('test/fixtures/functions/echo');
    const script = `
      import { execFileSync } from 'node:child_process';
      import pino from 'pino';
      const { createPool } = await import(${JSON.stringify(pool)});
      const pool = createPool({ logger: pino({ level: 'silent' }), idleTimeoutMs: 60000, maxConcurrentStarts: 2,
        path: process.env.PATH });
      const o = await pool.invoke({
        spec: { key: 'k@1', accountId: '123456789012', region: 'us-east-1', namespace: 'default',
          functionName: 'echo', version: '1', runtime: 'nodejs20.x', handler: 'index.handler', memoryMb: 128,
          timeoutSec: 10, environment: {}, codeDir: ${JSON.stringify(codeDir)}, logGroup: '/aws/lambda/echo' },
        requestId: 'r1', payload: Buffer.from('{"a":1}'), invokedFunctionArn: 'arn', wantLog: false,
        admission: { scopeKey: 's', functionKey: 'f', provisionedTotal: 0, unreservedCapacity: 10 },
      });
      const children = () => { try { return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).trim(); } catch { return ''; } };
      const before = children();
      await pool.dispose();
      console.log(JSON.stringify({ payload: o.payload.toString(), before, after: children() }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve('.'),
      timeout: 30_000,
    });
    const out = JSON.parse(stdout) as { payload: string; before: string; after: string };
    expect(out.payload).toBe('{"a":1}');
    // The spawner was running (hearth's child), and is gone once dispose() resolved.
    expect(out.before).not.toBe('');
    expect(out.after).toBe('');
  },
);

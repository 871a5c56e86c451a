/**
 * Helpers for the pool's process tests: hand-built specs over the fixture functions,
 * invoke requests, and waiting on pool events (never on the clock).
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { AdmissionInput, EnvironmentSpec, InvokeRequest } from '../../src/core/ports.js';
import { createPool, type HearthPool, type PoolEvent, type PoolOptions } from '../../src/pool/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/functions/', import.meta.url));

export function fixtureDir(name: string): string {
  return path.join(FIXTURES, name);
}

export function makeSpec(name: string, overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  const functionName = overrides.functionName ?? name;
  const version = overrides.version ?? '$LATEST';
  return {
    key: `123456789012/us-east-1/default/${functionName}/${version}@${overrides.handler ?? 'r1'}`,
    accountId: '123456789012',
    region: 'us-east-1',
    namespace: 'default',
    functionName,
    version,
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    memoryMb: 128,
    timeoutSec: 3,
    environment: {},
    codeDir: fixtureDir(name),
    logGroup: `/aws/lambda/${functionName}`,
    ...overrides,
  };
}

export const OPEN_ADMISSION: AdmissionInput = {
  scopeKey: '123456789012/us-east-1',
  functionKey: '123456789012/us-east-1/default/fn',
  provisionedTotal: 0,
  unreservedCapacity: 1000,
};

export function makeRequest(
  spec: EnvironmentSpec,
  overrides: Partial<InvokeRequest> & { event?: unknown } = {},
): InvokeRequest {
  const { event, ...rest } = overrides;
  return {
    spec,
    requestId: randomUUID(),
    payload: Buffer.from(JSON.stringify(event ?? {})),
    invokedFunctionArn: `arn:aws:lambda:${spec.region}:${spec.accountId}:function:${spec.functionName}`,
    wantLog: false,
    admission: {
      ...OPEN_ADMISSION,
      functionKey: `${spec.accountId}/${spec.region}/default/${spec.functionName}`,
    },
    ...rest,
  };
}

/** The pid of the (first) environment of `spec` in `pool`; 0 when there is none. */
export function pidOf(pool: HearthPool, spec: EnvironmentSpec): number {
  return pool.environments().find((e) => e.specKey === spec.key)?.pid ?? 0;
}

export function testPool(overrides: Partial<PoolOptions> = {}): HearthPool {
  return createPool({
    logger: pino({ level: 'silent' }),
    idleTimeoutMs: 60_000,
    maxConcurrentStarts: 8,
    path: process.env.PATH ?? '/usr/bin:/bin',
    ...overrides,
  });
}

/**
 * Resolves when `predicate` holds, re-checking after every pool event (and once now).
 * Rejects after `limitMs` so that a broken test fails instead of hanging.
 */
export function until(
  pool: HearthPool,
  predicate: (e?: PoolEvent) => boolean,
  limitMs = 20_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`condition not reached within ${limitMs} ms`));
    }, limitMs);
    const stop = pool.subscribe((e) => {
      if (predicate(e)) {
        clearTimeout(timer);
        stop();
        resolve();
      }
    });
  });
}

/**
 * Live processes whose parent is this test process or one of its pools' spawners
 * (src/pool/launchers/spawner.ts): the environments' process leaders.
 */
export function childPids(): number[] {
  const live: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] = state, fields[1] = ppid; zombies are not alive.
      if (fields[0] !== 'Z') {
        live.push({ pid: Number(entry), ppid: Number(fields[1]) });
      }
    } catch {
      // raced with an exit
    }
  }
  const spawners = new Set<number>();
  const pids: number[] = [];
  for (const p of live.filter((q) => q.ppid === process.pid)) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (cmdline.includes('spawner-child.cjs')) {
      spawners.add(p.pid);
    } else {
      pids.push(p.pid);
    }
  }
  return [...pids, ...live.filter((q) => spawners.has(q.ppid)).map((q) => q.pid)];
}

export function json(buf: Buffer): unknown {
  return JSON.parse(buf.toString('utf8'));
}

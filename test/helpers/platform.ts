/**
 * Starts a real hearth (createPlatform) on port 0 with a temp data dir, and an
 * @aws-sdk/client-lambda client pointed at it with retries off (spec §1.5).
 *
 *   const p = await startPlatform();
 *   await p.client.send(new ListFunctionsCommand({}));
 *   await p.close();            // keeps the data dir; p.restart() reopens it
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig } from '../../src/config/load.js';
import type { HearthConfigInput } from '../../src/config/schema.js';
import { createPlatform, type Platform } from '../../src/server/create-platform.js';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';

export interface TestPlatform {
  readonly url: string;
  readonly client: LambdaClient;
  readonly platform: Platform;
  readonly dataDir: string;
  /** A client for another region (its requests carry that region's credential scope). */
  clientFor(region: string): LambdaClient;
  /** Stops the server, keeping the data dir. */
  close(): Promise<void>;
  /** Stops the server (if running) and starts a new one on the same data dir. */
  restart(): Promise<TestPlatform>;
  /** Stops the server and removes the data dir. */
  dispose(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '123456789012';

export function lambdaClient(url: string, region = TEST_REGION): LambdaClient {
  return new LambdaClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

export async function startPlatform(
  overrides: HearthConfigInput = {},
  dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-test-')),
): Promise<TestPlatform> {
  if (process.env.HEARTH_TEST_CLUSTER === '1' && !('store' in overrides)) {
    return startClusterPlatform(overrides, dataDir);
  }
  const config = loadConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    region: TEST_REGION,
    accountId: TEST_ACCOUNT,
    logLevel: 'silent',
    // These suites look at environments from the host (scratch files, PIDs): unsandboxed
    // unless a suite asks (test/integration/sandbox.test.ts runs them in bubblewrap).
    sandbox: 'off',
    ...overrides,
  });
  const platform = await createPlatform(config);
  const client = lambdaClient(platform.url);
  const clients: LambdaClient[] = [client];
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      for (const c of clients) {
        c.destroy();
      }
      await platform.close();
    }
  };
  return {
    url: platform.url,
    client,
    platform,
    dataDir,
    clientFor(region) {
      const c = lambdaClient(platform.url, region);
      clients.push(c);
      return c;
    },
    close,
    async restart() {
      await close();
      return startPlatform(overrides, dataDir);
    },
    async dispose() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * HEARTH_TEST_CLUSTER=1 (vitest's cluster-acceptance project): the same suites against a
 * node of a two-node cluster on a fresh PostgreSQL database. The returned platform is one
 * node; a companion node shares its database and takes half of every provisioned config.
 */
async function startClusterPlatform(overrides: HearthConfigInput, dataDir: string): Promise<TestPlatform> {
  // Without a server (and without HEARTH_REQUIRE_POSTGRES, which makes this throw) the
  // suite runs on one node, as its own project does.
  if (!(await postgresAvailable())) {
    return startPlatform({ ...overrides, store: undefined }, dataDir);
  }
  const db = await freshDatabase();
  const cluster: HearthConfigInput = { store: db.url, clusterHeartbeatMs: 200, clusterExpiryMs: 3000 };
  const companion = await startPlatform({ ...overrides, ...cluster, nodeId: 'companion' });
  const wrap = (node: TestPlatform): TestPlatform => ({
    ...node,
    async restart() {
      return wrap(await node.restart());
    },
    async dispose() {
      await node.dispose();
      await companion.dispose();
      await db.drop();
    },
  });
  return wrap(await startPlatform({ ...overrides, ...cluster, nodeId: 'main' }, dataDir));
}

/**
 * `hearth serve` with the flags in SERVE_USAGE, each also settable as HEARTH_* in the
 * environment (src/config/schema.ts). Its flags are parsed here, strictly, with node's
 * parseArgs: they mirror the configuration schema one to one.
 */
import { parseArgs } from 'node:util';
import { ConfigError, fromEnv, loadConfig } from '../config/load.js';
import { createPlatform } from '../server/create-platform.js';

export const SERVE_USAGE = `usage: hearth serve [--host 127.0.0.1] [--port 8910] [--data-dir ./.hearth]
                   [--store postgres://user:password@host:5432/db] [--node-id ID] [--node-capacity 1000]
                   [--cluster-port 0] [--region us-east-1] [--account-id 123456789012] [--log-level info]
                   [--account-concurrency 1000] [--min-unreserved-concurrency 100]
                   [--idle-timeout-ms 300000] [--max-concurrent-starts 8] [--public-url URL]
                   [--memory-cgroups true] [--batch-scheduling true] [--spawner true] [--code-cache true]
                   [--prestarted-runtimes 4]
                   [--runtime-interpreters '{"nodejs22.x":"/opt/node22/bin/node"}']
                   [--credentials-file ./credentials.yaml] [--insecure] [--sandbox auto|bubblewrap|off]
Every flag can also be set in the environment: HEARTH_HOST, HEARTH_PORT, HEARTH_DATA_DIR, ...
Settings of the SCF dialect and the scaling loop are environment-only (HEARTH_SCF_*,
HEARTH_SCALING_*; see src/config/schema.ts).`;

const FLAGS = {
  host: 'host',
  port: 'port',
  'data-dir': 'dataDir',
  store: 'store',
  region: 'region',
  'account-id': 'accountId',
  'log-level': 'logLevel',
  'account-concurrency': 'accountConcurrency',
  'min-unreserved-concurrency': 'minUnreservedConcurrency',
  'idle-timeout-ms': 'idleTimeoutMs',
  'max-concurrent-starts': 'maxConcurrentStarts',
  'public-url': 'publicUrl',
  'memory-cgroups': 'memoryCgroups',
  sandbox: 'sandbox',
  'batch-scheduling': 'batchScheduling',
  spawner: 'spawner',
  'prestarted-runtimes': 'prestartedRuntimes',
  'code-cache': 'codeCache',
  'runtime-interpreters': 'runtimeInterpreters',
  'credentials-file': 'credentialsFile',
  'node-id': 'nodeId',
  'node-capacity': 'nodeCapacity',
  'cluster-port': 'clusterPort',
} as const;

function fail(message: string): number {
  process.stderr.write(`hearth: ${message}\n`);
  return 2;
}

export async function serve(rest: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }]));
    values = parseArgs({
      args: [...rest],
      options: { ...options, help: { type: 'boolean' }, insecure: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (e) {
    return fail(`${e instanceof Error ? e.message : String(e)}\n${SERVE_USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const flags: Record<string, string> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v === 'string') {
      flags[key] = v;
    }
  }
  if (values.insecure === true) {
    flags.insecure = 'true';
  }
  let config;
  try {
    config = loadConfig(fromEnv(process.env), flags);
  } catch (e) {
    return fail(e instanceof ConfigError ? e.message : String(e));
  }
  let platform;
  try {
    platform = await createPlatform(config);
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  const running = platform;
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        return;
      }
      stopping = true;
      running.logger.info({ signal }, 'shutting down');
      running.close().then(
        () => resolve(0),
        (e: unknown) => {
          process.stderr.write(`hearth: error while shutting down: ${String(e)}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // The ready line only once the signal handlers are in place: a supervisor that stops
  // hearth as soon as it reads the line must get a clean shutdown, not the default kill.
  process.stdout.write(`hearth listening on ${platform.url}\n`);
  return stopped;
}

/**
 * Function logs, composed: the log store, and the pool's `onFunctionLog` entries turned
 * into its input. Which store follows the platform's: SQLite under the data dir
 * (`logs.db`), or, when the platform's store is a PostgreSQL URL, the same database's
 * log tables, which every node of a cluster reads and writes (src/cluster/README.md).
 * An entry's scope (account, region, SCF namespace) is read off its spec key,
 * `<account>/<region>/<namespace>/<name>/<version>@…` (core/invoke/environment-spec.ts).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { LogScope } from '../core/logs/log-port.js';
import type { FunctionLogEntry } from '../pool/index.js';
import type { FunctionLogStore } from '../store/logs/function-log-store.js';
import { openPostgresLogStore } from '../store/logs/postgres-log-store.js';
import { SqliteLogStore } from '../store/logs/sqlite-log-store.js';
import { DataDirError } from './data-dir.js';

/**
 * Opens the log store: PostgreSQL's when `store` (the platform's `--store` URL) is set,
 * else `<dataDir>/logs.db`. Fails with DataDirError for the data dir, and with
 * "cannot reach PostgreSQL at …" for the database.
 */
export async function openFunctionLogs(
  dataDir: string,
  maxBytes: number,
  logger: Logger,
  store?: string,
): Promise<FunctionLogStore> {
  const onError = (err: unknown) => logger.warn({ err }, 'function logs could not be written');
  if (store !== undefined) {
    return openPostgresLogStore({ url: store, maxBytes, onError });
  }
  try {
    return new SqliteLogStore({ file: path.join(dataDir, 'logs.db'), maxBytes, onError });
  } catch (e) {
    throw new DataDirError(dataDir, e);
  }
}

/** Spec keys whose scopes are kept: beyond it the cache is dropped and refilled. */
const SCOPE_CACHE_SIZE = 10_000;

export function functionLogSink(store: FunctionLogStore): (entry: FunctionLogEntry) => void {
  // An entry's scope, read once per spec key rather than split out of it for every chunk
  // of output and every START/END/REPORT line (each invocation logs at least two).
  const scopes = new Map<string, LogScope | null>();
  const scopeOf = (specKey: string): LogScope | null => {
    let scope = scopes.get(specKey);
    if (scope === undefined) {
      const [accountId, region, namespace] = specKey.split('/', 3);
      scope =
        accountId === undefined || region === undefined || namespace === undefined
          ? null
          : { accountId, region, namespace };
      if (scopes.size >= SCOPE_CACHE_SIZE) {
        scopes.clear();
      }
      scopes.set(specKey, scope);
    }
    return scope;
  };
  return (entry) => {
    const scope = scopeOf(entry.specKey);
    if (scope === null) {
      return;
    }
    store.append({
      scope,
      group: entry.logGroup,
      stream: entry.logStream,
      functionName: entry.functionName,
      text: entry.text,
    });
  };
}

/**
 * Function logs, composed: the log store under the data dir, and the pool's
 * `onFunctionLog` entries turned into its input. An entry's scope (account, region, SCF
 * namespace) is read off its spec key, `<account>/<region>/<namespace>/<name>/<version>@…`
 * (core/invoke/environment-spec.ts).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { LogScope } from '../core/logs/log-port.js';
import type { FunctionLogEntry } from '../pool/index.js';
import { SqliteLogStore } from '../store/logs/sqlite-log-store.js';

export function openFunctionLogs(dataDir: string, maxBytes: number, logger: Logger): SqliteLogStore {
  return new SqliteLogStore({
    file: path.join(dataDir, 'logs.db'),
    maxBytes,
    onError: (err) => logger.warn({ err }, 'function logs could not be written'),
  });
}

/** Spec keys whose scopes are kept: beyond it the cache is dropped and refilled. */
const SCOPE_CACHE_SIZE = 10_000;

export function functionLogSink(store: SqliteLogStore): (entry: FunctionLogEntry) => void {
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

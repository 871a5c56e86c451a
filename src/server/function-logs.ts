/**
 * Function logs, composed: the log store under the data dir, and the pool's
 * `onFunctionLog` entries turned into its input. An entry's scope (account, region, SCF
 * namespace) is read off its spec key, `<account>/<region>/<namespace>/<name>/<version>@…`
 * (core/invoke/environment-spec.ts).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { FunctionLogEntry } from '../pool/index.js';
import { SqliteLogStore } from '../store/logs/sqlite-log-store.js';

export function openFunctionLogs(dataDir: string, maxBytes: number, logger: Logger): SqliteLogStore {
  return new SqliteLogStore({
    file: path.join(dataDir, 'logs.db'),
    maxBytes,
    onError: (err) => logger.warn({ err }, 'function logs could not be written'),
  });
}

export function functionLogSink(store: SqliteLogStore): (entry: FunctionLogEntry) => void {
  return (entry) => {
    const [accountId, region, namespace] = entry.specKey.split('/', 3);
    if (accountId === undefined || region === undefined || namespace === undefined) {
      return;
    }
    store.append({
      scope: { accountId, region, namespace },
      group: entry.logGroup,
      stream: entry.logStream,
      functionName: entry.functionName,
      text: entry.text,
    });
  };
}

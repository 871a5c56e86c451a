/**
 * The log writer's thread (log-writer-link.ts): one connection to logs.db, batches and
 * calls answered in the order they arrive. `close` ends the thread after everything before
 * it is written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLogDb } from './log-db.js';
import type { WriteBatch } from './log-ingest.js';
import { LogPersister } from './log-persister.js';
import { runCall, type WriterCall, type WriterConfig } from './log-writer-link.js';

type Message =
  | { readonly batch: WriteBatch }
  | { readonly id: number; readonly call: WriterCall }
  | { readonly close: true };

const port = parentPort;
if (port !== null) {
  const config = workerData as WriterConfig;
  const db = openLogDb(config.file);
  const persister = new LogPersister(db, { maxBytes: config.maxBytes, now: Date.now });
  port.on('message', (m: Message) => {
    if ('batch' in m) {
      try {
        persister.write(m.batch);
      } catch (e) {
        port.postMessage({ writeError: e instanceof Error ? e.message : String(e) });
      }
    } else if ('call' in m) {
      try {
        port.postMessage({ id: m.id, result: runCall(persister, m.call) });
      } catch (e) {
        port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
      }
    } else {
      db.close();
      port.close();
    }
  });
}

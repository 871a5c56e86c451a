/**
 * The PostgreSQL log writer's thread (pg-log-writer-link.ts): its own connections,
 * batches and calls taken in the order they arrive. `close` ends the thread after
 * everything before it is written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WriteBatch } from './log-ingest.js';
import { openPgWriter, runPgCall, type PgWriterCall, type PgWriterConfig } from './pg-log-writer-link.js';

type Message =
  | { readonly batch: WriteBatch }
  | { readonly id: number; readonly call: PgWriterCall }
  | { readonly close: true };

const port = parentPort;
if (port !== null) {
  const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const writer = openPgWriter(workerData as PgWriterConfig, Date.now, (e) =>
    port.postMessage({ writeError: errorText(e) }),
  );
  port.on('message', (m: Message) => {
    if ('batch' in m) {
      writer.write(m.batch);
    } else if ('call' in m) {
      runPgCall(writer, m.call).then(
        (result) => port.postMessage({ id: m.id, result }),
        (e: unknown) => port.postMessage({ id: m.id, error: errorText(e) }),
      );
    } else {
      writer
        .close()
        .catch((e: unknown) => port.postMessage({ writeError: errorText(e) }))
        .finally(() => port.close());
    }
  });
}

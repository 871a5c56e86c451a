/**
 * The AsyncEventStore in Maps: core's default when the composition root gives no durable
 * one (unit tests), and the reference the SQLite store is held to (both run
 * `src/store/async-event-store.contract.ts`). Nothing survives the process.
 */
import { PlatformError } from '../errors.js';
import { functionKeyString, type FunctionKey } from '../model.js';
import type {
  AsyncEventFilter,
  AsyncEventRecord,
  AsyncEventStatus,
  AsyncEventStore,
  AsyncEventSummary,
  EventInvokeConfigRecord,
} from '../ports.js';

interface Row {
  record: AsyncEventRecord;
  status: AsyncEventStatus;
  endMs?: number;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function summaryOf(
  record: AsyncEventRecord,
  status: AsyncEventStatus,
  endMs?: number,
): AsyncEventSummary {
  return {
    requestId: record.requestId,
    key: record.key,
    version: record.version,
    ...(record.qualifier === undefined ? {} : { qualifier: record.qualifier }),
    status,
    enqueuedMs: record.enqueuedMs,
    ...(endMs === undefined ? {} : { endMs }),
    attempts: record.attempts,
  };
}

interface Shared {
  readonly events: Map<string, Row>;
  readonly configs: Map<string, Map<string, EventInvokeConfigRecord>>;
  /** Events added through any open of this data (claimDue's candidates are stale when it moves). */
  readonly adds: { n: number };
}

export class MemoryAsyncEventStore implements AsyncEventStore {
  readonly #shared: Shared;
  readonly #events: Map<string, Row>;
  readonly #configs: Map<string, Map<string, EventInvokeConfigRecord>>;
  /** Pending events this (only) owner holds: added here, or claimed. */
  readonly #held = new Set<string>();
  /**
   * claimDue's candidates: the pending events this open did not hold when they were
   * gathered, oldest first, taken from `#candidatePos` on; gathered again only once another
   * open added an event (nothing else makes an event claimable here). Each event is sorted
   * once per gathering instead of every pending event at every claim.
   */
  #candidates: string[] = [];
  #candidatePos = 0;
  #candidatesAt = -1;
  /** Of `adds`, those made through this open (held already, never candidates here). */
  #ownAdds = 0;
  #closed = false;

  constructor(shared: Shared = { events: new Map(), configs: new Map(), adds: { n: 0 } }) {
    this.#shared = shared;
    this.#events = shared.events;
    this.#configs = shared.configs;
  }

  /** A new open of the same data, as after a restart: it holds nothing yet. */
  reopened(): MemoryAsyncEventStore {
    return new MemoryAsyncEventStore(this.#shared);
  }

  #run<T>(work: () => T): Promise<T> {
    try {
      if (this.#closed) {
        throw new PlatformError('INTERNAL', { reason: 'store is closed' });
      }
      return Promise.resolve(work());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #pending(requestId: string): Row | undefined {
    const row = this.#events.get(requestId);
    return row?.status === 'pending' ? row : undefined;
  }

  add(event: AsyncEventRecord): Promise<void> {
    return this.#run(() => {
      if (this.#events.has(event.requestId)) {
        throw new PlatformError('INTERNAL', { reason: `duplicate async event ${event.requestId}` });
      }
      this.#events.set(event.requestId, {
        record: { ...event, payload: Buffer.from(event.payload) },
        status: 'pending',
      });
      this.#held.add(event.requestId);
      this.#shared.adds.n++;
      this.#ownAdds++;
    });
  }

  claimDue(limit: number): Promise<AsyncEventRecord[]> {
    return this.#run(() => {
      const due: AsyncEventRecord[] = [];
      if (this.#candidatesAt !== this.#shared.adds.n - this.#ownAdds) {
        this.#gatherCandidates();
      }
      while (due.length < limit && this.#candidatePos < this.#candidates.length) {
        const id = this.#candidates[this.#candidatePos++];
        const row = id === undefined ? undefined : this.#pending(id);
        if (id !== undefined && row !== undefined && !this.#held.has(id)) {
          this.#held.add(id);
          due.push(row.record);
        }
      }
      return due;
    });
  }

  #gatherCandidates(): void {
    const rows: AsyncEventRecord[] = [];
    for (const r of this.#events.values()) {
      if (r.status === 'pending' && !this.#held.has(r.record.requestId)) {
        rows.push(r.record);
      }
    }
    rows.sort((a, b) => a.enqueuedMs - b.enqueuedMs || byString(a.requestId, b.requestId));
    this.#candidates = rows.map((r) => r.requestId);
    this.#candidatePos = 0;
    this.#candidatesAt = this.#shared.adds.n - this.#ownAdds;
  }

  renewClaims(): Promise<number> {
    return this.#run(() => this.#held.size);
  }

  reschedule(requestId: string, attempts: number, throttles: number, notBeforeMs: number): Promise<void> {
    return this.#run(() => {
      const row = this.#pending(requestId);
      if (row !== undefined) {
        row.record = { ...row.record, attempts, throttles, notBeforeMs };
      }
    });
  }

  finish(
    requestId: string,
    status: Exclude<AsyncEventStatus, 'pending'>,
    endMs: number,
    attempts: number,
  ): Promise<void> {
    return this.#run(() => {
      const row = this.#pending(requestId);
      if (row !== undefined) {
        this.#held.delete(requestId);
        row.status = status;
        row.endMs = endMs;
        row.record = { ...row.record, attempts, payload: Buffer.alloc(0) };
      }
    });
  }

  listPending(): Promise<AsyncEventRecord[]> {
    return this.#run(() =>
      [...this.#events.values()]
        .filter((r) => r.status === 'pending')
        .map((r) => r.record)
        .sort((a, b) => a.enqueuedMs - b.enqueuedMs || byString(a.requestId, b.requestId)),
    );
  }

  get(key: FunctionKey, requestId: string): Promise<AsyncEventSummary | undefined> {
    return this.#run(() => {
      const row = this.#events.get(requestId);
      if (row === undefined || functionKeyString(row.record.key) !== functionKeyString(key)) {
        return undefined;
      }
      return summaryOf(row.record, row.status, row.endMs);
    });
  }

  find(requestId: string): Promise<AsyncEventSummary | undefined> {
    return this.#run(() => {
      const row = this.#events.get(requestId);
      return row === undefined ? undefined : summaryOf(row.record, row.status, row.endMs);
    });
  }

  list(key: FunctionKey, f: AsyncEventFilter): Promise<{ events: AsyncEventSummary[]; total: number }> {
    return this.#run(() => {
      const fk = functionKeyString(key);
      const matching = [...this.#events.values()]
        .filter(
          (r) =>
            functionKeyString(r.record.key) === fk &&
            (f.qualifier === undefined || r.record.qualifier === f.qualifier) &&
            (f.statuses === undefined || f.statuses.includes(r.status)) &&
            (f.requestId === undefined || r.record.requestId === f.requestId) &&
            (f.fromMs === undefined || r.record.enqueuedMs >= f.fromMs) &&
            (f.toMs === undefined || r.record.enqueuedMs < f.toMs),
        )
        .sort((a, b) => {
          const d =
            a.record.enqueuedMs - b.record.enqueuedMs || byString(a.record.requestId, b.record.requestId);
          return f.order === 'asc' ? d : -d;
        });
      const offset = f.offset ?? 0;
      const page = matching.slice(offset, f.limit === undefined ? undefined : offset + f.limit);
      return { events: page.map((r) => summaryOf(r.record, r.status, r.endMs)), total: matching.length };
    });
  }

  pruneSettled(beforeMs: number): Promise<number> {
    return this.#run(() => {
      let n = 0;
      for (const [id, row] of this.#events) {
        if (row.status !== 'pending' && row.endMs !== undefined && row.endMs < beforeMs) {
          this.#events.delete(id);
          n++;
        }
      }
      return n;
    });
  }

  getConfig(key: FunctionKey, qualifier: string): Promise<EventInvokeConfigRecord | undefined> {
    return this.#run(() => this.#configs.get(functionKeyString(key))?.get(qualifier));
  }

  listConfigs(key: FunctionKey): Promise<EventInvokeConfigRecord[]> {
    return this.#run(() =>
      [...(this.#configs.get(functionKeyString(key))?.values() ?? [])].sort((a, b) =>
        byString(a.qualifier, b.qualifier),
      ),
    );
  }

  putConfig(key: FunctionKey, config: EventInvokeConfigRecord): Promise<void> {
    return this.#run(() => {
      const fk = functionKeyString(key);
      let m = this.#configs.get(fk);
      if (m === undefined) {
        m = new Map();
        this.#configs.set(fk, m);
      }
      // A JSON round trip: the same shape the SQLite store hands back.
      m.set(config.qualifier, JSON.parse(JSON.stringify(config)) as EventInvokeConfigRecord);
    });
  }

  deleteConfigs(key: FunctionKey, qualifier?: string): Promise<void> {
    return this.#run(() => {
      const fk = functionKeyString(key);
      if (qualifier === undefined) {
        this.#configs.delete(fk);
      } else {
        this.#configs.get(fk)?.delete(qualifier);
      }
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

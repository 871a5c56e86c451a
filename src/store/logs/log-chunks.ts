/**
 * logs.db keeps a stream's events in chunks: one row holds consecutive lines of one stream
 * from one write batch, their messages joined by '\n' (a message never holds one: lines
 * are split on it, line-splitter.ts) and their times as offsets from the chunk's first.
 * A quiet invocation's four lines (START, its output, END, REPORT) are one row instead
 * of four, each with two index entries: `node bench/log-stores.mjs` prints the difference.
 *
 * Events keep their own ids: a chunk's row id is its first event's id and its events are
 * `id … id + lines - 1`, so paging positions, GetLogEvents' tokens and the invocations'
 * first and last event ids mean what they meant when every event had a row.
 */
import type { EventPosition } from '../../core/logs/log-port.js';
import type { EventRow } from './log-rows.js';

/** Lines per chunk. */
export const MAX_CHUNK_LINES = 1000;
/** Message bytes per chunk (one event alone may be up to 256 KB). */
export const MAX_CHUNK_BYTES = 1 << 20;
/**
 * Newest minus oldest timestamp in a chunk: a reader in time order looks this far before
 * where it starts. Never lower it (chunks written under a larger bound would be missed).
 */
export const MAX_CHUNK_SPAN_MS = 2000;

export interface ChunkRow {
  id: number;
  stream: string;
  min_ms: number;
  ingest_ms: number;
  lines: number;
  /** Each event's milliseconds after `min_ms`, comma-separated; '' when all are at `min_ms`. */
  times: string;
  messages: string;
}

/** A chunk's events, oldest id first. */
export function chunkEvents(r: ChunkRow): EventRow[] {
  const messages = r.lines === 1 ? [r.messages] : r.messages.split('\n');
  const offsets = r.times === '' ? undefined : r.times.split(',');
  return messages.map((message, i) => ({
    id: r.id + i,
    stream: r.stream,
    ts_ms: r.min_ms + (offsets === undefined ? 0 : Number(offsets[i] ?? 0)),
    ingest_ms: r.ingest_ms,
    message,
  }));
}

/** A chunk being filled from a batch's lines of one stream. */
export class PendingChunk {
  readonly times: number[] = [];
  readonly messages: string[] = [];
  minMs: number;
  maxMs: number;
  bytes = 0;

  constructor(firstMs: number) {
    this.minMs = firstMs;
    this.maxMs = firstMs;
  }

  /** Whether a line at `ms` of `bytes` still belongs in this chunk. */
  fits(ms: number, bytes: number): boolean {
    return (
      this.messages.length < MAX_CHUNK_LINES &&
      this.bytes + bytes <= MAX_CHUNK_BYTES &&
      Math.max(this.maxMs, ms) - Math.min(this.minMs, ms) <= MAX_CHUNK_SPAN_MS
    );
  }

  add(ms: number, message: string, bytes: number): void {
    this.times.push(ms);
    this.messages.push(message);
    this.bytes += bytes;
    this.minMs = Math.min(this.minMs, ms);
    this.maxMs = Math.max(this.maxMs, ms);
  }

  /** The `times` column. */
  encodedTimes(): string {
    if (this.minMs === this.maxMs) {
      return '';
    }
    return this.times.map((t) => t - this.minMs).join(',');
  }
}

/** A min-heap of events in (timestamp, id) order. */
class EventHeap {
  readonly #a: EventRow[] = [];

  get size(): number {
    return this.#a.length;
  }

  peek(): EventRow | undefined {
    return this.#a[0];
  }

  push(e: EventRow): void {
    const a = this.#a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, a[p] as EventRow)) {
        break;
      }
      a[i] = a[p] as EventRow;
      i = p;
    }
    a[i] = e;
  }

  pop(): EventRow | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) {
      return top;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) {
        break;
      }
      const r = l + 1;
      const c = r < a.length && before(a[r] as EventRow, a[l] as EventRow) ? r : l;
      if (!before(a[c] as EventRow, last)) {
        break;
      }
      a[i] = a[c] as EventRow;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const before = (x: EventRow, y: EventRow): boolean =>
  x.ts_ms < y.ts_ms || (x.ts_ms === y.ts_ms && x.id < y.id);

/** Chunks in (min_ms, id) order after a position, `n` at most. */
export type ChunkPage = (after: { readonly minMs: number; readonly id: number }, n: number) => ChunkRow[];

/** Chunks a reader takes per statement. */
export const CHUNKS_PER_READ = 64;

/**
 * A group's events in (timestamp, id) order after `after`, within [startMs, endMs), from its
 * chunks read in (first timestamp, id) order: an event is handed out once no chunk not yet
 * read can hold an earlier one. A chunk starting more than MAX_CHUNK_SPAN_MS before
 * `after` or `startMs` holds nothing wanted, so the read starts there.
 */
export function chunkCursor(
  page: ChunkPage,
  after: EventPosition,
  startMs: number,
  endMs: number,
): () => EventRow | undefined {
  const heap = new EventHeap();
  let read = { minMs: lowestMs(after, startMs), id: -1 };
  /** No unread chunk starts before this. */
  let safeBelow = Number.NEGATIVE_INFINITY;
  const wanted = (e: EventRow) =>
    e.ts_ms >= startMs &&
    e.ts_ms < endMs &&
    (e.ts_ms > after.timestampMs || (e.ts_ms === after.timestampMs && e.id > after.id));
  return () => {
    for (;;) {
      const top = heap.peek();
      if (top !== undefined && top.ts_ms < safeBelow) {
        return heap.pop();
      }
      if (safeBelow === Number.POSITIVE_INFINITY) {
        return undefined;
      }
      const rows = page(read, CHUNKS_PER_READ);
      for (const r of rows) {
        for (const e of chunkEvents(r)) {
          if (wanted(e)) {
            heap.push(e);
          }
        }
      }
      const last = rows.at(-1);
      if (rows.length < CHUNKS_PER_READ || last === undefined) {
        safeBelow = Number.POSITIVE_INFINITY;
      } else {
        read = { minMs: last.min_ms, id: last.id };
        safeBelow = last.min_ms;
      }
    }
  };
}

function lowestMs(after: EventPosition, startMs: number): number {
  return Math.max(after.timestampMs, startMs) - MAX_CHUNK_SPAN_MS;
}

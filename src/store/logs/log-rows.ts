/**
 * The rows both log stores read (SQLite's logs.db and PostgreSQL's hearth_log_* tables have
 * the same columns), their mapping onto core's shapes, and the paging rules that must not
 * differ between the two: `next` positions of listings and FilterLogEvents' scan.
 */
import type {
  EventPosition,
  FilterQuery,
  InvocationRecord,
  LogEvent,
  LogGroupInfo,
  LogStreamInfo,
  Page,
  StreamPosition,
} from '../../core/logs/log-port.js';

export interface GroupRow {
  id: number;
  name: string;
  created_ms: number;
  retention_days: number | null;
  stored_bytes: number;
}
export interface StreamRow {
  id: number;
  name: string;
  created_ms: number;
  first_event_ms: number | null;
  last_event_ms: number | null;
  last_ingestion_ms: number | null;
  stored_bytes: number;
}
export interface EventRow {
  id: number;
  stream: string;
  ts_ms: number;
  ingest_ms: number;
  message: string;
}
export interface InvocationRow {
  stream_id: number;
  stream: string;
  request_id: string;
  function_name: string;
  version: string;
  start_ms: number;
  first_event_id: number;
  last_event_id: number;
  duration_ms: number;
  billed_ms: number;
  memory_mb: number;
  max_memory_mb: number;
  status: 'success' | 'timeout' | 'error';
  error_type: string | null;
}

export const groupInfo = (r: GroupRow): LogGroupInfo => ({
  name: r.name,
  createdMs: r.created_ms,
  retentionDays: r.retention_days ?? undefined,
  storedBytes: r.stored_bytes,
});
export const streamInfo = (r: StreamRow): LogStreamInfo => ({
  name: r.name,
  createdMs: r.created_ms,
  firstEventMs: r.first_event_ms ?? undefined,
  lastEventMs: r.last_event_ms ?? undefined,
  lastIngestionMs: r.last_ingestion_ms ?? undefined,
  storedBytes: r.stored_bytes,
});
export const eventOf = (r: EventRow): LogEvent => ({
  id: r.id,
  streamName: r.stream,
  timestampMs: r.ts_ms,
  ingestionMs: r.ingest_ms,
  message: r.message,
});
export const invocationOf = (r: InvocationRow, log: string): InvocationRecord => ({
  requestId: r.request_id,
  functionName: r.function_name,
  version: r.version,
  streamName: r.stream,
  startMs: r.start_ms,
  durationMs: r.duration_ms,
  billedMs: r.billed_ms,
  memoryMb: r.memory_mb,
  maxMemoryUsedMb: r.max_memory_mb,
  status: r.status,
  errorType: r.error_type ?? undefined,
  log,
});

/** A page of groups from `limit + 1` rows: the next page starts after the last name shown. */
export function groupPage(rows: readonly GroupRow[], limit: number): Page<LogGroupInfo, string> {
  const items = rows.slice(0, limit).map(groupInfo);
  return { items, next: rows.length > limit ? items.at(-1)?.name : undefined };
}

/** A page of streams from `limit + 1` rows. */
export function streamPage(rows: readonly StreamRow[], limit: number): Page<LogStreamInfo, StreamPosition> {
  const items = rows.slice(0, limit).map(streamInfo);
  const last = items.at(-1);
  return {
    items,
    next:
      rows.length > limit && last !== undefined
        ? { name: last.name, lastEventMs: last.lastEventMs ?? 0 }
        : undefined,
  };
}

/** Events are read in pages of this many while a filter scans. */
export const SCAN_CHUNK = 500;

/** A group's events in (timestamp, id) order after a position, one at a time. */
export type EventCursor = () => Promise<EventRow | undefined>;

/** An EventCursor over `page(pos, n)`, which gives the next `n` events after `pos`. */
export function pagedCursor(
  after: EventPosition,
  page: (pos: EventPosition, n: number) => Promise<readonly EventRow[]>,
): EventCursor {
  let rows: readonly EventRow[] = [];
  let i = 0;
  let pos = after;
  let more = true;
  return async () => {
    if (i === rows.length) {
      if (!more) {
        return undefined;
      }
      rows = await page(pos, SCAN_CHUNK);
      i = 0;
      more = rows.length === SCAN_CHUNK;
    }
    const r = rows[i++];
    if (r !== undefined) {
      pos = { timestampMs: r.ts_ms, id: r.id };
    }
    return r;
  };
}

/** Where a filter starts when the query names no position. */
export const filterStart = (q: FilterQuery): EventPosition => q.after ?? { timestampMs: -1, id: 0 };

/**
 * FilterLogEvents' scan over a group in (timestamp, id) order, from `next`, which starts
 * after `filterStart(q)`. Stops at `limit` matches or `scanLimit` events looked at; `next`
 * is where the scan stopped when events remain after it.
 */
export async function scanFilter(
  q: FilterQuery,
  next: EventCursor,
): Promise<{ readonly events: readonly LogEvent[]; readonly next: EventPosition | undefined }> {
  const events: LogEvent[] = [];
  let pos: EventPosition = filterStart(q);
  let scanned = 0;
  for (;;) {
    if (events.length === q.limit || scanned >= q.scanLimit) {
      return { events, next: (await next()) === undefined ? undefined : pos };
    }
    const r = await next();
    if (r === undefined) {
      return { events, next: undefined };
    }
    scanned++;
    pos = { timestampMs: r.ts_ms, id: r.id };
    if (q.matches(r.message)) {
      events.push(eventOf(r));
    }
  }
}

/**
 * The function log store on its own SQLite file (`<data dir>/logs.db`, WAL): the LogStore
 * port of core/logs for the dialects, `append` for the pool's output (log-writer.ts), and
 * housekeeping that keeps the data dir bounded: each group's retention, then a size cap
 * across all groups that removes the oldest events first.
 */
import Database from 'better-sqlite3';
import type {
  EventPosition,
  FilterQuery,
  GroupQuery,
  InvocationQuery,
  InvocationRecord,
  LogEvent,
  LogGroupInfo,
  LogScope,
  LogStore,
  LogStreamInfo,
  Page,
  StreamPosition,
  StreamQuery,
  StreamReadQuery,
} from '../../core/logs/log-port.js';
import { logMigrations } from './log-migrations.js';
import { LogWriter, type FunctionLogInput } from './log-writer.js';

export type { FunctionLogInput } from './log-writer.js';

export interface LogStoreOptions {
  readonly file: string;
  /** Stored message bytes above which the oldest events are removed (to 90 % of it). */
  readonly maxBytes: number;
  readonly flushIntervalMs?: number;
  readonly partialFlushMs?: number;
  readonly maxPendingEvents?: number;
  /** Retention and cap run this often (and at open). */
  readonly housekeepingIntervalMs?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

const DAY_MS = 86_400_000;
const SCAN_CHUNK = 500;

interface GroupRow {
  id: number;
  name: string;
  created_ms: number;
  retention_days: number | null;
  stored_bytes: number;
}
interface StreamRow {
  id: number;
  name: string;
  created_ms: number;
  first_event_ms: number | null;
  last_event_ms: number | null;
  last_ingestion_ms: number | null;
  stored_bytes: number;
}
interface EventRow {
  id: number;
  stream: string;
  ts_ms: number;
  ingest_ms: number;
  message: string;
}

const groupInfo = (r: GroupRow): LogGroupInfo => ({
  name: r.name,
  createdMs: r.created_ms,
  retentionDays: r.retention_days ?? undefined,
  storedBytes: r.stored_bytes,
});
const streamInfo = (r: StreamRow): LogStreamInfo => ({
  name: r.name,
  createdMs: r.created_ms,
  firstEventMs: r.first_event_ms ?? undefined,
  lastEventMs: r.last_event_ms ?? undefined,
  lastIngestionMs: r.last_ingestion_ms ?? undefined,
  storedBytes: r.stored_bytes,
});
const eventOf = (r: EventRow): LogEvent => ({
  id: r.id,
  streamName: r.stream,
  timestampMs: r.ts_ms,
  ingestionMs: r.ingest_ms,
  message: r.message,
});

export class SqliteLogStore implements LogStore {
  readonly #db: Database.Database;
  readonly #writer: LogWriter;
  readonly #o: LogStoreOptions;
  readonly #now: () => number;
  #totalBytes: number;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: LogStoreOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    const db = new Database(o.file);
    try {
      db.pragma('journal_mode = WAL');
      // OFF: a committed batch survives a killed process (the OS holds its pages), not an
      // OS crash or power cut [DESIGN]. NORMAL fsyncs at every WAL checkpoint, which
      // stalled the event loop under load (bench/logs.mjs: req/s 0.62 → 0.83 of no store).
      db.pragma('synchronous = OFF');
      db.pragma('locking_mode = EXCLUSIVE');
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    this.#db = db;
    this.#totalBytes = (
      db.prepare('SELECT COALESCE(SUM(stored_bytes), 0) AS n FROM log_groups').get() as { n: number }
    ).n;
    const onError = o.onError ?? (() => undefined);
    this.#writer = new LogWriter(db, {
      flushIntervalMs: o.flushIntervalMs ?? 100,
      partialFlushMs: o.partialFlushMs ?? 1000,
      maxPendingEvents: o.maxPendingEvents ?? 5000,
      now: this.#now,
      onWritten: (bytes) => {
        this.#totalBytes += bytes;
        if (this.#totalBytes > this.#o.maxBytes) {
          this.#enforceCap();
        }
      },
      onError,
    });
    this.housekeep();
    const every = o.housekeepingIntervalMs ?? 60_000;
    this.#sweeper = setInterval(() => {
      try {
        this.housekeep();
      } catch (e) {
        onError(e);
      }
    }, every);
    this.#sweeper.unref();
  }

  /** The pool's sink: queues, never blocks on I/O. */
  append(input: FunctionLogInput): void {
    if (!this.#closed) {
      this.#writer.append(input);
    }
  }

  /** Writes what is queued (partial lines stay pending). */
  flush(): void {
    this.#writer.flush();
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  #groupRow(scope: LogScope, name: string): GroupRow | undefined {
    this.#writer.flush();
    return this.#db
      .prepare<[string, string, string, string], GroupRow>(
        `SELECT id, name, created_ms, retention_days, stored_bytes FROM log_groups
          WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?`,
      )
      .get(scope.accountId, scope.region, scope.namespace, name);
  }

  listGroups(scope: LogScope, q: GroupQuery): Promise<Page<LogGroupInfo, string>> {
    this.#writer.flush();
    const where = ['account_id = ?', 'region = ?', 'namespace = ?'];
    const args: (string | number)[] = [scope.accountId, scope.region, scope.namespace];
    if (q.prefix !== undefined) {
      where.push('substr(name, 1, ?) = ?');
      args.push(q.prefix.length, q.prefix);
    }
    if (q.contains !== undefined && q.contains !== '') {
      where.push('instr(lower(name), lower(?)) > 0');
      args.push(q.contains);
    }
    if (q.afterName !== undefined) {
      where.push('name > ?');
      args.push(q.afterName);
    }
    const rows = this.#db
      .prepare<(string | number)[], GroupRow>(
        `SELECT id, name, created_ms, retention_days, stored_bytes FROM log_groups
          WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`,
      )
      .all(...args, q.limit + 1);
    const items = rows.slice(0, q.limit).map(groupInfo);
    return Promise.resolve({ items, next: rows.length > q.limit ? items.at(-1)?.name : undefined });
  }

  getGroup(scope: LogScope, name: string): Promise<LogGroupInfo | undefined> {
    const r = this.#groupRow(scope, name);
    return Promise.resolve(r === undefined ? undefined : groupInfo(r));
  }

  listStreams(
    scope: LogScope,
    group: string,
    q: StreamQuery,
  ): Promise<Page<LogStreamInfo, StreamPosition> | undefined> {
    const g = this.#groupRow(scope, group);
    if (g === undefined) {
      return Promise.resolve(undefined);
    }
    const where = ['group_id = ?'];
    const args: (string | number)[] = [g.id];
    if (q.prefix !== undefined) {
      where.push('substr(name, 1, ?) = ?');
      args.push(q.prefix.length, q.prefix);
    }
    const dir = q.descending ? 'DESC' : 'ASC';
    if (q.after !== undefined) {
      const cmp = q.descending ? '<' : '>';
      if (q.orderBy === 'name') {
        where.push(`name ${cmp} ?`);
        args.push(q.after.name);
      } else {
        where.push(`(COALESCE(last_event_ms, 0), name) ${cmp} (?, ?)`);
        args.push(q.after.lastEventMs, q.after.name);
      }
    }
    const order = q.orderBy === 'name' ? `name ${dir}` : `COALESCE(last_event_ms, 0) ${dir}, name ${dir}`;
    const rows = this.#db
      .prepare<(string | number)[], StreamRow>(
        `SELECT id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes
           FROM log_streams WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
      )
      .all(...args, q.limit + 1);
    const items = rows.slice(0, q.limit).map(streamInfo);
    const last = items.at(-1);
    return Promise.resolve({
      items,
      next:
        rows.length > q.limit && last !== undefined
          ? { name: last.name, lastEventMs: last.lastEventMs ?? 0 }
          : undefined,
    });
  }

  #streamRow(groupId: number, name: string): StreamRow | undefined {
    return this.#db
      .prepare<[number, string], StreamRow>(
        `SELECT id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes
           FROM log_streams WHERE group_id = ? AND name = ?`,
      )
      .get(groupId, name);
  }

  getStream(scope: LogScope, group: string, stream: string): Promise<LogStreamInfo | undefined> {
    const g = this.#groupRow(scope, group);
    const s = g === undefined ? undefined : this.#streamRow(g.id, stream);
    return Promise.resolve(s === undefined ? undefined : streamInfo(s));
  }

  readStream(
    scope: LogScope,
    group: string,
    stream: string,
    q: StreamReadQuery,
  ): Promise<readonly LogEvent[]> {
    const g = this.#groupRow(scope, group);
    const s = g === undefined ? undefined : this.#streamRow(g.id, stream);
    if (s === undefined) {
      return Promise.resolve([]);
    }
    const where = ['e.stream_id = ?', 'e.ts_ms >= ?', 'e.ts_ms < ?'];
    const args: number[] = [s.id, q.startMs ?? 0, q.endMs ?? Number.MAX_SAFE_INTEGER];
    const backward = q.afterId === undefined;
    if (q.afterId !== undefined) {
      where.push('e.id > ?');
      args.push(q.afterId);
    } else if (q.beforeId !== undefined) {
      where.push('e.id < ?');
      args.push(q.beforeId);
    }
    const rows = this.#db
      .prepare<number[], EventRow>(
        `SELECT e.id, '' AS stream, e.ts_ms, e.ingest_ms, e.message FROM log_events e
          WHERE ${where.join(' AND ')} ORDER BY e.id ${backward ? 'DESC' : 'ASC'} LIMIT ?`,
      )
      .all(...args, q.limit);
    const events = rows.map((r) => ({ ...eventOf(r), streamName: s.name }));
    return Promise.resolve(backward ? events.reverse() : events);
  }

  filter(
    scope: LogScope,
    group: string,
    q: FilterQuery,
  ): Promise<{ readonly events: readonly LogEvent[]; readonly next: EventPosition | undefined } | undefined> {
    const g = this.#groupRow(scope, group);
    if (g === undefined) {
      return Promise.resolve(undefined);
    }
    const where = ['e.group_id = ?', 'e.ts_ms >= ?', 'e.ts_ms < ?'];
    const args: (string | number)[] = [g.id, q.startMs ?? 0, q.endMs ?? Number.MAX_SAFE_INTEGER];
    if (q.streamNames !== undefined) {
      where.push(`s.name IN (${q.streamNames.map(() => '?').join(', ')})`);
      args.push(...q.streamNames);
    }
    if (q.streamPrefix !== undefined) {
      where.push('substr(s.name, 1, ?) = ?');
      args.push(q.streamPrefix.length, q.streamPrefix);
    }
    const page = this.#db.prepare<(string | number)[], EventRow>(
      `SELECT e.id, s.name AS stream, e.ts_ms, e.ingest_ms, e.message
         FROM log_events e JOIN log_streams s ON s.id = e.stream_id
        WHERE ${where.join(' AND ')} AND (e.ts_ms, e.id) > (?, ?)
        ORDER BY e.ts_ms, e.id LIMIT ?`,
    );
    const events: LogEvent[] = [];
    let pos: EventPosition = q.after ?? { timestampMs: -1, id: 0 };
    let scanned = 0;
    let more = true;
    while (events.length < q.limit && scanned < q.scanLimit && more) {
      const rows = page.all(...args, pos.timestampMs, pos.id, SCAN_CHUNK);
      more = rows.length === SCAN_CHUNK;
      for (const r of rows) {
        scanned++;
        pos = { timestampMs: r.ts_ms, id: r.id };
        if (q.matches(r.message)) {
          events.push(eventOf(r));
          if (events.length === q.limit) {
            more = page.all(...args, pos.timestampMs, pos.id, 1).length > 0;
            break;
          }
        }
        if (scanned >= q.scanLimit) {
          more = page.all(...args, pos.timestampMs, pos.id, 1).length > 0;
          break;
        }
      }
    }
    return Promise.resolve({ events, next: more ? pos : undefined });
  }

  deleteGroup(scope: LogScope, name: string): Promise<boolean> {
    const g = this.#groupRow(scope, name);
    if (g === undefined) {
      return Promise.resolve(false);
    }
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM log_events WHERE group_id = ?').run(g.id);
      this.#db.prepare('DELETE FROM log_invocations WHERE group_id = ?').run(g.id);
      this.#db.prepare('DELETE FROM log_streams WHERE group_id = ?').run(g.id);
      this.#db.prepare('DELETE FROM log_groups WHERE id = ?').run(g.id);
    })();
    this.#totalBytes -= g.stored_bytes;
    this.#writer.forgetIds();
    return Promise.resolve(true);
  }

  setRetention(scope: LogScope, name: string, days: number | undefined): Promise<boolean> {
    const g = this.#groupRow(scope, name);
    if (g === undefined) {
      return Promise.resolve(false);
    }
    this.#db.prepare('UPDATE log_groups SET retention_days = ? WHERE id = ?').run(days ?? null, g.id);
    if (days !== undefined) {
      this.#expire(g.id, this.#now() - days * DAY_MS);
    }
    return Promise.resolve(true);
  }

  invocations(
    scope: LogScope,
    group: string,
    q: InvocationQuery,
  ): Promise<{ readonly total: number; readonly items: readonly InvocationRecord[] }> {
    const g = this.#groupRow(scope, group);
    if (g === undefined) {
      return Promise.resolve({ total: 0, items: [] });
    }
    const where = ['i.group_id = ?', 'i.function_name = ?'];
    const args: (string | number)[] = [g.id, q.functionName];
    const add = (sql: string, v: string | number | undefined) => {
      if (v !== undefined) {
        where.push(sql);
        args.push(v);
      }
    };
    add('i.version = ?', q.version);
    add('i.request_id = ?', q.requestId);
    add('i.start_ms >= ?', q.startMs);
    add('i.start_ms <= ?', q.endMs);
    if (q.status === 'success') {
      where.push("i.status = 'success'");
    } else if (q.status === 'failure') {
      where.push("i.status <> 'success'");
    } else if (q.status !== undefined) {
      add('i.status = ?', q.status);
    }
    const from = `FROM log_invocations i JOIN log_streams s ON s.id = i.stream_id WHERE ${where.join(' AND ')}`;
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...args) as { n: number }).n;
    const rows = this.#db
      .prepare<(string | number)[], InvocationRow>(
        `SELECT i.*, s.name AS stream ${from} ORDER BY i.start_ms ${q.descending ? 'DESC' : 'ASC'}, i.id LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset);
    const lines = this.#db.prepare<[number, number, number], { message: string }>(
      'SELECT message FROM log_events WHERE stream_id = ? AND id BETWEEN ? AND ? ORDER BY id',
    );
    const items = rows.map((r): InvocationRecord => ({
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
      log: lines
        .all(r.stream_id, r.first_event_id, r.last_event_id)
        .map((l) => l.message)
        .join('\n'),
    }));
    return Promise.resolve({ total, items });
  }

  /** Retention of every group, then the size cap. */
  housekeep(): void {
    this.#writer.flush();
    const groups = this.#db
      .prepare<[], { id: number; retention_days: number }>(
        'SELECT id, retention_days FROM log_groups WHERE retention_days IS NOT NULL',
      )
      .all();
    const now = this.#now();
    for (const g of groups) {
      this.#expire(g.id, now - g.retention_days * DAY_MS);
    }
    if (this.#totalBytes > this.#o.maxBytes) {
      this.#enforceCap();
    }
  }

  /** Removes a group's events older than `cutoffMs`. */
  #expire(groupId: number, cutoffMs: number): void {
    this.#remove('group_id = ? AND ts_ms < ?', [groupId, cutoffMs]);
    this.#db
      .prepare('DELETE FROM log_invocations WHERE group_id = ? AND start_ms < ?')
      .run(groupId, cutoffMs);
  }

  /** Oldest events first, across groups, until 90 % of the cap. */
  #enforceCap(): void {
    const target = Math.floor(this.#o.maxBytes * 0.9);
    const oldest = this.#db.prepare<[], { id: number; bytes: number }>(
      'SELECT id, bytes FROM log_events ORDER BY id LIMIT 2000',
    );
    while (this.#totalBytes > target) {
      const rows = oldest.all();
      if (rows.length === 0) {
        this.#totalBytes = 0;
        return;
      }
      let excess = this.#totalBytes - target;
      let upTo = 0;
      for (const r of rows) {
        upTo = r.id;
        excess -= r.bytes;
        if (excess <= 0) {
          break;
        }
      }
      this.#remove('id <= ?', [upTo]);
      this.#db.prepare('DELETE FROM log_invocations WHERE first_event_id <= ?').run(upTo);
    }
  }

  /** Deletes the events matching `where`, keeping stream, group and total byte counts true. */
  #remove(where: string, args: number[]): void {
    this.#db.transaction(() => {
      const sums = this.#db
        .prepare<number[], { group_id: number; stream_id: number; n: number }>(
          `SELECT group_id, stream_id, SUM(bytes) AS n FROM log_events WHERE ${where} GROUP BY group_id, stream_id`,
        )
        .all(...args);
      if (sums.length === 0) {
        return;
      }
      this.#db.prepare(`DELETE FROM log_events WHERE ${where}`).run(...args);
      const stream = this.#db.prepare('UPDATE log_streams SET stored_bytes = stored_bytes - ? WHERE id = ?');
      const group = this.#db.prepare('UPDATE log_groups SET stored_bytes = stored_bytes - ? WHERE id = ?');
      for (const s of sums) {
        stream.run(s.n, s.stream_id);
        group.run(s.n, s.group_id);
        this.#totalBytes -= s.n;
      }
    })();
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
    }
    try {
      this.#writer.close();
    } finally {
      this.#db.close();
    }
  }
}

interface InvocationRow {
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

function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  for (let i = applied; i < logMigrations.length; i++) {
    const m = logMigrations[i];
    if (m === undefined) {
      break;
    }
    db.transaction(() => {
      m(db);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

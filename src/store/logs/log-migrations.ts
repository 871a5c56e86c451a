/**
 * Schema of the log store's own SQLite file (`logs.db`), with its own `user_version`
 * sequence, independent of hearth.db's migrations (store/sqlite/migrations.ts): a log
 * flood never waits for the control plane's writer lock, and either schema can change
 * without the other. Append-only: never edit a shipped migration, add one.
 */
import type Database from 'better-sqlite3';

export const logMigrations: readonly ((db: Database.Database) => void)[] = [
  function initialLogSchema(db) {
    db.exec(`
      CREATE TABLE log_groups (
        id             INTEGER PRIMARY KEY,
        account_id     TEXT NOT NULL,
        region         TEXT NOT NULL,
        namespace      TEXT NOT NULL,
        name           TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        retention_days INTEGER,
        stored_bytes   INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account_id, region, namespace, name)
      );

      CREATE TABLE log_streams (
        id                INTEGER PRIMARY KEY,
        group_id          INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
        name              TEXT NOT NULL,
        created_ms        INTEGER NOT NULL,
        first_event_ms    INTEGER,
        last_event_ms     INTEGER,
        last_ingestion_ms INTEGER,
        stored_bytes      INTEGER NOT NULL DEFAULT 0,
        UNIQUE (group_id, name)
      );
      CREATE INDEX log_streams_by_time ON log_streams (group_id, last_event_ms, name);

      -- bytes: the message's UTF-8 length, kept so that deletions can adjust the totals.
      CREATE TABLE log_events (
        id           INTEGER PRIMARY KEY,
        group_id     INTEGER NOT NULL,
        stream_id    INTEGER NOT NULL,
        ts_ms        INTEGER NOT NULL,
        ingest_ms    INTEGER NOT NULL,
        bytes        INTEGER NOT NULL,
        message      TEXT NOT NULL
      );
      CREATE INDEX log_events_by_stream ON log_events (stream_id, id);
      CREATE INDEX log_events_by_group_time ON log_events (group_id, ts_ms, id);

      -- One row per invocation, from its START line to its REPORT line (SCF GetFunctionLogs).
      CREATE TABLE log_invocations (
        id              INTEGER PRIMARY KEY,
        group_id        INTEGER NOT NULL,
        stream_id       INTEGER NOT NULL,
        request_id      TEXT NOT NULL,
        function_name   TEXT NOT NULL,
        version         TEXT NOT NULL,
        start_ms        INTEGER NOT NULL,
        first_event_id  INTEGER NOT NULL,
        last_event_id   INTEGER NOT NULL,
        duration_ms     REAL NOT NULL,
        billed_ms       INTEGER NOT NULL,
        memory_mb       INTEGER NOT NULL,
        max_memory_mb   INTEGER NOT NULL,
        status          TEXT NOT NULL,
        error_type      TEXT
      );
      CREATE INDEX log_invocations_by_function ON log_invocations (group_id, function_name, start_ms);
      CREATE INDEX log_invocations_by_request ON log_invocations (request_id);
    `);
  },
  // Request ids are random UUIDs, so each invocation's entry in this index landed on a
  // random page, which every commit then wrote whole to the WAL: `node bench/log-stores.mjs
  // --a-root <main>` printed 8,978 → 3,448 bytes written per invocation without it. A lookup
  // by request id (SCF FunctionRequestId) always names the group and function too, so it
  // walks log_invocations_by_function instead (~6 ms per 50,000 invocations of the
  // function, one-off; less with a time range).
  function dropInvocationsByRequest(db) {
    db.exec('DROP INDEX IF EXISTS log_invocations_by_request');
  },
  // Events in chunks (log-chunks.ts): one row per stream per write batch instead of one per
  // line. Existing events become one-line chunks with their ids unchanged, so invocations'
  // event ids and paging positions handed out before stay valid.
  function eventsInChunks(db) {
    db.exec(`
      CREATE TABLE log_chunks (
        id         INTEGER PRIMARY KEY,
        group_id   INTEGER NOT NULL,
        stream_id  INTEGER NOT NULL,
        min_ms     INTEGER NOT NULL,
        max_ms     INTEGER NOT NULL,
        ingest_ms  INTEGER NOT NULL,
        lines      INTEGER NOT NULL,
        bytes      INTEGER NOT NULL,
        times      TEXT NOT NULL,
        messages   TEXT NOT NULL
      );
      INSERT INTO log_chunks (id, group_id, stream_id, min_ms, max_ms, ingest_ms, lines, bytes, times, messages)
        SELECT id, group_id, stream_id, ts_ms, ts_ms, ingest_ms, 1, bytes, '', message FROM log_events;
      DROP TABLE log_events;
      CREATE INDEX log_chunks_by_stream ON log_chunks (stream_id, id);
      CREATE INDEX log_chunks_by_group_time ON log_chunks (group_id, min_ms, id);
    `);
  },
];

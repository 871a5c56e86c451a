/**
 * The PostgreSQL log store's tables (postgres-log-store.ts), beside the main store's in the
 * shared database, with their own migration count (`hearth_logs_schema`): the same shape
 * as logs.db's (log-migrations.ts) in PostgreSQL's types. Names are `COLLATE "C"`, so that
 * listings and paging positions compare bytes, as SQLite's (and CloudWatch Logs') do,
 * whatever the database's collation. Event ids come from one sequence: positions are
 * global across the nodes that share the database. Append-only: never edit a shipped
 * migration, add one.
 */
import type { PgMigration } from '../postgres/migrations.js';

export const pgLogMigrations: readonly PgMigration[] = [
  async function initialLogSchema(db) {
    await db.query(`
      CREATE TABLE hearth_log_groups (
        id             bigserial PRIMARY KEY,
        account_id     text NOT NULL,
        region         text NOT NULL,
        namespace      text NOT NULL,
        name           text COLLATE "C" NOT NULL,
        created_ms     bigint NOT NULL,
        retention_days integer,
        stored_bytes   bigint NOT NULL DEFAULT 0,
        UNIQUE (account_id, region, namespace, name)
      );

      CREATE TABLE hearth_log_streams (
        id                bigserial PRIMARY KEY,
        group_id          bigint NOT NULL,
        name              text COLLATE "C" NOT NULL,
        created_ms        bigint NOT NULL,
        first_event_ms    bigint,
        last_event_ms     bigint,
        last_ingestion_ms bigint,
        stored_bytes      bigint NOT NULL DEFAULT 0,
        UNIQUE (group_id, name)
      );
      CREATE INDEX hearth_log_streams_by_time ON hearth_log_streams (group_id, last_event_ms, name);

      -- bytes: the message's UTF-8 length, kept so that deletions can adjust the totals.
      CREATE TABLE hearth_log_events (
        id        bigserial PRIMARY KEY,
        group_id  bigint NOT NULL,
        stream_id bigint NOT NULL,
        ts_ms     bigint NOT NULL,
        ingest_ms bigint NOT NULL,
        bytes     integer NOT NULL,
        message   text NOT NULL
      );
      CREATE INDEX hearth_log_events_by_stream ON hearth_log_events (stream_id, id);
      CREATE INDEX hearth_log_events_by_group_time ON hearth_log_events (group_id, ts_ms, id);

      -- One row per invocation, from its START line to its REPORT line (SCF GetFunctionLogs).
      CREATE TABLE hearth_log_invocations (
        id             bigserial PRIMARY KEY,
        group_id       bigint NOT NULL,
        stream_id      bigint NOT NULL,
        request_id     text NOT NULL,
        function_name  text NOT NULL,
        version        text NOT NULL,
        start_ms       bigint NOT NULL,
        first_event_id bigint NOT NULL,
        last_event_id  bigint NOT NULL,
        duration_ms    double precision NOT NULL,
        billed_ms      bigint NOT NULL,
        memory_mb      integer NOT NULL,
        max_memory_mb  integer NOT NULL,
        status         text NOT NULL,
        error_type     text
      );
      CREATE INDEX hearth_log_invocations_by_function
        ON hearth_log_invocations (group_id, function_name, start_ms);
      CREATE INDEX hearth_log_invocations_by_request ON hearth_log_invocations (request_id);
      CREATE INDEX hearth_log_invocations_by_first_event ON hearth_log_invocations (first_event_id);`);
  },
  // As logs.db's migration 2 (log-migrations.ts): request ids are random UUIDs, so each
  // invocation's entry in this B-tree landed on a random page, dirtied and, after each
  // checkpoint, written whole to the WAL again (full_page_writes). A lookup by request id
  // (SCF FunctionRequestId) always names the group and function too (invocations() in
  // postgres-log-store.ts), so it walks hearth_log_invocations_by_function instead.
  async function dropInvocationsByRequest(db) {
    await db.query('DROP INDEX IF EXISTS hearth_log_invocations_by_request');
  },
];

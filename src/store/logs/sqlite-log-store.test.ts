import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logMigrations } from './log-migrations.js';
import { runLogStoreContract } from './log-store.contract.js';
import { SqliteLogStore } from './sqlite-log-store.js';

let dir: string | undefined;

runLogStoreContract('sqlite', {
  open: (o) => Promise.resolve(new SqliteLogStore({ file: path.join(dir ?? '', 'logs.db'), ...o })),
  fresh: () => {
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
    dir = mkdtempSync(path.join(tmpdir(), 'hearth-logs-'));
    return Promise.resolve();
  },
  cleanup: () => {
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
    return Promise.resolve();
  },
});

describe('sqlite log store: events in chunks', () => {
  let where: string;
  beforeEach(() => {
    where = mkdtempSync(path.join(tmpdir(), 'hearth-log-chunks-'));
  });
  afterEach(() => {
    rmSync(where, { recursive: true, force: true });
  });
  const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };
  const target = { scope, group: '/aws/lambda/f', functionName: 'f' };

  it("keeps a batch's lines of one stream in one row, and a quiet invocation's four lines in one", async () => {
    const file = path.join(where, 'logs.db');
    const s = new SqliteLogStore({ file, maxBytes: 1 << 30, threaded: false });
    for (let i = 0; i < 3; i++) {
      for (const stream of ['a', 'b']) {
        const id = `${stream}${i}`;
        s.append({
          ...target,
          stream,
          text: `START RequestId: ${id} Version: $LATEST\nworking\nEND RequestId: ${id}\n`,
        });
        s.append({
          ...target,
          stream,
          text: `REPORT RequestId: ${id}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n`,
        });
      }
    }
    await s.flush();
    s.append({ ...target, stream: 'a', text: 'later\n' });
    await s.flush();
    await s.close();
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT id, lines FROM log_chunks ORDER BY id').all() as {
        id: number;
        lines: number;
      }[];
      expect(rows.map((r) => r.lines)).toEqual([12, 12, 1]);
      expect(rows.map((r) => r.id)).toEqual([1, 13, 25]);
      expect(db.prepare('SELECT COUNT(*) AS n FROM log_invocations').get()).toEqual({ n: 6 });
    } finally {
      db.close();
    }
  });

  it('moves the events of a logs.db written before chunks, keeping their ids and invocations', async () => {
    const file = path.join(where, 'logs.db');
    const db = new Database(file);
    for (const m of logMigrations.slice(0, 2)) {
      m(db);
    }
    db.pragma('user_version = 2');
    db.prepare(
      `INSERT INTO log_groups (id, account_id, region, namespace, name, created_ms, stored_bytes)
       VALUES (1, ?, ?, ?, '/aws/lambda/f', 1000, 0)`,
    ).run(scope.accountId, scope.region, scope.namespace);
    db.prepare("INSERT INTO log_streams (id, group_id, name, created_ms) VALUES (1, 1, 's1', 1000)").run();
    const lines = [
      'START RequestId: r1 Version: $LATEST',
      'hello',
      'END RequestId: r1',
      'REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t',
    ];
    lines.forEach((m, i) => {
      db.prepare(
        'INSERT INTO log_events (id, group_id, stream_id, ts_ms, ingest_ms, bytes, message) VALUES (?, 1, 1, ?, ?, ?, ?)',
      ).run(10 + i, 1000 + i, 2000, Buffer.byteLength(m), m);
    });
    db.prepare(
      `INSERT INTO log_invocations (group_id, stream_id, request_id, function_name, version, start_ms,
         first_event_id, last_event_id, duration_ms, billed_ms, memory_mb, max_memory_mb, status)
       VALUES (1, 1, 'r1', 'f', '$LATEST', 1000, 10, 13, 1, 1, 128, 40, 'success')`,
    ).run();
    db.close();

    const s = new SqliteLogStore({ file, maxBytes: 1 << 30, threaded: false, now: () => 5000 });
    try {
      const events = await s.readStream(scope, '/aws/lambda/f', 's1', { limit: 10, afterId: 0 });
      expect(events.map((e) => [e.id, e.timestampMs, e.ingestionMs, e.message])).toEqual(
        lines.map((m, i) => [10 + i, 1000 + i, 2000, m]),
      );
      const inv = await s.invocations(scope, '/aws/lambda/f', {
        functionName: 'f',
        descending: false,
        offset: 0,
        limit: 5,
      });
      expect(inv.items[0]?.log).toBe(lines.join('\n'));
      // New events number on after the moved ones.
      s.append({ ...target, stream: 's1', text: 'new\n' });
      const last = await s.readStream(scope, '/aws/lambda/f', 's1', { limit: 1 });
      expect(last.map((e) => [e.id, e.message])).toEqual([[14, 'new']]);
    } finally {
      await s.close();
    }
  });
});

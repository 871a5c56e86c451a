import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../postgres/testing.js';
import { runLogStoreContract } from './log-store.contract.js';
import { openPostgresLogStore, type PostgresLogStore } from './postgres-log-store.js';

const available = await postgresAvailable();
const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };
const everything = { limit: 10_000, scanLimit: 10_000, matches: () => true };

describe.skipIf(!available)('postgres log store', () => {
  let db: { url: string; drop: () => Promise<void> } | undefined;

  runLogStoreContract('postgres', {
    open: (o) => openPostgresLogStore({ url: db?.url ?? '', ...o }),
    fresh: async () => {
      db ??= await freshDatabase();
      // The store's tables go, and the next open migrates them again.
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query(`DROP TABLE IF EXISTS hearth_log_groups, hearth_log_streams, hearth_log_events,
          hearth_log_invocations, hearth_logs_schema`);
      } finally {
        await c.end();
      }
    },
    cleanup: async () => {
      await db?.drop();
    },
  });
});

describe.skipIf(!available)('postgres log store shared by nodes', () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const d of drops) {
      await d();
    }
  });
  const database = async () => {
    const fresh = await freshDatabase();
    drops.push(fresh.drop);
    return fresh;
  };
  const messages = async (s: PostgresLogStore, group = '/aws/lambda/f') =>
    ((await s.filter(scope, group, everything))?.events ?? []).map((e) => e.message);

  it("reads one node's lines from the other, with ids in one sequence", async () => {
    const { url } = await database();
    const [a, b] = await Promise.all([
      openPostgresLogStore({ url, maxBytes: 1 << 30 }),
      openPostgresLogStore({ url, maxBytes: 1 << 30 }),
    ]);
    try {
      a.append({ scope, group: '/aws/lambda/f', stream: 'on-a', functionName: 'f', text: 'from a\n' });
      await a.flush();
      b.append({ scope, group: '/aws/lambda/f', stream: 'on-b', functionName: 'f', text: 'from b\n' });
      await b.flush();
      expect(await messages(b)).toEqual(['from a', 'from b']);
      const events = (await a.filter(scope, '/aws/lambda/f', everything))?.events ?? [];
      expect(events.map((e) => e.streamName)).toEqual(['on-a', 'on-b']);
      expect(events[1]?.id).toBeGreaterThan(events[0]?.id ?? Infinity);
      expect((await b.getGroup(scope, '/aws/lambda/f'))?.storedBytes).toBe(12);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps no index on request ids (random UUIDs: a random page per invocation), and migrates to it', async () => {
    const { url } = await database();
    const s = await openPostgresLogStore({ url, maxBytes: 1 << 30 });
    await s.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const indexes = async () =>
        (
          await c.query<{ indexname: string }>(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'hearth_log_invocations' ORDER BY indexname",
          )
        ).rows.map((r) => r.indexname);
      expect(await indexes()).not.toContain('hearth_log_invocations_by_request');
      expect(await indexes()).toContain('hearth_log_invocations_by_function');
      expect(
        (await c.query<{ version: number }>('SELECT version FROM hearth_logs_schema')).rows[0]?.version,
      ).toBe(2);
    } finally {
      await c.end();
    }
  });

  it('writes to a group again after another node deleted it', async () => {
    const { url } = await database();
    const a = await openPostgresLogStore({ url, maxBytes: 1 << 30 });
    const b = await openPostgresLogStore({ url, maxBytes: 1 << 30 });
    try {
      a.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: 'before\n' });
      await a.flush();
      expect(await b.deleteGroup(scope, '/aws/lambda/f')).toBe(true);
      // a still has the deleted group's and stream's ids cached.
      a.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: 'after\n' });
      expect(await messages(a)).toEqual(['after']);
      expect(await b.totalBytes()).toBe(5);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps byte counts true when two nodes apply retention at once', async () => {
    const { url } = await database();
    let now = 1_700_000_000_000;
    const a = await openPostgresLogStore({ url, maxBytes: 1 << 30, now: () => now });
    const b = await openPostgresLogStore({ url, maxBytes: 1 << 30, now: () => now });
    try {
      for (let i = 0; i < 50; i++) {
        a.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: `old ${i}\n` });
      }
      await a.flush();
      now += 10 * 86_400_000;
      a.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: 'new\n' });
      await a.flush();
      const [ra, rb] = await Promise.all([
        a.setRetention(scope, '/aws/lambda/f', 1),
        b.setRetention(scope, '/aws/lambda/f', 1),
      ]);
      expect([ra, rb]).toEqual([true, true]);
      await Promise.all([a.housekeep(), b.housekeep()]);
      expect(await messages(b)).toEqual(['new']);
      expect((await a.getStream(scope, '/aws/lambda/f', 's'))?.storedBytes).toBe(3);
      expect(await b.totalBytes()).toBe(3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('stores a NUL character and a lone surrogate as U+FFFD (PostgreSQL text cannot hold them)', async () => {
    const { url } = await database();
    const s = await openPostgresLogStore({ url, maxBytes: 1 << 30 });
    try {
      s.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: 'a\0b \uD83D c 🎉\n' });
      expect(await messages(s)).toEqual(['a\uFFFDb \uFFFD c 🎉']);
    } finally {
      await s.close();
    }
  });

  it('bounds its buffer when PostgreSQL is gone: drops the oldest lines with one warning, and closes', async () => {
    const { url, drop } = await database();
    const errors: unknown[] = [];
    const s = await openPostgresLogStore({
      url,
      maxBytes: 1 << 30,
      maxBufferedEvents: 10,
      retryMs: 60_000,
      onError: (e) => errors.push(e),
    });
    await drop();
    for (let i = 0; i < 100; i++) {
      s.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: `line ${i}\n` });
    }
    // Answered once a write has failed, not held until PostgreSQL returns.
    await s.flush();
    const drops = errors.filter((e) => String(e).includes('dropping the oldest'));
    expect(drops).toHaveLength(1);
    for (let i = 0; i < 100; i++) {
      s.append({ scope, group: '/aws/lambda/f', stream: 's', functionName: 'f', text: `more ${i}\n` });
    }
    expect(errors.filter((e) => String(e).includes('dropping the oldest'))).toHaveLength(1);
    await s.close();
    expect(errors.length).toBeLessThanOrEqual(3);
  });
});

import pg from 'pg';
import { describe } from 'vitest';
import { freshDatabase, postgresAvailable } from '../postgres/testing.js';
import { runLogStoreContract } from './log-store.contract.js';
import { openPostgresLogStore } from './postgres-log-store.js';

const available = await postgresAvailable();

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

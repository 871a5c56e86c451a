/**
 * PostgreSQL for tests: `HEARTH_TEST_POSTGRES` (default: the role `.ci/run` and
 * `scripts/dev-postgres.sh` create on a local server) and one fresh database per use.
 * Without a server the PostgreSQL tests are skipped, with the reason printed, unless
 * `HEARTH_REQUIRE_POSTGRES=1` (CI sets it): then they fail, so that CI never passes them
 * silently.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_POSTGRES =
  process.env.HEARTH_TEST_POSTGRES ?? 'postgres://hearth:hearth@127.0.0.1:5432/postgres';

/** Whether the server answers; throws when it must (HEARTH_REQUIRE_POSTGRES=1) and does not. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (e) {
    const why = `PostgreSQL at ${TEST_POSTGRES} is not reachable (${(e as Error).message})`;
    if (process.env.HEARTH_REQUIRE_POSTGRES === '1') {
      throw new Error(`${why}; HEARTH_REQUIRE_POSTGRES=1 requires it`);
    }
    console.warn(`${why}: PostgreSQL tests skipped (scripts/dev-postgres.sh starts one)`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new, empty database on the test server; `drop` removes it (and ends its sessions). */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hearth_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_POSTGRES });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RemoteChange } from '../../core/services/change-feed.js';
import {
  fnKey,
  functionRecord,
  provisionedRecord,
  runStoreContract,
  versionRecord,
} from '../store.contract.js';
import { migrations } from '../sqlite/migrations.js';
import { migratePg, pgMigrations } from './migrations.js';
import { openPostgresStore, redact } from './postgres-store.js';
import { freshDatabase, postgresAvailable } from './testing.js';

const available = await postgresAvailable();

describe.skipIf(!available)('postgres store', () => {
  runStoreContract('postgres', async () => {
    const db = await freshDatabase();
    return {
      store: await openPostgresStore(db.url),
      reopen: () => openPostgresStore(db.url),
      cleanup: db.drop,
    };
  });

  const drops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const drop of drops.splice(0)) {
      await drop();
    }
  });
  const database = async (): Promise<string> => {
    const db = await freshDatabase();
    drops.push(db.drop);
    return db.url;
  };

  it('has the same migration history as the SQLite store', () => {
    expect(pgMigrations.map((m) => m.name)).toEqual(migrations.map((m) => m.name));
  });

  it("lets several nodes share the database: each sees the others' commits, in order", async () => {
    const url = await database();
    const a = await openPostgresStore(url, { writer: 'a' });
    const b = await openPostgresStore(url, { writer: 'b' });
    try {
      const heard: RemoteChange[] = [];
      const created = new Promise<void>((resolve) => {
        b.watchRemote?.((changes) => {
          heard.push(...changes);
          if (heard.some((c) => c.kind === 'provisioned-changed')) {
            resolve();
          }
        });
      });
      await a.createFunction(functionRecord(fnKey('f')), versionRecord('1'));
      await a.putProvisionedConfig(fnKey('f'), provisionedRecord('1'));
      // The notification wakes b's catch-up; nothing is waited on but that.
      await created;
      expect(heard.map((c) => c.kind)).toEqual([
        'function-created',
        'version-published',
        'provisioned-changed',
      ]);
      expect((await b.getProvisionedConfig(fnKey('f'), '1'))?.requested).toBe(
        provisionedRecord('1').requested,
      );
      // A write checks against the other nodes' commits first, under the write lock.
      await b.deleteFunction(fnKey('f'));
      await expect(b.createFunction(functionRecord(fnKey('g')))).resolves.toBeUndefined();
      await expect(a.createFunction(functionRecord(fnKey('g')))).rejects.toMatchObject({
        code: 'FUNCTION_ALREADY_EXISTS',
      });
      expect(await a.getFunction(fnKey('f'))).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reloads every row when the changes it missed were pruned, and announces what moved', async () => {
    const url = await database();
    const a = await openPostgresStore(url, { writer: 'a' });
    const b = await openPostgresStore(url, { writer: 'b' });
    try {
      await a.createFunction(functionRecord(fnKey('f')), versionRecord('1'));
      await b.sync?.();
      expect(await b.getFunction(fnKey('f'))).toBeDefined();
      // Rows changed behind the feed, and the feed pruned past b: b cannot replay, it reloads.
      const heard: RemoteChange[] = [];
      const reloaded = new Promise<void>((resolve) => {
        b.watchRemote?.((changes) => {
          heard.push(...changes);
          resolve();
        });
      });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query("DELETE FROM functions WHERE name = 'f'");
      const h = functionRecord(fnKey('h'));
      await admin.query(
        "INSERT INTO functions (account_id, region, namespace, name, record) VALUES ($1, $2, 'default', 'h', $3)",
        [h.key.accountId, h.key.region, JSON.stringify(h)],
      );
      await admin.query(
        'UPDATE hearth_changes_floor SET pruned_to = (SELECT MAX(seq) + 1 FROM hearth_changes)',
      );
      await admin.end();
      await b.sync?.();
      await reloaded;
      expect(await b.getFunction(fnKey('f'))).toBeUndefined();
      expect(await b.getFunction(fnKey('h'))).toBeDefined();
      expect(heard).toContainEqual({ kind: 'function-deleted', key: fnKey('f') });
      expect(heard).toContainEqual({ kind: 'function-updated', key: fnKey('h') });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('says clearly when PostgreSQL cannot be reached, without the password', async () => {
    const error = (await openPostgresStore('postgres://u:secret@127.0.0.1:1/x').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(/^cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/);
    expect(error.message).not.toContain('secret');
    expect(redact('postgres://a:b@h/d')).toBe('postgres://a:***@h/d');
  });

  it('refuses a database from a newer hearth', async () => {
    const url = await database();
    await (await openPostgresStore(url)).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('UPDATE hearth_schema SET version = version + 1');
    await c.end();
    await expect(openPostgresStore(url)).rejects.toThrow(/newer than this hearth supports/);
  });

  it('moves a scaling policy stored in extra.scaling to its own field', async () => {
    const url = await database();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const index = pgMigrations.findIndex((m) => m.name === 'scalingPolicyField');
      await migratePg(c, pgMigrations.slice(0, index));
      const key = fnKey('f');
      await c.query(
        "INSERT INTO functions (account_id, region, namespace, name, record) VALUES ($1, $2, 'default', 'f', $3)",
        [key.accountId, key.region, JSON.stringify(functionRecord(key))],
      );
      const policy = { requested: 2, configuredAtMs: 3, scheduledActions: [] };
      await c.query(
        "INSERT INTO provisioned_configs (account_id, region, namespace, function, qualifier, record) VALUES ($1, $2, 'default', 'f', '1', $3)",
        [
          key.accountId,
          key.region,
          JSON.stringify({ qualifier: '1', requested: 2, lastModifiedMs: 3, extra: { scaling: policy } }),
        ],
      );
      await migratePg(c);
    } finally {
      await c.end();
    }
    const store = await openPostgresStore(url);
    expect(await store.getProvisionedConfig(fnKey('f'), '1')).toEqual({
      qualifier: '1',
      requested: 2,
      lastModifiedMs: 3,
      scaling: { requested: 2, configuredAtMs: 3, scheduledActions: [] },
    });
    await store.close();
  });

  it('refuses writes while its connection is lost, says why, and reconnects by itself', async () => {
    const url = await database();
    const store = await openPostgresStore(url);
    await store.createFunction(functionRecord(fnKey('f')), versionRecord('1'));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await admin.end();
    // Refused with the reason while the connection is down (unless it is already back).
    const first = await store.putProvisionedConfig(fnKey('f'), provisionedRecord('1')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    if (first !== undefined) {
      expect(first.message).toMatch(/PostgreSQL connection lost|terminat/);
    }
    expect((await store.getFunction(fnKey('f')))?.key.name).toBe('f');
    // Back by itself: the same write goes through once the connection is open again.
    await vi.waitFor(() => store.putProvisionedConfig(fnKey('f'), provisionedRecord('1')), {
      timeout: 15_000,
      interval: 100,
    });
    expect(await store.getProvisionedConfig(fnKey('f'), '1')).toBeDefined();
    await store.close();
  });
});

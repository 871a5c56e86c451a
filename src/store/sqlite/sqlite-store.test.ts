import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import {
  aliasRecord,
  fnKey,
  functionRecord,
  provisionedRecord,
  runStoreContract,
  versionRecord,
} from '../store.contract.js';
import { migrate, migrations } from './migrations.js';
import { openSqliteStore } from './sqlite-store.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'hearth-sqlite-'));
}

runStoreContract('sqlite', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'hearth.db');
  return {
    store: await openSqliteStore(file),
    reopen: () => openSqliteStore(file),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

runStoreContract(
  'sqlite :memory:',
  async () => ({ store: await openSqliteStore(':memory:'), cleanup: () => Promise.resolve() }),
  {
    'persists across reopen': 'an in-memory database ends with its connection',
    'deletes and cascades persist across reopen': 'an in-memory database ends with its connection',
    'scalable targets and activities persist across reopen': 'an in-memory database ends with its connection',
    'layers persist across reopen': 'an in-memory database ends with its connection',
  },
);

describe('sqlite store specifics', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) {
      await rm(dir, { recursive: true, force: true });
    }
  });
  const dbFile = async (): Promise<string> => {
    const dir = await tempDir();
    dirs.push(dir);
    return path.join(dir, 'nested', 'hearth.db');
  };

  it('opens in WAL mode with foreign keys, at the latest schema version', async () => {
    const file = await dbFile();
    const store = await openSqliteStore(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer hearth', async () => {
    const file = await dbFile();
    await (await openSqliteStore(file)).close();
    const db = new Database(file);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    await expect(openSqliteStore(file)).rejects.toThrow(/newer than this hearth supports/);
  });

  it('applies only the migrations a database has not seen, each once', () => {
    const db = new Database(':memory:');
    const applied: string[] = [];
    const list = [(): void => void applied.push('one'), (): void => void applied.push('two')];
    migrate(db, list.slice(0, 1));
    migrate(db, list);
    migrate(db, list);
    expect(applied).toEqual(['one', 'two']);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('a failing migration leaves the previous version in place', () => {
    const db = new Database(':memory:');
    const list = [
      (d: Database.Database): void => void d.exec('CREATE TABLE a (x)'),
      (d: Database.Database): void => {
        d.exec('CREATE TABLE b (x)');
        throw new Error('boom');
      },
    ];
    expect(() => migrate(db, list)).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  it('serves reads from memory, never from SQLite', async () => {
    const store = await openSqliteStore(':memory:');
    await store.createFunction(functionRecord(fnKey('f1')), versionRecord('1'));
    await store.putAlias(fnKey('f1'), aliasRecord('prod'), false);
    await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('prod'));
    // Every statement shares one prototype; spying on it sees any query the reads make.
    const probe = new Database(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
    probe.close();
    const spies = (['get', 'all', 'iterate', 'run'] as const).map((m) =>
      vi.spyOn(statementProto as unknown as Database.Statement, m),
    );
    try {
      const a = await store.getFunction(fnKey('f1'));
      await store.listFunctions(fnKey('f1'));
      await store.listAllFunctions();
      await store.getVersion(fnKey('f1'), '1');
      await store.listVersions(fnKey('f1'));
      await store.getAlias(fnKey('f1'), 'prod');
      await store.listAliases(fnKey('f1'));
      await store.getProvisionedConfig(fnKey('f1'), 'prod');
      await store.listProvisionedConfigs(fnKey('f1'));
      await store.listAllProvisionedConfigs();
      await store.listNamespaces(fnKey('f1'));
      await store.getSettings(fnKey('f1'));
      for (const spy of spies) {
        expect(spy).not.toHaveBeenCalled();
      }
      // The same cached, frozen object every time: no copy, no parse per read.
      expect(await store.getFunction(fnKey('f1'))).toBe(a);
      expect(Object.isFrozen(a)).toBe(true);
      expect(Object.isFrozen(a?.latest.config.environment)).toBe(true);
      // The probe works: a write does go through the spied prototype.
      await store.deleteProvisionedConfig(fnKey('f1'), 'prod');
      expect(spies[3]).toHaveBeenCalled();
    } finally {
      for (const spy of spies) {
        spy.mockRestore();
      }
      await store.close();
    }
  });

  it('rejects every call after close', async () => {
    const store = await openSqliteStore(':memory:');
    await store.close();
    await store.close();
    await expect(store.getFunction(fnKey('f1'))).rejects.toBeInstanceOf(PlatformError);
  });

  it('refuses a published version that is not a number', async () => {
    const store = await openSqliteStore(':memory:');
    await store.createFunction(functionRecord(fnKey('f1')));
    const err = await store
      .publishVersion(functionRecord(fnKey('f1')), functionRecord(fnKey('f1')).latest)
      .catch((e: unknown) => e);
    expect((err as PlatformError).code).toBe('INVALID_PARAMETER');
    await store.close();
  });
});

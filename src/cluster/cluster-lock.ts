/**
 * Core's keyed mutex across nodes: a mutation of one function (or one scope's concurrency
 * arithmetic) holds the local lock, then a PostgreSQL advisory lock on the same key, and
 * catches the store's cache up before it reads, so two nodes never interleave a
 * read–modify–write of the same function (a RevisionId check or a version number would
 * otherwise be decided on a stale copy).
 *
 * The advisory locks are session locks on one connection of this node's, taken with
 * pg_try_advisory_lock and retried with a short growing pause (a blocking wait would hold
 * that connection from every other key). If the connection is lost its locks go with it;
 * the lock is then taken again on a new connection.
 */
import pg from 'pg';
import { KeyedMutex } from '../core/services/keyed-mutex.js';

const MAX_PAUSE_MS = 50;
/** A wait for a key this long means a node holds it and hangs: the mutation fails, clearly. */
const GIVE_UP_MS = 30_000;

export class ClusterMutex extends KeyedMutex {
  readonly #url: string;
  readonly #sync: () => Promise<void>;
  #client: Promise<pg.Client> | undefined;

  constructor(url: string, sync: () => Promise<void>) {
    super();
    this.#url = url;
    this.#sync = sync;
  }

  override run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return super.run(key, async () => {
      const client = await this.#connection();
      await this.#take(client, key);
      try {
        await this.#sync();
        return await fn();
      } finally {
        await client
          .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key])
          .catch(() => undefined);
      }
    });
  }

  /** The local lock alone: for applying what another node already decided (the change feed). */
  runLocal<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return super.run(key, fn);
  }

  async #take(client: pg.Client, key: string): Promise<void> {
    const start = Date.now();
    let pauseMs = 1;
    for (;;) {
      const res = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [key],
      );
      if (res.rows[0]?.ok === true) {
        return;
      }
      if (Date.now() - start > GIVE_UP_MS) {
        throw new Error(`another node has held the lock of ${key} for ${GIVE_UP_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, pauseMs));
      pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS);
    }
  }

  #connection(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const c = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 10_000 });
      c.on('error', () => {
        this.#client = undefined;
      });
      c.on('end', () => {
        this.#client = undefined;
      });
      try {
        await c.connect();
        return c;
      } catch (e) {
        this.#client = undefined;
        throw e;
      }
    })();
    return this.#client;
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await (await c?.catch(() => undefined))?.end().catch(() => undefined);
  }
}

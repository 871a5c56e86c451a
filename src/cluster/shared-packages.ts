/**
 * Code and layer packages on every node: a package uploaded to one node is also written to
 * the shared database (content-addressed, `hearth_packages`); a node that does not have a
 * package reads it from there, checks its sha256 and keeps it in its own package store
 * (data dir), so unpacking and every later read stay local.
 */
import { createHash } from 'node:crypto';
import type { PackageInfo, PackageStore } from '../core/ports.js';
import type { ClusterDb } from './cluster-db.js';

export class SharedPackages implements PackageStore {
  readonly #local: PackageStore;
  readonly #db: ClusterDb;
  /** Fetches in flight, so concurrent first uses read the database once. */
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(local: PackageStore, db: ClusterDb) {
    this.#local = local;
    this.#db = db;
  }

  async put(zip: Buffer): Promise<PackageInfo> {
    const info = await this.#local.put(zip);
    await this.#db.pool.query(
      'INSERT INTO hearth_packages (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING',
      [info.sha256Hex, zip],
    );
    return info;
  }

  async read(sha256Hex: string): Promise<Buffer> {
    await this.#ensure(sha256Hex);
    return this.#local.read(sha256Hex);
  }

  async has(sha256Hex: string): Promise<boolean> {
    if (await this.#local.has(sha256Hex)) {
      return true;
    }
    const res = await this.#db.pool.query('SELECT 1 FROM hearth_packages WHERE sha256 = $1', [sha256Hex]);
    return res.rowCount === 1;
  }

  async unpacked(sha256Hex: string): Promise<string> {
    await this.#ensure(sha256Hex);
    return this.#local.unpacked(sha256Hex);
  }

  /** Brings a package from the database into the local store when it is not there yet. */
  #ensure(sha: string): Promise<void> {
    let p = this.#fetching.get(sha);
    if (p === undefined) {
      p = (async () => {
        if (await this.#local.has(sha)) {
          return;
        }
        const res = await this.#db.pool.query<{ bytes: Buffer }>(
          'SELECT bytes FROM hearth_packages WHERE sha256 = $1',
          [sha],
        );
        const bytes = res.rows[0]?.bytes;
        if (bytes === undefined) {
          return; // the local store answers "not found" as it always does
        }
        const got = createHash('sha256').update(bytes).digest('hex');
        if (got !== sha) {
          throw new Error(`package ${sha} in the database does not match its sha256 (${got}): not used`);
        }
        await this.#local.put(bytes);
      })().finally(() => this.#fetching.delete(sha));
      this.#fetching.set(sha, p);
    }
    return p;
  }
}

/**
 * This node's membership of the cluster (cluster-db.ts's tables): it registers with a
 * heartbeat, reads which nodes are live, holds or waits for the leader's lease, and keeps
 * a copy of the provisioned shares and of every node's report of its share.
 *
 * The leader (one at a time: a lease that expires, with a fencing number that every
 * leader write checks) places every config's environments over the live nodes
 * (placement.ts) and writes the shares; each node runs its share and reports what runs.
 * A node whose heartbeat is older than `expiryMs` (by the database's clock) is dead: it
 * leaves the live set, and the leader places its share again on the others.
 */
import { randomBytes } from 'node:crypto';
import { CLUSTER_CHANNEL, listen, type ClusterDb } from './cluster-db.js';
import { place, type Move } from './placement.js';
import {
  LIVE_NODES,
  readPlacementState,
  samePlacement,
  writePlacement,
  writeReports,
  type ShareReport,
} from './placement-rows.js';

export type { ShareReport } from './placement-rows.js';

export interface NodeInfo {
  readonly id: string;
  readonly url: string;
  /** Where the node takes cluster links (forwarded invokes): host:port of its cluster port. */
  readonly link: string;
  readonly capacity: number;
}

/** What core declared of one config. */
export interface Wanted {
  readonly count: number;
  /** The spec key its environments run. */
  readonly spec: string;
}

export interface ClusterLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface ClusterNodeOptions {
  readonly db: ClusterDb;
  readonly id: string;
  /** Most provisioned environments this node runs. */
  readonly capacity: number;
  readonly heartbeatMs: number;
  /** A node silent for this long (database time) is dead. */
  readonly expiryMs: number;
  /**
   * Requested environments per config and the spec they run, as this node's core declared
   * them (the leader places them, and moves a share only when its holders are READY for it).
   */
  readonly requested: () => ReadonlyMap<string, Wanted>;
  readonly log: ClusterLog;
}

const LEADER = 'leader';
/** Notifications that arrive during a read are answered by one more read after this pause. */
const REFRESH_PAUSE_MS = 50;

export class ClusterNode {
  readonly id: string;
  readonly incarnation = randomBytes(8).toString('hex');
  readonly #o: ClusterNodeOptions;
  #url = '';
  #link = '';
  #live: readonly NodeInfo[] = [];
  /** Reads of the live set started, and the number of the one in force (#setLive). */
  #liveReads = 0;
  #liveSet = 0;
  #fence: number | undefined;
  /**
   * Views of the placement, numbered: a read's when it begins (its snapshot is taken then),
   * the leader's own placement when it is written. The placement and the reports in force
   * are from the newest view that gave them (#read).
   */
  #views = 0;
  #placementView = 0;
  #reportsView = 0;
  #shares = new Map<string, Map<string, number>>();
  #unplaced = new Map<string, number>();
  #moves = new Map<string, Move>();
  #reports = new Map<string, Map<string, ShareReport>>();
  readonly #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #stopListen: (() => void) | undefined;
  #ticking: Promise<void> | undefined;
  #refreshing: Promise<void> | undefined;
  #placing: Promise<void> | undefined;
  #placeAgain = false;
  /** Just became leader: read the shares in force before placing. */
  #leadFresh = false;
  #refreshAgain = false;
  /** Own reports not yet written: config → report (undefined: delete the row). */
  readonly #dirty = new Map<string, ShareReport | undefined>();
  /** Own reports as last written: written again if a read finds one missing. */
  readonly #written = new Map<string, ShareReport>();
  /**
   * Configs whose report a flush is writing: until it ends, #written is not yet what the
   * database holds (a report just deleted there is still in #written), so a read must not
   * write it again from there.
   */
  readonly #inFlight = new Set<string>();
  #flushing: Promise<void> | undefined;
  #left = false;
  /** Another live incarnation holds this id: no lease, no share. */
  #takenOver = false;

  constructor(o: ClusterNodeOptions) {
    this.id = o.id;
    this.#o = o;
  }

  get #holder(): string {
    return `${this.id}/${this.incarnation}`;
  }

  /**
   * Registers this node at `url`, taking cluster links at `link`. An id held by a live node is waited for one expiry (a
   * node restarted after kill -9 takes its id back once the old heartbeat lapsed); if that
   * node is still beating then, this one refuses to start.
   */
  async join(url: string, link: string): Promise<void> {
    this.#url = url;
    this.#link = link;
    const deadline = Date.now() + this.#o.expiryMs + 2 * this.#o.heartbeatMs;
    let other: { url: string; beat: string } | undefined;
    for (;;) {
      const res = await this.#o.db.pool.query<{ id: string }>(
        `INSERT INTO hearth_nodes (id, incarnation, url, link, capacity) VALUES ($1, $2, $3, $6, $4)
         ON CONFLICT (id) DO UPDATE SET incarnation = excluded.incarnation, url = excluded.url,
           link = excluded.link, capacity = excluded.capacity, started_at = now(), heartbeat_at = now()
         WHERE hearth_nodes.heartbeat_at < now() - make_interval(secs => $5::double precision / 1000)
         RETURNING id`,
        [this.id, this.incarnation, url, this.#o.capacity, this.#o.expiryMs, link],
      );
      if (res.rowCount === 1) {
        break;
      }
      const held = await this.#o.db.pool.query<{ url: string; beat: string }>(
        'SELECT url, heartbeat_at::text AS beat FROM hearth_nodes WHERE id = $1',
        [this.id],
      );
      const now = held.rows[0];
      if (other !== undefined && now !== undefined && now.beat !== other.beat && Date.now() > deadline) {
        throw new Error(
          `node id '${this.id}' is in use by a live node at ${now.url}: give this node another --node-id`,
        );
      }
      other ??= now;
      if (Date.now() > deadline + this.#o.expiryMs) {
        throw new Error(`node id '${this.id}' could not be registered (the database kept refusing it)`);
      }
      await new Promise((r) => setTimeout(r, this.#o.heartbeatMs).unref());
    }
    this.#o.log.info(`cluster node '${this.id}' joined at ${url}`);
    await this.#notify();
    await this.tick();
    // The placement and reports in force before the node answers anything: a node that
    // joins a running cluster would otherwise answer, until its first read ended, as if no
    // config had a share or a report (a status of 0 allocated on a READY config).
    await this.#refresh().catch((e: unknown) => this.#o.log.warn(`cluster refresh failed: ${String(e)}`));
    this.#stopListen = listen(this.#o.db.url, CLUSTER_CHANNEL, () => this.#refreshSoon());
    this.#timer = setInterval(() => void this.tick(), this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /**
   * After a stall longer than the expiry the leader may have removed this node's row (its
   * share is placed elsewhere by then): it registers again, as a node that comes back.
   * False when the id now belongs to another live incarnation.
   */
  async #rejoin(): Promise<boolean> {
    const res = await this.#o.db.pool.query(
      `INSERT INTO hearth_nodes (id, incarnation, url, link, capacity) VALUES ($1, $2, $3, $6, $4)
       ON CONFLICT (id) DO UPDATE SET incarnation = excluded.incarnation, url = excluded.url,
         link = excluded.link, heartbeat_at = now()
       WHERE hearth_nodes.heartbeat_at < now() - make_interval(secs => $5::double precision / 1000)`,
      [this.id, this.incarnation, this.#url, this.#o.capacity, this.#o.expiryMs, this.#link],
    );
    if (res.rowCount === 1) {
      this.#o.log.warn(`cluster node '${this.id}' had been silent past the expiry: registered again`);
      return true;
    }
    return false;
  }

  /** Calls `listener` after live nodes, leadership, shares or reports changed. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get live(): readonly NodeInfo[] {
    return this.#live;
  }

  get isLeader(): boolean {
    return this.#fence !== undefined;
  }

  /** This node's share of a config. */
  myShare(poolKey: string): number {
    return this.#takenOver ? 0 : (this.#shares.get(poolKey)?.get(this.id) ?? 0);
  }

  /** Every live node's share of a config. */
  shares(poolKey: string): ReadonlyMap<string, number> {
    return this.#shares.get(poolKey) ?? new Map();
  }

  unplaced(poolKey: string): number {
    return this.#unplaced.get(poolKey) ?? 0;
  }

  /** The make-before-break move of a config in force, if any (its receiver's share includes it). */
  move(poolKey: string): Move | undefined {
    return this.#moves.get(poolKey);
  }

  /** The last report of `node` about a config (other nodes; this one reports from its pool). */
  report(node: string, poolKey: string): ShareReport | undefined {
    return this.#reports.get(node)?.get(poolKey);
  }

  /** Records this node's report of a config (written in batches; undefined: it runs none). */
  setReport(poolKey: string, report: ShareReport | undefined): void {
    this.#dirty.set(poolKey, report);
    this.#flushing ??= new Promise<void>((r) => setTimeout(r, 25)).then(() => this.#flush());
  }

  /**
   * Asks the leader (if this is it) to place again now, not at the next heartbeat. One
   * placement runs at a time; asks meanwhile make one more after it.
   */
  placeSoon(): void {
    if (!this.isLeader) {
      return;
    }
    if (this.#placing !== undefined) {
      this.#placeAgain = true;
      return;
    }
    this.#placing = (async () => {
      try {
        do {
          this.#placeAgain = false;
          await this.#place();
        } while (this.#placeAgain && this.isLeader);
      } catch (e) {
        this.#o.log.warn(`placing shares failed: ${String(e)}`);
      } finally {
        this.#placing = undefined;
      }
    })();
  }

  /**
   * One heartbeat: beat, read the live nodes, hold or take the lease, on a connection of its
   * own; placement and the refresh of shares and reports follow without holding it up (a
   * heartbeat that waited behind them would let a busy node expire).
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick()
      .catch((e: unknown) => this.#o.log.warn(`cluster heartbeat failed: ${String(e)}`))
      .finally(() => {
        this.#ticking = undefined;
      });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    if (this.#left) {
      return;
    }
    const db = this.#o.db.beats;
    const beat = await db.query(
      'UPDATE hearth_nodes SET heartbeat_at = now() WHERE id = $1 AND incarnation = $2',
      [this.id, this.incarnation],
    );
    if (beat.rowCount !== 1 && !(await this.#rejoin())) {
      if (!this.#takenOver) {
        this.#takenOver = true;
        this.#o.log.error(
          `cluster node '${this.id}' was taken over by another node with the same id; this node runs no provisioned share until it is gone`,
        );
      }
    } else {
      this.#takenOver = false;
    }
    const expiry = [this.#o.expiryMs];
    const liveRead = ++this.#liveReads;
    const live = await db.query<NodeInfo>(LIVE_NODES, expiry);
    // A taken-over incarnation neither leads nor holds shares.
    const lease = this.#takenOver
      ? undefined
      : await db.query<{ fence: string }>(
          `INSERT INTO hearth_leases (name, holder, fence, expires_at)
         VALUES ($1, $2, 1, now() + make_interval(secs => $3::double precision / 1000))
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
         fence = CASE WHEN hearth_leases.holder = excluded.holder THEN hearth_leases.fence ELSE hearth_leases.fence + 1 END,
         expires_at = excluded.expires_at
       WHERE hearth_leases.holder = excluded.holder OR hearth_leases.expires_at < now()
       RETURNING fence::text AS fence`,
          [LEADER, this.#holder, this.#o.expiryMs],
        );
    const wasLeader = this.isLeader;
    this.#fence = lease?.rows[0] !== undefined ? Number(lease.rows[0].fence) : undefined;
    if (this.isLeader && !wasLeader) {
      this.#o.log.info(`cluster node '${this.id}' leads (fence ${this.#fence})`);
      // What the previous leader placed is where this one starts from.
      this.#leadFresh = true;
    }
    this.#setLive(liveRead, live.rows);
    if (this.isLeader) {
      this.placeSoon();
      // Nodes long dead leave the table (and their reports with them).
      await db.query(
        `WITH gone AS (DELETE FROM hearth_nodes
            WHERE heartbeat_at < now() - make_interval(secs => $1::double precision / 100) RETURNING id)
         DELETE FROM hearth_pc_reports WHERE node IN (SELECT id FROM gone)`,
        expiry,
      );
    }
    this.#refreshSoon();
  }

  /** The leader's placement, written (fenced) only when it differs from the shares in force. */
  async #place(): Promise<void> {
    if (this.#leadFresh) {
      this.#leadFresh = false;
      await this.#read();
    }
    const wanted = this.#o.requested();
    const requested = new Map<string, number>();
    const settled = new Map<string, Set<string>>();
    const failed = new Map<string, Set<string>>();
    for (const [key, w] of wanted) {
      requested.set(key, w.count);
      const ready = new Set<string>();
      const failing = new Set<string>();
      for (const [node, share] of this.#shares.get(key) ?? []) {
        const r = this.#reports.get(node)?.get(key);
        if (r !== undefined && r.share === share && r.spec === w.spec) {
          if (r.status === 'READY') {
            ready.add(node);
          } else if (r.status === 'FAILED') {
            failing.add(node);
          }
        }
      }
      settled.set(key, ready);
      failed.set(key, failing);
    }
    const placement = place({
      requested,
      nodes: this.#live,
      current: this.#shares,
      moves: this.#moves,
      settled,
      failed,
    });
    const inForce = { shares: this.#shares, unplaced: this.#unplaced, moves: this.#moves };
    if (this.#fence === undefined || samePlacement(placement, inForce)) {
      return;
    }
    const lease = { name: LEADER, holder: this.#holder, fence: this.#fence };
    if (!(await writePlacement(this.#o.db.pool, lease, placement))) {
      this.#fence = undefined;
      return;
    }
    for (const [key, mv] of placement.moves) {
      if (!this.#moves.has(key)) {
        this.#o.log.info(
          `moving ${mv.count} environment(s) of ${key} from '${mv.giver}' to '${mv.receiver}'`,
        );
      }
    }
    // Newer than every read still running: their snapshots were taken before this commit.
    this.#placementView = ++this.#views;
    this.#shares = placement.shares;
    this.#unplaced = placement.unplaced;
    this.#moves = placement.moves;
    this.#changed();
  }

  #refreshSoon(): void {
    if (this.#refreshing !== undefined) {
      this.#refreshAgain = true;
      return;
    }
    void this.#refresh().catch((e: unknown) => this.#o.log.warn(`cluster refresh failed: ${String(e)}`));
  }

  /**
   * Reads shares and reports, one read at a time; wake-ups meanwhile make one more read
   * after a short pause (a burst of reports from starting environments is read a few times,
   * not once per notification).
   */
  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        do {
          this.#refreshAgain = false;
          await this.#read();
          // Reports settle moves and allow new ones (placement.ts rules 1b and 5).
          this.placeSoon();
          if (this.#refreshAgain) {
            await new Promise((r) => setTimeout(r, REFRESH_PAUSE_MS).unref());
          }
        } while (this.#refreshAgain && !this.#left);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * The live set as read by the read numbered `read` (the heartbeat's and the refresh's
   * reads overlap: an older read's answer never replaces a newer one's).
   */
  #setLive(read: number, rows: readonly NodeInfo[]): void {
    if (read < this.#liveSet) {
      return;
    }
    this.#liveSet = read;
    const before = this.#live.map((n) => n.id).join(',');
    this.#live = rows.map((r) => ({ id: r.id, url: r.url, link: r.link, capacity: r.capacity }));
    if (this.#live.map((n) => n.id).join(',') !== before) {
      this.#o.log.info(`cluster live nodes: ${this.#live.map((n) => n.id).join(', ') || 'none'}`);
    }
  }

  /**
   * Reads the placement, the reports and the live set in one snapshot, and keeps of it what
   * no newer view replaced meanwhile. The leader's own placement written while a read ran
   * is newer than the read's snapshot: applied, the read would undo it until the next read
   * (the giver of a move just ended would take its share back, start an environment and
   * report its old share IN_PROGRESS on a config that stays READY; then give it back). So
   * would a read begun earlier and ended later than another (the leader's first read,
   * #place, runs beside the refresh's).
   */
  async #read(): Promise<void> {
    const liveRead = ++this.#liveReads;
    const view = ++this.#views;
    const state = await readPlacementState(this.#o.db.pool, this.#o.expiryMs);
    this.#setLive(liveRead, state.live);
    if (view > this.#placementView) {
      this.#placementView = view;
      this.#shares = state.shares;
      this.#unplaced = state.unplaced;
      this.#moves = state.moves;
    }
    if (view > this.#reportsView) {
      this.#reportsView = view;
      this.#reports = state.reports;
      const mine = state.reports.get(this.id);
      for (const [key, r] of this.#written) {
        if (
          mine?.get(key) === undefined &&
          !this.#dirty.has(key) &&
          !this.#inFlight.has(key) &&
          !this.#takenOver
        ) {
          this.setReport(key, r);
        }
      }
    }
    this.#changed();
  }

  async #flush(): Promise<void> {
    const batch = [...this.#dirty];
    this.#dirty.clear();
    for (const [key] of batch) {
      this.#inFlight.add(key);
    }
    try {
      if (batch.length > 0 && !this.#left && !this.#takenOver) {
        await writeReports(this.#o.db.pool, this.id, batch);
        for (const [key, r] of batch) {
          if (r === undefined) {
            this.#written.delete(key);
          } else {
            this.#written.set(key, r);
          }
        }
      }
    } catch (e) {
      // Written again with the next change or heartbeat.
      for (const [key, r] of batch) {
        if (!this.#dirty.has(key)) {
          this.#dirty.set(key, r);
        }
      }
      this.#o.log.warn(`cluster report failed: ${String(e)}`);
    } finally {
      this.#inFlight.clear();
      this.#flushing = undefined;
      if (this.#dirty.size > 0 && !this.#left) {
        this.#flushing = new Promise<void>((r) => setTimeout(r, 250)).then(() => this.#flush());
      }
    }
  }

  async #notify(): Promise<void> {
    await this.#o.db.pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, 'nodes']);
  }

  #changed(): void {
    for (const l of this.#listeners) {
      l();
    }
  }

  /** Leaves: no more heartbeats; the row, its reports and the lease go, so others re-place at once. */
  async leave(): Promise<void> {
    if (this.#left) {
      return;
    }
    this.#left = true;
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
    }
    this.#stopListen?.();
    await this.#ticking;
    await this.#placing;
    await this.#flushing;
    const db = this.#o.db.pool;
    // Only this incarnation's row and reports: a node refused for a taken id (or taken
    // over) must not remove the live holder's.
    await db
      .query(
        `WITH mine AS (DELETE FROM hearth_nodes WHERE id = $1 AND incarnation = $2 RETURNING id)
         DELETE FROM hearth_pc_reports WHERE node IN (SELECT id FROM mine)`,
        [this.id, this.incarnation],
      )
      .then(() =>
        db.query('DELETE FROM hearth_leases WHERE name = $1 AND holder = $2', [LEADER, this.#holder]),
      )
      .then(() => this.#notify())
      .catch((e: unknown) => this.#o.log.warn(`leaving the cluster: ${String(e)}`));
  }
}

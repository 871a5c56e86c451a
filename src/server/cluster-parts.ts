/**
 * The cluster's parts of one node, composed (src/cluster/README.md): the membership
 * (ClusterNode), the Pool port core sees (ClusterPool over the local pool), the cluster
 * lock, the links to other nodes (Forwarder) and from them (cluster-links.ts). Built when
 * the store is PostgreSQL; create-platform.ts wires them into core and the server.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { HearthConfig } from '../config/schema.js';
import type { AsyncEventStore, Store } from '../core/ports.js';
import type { ClusterDb } from '../cluster/cluster-db.js';
import { ClusterMutex } from '../cluster/cluster-lock.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import { ClusterPool } from '../cluster/cluster-pool.js';
import { Forwarder } from '../cluster/forwarding.js';
import type { HearthPool } from '../pool/index.js';
import { listenClusterLinks, type ClusterLinks } from './cluster-links.js';

export class ClusterParts {
  readonly node: ClusterNode;
  readonly pool: ClusterPool;
  readonly locks: ClusterMutex;
  readonly #forwarder: Forwarder;
  readonly #db: ClusterDb;
  readonly #log: Logger;
  #links: ClusterLinks | undefined;

  constructor(o: {
    readonly db: ClusterDb;
    readonly config: HearthConfig & { readonly store: string };
    readonly nodeId: string;
    readonly local: HearthPool;
    readonly store: Store;
    readonly log: Logger;
  }) {
    this.#db = o.db;
    this.#log = o.log;
    const forwarder = new Forwarder(o.db.secret);
    this.#forwarder = forwarder;
    this.node = new ClusterNode({
      db: o.db,
      id: o.nodeId,
      capacity: o.config.nodeCapacity,
      heartbeatMs: o.config.clusterHeartbeatMs,
      expiryMs: o.config.clusterExpiryMs,
      // Asked from the node's first tick on, after this constructor.
      requested: () => this.pool.requested(),
      log: { info: (m) => o.log.info(m), warn: (m) => o.log.warn(m), error: (m) => o.log.error(m) },
    });
    // The pool core sees runs this node's share and sums the others' (cluster-pool.ts).
    this.pool = new ClusterPool({
      local: o.local,
      node: this.node,
      forward: (target, req) =>
        req.provisionedKey === undefined
          ? Promise.resolve(undefined)
          : forwarder.send(target.link, { ...req, provisionedKey: req.provisionedKey }),
    });
    this.locks = new ClusterMutex(o.config.store, () => o.store.sync?.() ?? Promise.resolve());
  }

  /** One node actuates scaling decisions and records their activities: the leader. */
  leads(): boolean {
    return this.node.isLeader;
  }

  /** SCF's TerminateAsyncEvent of an event another node holds: that node stops it. */
  terminateElsewhere(events: AsyncEventStore): (requestId: string) => Promise<boolean> {
    return async (requestId) => {
      const owner = await events.holderOf?.(requestId);
      const holder = this.node.live.find((n) => n.id === owner && n.id !== this.node.id);
      return holder !== undefined && this.#forwarder.terminate(holder.link, requestId);
    };
  }

  /**
   * Opens the cluster port and joins: other nodes learn this node's URL and link address.
   * `terminate` stops an async event this node holds (asked by another node).
   */
  async join(
    config: HearthConfig,
    url: string,
    terminate: (requestId: string) => Promise<boolean>,
  ): Promise<void> {
    this.#links = await listenClusterLinks({
      pool: this.pool,
      terminate,
      secret: this.#db.secret,
      log: this.#log,
      host: config.host,
      port: config.clusterPort,
    });
    // Links to nodes that left close: invokes in flight there answer as lost.
    this.node.onChange(() => this.#forwarder.retain(new Set(this.node.live.map((n) => n.link))));
    await this.node.join(url, `${advertisedHost(config, url)}:${this.#links.port}`);
  }

  /** Leaves first: the other nodes place this node's share again at once. */
  leave(): Promise<void> {
    return this.node.leave();
  }

  /** After the server closed: no link in or out. */
  async closeLinks(): Promise<void> {
    await this.#links?.close();
    this.#forwarder.close();
  }
}

/**
 * The host other nodes reach this one at: the public URL's, else the listening address,
 * else (listening on every interface) the host's name.
 */
function advertisedHost(config: HearthConfig, url: string): string {
  if (config.publicUrl !== undefined) {
    return new URL(config.publicUrl).hostname;
  }
  return ['0.0.0.0', '::', '[::]'].includes(config.host) ? hostname() : new URL(url).hostname;
}

/** A node's default id: the host's name and a digest of its data dir (stable across restarts). */
export function defaultNodeId(dataDir: string): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}

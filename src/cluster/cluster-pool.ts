/**
 * The Pool port of a cluster node: core declares every config's full count here, as on a
 * single node (every node's core follows the store's change feed); this pool runs only
 * this node's share (cluster-node.ts: placed by the leader) in the local pool, reports it,
 * and answers Allocated, Available and Status as the sums over the live nodes, so every
 * node answers the same.
 *
 * Status over the cluster: READY when every environment is placed and every live node
 * holding a share reports READY for that share; FAILED when one of them reports FAILED
 * (its reason); IN_PROGRESS otherwise (with a reason when environments fit on no node).
 *
 * Invokes of a provisioned config run here when this node has a free environment of it;
 * otherwise they go to a node that reports one (forwarder.ts) and, failing that, run here
 * on demand, as a single node spills over.
 */
import type {
  AdmissionInput,
  EnvironmentSpec,
  InvocationOutcome,
  InvokeRequest,
  Pool,
} from '../core/ports.js';
import type { ProvisionedStatus } from '../core/model.js';
import type { ClusterNode, ShareReport, Wanted } from './cluster-node.js';
import type { ForwardedInvoke } from './forwarding.js';

/** Sends an invoke to another node's free provisioned environment; undefined: it had none. */
export type Forward = (
  node: { id: string; link: string },
  req: InvokeRequest,
) => Promise<InvocationOutcome | undefined>;

export interface ClusterPoolOptions {
  readonly local: Pool;
  readonly node: ClusterNode;
  readonly forward: Forward;
}

interface Desired {
  readonly spec: EnvironmentSpec;
  readonly count: number;
}

/**
 * Whether a holder's report shows it serving its share of this very spec: READY for that
 * share or a larger one (an alias move or a grown share is not READY on a node that has not
 * caught up; a share that shrank is served while the surplus goes). The receiver of a
 * make-before-break move (placement.ts rule 5) serves what it held `before` the move while
 * it starts the rest: it keeps those environments, so the config stays READY throughout.
 * The move's giver gives back only once the leader has ended the move, so a giver READY
 * for what it keeps `after` the move has read that end: this node has not yet (the nodes
 * read a new placement one after another), and the giver counts for what it keeps; in
 * the same way, a receiver whose report shows a move this node has not read yet counts for
 * what this node's view asks of it, if it has that many ready.
 */
function serves(
  r: ShareReport | undefined,
  spec: string | undefined,
  share: number,
  before?: number,
  after?: number,
): boolean {
  if (before === 0) {
    // A receiver that held none serves none yet (it may not even have reported).
    return true;
  }
  if (r === undefined || r.spec !== spec) {
    return false;
  }
  if (r.status === 'READY' && r.share >= (after ?? share)) {
    return true;
  }
  if (r.share > share && r.status !== 'FAILED' && r.available >= share) {
    // A holder of more than this node's view gives it has read a newer placement (a move
    // to it began): it serves what this view asks of it while it starts the rest.
    return true;
  }
  return (
    before !== undefined && r.status !== 'FAILED' && (r.status === 'READY' ? r.share : r.available) >= before
  );
}

/** Free environments a report shows (initialised and not busy). */
const free = (r: ShareReport | undefined): number => (r === undefined ? 0 : r.available - r.busy);

export class ClusterPool implements Pool {
  readonly #local: Pool;
  readonly #node: ClusterNode;
  readonly #forward: Forward;
  readonly #desired = new Map<string, Desired>();
  /** The share last given to the local pool, per config. */
  readonly #applied = new Map<string, number>();
  /** What the leader had placed over the cluster (a move's surplus aside) when last applied, per config. */
  readonly #placed = new Map<string, number>();
  /** The summed status last announced, per config. */
  readonly #announced = new Map<string, ProvisionedStatus>();
  readonly #listeners = new Set<(key: string, status: ProvisionedStatus) => void>();
  #stopLocal: (() => void) | undefined;
  #stopNode: (() => void) | undefined;
  /** Round robin over the nodes that may take a forwarded invoke. */
  #turn = 0;

  constructor(o: ClusterPoolOptions) {
    this.#local = o.local;
    this.#node = o.node;
    this.#forward = o.forward;
  }

  /** Requested environments per config and their spec: what the leader places. */
  requested(): ReadonlyMap<string, Wanted> {
    const out = new Map<string, Wanted>();
    for (const [key, d] of this.#desired) {
      out.set(key, { count: d.count, spec: d.spec.key });
    }
    return out;
  }

  /** The spec this node runs a config with (a forwarded invoke uses the receiver's own). */
  specOf(poolKey: string): EnvironmentSpec | undefined {
    return this.#desired.get(poolKey)?.spec;
  }

  setProvisioned(poolKey: string, spec: EnvironmentSpec | undefined, count: number): void {
    const before = this.#desired.get(poolKey);
    if (spec === undefined || count <= 0) {
      this.#desired.delete(poolKey);
    } else {
      this.#desired.set(poolKey, { spec, count });
    }
    this.#apply(poolKey, before?.spec !== spec);
    if (before?.count !== (spec === undefined ? 0 : count)) {
      this.#node.placeSoon();
    }
    this.#announce(poolKey);
  }

  /** Gives the local pool this node's share of a config (again when the spec moved). */
  #apply(poolKey: string, specMoved = false): void {
    const d = this.#desired.get(poolKey);
    const share = d === undefined ? 0 : this.#node.myShare(poolKey);
    // What the leader placed in all (a move's surplus aside): it grows with a raised count,
    // not when a dead node's share is placed again or a move starts.
    let placed = -(this.#node.move(poolKey)?.count ?? 0);
    for (const n of this.#node.shares(poolKey).values()) {
      placed += n;
    }
    const placedBefore = this.#placed.get(poolKey);
    this.#placed.set(poolKey, placed);
    const applied = this.#applied.get(poolKey);
    if (!specMoved && applied === share) {
      return;
    }
    if (share === 0) {
      this.#applied.delete(poolKey);
      this.#placed.delete(poolKey);
      this.#local.setProvisioned(poolKey, undefined, 0);
    } else {
      this.#applied.set(poolKey, share);
      // A share that grows while the cluster's total stays (a move's receiver, a survivor
      // given a dead node's part) keeps serving what it has while the rest start; a share
      // that grows with a raised count serves nothing until it is whole (§3.4), as on one node.
      const keepServing =
        !specMoved &&
        applied !== undefined &&
        (this.#node.move(poolKey)?.receiver === this.#node.id || placedBefore === placed);
      this.#local.setProvisioned(poolKey, d?.spec, share, { keepServing });
    }
    this.#report(poolKey);
  }

  #report(poolKey: string): void {
    const share = this.#applied.get(poolKey) ?? 0;
    if (share === 0) {
      this.#node.setReport(poolKey, undefined);
      return;
    }
    const s = this.#local.provisionedStatus(poolKey);
    const busy = Math.round(this.#local.provisionedUtilization(poolKey) * s.allocated);
    this.#node.setReport(poolKey, { ...s, spec: this.#desired.get(poolKey)?.spec.key ?? '', share, busy });
  }

  provisionedStatus(poolKey: string): ProvisionedStatus {
    const requested = this.#desired.get(poolKey)?.count ?? 0;
    const spec = this.#desired.get(poolKey)?.spec.key;
    const move = this.#node.move(poolKey);
    let allocated = 0;
    let available = 0;
    let placed = -(move?.count ?? 0);
    let ready = true;
    let failed: string | undefined;
    const shares = this.#node.shares(poolKey);
    const live = new Set(this.#node.live.map((n) => n.id));
    for (const id of new Set([...live, ...shares.keys()])) {
      const share = shares.get(id) ?? 0;
      // A holder that died has nothing to report, whatever it last reported (the leader
      // places its share again). The live set is read with the shares, so a node that just
      // joined and already holds a share is live here.
      const r = live.has(id) ? this.#reportOf(id, poolKey) : undefined;
      if (r !== undefined) {
        allocated += r.allocated;
        available += r.available;
      }
      if (share === 0) {
        continue;
      }
      placed += share;
      const before = move?.receiver === id ? share - move.count : undefined;
      const after = move?.giver === id ? share - move.count : undefined;
      // A move's receiver that failed to start the moved ones does not fail the config:
      // the leader gives the move up (placement.ts rule 1b).
      if (r?.status === 'FAILED' && r.share === share && r.spec === spec && before === undefined) {
        failed ??= r.statusReason ?? 'FAILED';
      }
      if (!serves(r, spec, share, before, after)) {
        ready = false;
      }
    }
    // Available never exceeds Requested, as on one node: for a moment after a share shrank
    // (a move completed, a lowered count), the giver's last report still counts more.
    // Allocated stays the count of live environments (README "Cluster").
    available = Math.min(available, requested);
    if (failed !== undefined) {
      return { allocated, available, status: 'FAILED', statusReason: failed };
    }
    if (ready && placed >= requested && requested > 0) {
      return { allocated, available, status: 'READY' };
    }
    const unplaced = this.#node.unplaced(poolKey);
    return {
      allocated,
      available,
      status: 'IN_PROGRESS',
      ...(unplaced > 0
        ? { statusReason: `${unplaced} of ${requested} environments fit on no live node (node capacity)` }
        : {}),
    };
  }

  /** This node's report comes from its pool (fresh); the others' from the database. */
  #reportOf(node: string, poolKey: string): ShareReport | undefined {
    if (node !== this.#node.id) {
      return this.#node.report(node, poolKey);
    }
    const share = this.#applied.get(poolKey) ?? 0;
    const s = this.#local.provisionedStatus(poolKey);
    return { ...s, spec: this.#desired.get(poolKey)?.spec.key ?? '', share, busy: 0 };
  }

  watchProvisioned(listener: (provisionedKey: string, status: ProvisionedStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Tells the watchers when a config's summed status moved. */
  #announce(poolKey: string): void {
    if (!this.#desired.has(poolKey) && !this.#announced.has(poolKey)) {
      return;
    }
    const now = this.provisionedStatus(poolKey);
    const before = this.#announced.get(poolKey);
    if (!this.#desired.has(poolKey)) {
      this.#announced.delete(poolKey);
    } else {
      this.#announced.set(poolKey, now);
    }
    if (
      before === undefined ||
      before.status !== now.status ||
      before.allocated !== now.allocated ||
      before.available !== now.available ||
      before.statusReason !== now.statusReason
    ) {
      for (const l of this.#listeners) {
        l(poolKey, now);
      }
    }
  }

  provisionedIdle(poolKey: string, specKey: string): number {
    return this.#local.provisionedIdle(poolKey, specKey);
  }

  provisionedUtilization(poolKey: string): number {
    let busy = 0;
    let allocated = 0;
    for (const n of this.#node.live) {
      if (n.id === this.#node.id) {
        const s = this.#local.provisionedStatus(poolKey);
        busy += this.#local.provisionedUtilization(poolKey) * s.allocated;
        allocated += s.allocated;
      } else {
        const r = this.#node.report(n.id, poolKey);
        busy += r?.busy ?? 0;
        allocated += r?.allocated ?? 0;
      }
    }
    return allocated === 0 ? 0 : Math.min(1, busy / allocated);
  }

  async invoke(original: InvokeRequest): Promise<InvocationOutcome> {
    const req = { ...original, admission: this.#localShareOf(original.admission) };
    const key = req.provisionedKey;
    if (key !== undefined && this.#local.provisionedIdle(key, req.spec.key) === 0) {
      const outcome = await this.#elsewhere(key, req);
      if (outcome !== undefined) {
        return outcome;
      }
    }
    return this.#local.invoke(req);
  }

  /**
   * Concurrency limits hold cluster-wide by per-node shares ([DESIGN], README "Cluster"):
   * each on-demand limit (a function's reserved concurrency beyond its provisioned
   * environments, the scope's unreserved concurrency, SCF's memory quota) is split over
   * the live nodes, the remainder to the first by id, so the nodes together admit exactly
   * the limit and no invoke waits for the database. The cost: a node may throttle while
   * another still has room, when the load is uneven.
   */
  #localShareOf(a: AdmissionInput): AdmissionInput {
    const live = this.#node.live;
    const rank = live.findIndex((n) => n.id === this.#node.id);
    if (live.length <= 1 || rank < 0) {
      return a;
    }
    const split = (n: number): number => Math.floor(n / live.length) + (rank < n % live.length ? 1 : 0);
    return {
      ...a,
      ...(a.reserved === undefined || a.reserved === 0
        ? {}
        : { reserved: a.provisionedTotal + split(Math.max(0, a.reserved - a.provisionedTotal)) }),
      unreservedCapacity: split(a.unreservedCapacity),
      ...(a.memoryBudget === undefined
        ? {}
        : { memoryBudget: { ...a.memoryBudget, limitMb: split(a.memoryBudget.limitMb) } }),
    };
  }

  /**
   * Other nodes holding environments of the config, the most free first (by their last
   * report), each tried once until one runs it; undefined: none could.
   */
  async #elsewhere(poolKey: string, req: InvokeRequest): Promise<InvocationOutcome | undefined> {
    const turn = this.#turn++;
    const candidates = this.#node.live
      .filter((n) => n.id !== this.#node.id)
      .map((n, i) => ({ n, i, r: this.#node.report(n.id, poolKey) }))
      // Only nodes running the very spec this invoke was routed to (during an alias move
      // the version left and the new one share the config).
      .filter((c) => (c.r?.available ?? 0) > 0 && c.r?.spec === req.spec.key)
      // Ties rotate, so equal nodes share the forwarded load.
      .sort((a, b) => free(b.r) - free(a.r) || ((a.i + turn) % 97) - ((b.i + turn) % 97));
    for (const { n } of candidates) {
      const outcome = await this.#forward(n, req);
      if (outcome !== undefined) {
        return outcome;
      }
    }
    return undefined;
  }

  /** Runs a forwarded invoke here only on a free provisioned environment; undefined: none is free. */
  async invokeForwarded(req: ForwardedInvoke): Promise<InvocationOutcome | undefined> {
    const spec = this.specOf(req.provisionedKey);
    if (
      spec === undefined ||
      spec.key !== req.specKey ||
      this.#local.provisionedIdle(req.provisionedKey, spec.key) === 0
    ) {
      return undefined;
    }
    const { specKey: _specKey, ...rest } = req;
    return this.#local.invoke({ ...rest, spec });
  }

  drain(prefix: string): Promise<void> {
    return this.#local.drain(prefix);
  }

  async start(): Promise<void> {
    await this.#local.start();
    this.#stopLocal = this.#local.watchProvisioned((key) => {
      this.#report(key);
      this.#announce(key);
    });
    this.#stopNode = this.#node.onChange(() => {
      for (const key of new Set([...this.#desired.keys(), ...this.#applied.keys()])) {
        this.#apply(key);
      }
      for (const key of new Set([...this.#desired.keys(), ...this.#announced.keys()])) {
        this.#announce(key);
      }
    });
  }

  async dispose(): Promise<void> {
    this.#stopLocal?.();
    this.#stopNode?.();
    await this.#local.dispose();
  }
}

/**
 * Where a cluster's provisioned environments run: one pure rule, computed by the leader
 * (membership.ts) from the configs' requested counts, the live nodes and what each node
 * was given before.
 *
 * 1. Keep what runs: a config's share on a live node stays, as far as the config still
 *    wants it (a node that died loses its shares; they are placed again).
 * 2. Shrink from the fullest: a config that wants fewer takes them back from the node
 *    holding the most of it (ties: the last node by id).
 * 3. Grow by spreading: each further environment goes to the live node with room that
 *    holds the fewest of this config, then the fewest of all configs relative to its
 *    capacity, then the first by id; a node never gets more than its capacity in all.
 * 4. What fits nowhere stays unplaced (its config is not READY; the status says why).
 * A node that comes back gets new work by rule 3 without taking any from the others.
 */

export interface PlacementNode {
  readonly id: string;
  /** Most provisioned environments this node runs, over every config. */
  readonly capacity: number;
}

export interface PlacementInput {
  /** Requested environments per config (pool key). */
  readonly requested: ReadonlyMap<string, number>;
  /** The live nodes. */
  readonly nodes: readonly PlacementNode[];
  /** The shares given before: config → node → count (dead nodes may be among them). */
  readonly current: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export interface Placement {
  /** config → node → count, only counts > 0, only live nodes, only configs still wanted. */
  readonly shares: Map<string, Map<string, number>>;
  /** config → environments that fit on no node. */
  readonly unplaced: Map<string, number>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function place(input: PlacementInput): Placement {
  const nodes = [...input.nodes].sort((a, b) => byString(a.id, b.id));
  const live = new Set(nodes.map((n) => n.id));
  const load = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const shares = new Map<string, Map<string, number>>();
  const configs = [...input.requested.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => byString(a, b));

  // 1 and 2: keep, then shrink from the fullest.
  for (const [key, requested] of configs) {
    const kept = new Map<string, number>();
    for (const [node, n] of input.current.get(key) ?? []) {
      if (live.has(node) && n > 0) {
        kept.set(node, n);
      }
    }
    let total = sum(kept);
    while (total > requested) {
      const [fullest] = [...kept.entries()].sort(([a, x], [b, y]) => y - x || byString(b, a));
      if (fullest === undefined) {
        break;
      }
      if (fullest[1] <= 1) {
        kept.delete(fullest[0]);
      } else {
        kept.set(fullest[0], fullest[1] - 1);
      }
      total--;
    }
    shares.set(key, kept);
    for (const [node, n] of kept) {
      load.set(node, (load.get(node) ?? 0) + n);
    }
  }
  // A node over its capacity (it was lowered) gives back from its largest shares.
  for (const node of nodes) {
    while ((load.get(node.id) ?? 0) > node.capacity) {
      const largest = [...shares.entries()]
        .filter(([, s]) => (s.get(node.id) ?? 0) > 0)
        .sort(([a, x], [b, y]) => (y.get(node.id) ?? 0) - (x.get(node.id) ?? 0) || byString(a, b))[0];
      if (largest === undefined) {
        break;
      }
      const [, s] = largest;
      const n = (s.get(node.id) ?? 0) - 1;
      if (n === 0) {
        s.delete(node.id);
      } else {
        s.set(node.id, n);
      }
      load.set(node.id, (load.get(node.id) ?? 0) - 1);
    }
  }

  // 3: grow by spreading; 4: what fits nowhere.
  const unplaced = new Map<string, number>();
  for (const [key, requested] of configs) {
    const s = shares.get(key) ?? new Map<string, number>();
    let missing = requested - sum(s);
    while (missing > 0) {
      let best: PlacementNode | undefined;
      for (const node of nodes) {
        if ((load.get(node.id) ?? 0) >= node.capacity) {
          continue;
        }
        if (best === undefined || better(node, best, s, load)) {
          best = node;
        }
      }
      if (best === undefined) {
        unplaced.set(key, missing);
        break;
      }
      s.set(best.id, (s.get(best.id) ?? 0) + 1);
      load.set(best.id, (load.get(best.id) ?? 0) + 1);
      missing--;
    }
    shares.set(key, s);
  }
  for (const [key, s] of shares) {
    if (s.size === 0) {
      shares.delete(key);
    }
  }
  return { shares, unplaced };
}

/** Whether `a` takes the next environment of a config before `b` (rule 3); nodes come in id order. */
function better(
  a: PlacementNode,
  b: PlacementNode,
  share: ReadonlyMap<string, number>,
  load: ReadonlyMap<string, number>,
): boolean {
  const mineA = share.get(a.id) ?? 0;
  const mineB = share.get(b.id) ?? 0;
  if (mineA !== mineB) {
    return mineA < mineB;
  }
  // Relative load, compared without division: la/ca < lb/cb.
  const la = load.get(a.id) ?? 0;
  const lb = load.get(b.id) ?? 0;
  return la * b.capacity < lb * a.capacity;
}

function sum(m: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of m.values()) {
    n += v;
  }
  return n;
}

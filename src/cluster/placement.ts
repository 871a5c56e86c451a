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
 * 5. Even out, make before break: a config whose holders all report READY for their exact
 *    share, and whose fullest holder has two or more above the node with the fewest of it
 *    (with room), moves environments from the one to the other: the receiver's share grows
 *    now and the giver's stays, so the shares sum above Requested while the move lasts;
 *    once the receiver reports READY for its grown share, the giver's share shrinks by as
 *    many (rule 1b). One move per config at a time; each brings both ends toward the mean
 *    (ceil/floor), so the moves end. A node that comes back (or joins late) gets its part of
 *    what already runs this way, and new work by rule 3.
 * 1b. A move in force is kept while both ends live and the shares still sum to Requested
 *    plus the move (a count changed meanwhile, or a node died: the move is dropped and
 *    rules 2 and 3 apply); it completes when the receiver is settled, and is given up
 *    (the receiver gives the moved ones back) when the receiver reports FAILED.
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
  /** Moves in force (rule 5), per config. */
  readonly moves?: ReadonlyMap<string, Move>;
  /**
   * Per config, the nodes that report READY for exactly their current share of its current
   * spec (rules 1b and 5 act only on what is known to run).
   */
  readonly settled?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per config, the nodes that report FAILED for their current share of its current spec. */
  readonly failed?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A make-before-break move of `count` environments of one config (rule 5). */
export interface Move {
  readonly giver: string;
  readonly receiver: string;
  readonly count: number;
}

export interface Placement {
  /** config → node → count, only counts > 0, only live nodes, only configs still wanted. */
  readonly shares: Map<string, Map<string, number>>;
  /** config → environments that fit on no node. */
  readonly unplaced: Map<string, number>;
  /** config → the move in force (its receiver's share already includes it). */
  readonly moves: Map<string, Move>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function place(input: PlacementInput): Placement {
  const nodes = [...input.nodes].sort((a, b) => byString(a.id, b.id));
  const live = new Set(nodes.map((n) => n.id));
  const load = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const shares = new Map<string, Map<string, number>>();
  const configs = [...input.requested.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => byString(a, b));

  const moves = new Map<string, Move>();

  // 1, 1b and 2: keep, complete or keep a move, then shrink from the fullest.
  for (const [key, requested] of configs) {
    const kept = new Map<string, number>();
    for (const [node, n] of input.current.get(key) ?? []) {
      if (live.has(node) && n > 0) {
        kept.set(node, n);
      }
    }
    const move = input.moves?.get(key);
    if (move !== undefined && moveHolds(move, kept, requested)) {
      if (input.settled?.get(key)?.has(move.receiver) === true) {
        take(kept, move.giver, move.count);
      } else if (input.failed?.get(key)?.has(move.receiver) === true) {
        // The receiver could not start them: the move is given up, the giver keeps its own.
        take(kept, move.receiver, move.count);
      } else {
        moves.set(key, move);
      }
    }
    if (!moves.has(key)) {
      shrinkTo(kept, requested);
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

  // A move that lost its surplus there is over; what remains shrinks as rule 2 says.
  for (const [key, move] of moves) {
    const s = shares.get(key) ?? new Map<string, number>();
    const requested = input.requested.get(key) ?? 0;
    if (!moveHolds(move, s, requested)) {
      moves.delete(key);
      for (const [node, n] of s) {
        load.set(node, (load.get(node) ?? 0) - n);
      }
      shrinkTo(s, requested);
      for (const [node, n] of s) {
        load.set(node, (load.get(node) ?? 0) + n);
      }
    }
  }

  // 3: grow by spreading; 4: what fits nowhere.
  const unplaced = new Map<string, number>();
  for (const [key, requested] of configs) {
    const s = shares.get(key) ?? new Map<string, number>();
    let missing = requested + (moves.get(key)?.count ?? 0) - sum(s);
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
  // 5: even out what is settled, make before break.
  for (const [key, requested] of configs) {
    const s = shares.get(key);
    const settled = input.settled?.get(key);
    if (s === undefined || moves.has(key) || unplaced.has(key) || settled === undefined) {
      continue;
    }
    // Settled for the share it holds now: a giver that just gave back has yet to settle.
    const before = input.current.get(key);
    if (![...s].every(([node, n]) => settled.has(node) && before?.get(node) === n)) {
      continue;
    }
    const move = evenOut(nodes, s, load, requested);
    if (move !== undefined) {
      s.set(move.receiver, (s.get(move.receiver) ?? 0) + move.count);
      load.set(move.receiver, (load.get(move.receiver) ?? 0) + move.count);
      moves.set(key, move);
    }
  }

  for (const [key, s] of shares) {
    if (s.size === 0) {
      shares.delete(key);
    }
  }
  return { shares, unplaced, moves };
}

/** Whether a move still stands on these shares: both ends hold theirs, the surplus is intact. */
function moveHolds(move: Move, s: ReadonlyMap<string, number>, requested: number): boolean {
  return (
    move.count > 0 &&
    move.giver !== move.receiver &&
    (s.get(move.giver) ?? 0) >= move.count &&
    (s.get(move.receiver) ?? 0) >= move.count &&
    sum(s) === requested + move.count
  );
}

/** Rule 2: takes environments back from the node holding the most (ties: the last by id). */
function shrinkTo(kept: Map<string, number>, requested: number): void {
  let total = sum(kept);
  while (total > requested) {
    const [fullest] = [...kept.entries()].sort(([a, x], [b, y]) => y - x || byString(b, a));
    if (fullest === undefined) {
      break;
    }
    take(kept, fullest[0], 1);
    total--;
  }
}

function take(s: Map<string, number>, node: string, n: number): void {
  const left = (s.get(node) ?? 0) - n;
  if (left <= 0) {
    s.delete(node);
  } else {
    s.set(node, left);
  }
}

/**
 * Rule 5's move for one config, if any: from its fullest holder (ties: the fuller node
 * relative to capacity, then the last by id) to the node with room holding the fewest
 * (ties: the emptier relative to capacity, then the first by id), when they differ by two
 * or more; as many as bring neither past the mean, and no more than the receiver has room.
 */
function evenOut(
  nodes: readonly PlacementNode[],
  s: ReadonlyMap<string, number>,
  load: ReadonlyMap<string, number>,
  requested: number,
): Move | undefined {
  let giver: PlacementNode | undefined;
  let receiver: PlacementNode | undefined;
  for (const node of nodes) {
    const mine = s.get(node.id) ?? 0;
    if (mine > 0 && (giver === undefined || !better(node, giver, s, load))) {
      giver = node;
    }
    if (
      (load.get(node.id) ?? 0) < node.capacity &&
      (receiver === undefined || better(node, receiver, s, load))
    ) {
      receiver = node;
    }
  }
  if (giver === undefined || receiver === undefined || giver.id === receiver.id) {
    return undefined;
  }
  const g = s.get(giver.id) ?? 0;
  const r = s.get(receiver.id) ?? 0;
  if (g - r < 2) {
    return undefined;
  }
  const mean = requested / nodes.length;
  const count = Math.min(
    g - Math.floor(mean),
    Math.ceil(mean) - r,
    receiver.capacity - (load.get(receiver.id) ?? 0),
  );
  return count >= 1 ? { giver: giver.id, receiver: receiver.id, count } : undefined;
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

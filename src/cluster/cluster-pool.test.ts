/**
 * ClusterPool's two decisions that need no database, against a node and a local pool that
 * record and answer what they are told: the summed Status while shares change (a move, a
 * node that died, a share that shrank), and whether a grown share keeps serving.
 */
import { describe, expect, it } from 'vitest';
import type { ProvisionedStatus } from '../core/model.js';
import type { EnvironmentSpec, Pool } from '../core/ports.js';
import type { ClusterNode, ShareReport } from './cluster-node.js';
import { ClusterPool } from './cluster-pool.js';
import type { Move } from './placement.js';

const KEY = '123456789012/us-east-1/default/fn#live';
const spec = { key: 'fn/1@r1' } as EnvironmentSpec;

/** A node whose view is set by the test; `me` is this node's id. */
class FakeNode {
  readonly id = 'me';
  live: { id: string; url: string; link: string; capacity: number }[] = [];
  shareMap = new Map<string, number>();
  moveNow: Move | undefined;
  reports = new Map<string, ShareReport>();
  readonly #listeners = new Set<() => void>();

  set(o: {
    live: string[];
    shares: Record<string, number>;
    move?: Move;
    reports?: Record<string, ShareReport>;
  }) {
    this.live = o.live.map((id) => ({ id, url: '', link: '', capacity: 10 }));
    this.shareMap = new Map(Object.entries(o.shares));
    this.moveNow = o.move;
    this.reports = new Map(Object.entries(o.reports ?? {}));
    for (const l of this.#listeners) {
      l();
    }
  }
  myShare(): number {
    return this.shareMap.get(this.id) ?? 0;
  }
  shares(): ReadonlyMap<string, number> {
    return this.shareMap;
  }
  move(): Move | undefined {
    return this.moveNow;
  }
  report(node: string): ShareReport | undefined {
    return this.reports.get(node);
  }
  unplaced(): number {
    return 0;
  }
  setReport(): void {}
  placeSoon(): void {}
  onChange(l: () => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}

/** A local pool that records each declaration and answers the status it is given. */
class FakeLocal {
  calls: { count: number; keepServing: boolean }[] = [];
  status: ProvisionedStatus = { allocated: 0, available: 0, status: 'IN_PROGRESS' };
  setProvisioned(
    _key: string,
    _spec: EnvironmentSpec | undefined,
    count: number,
    g?: { keepServing: boolean },
  ) {
    this.calls.push({ count, keepServing: g?.keepServing === true });
  }
  provisionedStatus(): ProvisionedStatus {
    return this.status;
  }
  provisionedUtilization(): number {
    return 0;
  }
  provisionedIdle(): number {
    return 0;
  }
  watchProvisioned(): () => void {
    return () => undefined;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

const ready = (share: number): ShareReport => ({
  spec: spec.key,
  share,
  allocated: share,
  available: share,
  busy: 0,
  status: 'READY',
});

async function cluster(requested: number) {
  const node = new FakeNode();
  const local = new FakeLocal();
  const pool = new ClusterPool({
    local: local as unknown as Pool,
    node: node as unknown as ClusterNode,
    forward: () => Promise.resolve(undefined),
  });
  await pool.start();
  pool.setProvisioned(KEY, spec, requested);
  return { node, local, pool };
}

describe('ClusterPool: a grown share keeps serving unless the count was raised', () => {
  it('a raised count: the new share serves nothing until whole (§3.4)', async () => {
    const { node, local, pool } = await cluster(4);
    node.set({ live: ['me', 'b'], shares: { me: 2, b: 2 } });
    pool.setProvisioned(KEY, spec, 6);
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 3 } });
    // (Before any share: nothing to run here.)
    expect(local.calls.filter((c) => c.count > 0)).toEqual([
      { count: 2, keepServing: false },
      { count: 3, keepServing: false },
    ]);
  });

  it("a dead node's part placed on this one: what it has keeps serving", async () => {
    const { node, local } = await cluster(6);
    node.set({ live: ['me', 'b', 'c'], shares: { me: 2, b: 2, c: 2 } });
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 3 } });
    expect(local.calls.at(-1)).toEqual({ count: 3, keepServing: true });
  });

  it("a move's receiver keeps serving; a new config on this node does not", async () => {
    const { node, local } = await cluster(6);
    node.set({ live: ['me', 'b'], shares: { me: 1, b: 6 }, move: { giver: 'b', receiver: 'me', count: 1 } });
    expect(local.calls.at(-1)).toEqual({ count: 1, keepServing: false });
    node.set({ live: ['me', 'b'], shares: { me: 1, b: 5 } });
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 5 }, move: { giver: 'b', receiver: 'me', count: 2 } });
    expect(local.calls.at(-1)).toEqual({ count: 3, keepServing: true });
  });
});

describe('ClusterPool: the summed Status while shares change', () => {
  it('READY during a move while the receiver starts, on what it held before', async () => {
    const { node, local, pool } = await cluster(6);
    const move = { giver: 'b', receiver: 'me', count: 2 };
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 5 }, move, reports: { b: ready(5) } });
    local.status = { allocated: 1, available: 1, status: 'IN_PROGRESS' };
    expect(pool.provisionedStatus(KEY)).toEqual({ allocated: 6, available: 6, status: 'READY' });
    // It lost one of those it had: fewer than Requested serve.
    local.status = { allocated: 0, available: 0, status: 'IN_PROGRESS' };
    expect(pool.provisionedStatus(KEY).status).toBe('IN_PROGRESS');
  });

  it("a move's receiver that FAILED leaves the config IN_PROGRESS, not FAILED (the move is given up)", async () => {
    const { node, local, pool } = await cluster(6);
    const move = { giver: 'b', receiver: 'me', count: 2 };
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 5 }, move, reports: { b: ready(5) } });
    local.status = {
      allocated: 0,
      available: 0,
      status: 'FAILED',
      statusReason: 'FUNCTION_ERROR_INIT_FAILURE',
    };
    expect(pool.provisionedStatus(KEY).status).toBe('IN_PROGRESS');
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 3 }, reports: { b: ready(3) } });
    expect(pool.provisionedStatus(KEY).status).toBe('FAILED');
  });

  it('a giver that has given back counts for what it keeps: it read the end of the move before this node', async () => {
    const { node, local, pool } = await cluster(6);
    const move = { giver: 'b', receiver: 'me', count: 2 };
    // This node still sees the move; the giver has read its end and reports 3 of its 5.
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 5 }, move, reports: { b: ready(3) } });
    local.status = { allocated: 3, available: 3, status: 'READY' };
    expect(pool.provisionedStatus(KEY)).toEqual({ allocated: 6, available: 6, status: 'READY' });
    // Fewer than it keeps: not READY.
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 5 }, move, reports: { b: ready(2) } });
    expect(pool.provisionedStatus(KEY).status).toBe('IN_PROGRESS');
  });

  it('a receiver that has read a move this node has not counts for what this view gives it', async () => {
    const { node, local, pool } = await cluster(6);
    const starting = (share: number, ready: number): ShareReport => ({
      spec: spec.key,
      share,
      allocated: ready,
      available: ready,
      busy: 0,
      status: 'IN_PROGRESS',
    });
    // The view still has b at 1; b reads a move of 2 to it and starts them.
    node.set({ live: ['me', 'b'], shares: { me: 5, b: 1 }, reports: { b: starting(3, 1) } });
    local.status = { allocated: 5, available: 5, status: 'READY' };
    expect(pool.provisionedStatus(KEY)).toEqual({ allocated: 6, available: 6, status: 'READY' });
    // Without the one this view gives it: not READY.
    node.set({ live: ['me', 'b'], shares: { me: 5, b: 1 }, reports: { b: starting(3, 0) } });
    expect(pool.provisionedStatus(KEY).status).toBe('IN_PROGRESS');
  });

  it('the same shares without the move are not READY: a raised count waits for every share', async () => {
    const { node, local, pool } = await cluster(8);
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 5 }, reports: { b: ready(5) } });
    local.status = { allocated: 1, available: 1, status: 'IN_PROGRESS' };
    expect(pool.provisionedStatus(KEY).status).toBe('IN_PROGRESS');
  });

  it('a giver whose share shrank counts for its share; Available never reads above Requested', async () => {
    const { node, local, pool } = await cluster(6);
    node.set({ live: ['me', 'b'], shares: { me: 3, b: 3 }, reports: { b: ready(5) } });
    local.status = { allocated: 3, available: 3, status: 'READY' };
    expect(pool.provisionedStatus(KEY)).toEqual({ allocated: 8, available: 6, status: 'READY' });
  });

  it('a holder that is not live counts for nothing, whatever it last reported', async () => {
    const { node, local, pool } = await cluster(6);
    node.set({ live: ['me'], shares: { me: 3, b: 3 }, reports: { b: ready(3) } });
    local.status = { allocated: 3, available: 3, status: 'READY' };
    expect(pool.provisionedStatus(KEY)).toEqual({ allocated: 3, available: 3, status: 'IN_PROGRESS' });
  });

  it('a holder on an older spec (an alias move) is not READY for the new one', async () => {
    const { node, local, pool } = await cluster(6);
    node.set({
      live: ['me', 'b'],
      shares: { me: 3, b: 3 },
      reports: { b: { ...ready(3), spec: 'fn/0@r1' } },
    });
    local.status = { allocated: 3, available: 3, status: 'READY' };
    expect(pool.provisionedStatus(KEY).status).toBe('IN_PROGRESS');
  });
});

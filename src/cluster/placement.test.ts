import { describe, expect, it } from 'vitest';
import { place, type Move, type PlacementInput } from './placement.js';

const nodes = (...spec: [string, number][]) => spec.map(([id, capacity]) => ({ id, capacity }));
const m = <V>(o: Record<string, V>): Map<string, V> => new Map(Object.entries(o));
const current = (o: Record<string, Record<string, number>>) =>
  new Map(Object.entries(o).map(([k, v]) => [k, m(v)]));
const plain = (p: ReturnType<typeof place>) => ({
  shares: Object.fromEntries([...p.shares].map(([k, s]) => [k, Object.fromEntries(s)])),
  unplaced: Object.fromEntries(p.unplaced),
  ...(p.moves.size === 0 ? {} : { moves: Object.fromEntries(p.moves) }),
});
const settled = (o: Record<string, string[]>) => new Map(Object.entries(o).map(([k, v]) => [k, new Set(v)]));

describe('place (provisioned shares over nodes)', () => {
  const cases: {
    name: string;
    input: PlacementInput;
    shares: Record<string, Record<string, number>>;
    unplaced?: Record<string, number>;
    moves?: Record<string, Move>;
  }[] = [
    {
      name: 'spreads a new config evenly, the remainder to the first nodes by id',
      input: { requested: m({ x: 5 }), nodes: nodes(['b', 10], ['a', 10], ['c', 10]), current: new Map() },
      shares: { x: { a: 2, b: 2, c: 1 } },
    },
    {
      name: 'keeps what runs when nothing changed',
      input: {
        requested: m({ x: 3 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 3 } }),
      },
      shares: { x: { a: 3 } },
    },
    {
      name: "re-places a dead node's share on the live ones, keeping theirs",
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['c', 10]),
        current: current({ x: { a: 2, b: 2, c: 2 } }),
      },
      shares: { x: { a: 3, c: 3 } },
    },
    {
      name: 'a node that comes back gets new work without taking any',
      input: {
        requested: m({ x: 4, y: 2 }),
        nodes: nodes(['a', 10], ['b', 10]),
        current: current({ x: { a: 4 } }),
      },
      shares: { x: { a: 4 }, y: { a: 1, b: 1 } },
    },
    {
      name: 'shrinks from the node holding the most',
      input: {
        requested: m({ x: 3 }),
        nodes: nodes(['a', 10], ['b', 10]),
        current: current({ x: { a: 1, b: 4 } }),
      },
      shares: { x: { a: 1, b: 2 } },
    },
    {
      name: 'respects capacity over every config, and says what fits nowhere',
      input: {
        requested: m({ x: 3, y: 4 }),
        nodes: nodes(['a', 2], ['b', 3]),
        current: new Map(),
      },
      shares: { x: { a: 1, b: 2 }, y: { a: 1, b: 1 } },
      unplaced: { y: 2 },
    },
    {
      name: 'prefers the node with the lowest load relative to its capacity',
      input: {
        requested: m({ x: 2, y: 2 }),
        nodes: nodes(['a', 100], ['b', 4]),
        current: current({ x: { a: 1, b: 1 } }),
      },
      shares: { x: { a: 1, b: 1 }, y: { a: 1, b: 1 } },
    },
    {
      name: 'a lowered capacity gives back from the largest share',
      input: {
        requested: m({ x: 4, y: 1 }),
        nodes: nodes(['a', 2], ['b', 10]),
        current: current({ x: { a: 3 }, y: { a: 1 } }),
      },
      shares: { x: { a: 1, b: 3 }, y: { a: 1 } },
    },
    {
      name: 'forgets configs no longer wanted and nodes no longer live',
      input: {
        requested: m({ x: 0, y: 1 }),
        nodes: nodes(['a', 10]),
        current: current({ x: { a: 2 }, y: { z: 1 } }),
      },
      shares: { y: { a: 1 } },
    },
    {
      name: 'no live node: everything is unplaced',
      input: { requested: m({ x: 2 }), nodes: [], current: current({ x: { a: 2 } }) },
      shares: {},
      unplaced: { x: 2 },
    },
    {
      name: 'a node that joined late gets a part of what runs once every holder is READY: its share grows first',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 3, b: 3 } }),
        settled: settled({ x: ['a', 'b'] }),
      },
      shares: { x: { a: 3, b: 3, c: 1 } },
      moves: { x: { giver: 'b', receiver: 'c', count: 1 } },
    },
    {
      name: 'moves nothing while a holder is not READY for its share',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 3, b: 3 } }),
        settled: settled({ x: ['a'] }),
      },
      shares: { x: { a: 3, b: 3 } },
    },
    {
      name: "moves as many as bring both ends to the mean, within the receiver's room",
      input: {
        requested: m({ x: 50, y: 6 }),
        nodes: nodes(['a', 60], ['b', 60], ['c', 10]),
        current: current({ x: { a: 25, b: 25 }, y: { c: 6 } }),
        settled: settled({ x: ['a', 'b'], y: ['c'] }),
      },
      shares: { x: { a: 25, b: 25, c: 4 }, y: { a: 2, c: 6 } },
      moves: { x: { giver: 'b', receiver: 'c', count: 4 }, y: { giver: 'c', receiver: 'a', count: 2 } },
    },
    {
      name: 'a move in force is kept while its receiver is not READY for its grown share',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 3, b: 3, c: 1 } }),
        moves: m({ x: { giver: 'b', receiver: 'c', count: 1 } }),
        settled: settled({ x: ['a', 'b'] }),
      },
      shares: { x: { a: 3, b: 3, c: 1 } },
      moves: { x: { giver: 'b', receiver: 'c', count: 1 } },
    },
    {
      name: 'a move completes when its receiver is READY: the giver gives back, and no new move starts before it settles',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 3, b: 3, c: 1 } }),
        moves: m({ x: { giver: 'b', receiver: 'c', count: 1 } }),
        settled: settled({ x: ['a', 'b', 'c'] }),
      },
      shares: { x: { a: 3, b: 2, c: 1 } },
    },
    {
      name: 'a move whose receiver reports FAILED is given up: the receiver gives the moved ones back',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 2, b: 3, c: 3 } }),
        moves: m({ x: { giver: 'b', receiver: 'c', count: 2 } }),
        settled: settled({ x: ['a', 'b'] }),
        failed: settled({ x: ['c'] }),
      },
      shares: { x: { a: 2, b: 3, c: 1 } },
    },
    {
      name: 'a move whose receiver died is dropped; the giver keeps its share',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['b', 10]),
        current: current({ x: { a: 3, b: 3, c: 1 } }),
        moves: m({ x: { giver: 'b', receiver: 'c', count: 1 } }),
        settled: settled({ x: ['a', 'b'] }),
      },
      shares: { x: { a: 3, b: 3 } },
    },
    {
      name: 'a move whose count was lowered meanwhile is dropped, and the surplus taken from the fullest',
      input: {
        requested: m({ x: 4 }),
        nodes: nodes(['a', 10], ['b', 10], ['c', 10]),
        current: current({ x: { a: 3, b: 3, c: 1 } }),
        moves: m({ x: { giver: 'b', receiver: 'c', count: 1 } }),
        settled: settled({ x: ['a', 'b'] }),
      },
      shares: { x: { a: 2, b: 1, c: 1 } },
    },
    {
      name: 'a move whose giver died is dropped; the receiver keeps its grown share',
      input: {
        requested: m({ x: 6 }),
        nodes: nodes(['a', 10], ['c', 10]),
        current: current({ x: { a: 3, b: 3, c: 1 } }),
        moves: m({ x: { giver: 'b', receiver: 'c', count: 1 } }),
        settled: settled({ x: ['a'] }),
      },
      shares: { x: { a: 3, c: 3 } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(plain(place(c.input))).toEqual({
        shares: c.shares,
        unplaced: c.unplaced ?? {},
        ...(c.moves === undefined ? {} : { moves: c.moves }),
      });
    });
  }

  it('evens 25/25/0 out in moves that never leave fewer than Requested placed, and then stops', () => {
    let shares = current({ x: { a: 25, b: 25 } });
    let moves = new Map<string, Move>();
    const seen: string[] = [];
    for (let round = 0; round < 40; round++) {
      // Every holder READY for its exact share by the next round (the best case).
      const all = settled({ x: [...(shares.get('x')?.keys() ?? [])] });
      const p = place({
        requested: m({ x: 50 }),
        nodes: nodes(['a', 60], ['b', 60], ['c', 60]),
        current: shares,
        moves,
        settled: all,
      });
      const s = p.shares.get('x') ?? new Map<string, number>();
      const total = [...s.values()].reduce((x, y) => x + y, 0);
      expect(total).toBe(50 + (p.moves.get('x')?.count ?? 0));
      seen.push([...s].map(([n, c]) => `${n}${c}`).join(' '));
      shares = p.shares;
      moves = p.moves;
    }
    expect(Object.fromEntries(shares.get('x') ?? [])).toEqual({ a: 17, b: 16, c: 17 });
    expect(moves.size).toBe(0);
    // It settled in a few moves (each: grow, then give back).
    expect(new Set(seen).size).toBeLessThan(12);
  });

  it('is the same on every node: the input order does not matter', () => {
    const a = place({
      requested: m({ x: 5, y: 3 }),
      nodes: nodes(['a', 4], ['b', 4], ['c', 4]),
      current: new Map(),
    });
    const b = place({
      requested: new Map([...m({ x: 5, y: 3 })].reverse()),
      nodes: nodes(['c', 4], ['a', 4], ['b', 4]),
      current: new Map(),
    });
    expect(plain(a)).toEqual(plain(b));
  });
});

import { describe, expect, it } from 'vitest';
import { place, type PlacementInput } from './placement.js';

const nodes = (...spec: [string, number][]) => spec.map(([id, capacity]) => ({ id, capacity }));
const m = <V>(o: Record<string, V>): Map<string, V> => new Map(Object.entries(o));
const current = (o: Record<string, Record<string, number>>) =>
  new Map(Object.entries(o).map(([k, v]) => [k, m(v)]));
const plain = (p: ReturnType<typeof place>) => ({
  shares: Object.fromEntries([...p.shares].map(([k, s]) => [k, Object.fromEntries(s)])),
  unplaced: Object.fromEntries(p.unplaced),
});

describe('place (provisioned shares over nodes)', () => {
  const cases: {
    name: string;
    input: PlacementInput;
    shares: Record<string, Record<string, number>>;
    unplaced?: Record<string, number>;
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
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(plain(place(c.input))).toEqual({ shares: c.shares, unplaced: c.unplaced ?? {} });
    });
  }

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

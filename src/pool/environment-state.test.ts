import { describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  canTransition,
  transition,
  type EnvironmentState,
} from './environment-state.js';

const ALL: EnvironmentState[] = ['starting', 'idle', 'busy', 'draining', 'dead'];

describe('environment states', () => {
  // The complete table: every pair is either listed here as legal or must be refused.
  const legal: [EnvironmentState, EnvironmentState][] = [
    ['starting', 'idle'],
    ['starting', 'dead'],
    ['idle', 'busy'],
    ['idle', 'dead'],
    ['busy', 'idle'],
    ['busy', 'draining'],
    ['busy', 'dead'],
    ['draining', 'dead'],
  ];
  for (const from of ALL) {
    for (const to of ALL) {
      const ok = legal.some(([f, t]) => f === from && t === to);
      it(`${from} → ${to} is ${ok ? 'legal' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(ok);
        if (ok) {
          expect(transition(from, to)).toBe(to);
        } else {
          expect(() => transition(from, to)).toThrow(IllegalTransitionError);
        }
      });
    }
  }
});

/** The memory AsyncEventStore (core's default in unit tests) honours the same contract as SQLite. */
import { describe, expect, it } from 'vitest';
import type { AsyncEventRecord } from '../../src/core/ports.js';
import { MemoryAsyncEventStore } from '../../src/core/invoke/memory-event-store.js';
import { asyncEvent, runAsyncEventStoreContract } from '../../src/store/async-event-store.contract.js';

runAsyncEventStoreContract(
  'memory',
  () => {
    const store = new MemoryAsyncEventStore();
    // A new open of the same maps (what a restart of a durable store is, without the restart).
    return Promise.resolve({
      store,
      reopen: () => Promise.resolve(store.reopened()),
      cleanup: () => Promise.resolve(),
    });
  },
  { 'persists across reopen': 'an in-memory store keeps nothing once closed' },
);

describe('memory store: claimDue', () => {
  it('drains a large backlog in small claims, oldest first, each once, and sees a later open add', async () => {
    const first = new MemoryAsyncEventStore();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      await first.add(asyncEvent(`e${String(i).padStart(5, '0')}`, { enqueuedMs: 1_000 + (i % 7) }));
    }
    const s = first.reopened();
    const claimed: AsyncEventRecord[] = [];
    for (let batch = await s.claimDue(10); batch.length > 0; batch = await s.claimDue(10)) {
      claimed.push(...batch);
      if (claimed.length === 50) {
        // Another open adds one, older than all: the next claims take it first.
        await first.add(asyncEvent('late', { enqueuedMs: 1 }));
      }
    }
    expect(claimed).toHaveLength(n + 1);
    expect(new Set(claimed.map((e) => e.requestId)).size).toBe(n + 1);
    expect(claimed[50]?.requestId).toBe('late');
    const rest = claimed.filter((e) => e.requestId !== 'late');
    const sorted = [...rest].sort(
      (a, b) => a.enqueuedMs - b.enqueuedMs || (a.requestId < b.requestId ? -1 : 1),
    );
    expect(rest.slice(50).map((e) => e.requestId)).toEqual(
      sorted.filter((e) => !rest.slice(0, 50).includes(e)).map((e) => e.requestId),
    );
  });
});

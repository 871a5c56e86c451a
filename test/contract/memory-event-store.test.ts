/** The memory AsyncEventStore (core's default in unit tests) honours the same contract as SQLite. */
import { MemoryAsyncEventStore } from '../../src/core/invoke/memory-event-store.js';
import { runAsyncEventStoreContract } from '../../src/store/async-event-store.contract.js';

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

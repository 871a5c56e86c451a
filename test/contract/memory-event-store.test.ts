/** The memory AsyncEventStore (core's default in unit tests) honours the same contract as SQLite. */
import { MemoryAsyncEventStore } from '../../src/core/invoke/memory-event-store.js';
import { runAsyncEventStoreContract } from '../../src/store/async-event-store.contract.js';

runAsyncEventStoreContract(
  'memory',
  () => Promise.resolve({ store: new MemoryAsyncEventStore(), cleanup: () => Promise.resolve() }),
  { 'persists across reopen': 'an in-memory store keeps nothing once closed' },
);

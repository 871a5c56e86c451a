/**
 * Core's unit tests run against MemoryStore, so it must behave like the production store:
 * it runs the same Store contract as SQLite. (This lives under test/ because src/core may
 * not import src/store.)
 */
import { MemoryStore } from '../../src/core/services/testing/in-memory-ports.js';
import { runStoreContract } from '../../src/store/store.contract.js';

runStoreContract(
  'memory',
  () => Promise.resolve({ store: new MemoryStore(), cleanup: () => Promise.resolve() }),
  {
    'persists across reopen': 'an in-memory store keeps nothing once closed',
    'deletes and cascades persist across reopen': 'an in-memory store keeps nothing once closed',
    'scalable targets and activities persist across reopen': 'an in-memory store keeps nothing once closed',
    'layers persist across reopen': 'an in-memory store keeps nothing once closed',
  },
);

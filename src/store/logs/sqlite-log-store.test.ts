import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runLogStoreContract } from './log-store.contract.js';
import { SqliteLogStore } from './sqlite-log-store.js';

let dir: string | undefined;

runLogStoreContract('sqlite', {
  open: (o) => Promise.resolve(new SqliteLogStore({ file: path.join(dir ?? '', 'logs.db'), ...o })),
  fresh: () => {
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
    dir = mkdtempSync(path.join(tmpdir(), 'hearth-logs-'));
    return Promise.resolve();
  },
  cleanup: () => {
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
    return Promise.resolve();
  },
});

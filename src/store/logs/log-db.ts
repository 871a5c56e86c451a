/**
 * Opening `logs.db`: WAL (the writer and the readers use separate connections, possibly on
 * separate threads), its own migrations (log-migrations.ts).
 */
import Database from 'better-sqlite3';
import { logMigrations } from './log-migrations.js';

export function openLogDb(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // OFF: a committed batch survives a killed process (the OS holds its pages), not an
    // OS crash or power cut [DESIGN]. NORMAL fsyncs at every WAL checkpoint, which stalled
    // the event loop under load before writes moved to their own thread (bench/logs.mjs).
    db.pragma('synchronous = OFF');
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  for (let i = applied; i < logMigrations.length; i++) {
    const m = logMigrations[i];
    if (m === undefined) {
      break;
    }
    db.transaction(() => {
      m(db);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

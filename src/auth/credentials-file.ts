/**
 * The credentials file (`--credentials-file`, `HEARTH_CREDENTIALS_FILE`): read once at
 * start (a file that does not parse stops hearth, naming the line and column), then
 * watched. A change is read again; a good file replaces the keys at once, a bad one is
 * logged and the previous keys stay in force, so an editor's half-written save never locks
 * everyone out.
 *
 * `.json` files are JSON; anything else is YAML (a superset of JSON).
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import {
  buildKeyRing,
  CredentialsError,
  parseCredentialsDocument,
  type AccessKey,
  type CredentialEntry,
  type CredentialSource,
  type KeyRing,
  type Vendor,
} from './credentials.js';
import { buildAccountTable, type AccountEntry, type AccountTable } from './account-settings.js';

/** Decodes the file's text; a syntax error names the file, line and column. */
export function decodeCredentialsText(text: string, file: string): unknown {
  if (file.toLowerCase().endsWith('.json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const at = /position (\d+)/.exec(message)?.[1];
      const where = at === undefined ? '' : `:${lineColumn(text, Number(at))}`;
      throw new CredentialsError(`${file}${where}: not valid JSON: ${message}`);
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const [error] = doc.errors;
  if (error !== undefined) {
    const pos = lineCounter.linePos(error.pos[0]);
    throw new CredentialsError(`${file}:${pos.line}:${pos.col}: not valid YAML: ${firstLine(error.message)}`);
  }
  return doc.toJS() as unknown;
}

/** Reads and validates the file into key entries (throws CredentialsError). */
export function readCredentialsFile(file: string): CredentialEntry[] {
  return readCredentialsDocument(file).credentials;
}

/** Reads and validates the file: its keys and its per-account limits. */
export function readCredentialsDocument(file: string): {
  credentials: CredentialEntry[];
  accounts: AccountEntry[];
} {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new CredentialsError(`${file}: cannot read the credentials file (${code})`);
  }
  return parseCredentialsDocument(decodeCredentialsText(text, file), file);
}

export interface CredentialsLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FileCredentialSourceOptions {
  /** The credentials file, or undefined when none is configured. */
  readonly file?: string;
  /** Entries from the deprecated HEARTH_SCF_CREDENTIALS, added to the file's. */
  readonly extraEntries?: readonly CredentialEntry[];
  readonly mode: CredentialSource['mode'];
  readonly defaultAccountId: string;
  readonly log: CredentialsLog;
  /** Called after every reload attempt (tests await it instead of sleeping). */
  readonly onReload?: (outcome: { ok: true; keys: number } | { ok: false; error: string }) => void;
}

export interface FileCredentialSource extends CredentialSource {
  /** Starts watching the file for changes (a no-op without a file, or when watching). */
  watch(): void;
  /** Stops watching the file. */
  close(): void;
}

/** Loads the keys now (throwing CredentialsError on a bad file); watch() starts reloading. */
export function openCredentialSource(opts: FileCredentialSourceOptions): FileCredentialSource {
  const extra = opts.extraEntries ?? [];
  const load = (): { ring: KeyRing; accounts: AccountTable } => {
    const doc =
      opts.file === undefined ? { credentials: [], accounts: [] } : readCredentialsDocument(opts.file);
    const where = opts.file ?? 'HEARTH_SCF_CREDENTIALS';
    return {
      ring: buildKeyRing([...doc.credentials, ...extra], where),
      accounts: buildAccountTable(doc.accounts, where, (m) => new CredentialsError(m)),
    };
  };
  let { ring, accounts } = load();
  let watcher: FSWatcher | undefined;
  const startWatching = (): void => {
    if (opts.file === undefined || watcher !== undefined) {
      return;
    }
    const file = path.resolve(opts.file);
    // The directory, not the file: editors and `mv` replace the file (a new inode).
    watcher = watch(path.dirname(file), (_event, name) => {
      if (name !== null && name !== path.basename(file)) {
        return;
      }
      try {
        ({ ring, accounts } = load());
        opts.log.info({ file, keys: ring.size }, 'credentials reloaded');
        opts.onReload?.({ ok: true, keys: ring.size });
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        opts.log.error({ file, error }, 'credentials file not reloaded; the previous keys stay in force');
        opts.onReload?.({ ok: false, error });
      }
    });
    watcher.on('error', (err) => opts.log.error({ err, file }, 'credentials file watch failed'));
  };
  return {
    mode: opts.mode,
    defaultAccountId: opts.defaultAccountId,
    find: (vendor: Vendor, id: string): AccessKey | undefined => ring.find(vendor, id),
    accountSettings: (accountId: string) => accounts.of(accountId),
    watch: startWatching,
    close: () => watcher?.close(),
  };
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

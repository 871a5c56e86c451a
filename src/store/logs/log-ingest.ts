/**
 * The invoke path's side of the log store: `append` only splits text into lines and
 * queues them (no I/O, no SQL). The queue is handed on as one batch every
 * `flushIntervalMs`, or at once when `maxPendingEvents` are waiting, or when a reader asks
 * (`take`), to whoever writes it (log-persister.ts, on a worker thread when there is one).
 */
import type { LogScope } from '../../core/logs/log-port.js';
import { LineSplitter, type SplitLine } from './line-splitter.js';

/** Streams whose keys are kept: beyond it the cache is dropped and refilled. */
const MAX_CACHED_KEYS = 10_000;

export interface FunctionLogInput {
  readonly scope: LogScope;
  readonly group: string;
  readonly stream: string;
  readonly functionName: string;
  readonly text: string;
}

export interface StreamTarget {
  readonly scope: LogScope;
  readonly group: string;
  readonly stream: string;
  readonly functionName: string;
}

/**
 * What one write carries, in columns: a few flat values cross to the writer's thread for
 * a fraction of what an object per line costs to copy (`postMessage` clones each).
 */
export interface WriteBatch {
  /** The streams of this batch's lines, with their keys. */
  readonly targets: readonly (readonly [string, StreamTarget])[];
  /** Per line, its stream's index in `targets`. */
  readonly streams: Uint32Array;
  /** Per line, its timestamp. */
  readonly times: Float64Array;
  /** The lines' messages joined by '\n' (a message never holds one: lines are split on it). */
  readonly messages: string;
}

/** The batch's lines in order: stream index, timestamp, message. */
export function forEachLine(
  batch: WriteBatch,
  f: (stream: number, timestampMs: number, message: string) => void,
): void {
  const n = batch.times.length;
  if (n === 0) {
    return;
  }
  const messages = n === 1 ? [batch.messages] : batch.messages.split('\n');
  for (let i = 0; i < n; i++) {
    f(batch.streams[i] ?? 0, batch.times[i] ?? 0, messages[i] ?? '');
  }
}

export interface IngestOptions {
  readonly flushIntervalMs: number;
  readonly partialFlushMs: number;
  readonly maxPendingEvents: number;
  readonly now: () => number;
  readonly write: (batch: WriteBatch) => void;
}

export class LogIngest {
  readonly #o: IngestOptions;
  readonly #splitter = new LineSplitter();
  #pending: SplitLine[] = [];
  readonly #targets = new Map<string, StreamTarget>();
  /** Stream name → the key last built for it (see #keyOf). */
  readonly #keys = new Map<string, { scope: LogScope; group: string; key: string }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(o: IngestOptions) {
    this.#o = o;
  }

  append(input: FunctionLogInput): void {
    const key = this.#keyOf(input);
    if (!this.#targets.has(key)) {
      this.#targets.set(key, {
        scope: input.scope,
        group: input.group,
        stream: input.stream,
        functionName: input.functionName,
      });
    }
    this.#splitter.push(key, input.text, this.#o.now(), this.#pending);
    if (this.#pending.length >= this.#o.maxPendingEvents) {
      this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush(this.#o.partialFlushMs);
      }, this.#o.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /**
   * The stream's key, built once per stream: an environment's stream name is one string
   * for its whole life, so the lookup hashes nothing new, where a key built per line was
   * a fresh string to hash in each map it was looked up in. The cached key is used only
   * when scope and group are those it was built from.
   */
  #keyOf(input: FunctionLogInput): string {
    const known = this.#keys.get(input.stream);
    const s = input.scope;
    if (
      known !== undefined &&
      known.group === input.group &&
      (known.scope === s ||
        (known.scope.accountId === s.accountId &&
          known.scope.region === s.region &&
          known.scope.namespace === s.namespace))
    ) {
      return known.key;
    }
    const key = `${s.accountId}\0${s.region}\0${s.namespace}\0${input.group}\0${input.stream}`;
    if (this.#keys.size >= MAX_CACHED_KEYS) {
      this.#keys.clear();
    }
    this.#keys.set(input.stream, { scope: s, group: input.group, key });
    return key;
  }

  /**
   * Hands on everything queued. Partial lines older than `partialOlderThanMs` are ended
   * first (Infinity keeps them all pending; 0 ends all).
   */
  flush(partialOlderThanMs = Infinity): void {
    if (partialOlderThanMs !== Infinity) {
      this.#splitter.flushPartials(this.#o.now(), partialOlderThanMs, this.#pending);
    }
    if (this.#pending.length === 0) {
      return;
    }
    const lines = this.#pending;
    this.#pending = [];
    const index = new Map<string, number>();
    const targets: (readonly [string, StreamTarget])[] = [];
    const streams = new Uint32Array(lines.length);
    const times = new Float64Array(lines.length);
    const messages: string[] = [];
    for (const l of lines) {
      let k = index.get(l.streamKey);
      if (k === undefined) {
        const t = this.#targets.get(l.streamKey);
        if (t === undefined) {
          continue;
        }
        k = targets.length;
        targets.push([l.streamKey, t]);
        index.set(l.streamKey, k);
      }
      streams[messages.length] = k;
      times[messages.length] = l.timestampMs;
      messages.push(l.message);
    }
    if (this.#targets.size > 10_000) {
      // Streams of environments long gone; re-learned on their next line.
      this.#targets.clear();
    }
    this.#o.write({
      targets,
      streams: streams.subarray(0, messages.length),
      times: times.subarray(0, messages.length),
      messages: messages.join('\n'),
    });
  }

  close(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.flush(0);
  }
}

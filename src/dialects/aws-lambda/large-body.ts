/**
 * Large JSON bodies (CreateFunction, UpdateFunctionCode: up to 70 MB of JSON with the zip
 * in base64) without stalling everyone else (issue 13):
 *
 *   1. at most LARGE_BODY_SLOTS large bodies (Content-Length ≥ 1 MiB) are read and parsed
 *      at once; the others wait before their body is read, so TCP holds them back and
 *      memory stays bounded;
 *   2. the body is parsed off the event loop, in a worker thread the composition hands in
 *      (server/json-worker.ts; without one, on the loop): UTF-8 check, JSON.parse,
 *      and every string longer than BIG_STRING_CHARS is taken out of the object. One that
 *      is valid base64 comes back decoded (a transferred ArrayBuffer, no copy), for
 *      BodyReader.blob; for BodyReader.string it reads as its first SURROGATE_CHARS
 *      characters and a marker, long enough to fail every length constraint of the model,
 *      and never echoed whole (validation.ts renderValue).
 *
 * The zip's sha256 is taken in slices (package-store.ts). Measured: GetFunction latency
 * while four 60 MB CreateFunction bodies are handled (issue 13's report).
 */
import type { Json } from './validation.js';

/** Bodies at least this large (by Content-Length, or of unknown length) take this path. */
export const LARGE_BODY_BYTES = 1024 * 1024;
/** Large bodies read and parsed at once. */
export const LARGE_BODY_SLOTS = 2;
/** Strings longer than this leave the parsed object (no member of the model is longer). */
export const BIG_STRING_CHARS = 64 * 1024;
/** What `string()` of a big string keeps: more than any length constraint (4 KB env). */
export const SURROGATE_CHARS = 8192;

/** The stand-in for a big string in the parsed object. */
export const BIG_KEY = '\u0000hearth-big-string';

export interface BigString {
  /** UTF-16 length of the original string. */
  readonly length: number;
  /** Its first SURROGATE_CHARS characters. */
  readonly head: string;
  /** The decoded bytes when it was valid base64 (strict alphabet and padding). */
  readonly bytes?: Buffer;
}

export interface ParsedLargeBody {
  readonly obj: Record<string, Json>;
  readonly bigs: readonly BigString[];
}

export type LargeParseResult =
  | { readonly ok: true; readonly body: ParsedLargeBody }
  | { readonly ok: false; readonly reason: 'utf8'; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: 'json'; readonly message: string };

/** Parses a large JSON body off the event loop; `bytes` is handed over (not used after). */
export type LargeJsonParser = (bytes: Buffer) => Promise<LargeParseResult>;

/** A counting semaphore: at most `slots` holders; the others wait in order. */
export class Slots {
  #free: number;
  readonly #queue: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) {
      this.#free--;
    } else {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.#queue.shift();
      if (next === undefined) {
        this.#free++;
      } else {
        next();
      }
    }
  }
}

export const largeBodySlots = new Slots(LARGE_BODY_SLOTS);

/**
 * Whether a request's body takes the large path: declared 1 MiB or more on a route that
 * takes more than 1 MiB (every AWS SDK and the CLI send Content-Length; a chunked body is
 * read as before, under the same limit).
 */
export function isLargeBody(
  headers: Readonly<Record<string, string | undefined>>,
  limitBytes: number,
): boolean {
  const declared = Number(headers['content-length']);
  return limitBytes > LARGE_BODY_BYTES && Number.isFinite(declared) && declared >= LARGE_BODY_BYTES;
}

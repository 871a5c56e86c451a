/**
 * Records go to disk as JSON and come back into the in-memory cache as deep-frozen
 * objects parsed from that same JSON. Caching the parsed copy (rather than the caller's
 * object) means:
 *   - the cache holds exactly what a reopened store would read (JSON drops `undefined`
 *     members and functions alike, before and after a restart);
 *   - callers can neither mutate cached records nor be affected by later cache writes,
 *     so reads can hand out the cached object itself with no copy.
 */

export interface Encoded<T> {
  readonly json: string;
  readonly value: T;
}

export function encode<T>(record: T): Encoded<T> {
  const json = JSON.stringify(record);
  return { json, value: decode<T>(json) };
}

/** Parses JSON that this store wrote; its shape is ours, so the cast is the contract. */
export function decode<T>(json: string): T {
  return deepFreeze(JSON.parse(json) as T);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) {
      deepFreeze(member);
    }
  }
  return value;
}

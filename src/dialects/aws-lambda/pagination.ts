/**
 * Marker/NextMarker pagination (spec §1.5). A marker is opaque to clients: the base64url
 * of the sort key of the last item returned, so pages stay correct when items are added
 * or removed between calls.
 */
import { invalidParameter } from './wire-error.js';
import type { Violations } from './validation.js';
import { constraint } from './validation.js';

export interface Page<T> {
  readonly items: T[];
  readonly nextMarker?: string;
}

/** One page of `items` in ascending `keyOf` order, after the item the marker names. */
export function paginate<T>(
  unsorted: readonly T[],
  keyOf: (item: T) => string,
  marker: string | undefined,
  pageSize: number,
): Page<T> {
  const items = unsorted
    .map((item) => ({ item, key: keyOf(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => e.item);
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(marker);
    start = items.findIndex((item) => keyOf(item) > after);
    if (start === -1) {
      start = items.length;
    }
  }
  const page = items.slice(start, start + pageSize);
  const last = page[page.length - 1];
  if (last === undefined || start + page.length >= items.length) {
    return { items: page };
  }
  return { items: page, nextMarker: Buffer.from(keyOf(last), 'utf8').toString('base64url') };
}

function decodeMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) {
    // [DESIGN] AWS's wording for a marker it did not issue is unrecorded.
    throw invalidParameter(`Invalid marker: ${marker}`);
  }
  return Buffer.from(marker, 'base64url').toString('utf8');
}

/**
 * MaxItems from the query string (1..max). AWS returns at most `cap` items per page even
 * when asked for more (ListFunctions, ListVersionsByFunction: 50).
 */
export function readMaxItems(
  v: Violations,
  raw: string | null,
  limits: { max: number; cap: number },
): number {
  if (raw === null) {
    return limits.cap;
  }
  if (!/^-?\d+$/.test(raw)) {
    v.add('maxItems', raw, 'Member must be an integer');
    return limits.cap;
  }
  const n = Number(raw);
  if (n < 1) {
    v.add('maxItems', raw, constraint.min(1));
  } else if (n > limits.max) {
    v.add('maxItems', raw, constraint.max(limits.max));
  }
  return Math.min(n, limits.cap);
}

/** A sort key for versions: `$LATEST` first, then numerically. */
export function versionSortKey(version: string): string {
  return version === '$LATEST' ? '0' : `1${version.padStart(12, '0')}`;
}

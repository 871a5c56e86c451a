/**
 * Pure rules deciding whether a zip entry may be extracted under a package root.
 * No I/O here: the package store asks, these answer, and the table tests in
 * entry-paths.test.ts pin every case.
 */

/** Unix file-type bits of the mode stored in a zip entry's external attributes. */
export const S_IFMT = 0o170000;
export const S_IFLNK = 0o120000;
export const S_IFDIR = 0o040000;

/** Linux gives up resolving a path after 40 symlinks (ELOOP); so do we. */
const MAX_SYMLINK_HOPS = 40;

/** Longest file name on the usual Linux file systems (NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;
/** Longest entry path: PATH_MAX (4096) leaves room for any reasonable data dir in front. */
export const MAX_ENTRY_PATH_BYTES = 2048;

/**
 * Normalises an entry name to its path segments, or returns undefined when the name is
 * unsafe: absolute (`/x`, `C:x`), holding a `..` segment, a backslash (Windows
 * separators that a Unix extractor would keep in a file name but another tool would
 * follow) or a NUL. Empty and `.` segments are dropped, so `./a//b/` is `['a', 'b']`.
 */
export function entrySegments(name: string): string[] | undefined {
  if (name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return undefined;
  }
  // Names no file system under the data dir could hold (NAME_MAX per segment, and a whole
  // path well inside PATH_MAX once the data dir is in front) are refused at upload rather
  // than failing every extraction, hence every invoke, later.
  if (Buffer.byteLength(name) > MAX_ENTRY_PATH_BYTES) {
    return undefined;
  }
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..' || Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    return undefined;
  }
  return segments;
}

/**
 * True when the symlink at `linkPath` (normalised, relative to the root) pointing at
 * `target` would resolve outside the root.
 *
 * Resolution is simulated the way the kernel walks a path, following the package's own
 * symlinks (`links`, normalised path → target) as they are met: lexical normalisation
 * alone is not enough, because `a -> sub/..` followed by `b -> a/..` looks harmless
 * lexically yet `b` resolves to the root's parent. A chain longer than the kernel's limit
 * is treated as escaping too: it cannot be resolved, so it cannot be proved safe.
 */
export function symlinkEscapes(
  linkPath: string,
  target: string,
  links: ReadonlyMap<string, string>,
): boolean {
  const resolved = linkPath.split('/').slice(0, -1);
  let pending = [...target.split('/')];
  if (isAbsoluteTarget(target)) {
    return true;
  }
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift();
    if (segment === undefined || segment === '' || segment === '.') {
      continue;
    }
    if (segment === '..') {
      if (resolved.length === 0) {
        return true;
      }
      resolved.pop();
      continue;
    }
    resolved.push(segment);
    const next = links.get(resolved.join('/'));
    if (next !== undefined) {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS || isAbsoluteTarget(next)) {
        return true;
      }
      // A link's target is relative to the directory holding the link.
      resolved.pop();
      pending = [...next.split('/'), ...pending];
    }
  }
  return false;
}

function isAbsoluteTarget(target: string): boolean {
  return (
    target.startsWith('/') || target.includes('\\') || target.includes('\0') || /^[A-Za-z]:/.test(target)
  );
}

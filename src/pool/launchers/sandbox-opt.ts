/**
 * A function's layers as one read-only `/opt` inside its sandbox, the way Lambda extracts
 * them: in layer order, a later layer's entry replacing an earlier one's at the same path
 * (src/pool/README.md "Layers"; sandbox-launcher.ts).
 *
 * bubblewrap 0.8 has no overlay mounts, and hearth writes nothing per layer set: the merge
 * is a list of bwrap mount operations, computed once per layer set and cached.
 *
 *   1. no layers: an empty `/opt`;
 *   2. one layer: its directory bound read-only at `/opt` (exact, one mount);
 *   3. several: `/opt` is a tmpfs; walking the layers' trees together, a path that only
 *      one layer has (or where a later layer's file replaces what came before) is bound
 *      whole from that layer; so is a directory that several layers share when the last
 *      of them has every path the earlier ones have (extraction in order would leave
 *      exactly its tree: the same package shipped twice, or a later version of it that
 *      only adds files); any other shared directory is created and walked into; the
 *      tmpfs is then made read-only. Typical layers share only `nodejs/`,
 *      `nodejs/node_modules`, `python/`...: a few directories and one bind per package.
 *   4. bounded: a merge that would need more than MAX_OPT_MOUNTS mounts (layers whose
 *      shared directories differ file by file, thousands of them) is refused: the
 *      environment fails to start with the reason, rather than start slowly under a
 *      bwrap command line that grows with the layers' files.
 *
 * [DESIGN] Where a later layer has a file at a path an earlier layer has a directory (or
 * the reverse), the later entry replaces the earlier one whole (what `unzip -o` of the
 * later layer over the earlier one would leave is not documented).
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Where the layers appear in the sandbox (Lambda: /opt). */
export const OPT_DIR = '/opt';

/** The most mount operations a merged /opt may take (each is a bwrap argument group and a mount). */
export const MAX_OPT_MOUNTS = 1024;

/** One bwrap mount operation under /opt, in order. */
export type OptMount =
  | { readonly op: 'bind'; readonly src: string; readonly dest: string }
  | { readonly op: 'dir'; readonly dest: string }
  | { readonly op: 'symlink'; readonly target: string; readonly dest: string }
  | { readonly op: 'tmpfs'; readonly dest: string }
  | { readonly op: 'remount-ro'; readonly dest: string };

export type TreeEntry =
  { readonly kind: 'dir' | 'file' } | { readonly kind: 'link'; readonly target: string };

/** What is in a host directory (name → entry); tests give a table. */
export type ReadTree = (dir: string) => ReadonlyMap<string, TreeEntry>;

export function readHostTree(dir: string): ReadonlyMap<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    try {
      const st = lstatSync(full);
      if (st.isSymbolicLink()) {
        out.set(name, { kind: 'link', target: readlinkSync(full) });
      } else {
        out.set(name, { kind: st.isDirectory() ? 'dir' : 'file' });
      }
    } catch {
      // vanished: the package store never removes an unpacked directory in use
    }
  }
  return out;
}

/**
 * The mounts that make `/opt` the merge of `layerDirs` (host directories, in layer order).
 * `extraBinds` are host paths under /opt that must appear at their own path (an
 * interpreter installed in the host's /opt): they win over the layers' entries.
 */
export function optMounts(
  layerDirs: readonly string[],
  read: ReadTree,
  extraBinds: readonly string[] = [],
): OptMount[] {
  if (extraBinds.length === 0) {
    if (layerDirs.length === 0) {
      return [{ op: 'dir', dest: OPT_DIR }];
    }
    if (layerDirs.length === 1) {
      return [{ op: 'bind', src: layerDirs[0] ?? '', dest: OPT_DIR }];
    }
  }
  const out: OptMount[] = [{ op: 'tmpfs', dest: OPT_DIR }];
  if (layerDirs.length > 0) {
    // Each directory is read once, however often the coverage checks look at it.
    const seen = new Map<string, ReadonlyMap<string, TreeEntry>>();
    const once: ReadTree = (dir) => {
      let t = seen.get(dir);
      if (t === undefined) {
        t = read(dir);
        seen.set(dir, t);
      }
      return t;
    };
    mergeInto(OPT_DIR, layerDirs, once, out);
  }
  for (const host of extraBinds) {
    const rel = path.relative(OPT_DIR, host);
    const parts = rel.split(path.sep);
    for (let i = 1; i < parts.length; i++) {
      out.push({ op: 'dir', dest: path.join(OPT_DIR, ...parts.slice(0, i)) });
    }
    out.push({ op: 'bind', src: host, dest: host });
  }
  out.push({ op: 'remount-ro', dest: OPT_DIR });
  if (out.length > MAX_OPT_MOUNTS) {
    throw new Error(
      `the layers merged at ${OPT_DIR} would take ${out.length} mounts (at most ${MAX_OPT_MOUNTS}): ` +
        'several layers ship different files in the same directories',
    );
  }
  return out;
}

/**
 * Whether `later` has every path `earlier` has (a directory where both have one, checked
 * inside), so that extracting `later` over `earlier` leaves exactly `later`'s tree. Stops
 * at `budget` entries looked at (then answers false: the merge walks in instead).
 */
function covers(later: string, earlier: string, read: ReadTree, budget: { left: number }): boolean {
  const mine = read(later);
  for (const [name, entry] of read(earlier)) {
    if (--budget.left < 0) {
      return false;
    }
    const over = mine.get(name);
    if (over === undefined) {
      return false;
    }
    if (
      entry.kind === 'dir' &&
      over.kind === 'dir' &&
      !covers(path.join(later, name), path.join(earlier, name), read, budget)
    ) {
      return false;
    }
  }
  return true;
}

/** Entries one coverage check may look at (a package of many files is still a few ms). */
const COVER_BUDGET = 100_000;

/** `dirs`: host directories that all appear at `dest`, in layer order. */
function mergeInto(dest: string, dirs: readonly string[], read: ReadTree, out: OptMount[]): void {
  const names = new Map<string, { src: string; entry: TreeEntry }[]>();
  for (const dir of dirs) {
    for (const [name, entry] of read(dir)) {
      const seen = names.get(name) ?? [];
      // A later file or link replaces what came before; a later directory replaces a file
      // or link, and joins the directories before it.
      const kept = entry.kind === 'dir' ? seen.filter((s) => s.entry.kind === 'dir') : [];
      kept.push({ src: path.join(dir, name), entry });
      names.set(name, kept);
    }
  }
  for (const name of [...names.keys()].sort()) {
    const at = path.join(dest, name);
    const winners = names.get(name) ?? [];
    const last = winners[winners.length - 1];
    if (last === undefined) {
      continue;
    }
    // The earlier directories the last one covers add nothing (its files replace theirs).
    const budget = { left: COVER_BUDGET };
    const needed =
      last.entry.kind === 'dir'
        ? winners.filter((w) => w === last || !covers(last.src, w.src, read, budget))
        : [last];
    if (last.entry.kind === 'link') {
      out.push({ op: 'symlink', target: last.entry.target, dest: at });
    } else if (needed.length === 1) {
      out.push({ op: 'bind', src: last.src, dest: at });
    } else {
      out.push({ op: 'dir', dest: at });
      mergeInto(
        at,
        needed.map((w) => w.src),
        read,
        out,
      );
    }
  }
}

/** The bwrap arguments of `mounts`. */
export function optArgs(mounts: readonly OptMount[]): string[] {
  const a: string[] = [];
  for (const m of mounts) {
    switch (m.op) {
      case 'bind':
        a.push('--ro-bind', m.src, m.dest);
        break;
      case 'dir':
        a.push('--perms', '0755', '--dir', m.dest);
        break;
      case 'symlink':
        a.push('--symlink', m.target, m.dest);
        break;
      case 'tmpfs':
        a.push('--perms', '0755', '--tmpfs', m.dest);
        break;
      case 'remount-ro':
        a.push('--remount-ro', m.dest);
        break;
    }
  }
  return a;
}

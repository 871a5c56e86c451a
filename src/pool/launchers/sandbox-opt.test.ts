import { describe, expect, it } from 'vitest';
import { MAX_OPT_MOUNTS, optArgs, optMounts, type TreeEntry } from './sandbox-opt.js';

/** A host tree as a table: directory → its entries. */
function tree(t: Record<string, Record<string, TreeEntry>>) {
  return (dir: string): ReadonlyMap<string, TreeEntry> => new Map(Object.entries(t[dir] ?? {}));
}
const D: TreeEntry = { kind: 'dir' };
const F: TreeEntry = { kind: 'file' };

describe('optMounts (layers merged at /opt in order, a later entry replacing an earlier one)', () => {
  it('no layers: an empty /opt; one layer: that layer is /opt', () => {
    expect(optMounts([], tree({}))).toEqual([{ op: 'dir', dest: '/opt' }]);
    expect(optMounts(['/p/a'], tree({}))).toEqual([{ op: 'bind', src: '/p/a', dest: '/opt' }]);
  });

  it('several: shared directories are created, what only one layer has is bound whole', () => {
    const read = tree({
      '/p/a': { nodejs: D, bin: D, conf: F },
      '/p/a/nodejs': { node_modules: D },
      '/p/a/nodejs/node_modules': { liba: D, shared: D },
      '/p/b': { nodejs: D, conf: F, python: D, link: { kind: 'link', target: 'python' } },
      '/p/b/nodejs': { node_modules: D },
      '/p/b/nodejs/node_modules': { libb: D, shared: D },
      '/p/b/nodejs/node_modules/shared': { 'index.js': F },
      '/p/a/nodejs/node_modules/shared': { 'index.js': F, 'only-a.js': F },
    });
    expect(optMounts(['/p/a', '/p/b'], read)).toEqual([
      { op: 'tmpfs', dest: '/opt' },
      { op: 'bind', src: '/p/a/bin', dest: '/opt/bin' },
      // b's file replaces a's.
      { op: 'bind', src: '/p/b/conf', dest: '/opt/conf' },
      { op: 'symlink', target: 'python', dest: '/opt/link' },
      { op: 'dir', dest: '/opt/nodejs' },
      { op: 'dir', dest: '/opt/nodejs/node_modules' },
      { op: 'bind', src: '/p/a/nodejs/node_modules/liba', dest: '/opt/nodejs/node_modules/liba' },
      { op: 'bind', src: '/p/b/nodejs/node_modules/libb', dest: '/opt/nodejs/node_modules/libb' },
      // Files of one package directory merge as extraction would leave them.
      { op: 'dir', dest: '/opt/nodejs/node_modules/shared' },
      {
        op: 'bind',
        src: '/p/b/nodejs/node_modules/shared/index.js',
        dest: '/opt/nodejs/node_modules/shared/index.js',
      },
      {
        op: 'bind',
        src: '/p/a/nodejs/node_modules/shared/only-a.js',
        dest: '/opt/nodejs/node_modules/shared/only-a.js',
      },
      { op: 'bind', src: '/p/b/python', dest: '/opt/python' },
      { op: 'remount-ro', dest: '/opt' },
    ]);
  });

  it('a later file replaces an earlier directory whole, and a later directory an earlier file', () => {
    const read = tree({
      '/p/a': { x: D, y: F },
      '/p/b': { x: F, y: D },
    });
    expect(optMounts(['/p/a', '/p/b'], read)).toEqual([
      { op: 'tmpfs', dest: '/opt' },
      { op: 'bind', src: '/p/b/x', dest: '/opt/x' },
      { op: 'bind', src: '/p/b/y', dest: '/opt/y' },
      { op: 'remount-ro', dest: '/opt' },
    ]);
  });

  it("a host path under /opt (an interpreter) is bound at its own path, after the layers'", () => {
    expect(optMounts(['/p/a'], tree({ '/p/a': { nodejs: D } }), ['/opt/node22'])).toEqual([
      { op: 'tmpfs', dest: '/opt' },
      { op: 'bind', src: '/p/a/nodejs', dest: '/opt/nodejs' },
      { op: 'bind', src: '/opt/node22', dest: '/opt/node22' },
      { op: 'remount-ro', dest: '/opt' },
    ]);
    expect(optMounts([], tree({}), ['/opt/pythons/3.12'])).toEqual([
      { op: 'tmpfs', dest: '/opt' },
      { op: 'dir', dest: '/opt/pythons' },
      { op: 'bind', src: '/opt/pythons/3.12', dest: '/opt/pythons/3.12' },
      { op: 'remount-ro', dest: '/opt' },
    ]);
  });

  it('two layers shipping the same package: one bind of the later one, not one per file', () => {
    const files = (n: number, extra: Record<string, TreeEntry> = {}) => ({
      ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}.js`, F])),
      ...extra,
    });
    const read = tree({
      '/p/a': { nodejs: D },
      '/p/a/nodejs': { node_modules: D },
      '/p/a/nodejs/node_modules': { pkg: D },
      '/p/a/nodejs/node_modules/pkg': files(500, { lib: D }),
      '/p/a/nodejs/node_modules/pkg/lib': files(300),
      // b: the same package, a later version that adds files (and a file where a had none).
      '/p/b': { nodejs: D },
      '/p/b/nodejs': { node_modules: D },
      '/p/b/nodejs/node_modules': { pkg: D },
      '/p/b/nodejs/node_modules/pkg': files(600, { lib: D }),
      '/p/b/nodejs/node_modules/pkg/lib': files(300, { 'new.js': F }),
    });
    expect(optMounts(['/p/a', '/p/b'], read)).toEqual([
      { op: 'tmpfs', dest: '/opt' },
      { op: 'bind', src: '/p/b/nodejs', dest: '/opt/nodejs' },
      { op: 'remount-ro', dest: '/opt' },
    ]);
    // Three layers, the last covering the middle one but not the first: the first and last merge.
    const three = tree({
      '/p/a': { x: D },
      '/p/a/x': { 'only-a.js': F },
      '/p/b': { x: D },
      '/p/b/x': { 'b.js': F },
      '/p/c': { x: D },
      '/p/c/x': { 'b.js': F, 'c.js': F },
    });
    expect(optMounts(['/p/a', '/p/b', '/p/c'], three)).toEqual([
      { op: 'tmpfs', dest: '/opt' },
      { op: 'dir', dest: '/opt/x' },
      { op: 'bind', src: '/p/c/x/b.js', dest: '/opt/x/b.js' },
      { op: 'bind', src: '/p/c/x/c.js', dest: '/opt/x/c.js' },
      { op: 'bind', src: '/p/a/x/only-a.js', dest: '/opt/x/only-a.js' },
      { op: 'remount-ro', dest: '/opt' },
    ]);
  });

  it('refuses a merge of more than MAX_OPT_MOUNTS mounts (layers that differ file by file)', () => {
    const many = (prefix: string) =>
      Object.fromEntries(Array.from({ length: MAX_OPT_MOUNTS }, (_, i) => [`${prefix}${i}.js`, F]));
    const read = tree({
      '/p/a': { pkg: D },
      '/p/a/pkg': many('a'),
      '/p/b': { pkg: D },
      '/p/b/pkg': many('b'),
    });
    expect(() => optMounts(['/p/a', '/p/b'], read)).toThrow(/would take \d+ mounts \(at most 1024\)/);
  });

  it('as bwrap arguments', () => {
    expect(
      optArgs([
        { op: 'tmpfs', dest: '/opt' },
        { op: 'dir', dest: '/opt/a' },
        { op: 'bind', src: '/p/b', dest: '/opt/b' },
        { op: 'symlink', target: 'b', dest: '/opt/c' },
        { op: 'remount-ro', dest: '/opt' },
      ]),
    ).toEqual([
      '--perms',
      '0755',
      '--tmpfs',
      '/opt',
      '--perms',
      '0755',
      '--dir',
      '/opt/a',
      '--ro-bind',
      '/p/b',
      '/opt/b',
      '--symlink',
      'b',
      '/opt/c',
      '--remount-ro',
      '/opt',
    ]);
  });
});

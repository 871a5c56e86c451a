import { describe, expect, it } from 'vitest';
import { entrySegments, symlinkEscapes } from './entry-paths.js';

describe('entrySegments', () => {
  it.each([
    ['index.mjs', ['index.mjs']],
    ['lib/a.js', ['lib', 'a.js']],
    ['./lib//a.js', ['lib', 'a.js']],
    ['dir/', ['dir']],
    ['./', []],
    ['..foo/bar..', ['..foo', 'bar..']],
    ['a/.../b', ['a', '...', 'b']],
  ])('accepts %j as %j', (name, segments) => {
    expect(entrySegments(name)).toEqual(segments);
  });

  it.each([
    '../x',
    'a/../../x',
    'a/..',
    '..',
    '/etc/passwd',
    '//server/share',
    'C:/x',
    'c:x',
    'a\\b',
    '..\\x',
    'a\u0000b',
    `${'x'.repeat(256)}/index.js`,
    `${'a/'.repeat(1025)}index.js`,
  ])('refuses %j', (name) => {
    expect(entrySegments(name)).toBeUndefined();
  });

  it('accepts a 255-byte segment and a 2048-byte path', () => {
    expect(entrySegments(`${'x'.repeat(255)}/a`)).toHaveLength(2);
    expect(entrySegments(`${'ab/'.repeat(682)}ab`)).toHaveLength(683);
  });
});

describe('symlinkEscapes', () => {
  const none = new Map<string, string>();

  it.each([
    ['link', 'target.txt', false],
    ['link', './target.txt', false],
    ['a/link', '../b/file', false],
    ['a/b/link', '../../file', false],
    ['a/link', '.', false],
    ['link', '.', false],
    ['link', 'missing/../file', false],
    ['link', '..', true],
    ['link', '../x', true],
    ['a/b/link', '../../../x', true],
    ['a/link', 'b/../../../x', true],
    ['link', '/etc/passwd', true],
    ['link', 'C:/Windows', true],
    ['link', '..\\x', true],
  ] as const)('%s -> %s escapes: %s', (link, target, escapes) => {
    expect(symlinkEscapes(link, target, none)).toBe(escapes);
  });

  it('follows the package’s own links the way the kernel does', () => {
    // `a -> sub/..` is the root; `b -> a/..` is lexically `.` but physically the parent.
    const links = new Map([
      ['a', 'sub/..'],
      ['b', 'a/..'],
    ]);
    expect(symlinkEscapes('a', 'sub/..', links)).toBe(false);
    expect(symlinkEscapes('b', 'a/..', links)).toBe(true);
  });

  it('follows chains that stay inside', () => {
    const links = new Map([
      ['x', 'dir/y'],
      ['dir/y', 'z'],
    ]);
    expect(symlinkEscapes('x', 'dir/y', links)).toBe(false);
    expect(symlinkEscapes('w', 'x/../file', links)).toBe(false); // x -> dir/z, so x/.. is dir
  });

  it('treats a link whose target is another link pointing outside as escaping', () => {
    const links = new Map([['out', '/tmp']]);
    expect(symlinkEscapes('via', 'out/x', links)).toBe(true);
  });

  it('treats a loop as unresolvable, hence unsafe', () => {
    const links = new Map([
      ['p', 'q'],
      ['q', 'p'],
    ]);
    expect(symlinkEscapes('p', 'q', links)).toBe(true);
  });
});

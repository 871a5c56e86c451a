/**
 * The bundled runtime's code cache (code-cache.cjs), each case in fresh node processes as
 * an environment uses it: a first process fills the cache, the next one runs from it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const codeCacheModule = fileURLToPath(new URL('./code-cache.cjs', import.meta.url));
const { SMALL_INIT_CHARS } = (
  (await import(new URL('./small-init.cjs', import.meta.url).href)) as {
    default: { SMALL_INIT_CHARS: number };
  }
).default;

let dir: string;
let cacheDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hearth-code-cache-'));
  cacheDir = path.join(dir, 'cache');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  readonly counts: { hits: number; misses: number };
  readonly result: unknown;
}

const MARKER = 'small-test.v8';

/**
 * Requires `main` in a new node process (with the cache when `cached`), awaits what its
 * `run()` returns, seals and flushes like bootstrap.cjs, and reports.
 */
async function load(main: string, cached = true, smallInit = false): Promise<Outcome> {
  const options = smallInit ? `, ${JSON.stringify({ marker: MARKER, root: dir })}` : '';
  const script = `
    const cc = ${cached ? `require(${JSON.stringify(codeCacheModule)}).install(${JSON.stringify(cacheDir)}${options})` : 'undefined'};
    Promise.resolve()
      .then(() => require(${JSON.stringify(path.join(dir, main))}).run())
      .catch((e) => ({ error: String(e && e.stack ? e.stack : e) }))
      .then((result) => {
        cc?.seal();
        cc?.flush();
        const counts = cc ? { hits: cc.counts.hits, misses: cc.counts.misses } : { hits: 0, misses: 0 };
        process.stdout.write(JSON.stringify({ counts, result }));
      });
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH } });
  return JSON.parse(stdout) as Outcome;
}

function write(name: string, text: string): void {
  writeFileSync(path.join(dir, name), text);
}

describe('the code cache', () => {
  it('fills on the first start and serves the next, with the same results', async () => {
    write('lib.js', 'exports.twice = (x) => 2 * x;\n');
    write('main.js', "const lib = require('./lib');\nexports.run = () => lib.twice(21);\n");
    const first = await load('main.js');
    expect(first).toEqual({ counts: { hits: 0, misses: 2 }, result: 42 });
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.v8'))).toHaveLength(2);
    const second = await load('main.js');
    expect(second).toEqual({ counts: { hits: 2, misses: 0 }, result: 42 });
  });

  it('never serves a changed file, even of the same length', async () => {
    write('main.js', 'exports.run = () => "aaa";\n');
    expect((await load('main.js')).result).toBe('aaa');
    write('main.js', 'exports.run = () => "bbb";\n');
    const changed = await load('main.js');
    expect(changed).toEqual({ counts: { hits: 0, misses: 1 }, result: 'bbb' });
    expect(await load('main.js')).toEqual({ counts: { hits: 1, misses: 0 }, result: 'bbb' });
  });

  it('leaves modules that may import() to Node, which imports as always', async () => {
    write('main.js', "exports.run = () => import('node:path').then((m) => typeof m.join);\n");
    for (let i = 0; i < 2; i++) {
      expect(await load('main.js')).toEqual({ counts: { hits: 0, misses: 0 }, result: 'function' });
    }
  });

  it('gives a module what Node gives it: this, require, its names, positions in stacks', async () => {
    write('dep.js', 'module.exports = 7;\n');
    write(
      'main.js',
      [
        'const self = this;',
        'exports.run = () => ({',
        '  self: self === module.exports,',
        "  dep: require('./dep'),",
        "  resolved: require.resolve('./dep') === __dirname + '/dep.js',",
        "  paths: Array.isArray(require.resolve.paths('x')) && require.resolve.paths('fs') === null,",
        '  main: require.main === process.mainModule,',
        '  cache: require.cache === require("node:module")._cache,',
        '  file: __filename.endsWith("main.js"),',
        '  stack: new Error("x").stack.split("\\n")[1].replace(__dirname, "<dir>"),',
        '});',
        '',
      ].join('\n'),
    );
    const plain = await load('main.js', false);
    const miss = await load('main.js');
    const hit = await load('main.js');
    expect(hit.counts.hits).toBe(2);
    expect(miss.result).toEqual(plain.result);
    expect(hit.result).toEqual(plain.result);
    expect(plain.result).toMatchObject({
      self: true,
      dep: 7,
      resolved: true,
      paths: true,
      main: true,
      cache: true,
    });
  });

  // Frames inside the loader differ (code-cache.cjs's require and _compile stand where
  // node:internal's are); the module's own frames, messages and positions do not.
  const ownFrames = (o: Outcome): unknown => {
    const r = o.result as { error?: string } | string;
    return typeof r === 'object' && r.error !== undefined
      ? r.error
          .split('\n')
          .filter((l) => !l.includes('node:internal') && !l.includes('code-cache.cjs'))
          .join('\n')
      : r;
  };

  it('keeps first-line columns and Node’s own syntax errors', async () => {
    write('first.js', 'exports.run = () => { throw new Error("at column 29"); };\n');
    write('broken.js', 'exports.run = () => { return 1 +; };\n');
    write(
      'main.js',
      'exports.run = () => { try { require("./first").run(); } catch (e) { return e.stack.split("\\n")[1].split("/").pop(); } };\n',
    );
    write('syntax.js', 'exports.run = () => require("./broken");\n');
    for (const main of ['main.js', 'syntax.js']) {
      const plain = ownFrames(await load(main, false));
      expect(ownFrames(await load(main))).toEqual(plain);
      expect(ownFrames(await load(main))).toEqual(plain);
    }
    expect((await load('main.js')).result).toBe('first.js:1:29)');
  });

  it('marks an init that compiled too little to pay for the cache, and only such an init', async () => {
    write('lib.js', 'exports.twice = (x) => 2 * x;\n');
    write('main.js', "const lib = require('./lib');\nexports.run = () => lib.twice(21);\n");
    expect((await load('main.js', true, true)).result).toBe(42);
    const marker = readFileSync(path.join(cacheDir, MARKER));
    const header = JSON.parse(marker.toString('utf8', 4, 4 + marker.readUInt32LE(0))) as { file: string };
    // An entry with no data, naming the code folder (the pool prunes it as one).
    expect(header.file).toBe(dir);
    expect(marker.length).toBe(4 + marker.readUInt32LE(0));
    rmSync(cacheDir, { recursive: true });

    // 64 KiB of source and more: worth caching, no marker.
    write('big.js', `exports.values = [${'1,'.repeat(SMALL_INIT_CHARS / 2)}];\n`);
    write('main.js', "const big = require('./big');\nexports.run = () => big.values.length;\n");
    expect((await load('main.js', true, true)).result).toBe(SMALL_INIT_CHARS / 2);
    expect(existsSync(path.join(cacheDir, MARKER))).toBe(false);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.v8'))).toHaveLength(2);
  });

  it('is off when its folder cannot be written: modules load as usual', async () => {
    writeFileSync(cacheDir, 'not a folder');
    const script = `process.stdout.write(String(require(${JSON.stringify(codeCacheModule)}).install(${JSON.stringify(path.join(cacheDir, 'sub'))})))`;
    const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH } });
    expect(stdout).toBe('undefined');
  });
});

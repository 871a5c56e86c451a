// Layers: per-runtime search paths (what hearth does) against a real /opt (a merged tree
// bind-mounted by a sandbox). Measures, on this machine, the start of a process that
// imports one module from each of 5 layers:
//   - paths: the layers' own unpacked folders on sys.path / NODE_PATH (5 entries);
//   - merged: one merged tree (1 entry), without a mount: the cost of the entries alone;
//   - bwrap /opt: the merged tree bind-mounted read-only at /opt by bubblewrap;
// and what building the merged tree (a hard-link farm, content-addressed by the ordered
// layer digests) costs once per combination. Figures: src/pool/README.md "Layers".
//
//   node bench/layers.mjs [runs=21]
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RUNS = Number(process.argv[2] ?? 21);
const LAYERS = 5;
const FILES_PER_LAYER = 400;
const root = mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-layers-'));
const python = process.env.PYTHON ?? 'python3';

function write(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const layers = [];
for (let i = 0; i < LAYERS; i++) {
  const dir = path.join(root, `layer${i}`);
  write(path.join(dir, `python/pkg${i}/__init__.py`), `V = ${i}\n`);
  write(path.join(dir, `nodejs/node_modules/mod${i}/index.js`), `module.exports = ${i};\n`);
  for (let f = 0; f < FILES_PER_LAYER; f++) {
    write(path.join(dir, `python/pkg${i}/data/f${f}.txt`), 'x');
  }
  layers.push(dir);
}

/** A hard-link farm: every file of every layer, a later layer's winning. */
function merge(into) {
  const walk = (src, dst) => {
    mkdirSync(dst, { recursive: true });
    for (const e of readdirSync(src, { withFileTypes: true })) {
      const s = path.join(src, e.name);
      const d = path.join(dst, e.name);
      if (e.isDirectory()) {
        walk(s, d);
      } else {
        rmSync(d, { force: true });
        linkSync(s, d);
      }
    }
  };
  for (const l of layers) {
    walk(l, into);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** One start of `cmd`, ms. */
function once(cmd, args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  }
  return { wall: Number(process.hrtime.bigint() - t) / 1e6, inner: Number(r.stdout.trim() || 'NaN') };
}
/** Medians of the variants, measured round-robin so that a machine's drift hits all alike. */
function measure(variants) {
  const samples = variants.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    variants.forEach(([, cmd, args, env], v) => samples[v].push(once(cmd, args, env)));
  }
  return variants.map(([what], v) => [
    what,
    median(samples[v].map((x) => x.wall)),
    median(samples[v].map((x) => x.inner)),
  ]);
}

const mergeMs = [];
let merged = '';
for (let i = 0; i < 5; i++) {
  merged = path.join(root, `merged${i}`);
  const t = process.hrtime.bigint();
  merge(merged);
  mergeMs.push(Number(process.hrtime.bigint() - t) / 1e6);
}

const imports = Array.from({ length: LAYERS }, (_, i) => `pkg${i}`).join(', ');
const pyPaths = layers
  .slice()
  .reverse()
  .flatMap((l) => [path.join(l, 'python/lib/python3.12/site-packages'), path.join(l, 'python')])
  .filter((d) => existsSync(d));
// Prints the time the imports took inside the process, ms (what the search paths change).
const pyCode = (paths) =>
  `import sys, time; sys.path[0:0] = ${JSON.stringify(paths)}; t = time.perf_counter(); import ${imports}; print((time.perf_counter() - t) * 1000)`;
const requires =
  'const t = process.hrtime.bigint();' +
  Array.from({ length: LAYERS }, (_, i) => `require('mod${i}')`).join(';') +
  ';console.log(Number(process.hrtime.bigint() - t) / 1e6)';
const nodePaths = layers
  .slice()
  .reverse()
  .flatMap((l) => [path.join(l, 'nodejs/node20/node_modules'), path.join(l, 'nodejs/node_modules')])
  .filter((d) => existsSync(d)); // as hearth passes them (layerPaths)
const bwrap = (args) => ['--dev-bind', '/', '/', '--ro-bind', merged, '/opt', ...args];

const bwrapOk = spawnSync('bwrap', bwrap(['true'])).status === 0;
const rows = measure([
  ['python: no layers', python, ['-S', '-c', 'import sys']],
  ['python: 5 layers, search paths (5 entries)', python, ['-S', '-c', pyCode(pyPaths)]],
  ['python: 5 layers, merged tree (1 entry)', python, ['-S', '-c', pyCode([path.join(merged, 'python')])]],
  ['node: no layers', process.execPath, ['-e', '0']],
  [
    'node: 5 layers, NODE_PATH (5 entries)',
    process.execPath,
    ['-e', requires],
    { NODE_PATH: nodePaths.join(':') },
  ],
  [
    'node: 5 layers, merged tree (1 entry)',
    process.execPath,
    ['-e', requires],
    { NODE_PATH: path.join(merged, 'nodejs/node_modules') },
  ],
  ...(bwrapOk
    ? [
        ['bwrap alone (true)', 'bwrap', bwrap(['true'])],
        [
          'python: 5 layers, /opt bind mount (bwrap)',
          'bwrap',
          bwrap([python, '-S', '-c', pyCode(['/opt/python'])]),
        ],
        [
          'node: 5 layers, /opt bind mount (bwrap)',
          'bwrap',
          bwrap([process.execPath, '-e', requires]),
          { NODE_PATH: '/opt/nodejs/node_modules' },
        ],
      ]
    : []),
]);
const files = LAYERS * (FILES_PER_LAYER + 2);
console.log(`layers bench: ${LAYERS} layers, ${files} files, median of ${RUNS} process starts`);
console.log(`  ${'variant'.padEnd(48)} start ms   imports ms`);
for (const [what, ms, inner] of rows) {
  const imports = Number.isNaN(inner) ? '' : inner.toFixed(2);
  console.log(`  ${what.padEnd(48)} ${ms.toFixed(1).padStart(8)}   ${imports.padStart(10)}`);
}
console.log(
  `  ${'merging the tree (hard links, once per combination)'.padEnd(48)} ${median(mergeMs).toFixed(1)} ms`,
);
if (!bwrapOk) {
  console.log('  (bwrap unavailable: no /opt figures)');
}
rmSync(root, { recursive: true, force: true });

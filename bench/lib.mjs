// Shared by the benchmarks: the compiled pool (run `npm run build` first; `npm run bench`
// does), servers in their own processes (hearth itself: startHearth), one keep-alive HTTP
// client, request bodies, hearth set up through the official SDK, and CPU and memory
// figures of a process from /proc. Channel frames are in frames.mjs (children load only it).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import pg from 'pg';
import yazl from 'yazl';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A pool spec of the echo fixture (test/fixtures/functions/echo, Node.js, CommonJS) for the
 * benches that drive the pool in-process; `key` names it in the pool.
 */
export function echoFixtureSpec(key = 'bench/echo@1') {
  return {
    key,
    accountId: '123456789012',
    region: 'us-east-1',
    namespace: 'default',
    functionName: 'echo',
    version: '1',
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    memoryMb: 128,
    timeoutSec: 30,
    environment: {},
    codeDir: path.join(root, 'test/fixtures/functions/echo'),
    logGroup: '/aws/lambda/echo',
  };
}

export async function loadPool() {
  const entry = path.join(root, 'dist/pool/index.js');
  if (!existsSync(entry)) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  return import(pathToFileURL(entry).href);
}

/** RSS, PSS and USS (private clean + dirty) of a process, in KiB (smaps_rollup, Linux >= 4.14). */
export function memoryKb(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss'), uss: field('Private_Clean') + field('Private_Dirty') };
}

/** User + system CPU time of a process so far, in ms (/proc/<pid>/stat, 10 ms ticks). */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU time of all the threads of a process so far, in ns (/proc/<pid>/task/<tid>/schedstat:
 * the scheduler's own accounting, exact where /proc/<pid>/stat counts 10 ms ticks); 0 for
 * a process that is gone.
 */
export function cpuNs(pid) {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      } catch {
        // a thread that ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return total;
}

function directChildren(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Whether `pid` is a pre-started runtime still waiting for a function
 * (src/pool/launchers/prestarted.ts): started with _HEARTH_BLANK=1 and still in `/`, which
 * it leaves for its function's folder when it takes one; or, in a sandbox (bubblewrap, whose
 * process is hearth's child), a runtime whose /var/task is still empty (filled when taken).
 */
function waitingBlank(pid) {
  try {
    if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('_HEARTH_BLANK=1')) {
      return false;
    }
    if (readlinkSync(`/proc/${pid}/cwd`) === '/') {
      return true;
    }
    // bwrap → the sandbox's init → the runtime.
    const runtime = directChildren(pid).flatMap((init) => directChildren(init))[0];
    return runtime !== undefined && readdirSync(`/proc/${runtime}/cwd`).length === 0;
  } catch {
    return false;
  }
}

/**
 * The environment processes of hearth `pid`: its children, the children of its spawner
 * (src/pool/launchers/spawner.ts, which forks them) in the spawner's stead; not the
 * pre-started runtimes waiting for a function.
 */
export function childPids(pid) {
  return directChildren(pid)
    .flatMap((child) => {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${child}/cmdline`, 'latin1');
      } catch {
        return [];
      }
      return cmdline.includes('spawner-child.cjs') ? directChildren(child) : [child];
    })
    .filter((child) => !waitingBlank(child));
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function zip(files) {
  return new Promise((resolve, reject) => {
    const z = new yazl.ZipFile();
    for (const [name, text] of Object.entries(files)) {
      z.addBuffer(Buffer.from(text), name);
    }
    z.end();
    const chunks = [];
    z.outputStream.on('data', (c) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

// Idle sockets are dropped after 3 s, before any server measured drops them (node:http's
// keepAliveTimeout is 5 s): Node 20's agent ignores the server's `Keep-Alive: timeout=5`
// hint when it has no timeout of its own, and a request sent on a socket the server is
// closing at that moment fails with "socket hang up" (seen: every connection of a c=32
// slice at once, when a slice began ~5 s after the same server's previous one ended).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 3000 });

/** POST with the shared keep-alive agent: the same client for every server measured. */
export function post(url, body) {
  return send('POST', url, body);
}

/** GET with the same client (the control plane's reads, in open mode: unsigned). */
export function get(url) {
  return send('GET', url, undefined);
}

function send(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: body === undefined ? {} : { 'content-length': body.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function closeClient() {
  agent.destroy();
}

// The baseline of every ratio. Every server runs in its own process, as in production:
// the bench process is only the client, so the baseline and hearth pay the same client
// costs. A source for `node -e`, standalone on purpose: it loads nothing but node:http.
const ECHO_SOURCE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('echo listening on http://127.0.0.1:' + server.address().port));
`;

/** The bare echo server in its own process (ECHO_SOURCE): `{ child, url }`. */
export function startEcho() {
  return startProcess(['-e', ECHO_SOURCE], /echo listening on (http:\/\/\S+)\n/);
}

/** Starts `node ...args` with a clean environment; resolves with the URL its ready line names. */
export async function startProcess(args, readyPattern, env = {}) {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH, ...env },
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = readyPattern.exec(out);
      if (m) {
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  return { child, url };
}

export async function stopProcess(child) {
  // A child killed by a signal has a signalCode and no exitCode: it is already gone.
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

/**
 * `hearth serve` on port 0 with a fresh data dir, and an AWS SDK client for it. `bin`
 * runs another build (paired.mjs), `env` adds to the clean environment, `store` is a
 * `--store` URL (PostgreSQL; absent: SQLite in the data dir). `stop()` ends the
 * process and removes the data dir.
 */
export async function startHearth({
  name = 'bench',
  bin = path.join(root, 'bin/hearth.js'),
  logLevel = 'warn',
  env = {},
  store,
} = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `hearth-${name}-`));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  let started;
  try {
    started = await startProcess(
      [
        bin,
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-level',
        logLevel,
        ...(store === undefined ? [] : ['--store', store]),
      ],
      /hearth listening on (http:\/\/\S+)\n/,
      // Unsandboxed unless asked: these benches measure the platform's own path and count
      // environments as hearth's (or its spawner's) children; bench/sandbox.mjs measures the sandbox.
      { HEARTH_SANDBOX: 'off', ...env },
    );
  } catch (e) {
    removeDataDir();
    throw e;
  }
  const { child, url } = started;
  const lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
  });
  return {
    child,
    url,
    lambda,
    async stop() {
      lambda.destroy();
      await stopProcess(child);
      removeDataDir();
    },
  };
}

/** The whole body of a request (or any readable stream), as one Buffer. */
export function readBody(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export async function waitReady(client, fn, qualifier, timeoutMs, intervalMs = 5) {
  const t0 = Date.now();
  for (;;) {
    const c = await client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: fn, Qualifier: qualifier }),
    );
    if (c.Status === 'READY') {
      return Date.now() - t0;
    }
    if (c.Status === 'FAILED' || Date.now() - t0 > timeoutMs) {
      throw new Error(`provisioned config ${fn}:${qualifier} is ${c.Status} (${c.StatusReason ?? ''})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs)); // polling the API like a client would
  }
}

/**
 * The bench's echo handler: the event with a per-environment counter and the pid (for
 * the check that no invocation is lost or run twice). bench/run.mjs's floor runs it too.
 */
export const ECHO_HANDLER = 'async (event) => ({ ...event, n: ++n, pid: process.pid })';

/**
 * The benchmarks' function: `echo` (Node.js 20, ESM) numbering its invocations per
 * environment, so a bench can prove none was lost or run twice (Σ of each environment's
 * last number = invokes sent); version 1 behind the alias `live`.
 */
export async function createEchoFunction(client) {
  const code = await zip({
    'index.mjs': `let n = 0;\nexport const handler = ${ECHO_HANDLER};\n`,
  });
  await client.send(
    new CreateFunctionCommand({
      FunctionName: 'echo',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/bench',
      Code: { ZipFile: code },
    }),
  );
  await client.send(new PublishVersionCommand({ FunctionName: 'echo' }));
  await client.send(new CreateAliasCommand({ FunctionName: 'echo', Name: 'live', FunctionVersion: '1' }));
}

/** Puts `count` provisioned environments on echo:live and waits for READY; returns the ms. */
export async function provisionEcho(client, count) {
  await client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'echo',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: count,
    }),
  );
  return waitReady(client, 'echo', 'live', 60_000);
}

/**
 * The PostgreSQL server benches use (HEARTH_TEST_POSTGRES, default the role
 * scripts/dev-postgres.sh creates): `database()` makes a fresh one and `drop()` removes it.
 * Without a server it prints why `what` is skipped and resolves to undefined.
 */
export async function benchPostgres(what) {
  const admin = process.env.HEARTH_TEST_POSTGRES ?? 'postgres://hearth:hearth@127.0.0.1:5432/postgres';
  const probe = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
  } catch (e) {
    console.log(
      `${what} skipped: no PostgreSQL at ${admin} (${e.message}); scripts/dev-postgres.sh starts one`,
    );
    return undefined;
  }
  return {
    async database() {
      const name = `hearth_bench_${randomBytes(4).toString('hex')}`;
      await probe.query(`CREATE DATABASE ${name}`);
      const url = new URL(admin);
      url.pathname = `/${name}`;
      return { url: url.toString(), drop: () => probe.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
    },
    end: () => probe.end(),
  };
}

/**
 * The floor's child (bench/run.mjs, bench/pool-floor.mjs): blocks in read(2) on fd 3 for a
 * 4-byte length frame, parses the event, awaits an async handler (`handler`, the source of
 * a function expression; `n` is a counter it may use) and writes the result back the same
 * way: the least a runtime does. A floor compared with hearth runs the same handler as
 * hearth's function does.
 */
export function floorChild(handler) {
  return `
const fs = require('node:fs');
let n = 0;
const handler = ${handler};
const header = Buffer.alloc(4);
function readExact(buf) {
  for (let o = 0; o < buf.length; ) {
    const n = fs.readSync(3, buf, o, buf.length - o, null);
    if (n === 0) process.exit(0);
    o += n;
  }
}
(async () => {
  for (;;) {
    readExact(header);
    const body = Buffer.alloc(header.readUInt32LE(0));
    readExact(body);
    const out = Buffer.from(JSON.stringify(await handler(JSON.parse(body.toString()))));
    const frame = Buffer.alloc(4 + out.length);
    frame.writeUInt32LE(out.length, 0);
    out.copy(frame, 4);
    fs.writeSync(3, frame);
  }
})();
`;
}

/** The floor's child with the echo fixture's handler (test/fixtures/functions/echo). */
export const FLOOR_CHILD = floorChild('async (event) => event');

/** V8's early tier-up flags of src/runtimes/node/bootstrap.cjs, for the floor's children. */
export const FLOOR_FLAGS = [
  '--interrupt-budget=4000',
  '--minimum-invocations-after-ic-update=50',
  '--no-lazy-feedback-allocation',
];

/**
 * The package folders of `names` and of everything they depend on, as npm installed
 * them under `from` (nearest node_modules first, as Node resolves).
 */
export function packageClosure(from, names) {
  const found = new Map();
  const locate = (name, dir) => {
    for (let d = dir; ; d = path.dirname(d)) {
      const candidate = path.join(d, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) {
        return candidate;
      }
      if (path.dirname(d) === d) {
        return undefined;
      }
    }
  };
  const visit = (name, dir) => {
    const found1 = locate(name, dir);
    if (found1 === undefined || found.has(found1)) {
      return;
    }
    found.set(found1, name);
    const pkg = JSON.parse(readFileSync(path.join(found1, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      visit(dep, found1);
    }
  };
  for (const n of names) {
    visit(n, from);
  }
  return [...found.keys()];
}

/** Every file under `dir` (CommonJS builds and package.json files; no types, no ES builds). */
export function filesOf(dir, out = {}, base = dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'dist-types' && name !== 'dist-es' && name !== 'node_modules') {
        filesOf(full, out, base);
      }
    } else if (/\.(c?js|json)$/.test(name)) {
      out[path.relative(base, full)] = readFileSync(full);
    }
  }
  return out;
}

/** A CommonJS function whose init builds an AWS SDK v3 client, the SDK in its package. */
export async function sdkPackage() {
  const files = {
    'index.js': [
      "const { LambdaClient, GetFunctionCommand } = require('@aws-sdk/client-lambda');",
      "const client = new LambdaClient({ region: process.env.AWS_REGION, endpoint: 'http://127.0.0.1:9' });",
      // The CPU its process has used so far (init and this invocation): a figure that the
      // other work on a shared machine disturbs far less than the wall-clock time.
      'exports.handler = async (event) => {',
      '  const cpu = process.cpuUsage();',
      '  return { ...event, client: typeof client.send, command: typeof GetFunctionCommand, cpuMs: (cpu.user + cpu.system) / 1000 };',
      '};',
      '',
    ].join('\n'),
  };
  for (const dir of packageClosure(root, ['@aws-sdk/client-lambda'])) {
    const rel = path.relative(root, dir);
    for (const [name, bytes] of Object.entries(filesOf(dir))) {
      files[path.join(rel, name)] = bytes;
    }
  }
  return zip(files);
}

/** Creates `sdk` (512 MB, 30 s) from sdkPackage()'s `code`: the benches' SDK function. */
export async function createSdkFunction(client, code) {
  await client.send(
    new CreateFunctionCommand({
      FunctionName: 'sdk',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/bench',
      Code: { ZipFile: code },
      MemorySize: 512,
      Timeout: 30,
    }),
  );
}

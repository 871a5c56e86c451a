#!/usr/bin/env node
// The pool against the process floor, both in this process and without HTTP, in
// alternating rounds: C environments of the echo function (the bundled Node.js runtime on
// its private channel, function logs to a sink that keeps nothing) against C of the
// floor's children (bench/lib.mjs FLOOR_CHILD: blocking reads on a socketpair, the least
// a runtime does; under `chrt --batch 0` with the runtime's tier-up flags, as hearth
// starts its runtimes), each driven at concurrency C by the same loop. Per side and round:
//
//   parent µs/inv   this process's CPU per invocation (the pool's own work, or the floor's
//                   framing and dispatch)
//   child µs/inv    the environments' (or children's) CPU per invocation, from /proc
//   inv/s           invocations a second
//
// and the ratios pool ÷ floor. It separates what hearth's runtime costs from what the
// pool around it costs; bench/run.mjs and bench/paired.mjs add the HTTP front end.
//
// Run: npm run build && node bench/pool-floor.mjs [--concurrency 32] [--rounds 4] [--invocations 20000]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pino from 'pino';
import { echoFixtureSpec, FLOOR_CHILD, FLOOR_FLAGS, loadPool, median } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const C = arg('concurrency', 32);
const ROUNDS = arg('rounds', 4);
const N = arg('invocations', 20_000);
const BODY = Buffer.from('{"a":1,"b":"hello"}');

const { createPool } = await loadPool();

/** CPU of a process so far, in ms (utime + stime, 10 ms ticks); 0 once it is gone. */
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** The pool side: C warm environments of the echo fixture. */
async function poolSide() {
  const spec = echoFixtureSpec();
  const admission = { scopeKey: 's', functionKey: 'f', provisionedTotal: 0, unreservedCapacity: 1_000_000 };
  const pool = createPool({
    logger: pino({ level: 'silent' }),
    idleTimeoutMs: 3_600_000,
    maxConcurrentStarts: 8,
    path: process.env.PATH ?? '/usr/bin:/bin',
    onFunctionLog: () => undefined,
  });
  const call = async () => {
    const o = await pool.invoke({
      spec,
      requestId: randomUUID(),
      payload: BODY,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
      wantLog: false,
      admission,
    });
    if (o.kind !== 'success' || !o.payload.equals(BODY)) {
      throw new Error(`the pool answered ${o.kind}: ${o.payload.toString()}`);
    }
  };
  return { call, pids: () => pool.environments().map((e) => e.pid), close: () => pool.dispose() };
}

/** The floor side: C children, each taking one framed request at a time. */
function floorSide() {
  const chrt = ['/usr/bin/chrt', '/bin/chrt'].find((c) => existsSync(c));
  const node = [process.execPath, ...FLOOR_FLAGS, '-e', FLOOR_CHILD];
  const idle = [];
  const waiting = [];
  const children = [];
  for (let i = 0; i < C; i++) {
    const [command, ...args] = chrt === undefined ? node : [chrt, '--batch', '0', ...node];
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
      env: { PATH: process.env.PATH },
    });
    const one = { child, sock: child.stdio[3], buf: Buffer.alloc(0), done: undefined };
    one.sock.on('data', (d) => {
      one.buf = one.buf.length === 0 ? d : Buffer.concat([one.buf, d]);
      if (one.buf.length >= 4 && one.buf.length >= 4 + one.buf.readUInt32LE(0)) {
        const answer = one.buf.subarray(4, 4 + one.buf.readUInt32LE(0));
        one.buf = Buffer.alloc(0);
        const done = one.done;
        one.done = undefined;
        done(answer);
      }
    });
    children.push(one);
    idle.push(one);
  }
  const call = async () => {
    const one = idle.pop() ?? (await new Promise((resolve) => waiting.push(resolve)));
    const frame = Buffer.alloc(4 + BODY.length);
    frame.writeUInt32LE(BODY.length, 0);
    BODY.copy(frame, 4);
    const answer = await new Promise((resolve) => {
      one.done = resolve;
      one.sock.write(frame);
    });
    const next = waiting.shift();
    if (next === undefined) {
      idle.push(one);
    } else {
      next(one);
    }
    if (!answer.equals(BODY)) {
      throw new Error(`the floor answered ${answer.toString()}`);
    }
  };
  return {
    call,
    pids: () => children.map((c) => c.child.pid),
    close: async () => {
      for (const c of children) {
        c.child.kill('SIGKILL');
      }
      await Promise.all(
        children.map((c) =>
          c.child.exitCode === null && c.child.signalCode === null
            ? new Promise((r) => c.child.once('exit', r))
            : undefined,
        ),
      );
    },
  };
}

async function drive(side, n) {
  let left = n;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (left-- > 0) {
        await side.call();
      }
    }),
  );
}

async function measure(side) {
  const pids = side.pids();
  const children = () => pids.reduce((sum, pid) => sum + cpuOf(pid), 0);
  const c0 = children();
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(side, N);
  const seconds = (performance.now() - t0) / 1000;
  const p = process.cpuUsage(p0);
  return {
    parent: (p.user + p.system) / N,
    child: ((children() - c0) * 1000) / N,
    rate: N / seconds,
  };
}

console.log(`hearth pool ÷ floor bench (${new Date().toISOString()}, node ${process.version})`);
console.log(
  `${C} environments and ${C} floor children, concurrency ${C}, ${N} invocations per side and round`,
);
const sides = { pool: await poolSide(), floor: floorSide() };
const out = { pool: { parent: [], child: [], rate: [] }, floor: { parent: [], child: [], rate: [] } };
const ratio = { parent: [], child: [], rate: [] };
try {
  // Warm-up: every environment started and every child past V8's tier-up.
  for (const side of Object.values(sides)) {
    await drive(side, C * 300);
  }
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const [name, side] of Object.entries(sides)) {
      round[name] = await measure(side);
      for (const k of ['parent', 'child', 'rate']) {
        out[name][k].push(round[name][k]);
      }
    }
    for (const k of ['parent', 'child', 'rate']) {
      ratio[k].push(round.pool[k] / round.floor[k]);
    }
  }
} finally {
  await sides.pool.close();
  await sides.floor.close();
}
const row = (label, xs, digits) =>
  console.log(
    `${label.padEnd(22)} ${xs.map((x) => x.toFixed(digits)).join(' ')}  median ${median(xs).toFixed(digits)}`,
  );
for (const name of ['pool', 'floor']) {
  row(`${name} parent µs/inv`, out[name].parent, 1);
  row(`${name} child µs/inv`, out[name].child, 1);
  row(`${name} inv/s`, out[name].rate, 0);
}
row('pool ÷ floor parent', ratio.parent, 2);
row('pool ÷ floor child', ratio.child, 2);
row('pool ÷ floor inv/s', ratio.rate, 2);

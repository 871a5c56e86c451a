#!/usr/bin/env node
// Prototype comparison of private channels between the control-plane process and a
// runtime child (the measurements behind the pool's channel choice; see
// src/pool/README.md). Each mode runs a node:http front end that hands the request body
// to a pre-started child and returns what the child answers; `echo` is the bare floor.
//
// usage: node bench/pool-channels.mjs [durationMs=3000] [modes=echo,ipc,pipe,sync,http]
//
// modes: ipc  = fork + process.send (JSON over Node's IPC channel)
//        pipe = socketpair on fd 3, length-prefixed frames, event-loop reads in the child
//        sync = the same socketpair, blocking reads in the child (what the pool uses)
//        http = the Runtime API long poll with node:http in the child
// knobs: CHILDREN=n runs n children whatever the concurrency (the active-set experiment);
//        CHILD_FLAGS="..." passes node flags to pipe/sync children; PIN=cpu pins them.
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { channelFrame, lengthPrefixedFrames, parseChannelFrame } from './frames.mjs';
import { readBody } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const durationMs = Number(process.argv[2] ?? 3000);
const modes = (process.argv[3] ?? 'echo,ipc,pipe,sync,http').split(',');
const childScript = path.join(here, 'pool-channel-child.mjs');
const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function idleStack(children) {
  const idle = [...children];
  const waiters = [];
  return {
    acquire: () => (idle.length > 0 ? Promise.resolve(idle.pop()) : new Promise((r) => waiters.push(r))),
    release: (c) => (waiters.length > 0 ? waiters.shift()(c) : idle.push(c)),
  };
}

async function startChildren(mode, n) {
  const children = [];
  for (let i = 0; i < n; i++) {
    if (mode === 'ipc') {
      const cp = fork(childScript, ['ipc'], {
        env: cleanEnv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const pending = new Map();
      await new Promise((r) => cp.once('message', r));
      cp.on('message', (m) => {
        pending.get(m.id)(Buffer.from(m.payload));
        pending.delete(m.id);
      });
      children.push({
        cp,
        call: (body) =>
          new Promise((resolve) => {
            const id = randomUUID();
            pending.set(id, resolve);
            cp.send({ id, payload: body.toString() });
          }),
      });
    } else if (mode === 'pipe' || mode === 'sync') {
      const cp = spawn(
        process.env.PIN ? 'taskset' : process.execPath,
        [
          ...(process.env.PIN ? ['-c', process.env.PIN, process.execPath] : []),
          ...(process.env.CHILD_FLAGS ? process.env.CHILD_FLAGS.split(' ') : []),
          childScript,
          mode,
        ],
        { env: cleanEnv, stdio: ['ignore', 'inherit', 'inherit', 'pipe'] },
      );
      const sock = cp.stdio[3];
      let resolveNext;
      await new Promise((r) => {
        resolveNext = r;
        sock.on(
          'data',
          lengthPrefixedFrames((frame) => {
            if (frame[0] === 1) resolveNext();
            else resolveNext(parseChannelFrame(frame).payload);
          }),
        );
      });
      children.push({
        cp,
        call: (body) =>
          new Promise((resolve) => {
            resolveNext = resolve;
            sock.write(channelFrame(3, randomUUID(), body));
          }),
      });
    } else if (mode === 'http') {
      let parked;
      let onParked;
      let pendingResponse;
      const server = http.createServer(async (req, res) => {
        if (req.method === 'GET') {
          parked = res;
          onParked?.();
          return;
        }
        const body = await readBody(req);
        res
          .writeHead(202, { 'content-type': 'application/json', 'content-length': 15 })
          .end('{"status":"OK"}');
        pendingResponse(body);
      });
      server.keepAliveTimeout = 0;
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const cp = spawn(process.execPath, [childScript, 'http'], {
        env: { ...cleanEnv, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}` },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      await new Promise((r) => (onParked = r));
      children.push({
        cp,
        server,
        idle: () => (parked !== undefined ? Promise.resolve() : new Promise((r) => (onParked = r))),
        call: (body) =>
          new Promise((resolve) => {
            pendingResponse = resolve;
            const res = parked;
            parked = undefined;
            res.writeHead(200, {
              'lambda-runtime-aws-request-id': randomUUID(),
              'lambda-runtime-deadline-ms': String(Date.now() + 3000),
              'content-type': 'application/json',
              'content-length': body.length,
            });
            res.end(body);
          }),
      });
    }
  }
  return children;
}

async function run(mode, concurrency) {
  const children =
    mode === 'echo' ? [] : await startChildren(mode, Number(process.env.CHILDREN ?? concurrency));
  const pool = idleStack(children);
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    let out = body;
    if (mode !== 'echo') {
      const child = await pool.acquire();
      out = await child.call(body);
      if (child.idle === undefined) pool.release(child);
      else void child.idle().then(() => pool.release(child));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
    res.end(out);
  });
  server.keepAliveTimeout = 0;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const lg = spawn(
    process.execPath,
    [
      path.join(here, 'pool-loadgen.mjs'),
      String(server.address().port),
      String(concurrency),
      String(durationMs),
    ],
    {
      env: cleanEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  lg.stdout.on('data', (c) => (out += c));
  const cpu0 = process.cpuUsage();
  const ticks = (pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  const child0 = children.reduce((a, c) => a + ticks(c.cp.pid), 0);
  let lgTicks = 0;
  const poll = setInterval(() => {
    lgTicks = Math.max(lgTicks, ticks(lg.pid));
  }, 100);
  await new Promise((r) => lg.on('close', r));
  clearInterval(poll);
  const cpu = process.cpuUsage(cpu0);
  const childTicks = children.reduce((a, c) => a + ticks(c.cp.pid), 0) - child0;
  const used = new Set(children.filter((c) => ticks(c.cp.pid) > 0).map((c) => c.cp.pid));
  console.log(
    `  parent cpu ${(cpu.user + cpu.system) / 1000} ms, children ${childTicks * 10} ms, loadgen ${lgTicks * 10} ms`,
  );
  server.close();
  for (const c of children) {
    c.cp.kill('SIGKILL');
    c.server?.close();
  }
  return JSON.parse(out);
}

for (const c of [1, 32]) {
  for (const mode of modes) {
    const r = await run(mode, c);
    console.log(`c=${c} ${mode.padEnd(5)} rps=${r.rps} p50=${r.p50Us}µs p99=${r.p99Us}µs errors=${r.errors}`);
  }
}
process.exit(0);

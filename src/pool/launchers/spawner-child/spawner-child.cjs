'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, as the runtime clients: started once, by path, with no loader of its own. */
// The spawner (spawner.ts): a small process that forks environments for hearth, so that
// hearth's event loop does not pay a fork() of its own, much larger, address space per
// environment. Node built-ins only; started by hearth with an IPC channel.
//
// Protocol (JSON messages over the IPC channel):
//   hearth -> { t: 'spawn', id, command, args, cwd, env, stdio }   stdio: 'ignore' | 'pipe' per fd
//   <- { t: 'error', id, message }         it could not be spawned (ENOENT, EACCES...)
//   <- { t: 'spawned', id, pid }           then, for each piped fd, in order:
//   <- { t: 'fd', id, fd } + its socket    (Node passes one handle per message)
//   <- { t: 'exit', id, code, signal }     after its fds were sent
//
// Every process is started detached (a process group of its own, which hearth kills).
// When hearth goes (the channel closes, or SIGTERM: hearth starts the spawner under
// `setpriv --pdeathsig TERM` where it can), the spawner kills every group it started and
// exits. What it forks inherits its scheduling policy (SCHED_BATCH when hearth started it
// under chrt).
const { spawn } = require('node:child_process');
const { Socket } = require('node:net');

/**
 * @typedef {{ t: 'spawn', id: number, command: string, args: string[], cwd?: string,
 *   env: Record<string, string>, stdio: ('ignore' | 'pipe')[] }} SpawnMessage
 * @typedef {{ pgid: number, sending: number,
 *   exit: { code: number | null, signal: NodeJS.Signals | null } | undefined }} Live
 * @typedef {{ reading: boolean, readStop(): number }} PipeHandle libuv's stream (stream_wrap)
 */

/** @type {Map<number, Live>} the processes started and not yet reported gone, by id */
const live = new Map();

/**
 * @param {object} message
 * @param {import('node:net').Socket | undefined} handle
 * @param {() => void} [done]
 */
function send(message, handle, done) {
  if (process.send === undefined || !process.connected) {
    return;
  }
  // A write error means hearth is gone: 'disconnect' follows.
  process.send(message, handle, {}, done ?? (() => undefined));
}

/** @param {number} pgid */
function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** @param {number} id */
function reportExit(id) {
  const p = live.get(id);
  if (p === undefined || p.exit === undefined || p.sending > 0) {
    return;
  }
  live.delete(id);
  send({ t: 'exit', id, code: p.exit.code, signal: p.exit.signal }, undefined);
}

/** @param {SpawnMessage} m */
function launch(m) {
  /** @type {import('node:child_process').ChildProcess} */
  let proc;
  try {
    proc = spawn(m.command, m.args, { cwd: m.cwd, env: m.env, stdio: m.stdio, detached: true });
  } catch (e) {
    send({ t: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) }, undefined);
    return;
  }
  if (proc.pid === undefined) {
    proc.once('error', (e) => send({ t: 'error', id: m.id, message: e.message }, undefined));
    return;
  }
  // The pipes' sockets start reading at once (net.Socket), and Node reads what is left in
  // them at exit (flushStdio): both would take output that belongs to hearth. Reading stops
  // now, before any data can arrive (this tick), and the sockets leave proc.stdio.
  /** @type {[number, import('node:net').Socket][]} */
  const pipes = [];
  /** @type {(import('node:stream').Stream | null | undefined)[]} */
  const stdio = proc.stdio;
  for (let fd = 0; fd < stdio.length; fd++) {
    const s = stdio[fd];
    /** @type {PipeHandle | null | undefined} */
    const handle =
      s instanceof Socket ? /** @type {{ _handle?: PipeHandle | null }} */ (s)._handle : undefined;
    if (s instanceof Socket && handle !== null && handle !== undefined) {
      handle.reading = false;
      handle.readStop();
      pipes.push([fd, s]);
    }
    stdio[fd] = null;
  }
  const pgid = proc.pid;
  /** @type {Live} */
  const p = { pgid, sending: pipes.length, exit: undefined };
  live.set(m.id, p);
  proc.once('error', () => undefined);
  proc.once('exit', (code, signal) => {
    // What the process left in its group goes with it (its pipes close sooner).
    killGroup(pgid);
    p.exit = { code, signal };
    reportExit(m.id);
  });
  send({ t: 'spawned', id: m.id, pid: pgid }, undefined);
  for (const [fd, s] of pipes) {
    // The socket's handle moves to hearth; this process closes its copy on hearth's ack.
    send({ t: 'fd', id: m.id, fd }, s, () => {
      p.sending--;
      reportExit(m.id);
    });
  }
}

process.on('message', (/** @type {unknown} */ m) => {
  if (m !== null && typeof m === 'object' && 't' in m && m.t === 'spawn') {
    launch(/** @type {SpawnMessage} */ (m));
  }
});

/** hearth is gone: so is everything started for it. */
function end() {
  for (const p of live.values()) {
    killGroup(p.pgid);
  }
  process.exit(0);
}

process.on('disconnect', end);
process.on('SIGTERM', end);

'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: a CommonJS function then never starts the ESM loader (src/pool/README.md). */
/**
 * hearth's bundled Node.js runtime client (nodejs18.x, nodejs20.x, nodejs22.x). It runs as
 * the environment's process, imports nothing of hearth, and behaves like the official
 * client for the handler (aws-lambda.md §5, §6):
 *
 *   1. read the Lambda variables (§5.5); pick the channel: the private fd named by
 *      _HEARTH_RUNTIME_FD (removed from process.env before user code loads), else the
 *      HTTP Runtime API at AWS_LAMBDA_RUNTIME_API;
 *   2. patch console into the Lambda text format, load `_HANDLER` (init); an init failure
 *      is reported on init/error and the process exits 1, as the official client does;
 *   3. loop: next → run the handler (async or callback) → response or error → next.
 *
 * It is CommonJS so that a CommonJS function never starts Node's ESM loader (README).
 *
 * Callback handlers follow the Node.js 18–22 rules: with callbackWaitsForEmptyEventLoop
 * (the default) the result is sent when the event loop has drained ('beforeExit'); a
 * handler that neither returns a promise nor calls back answers `null` at that point.
 */
// Before anything loads: Node's own built-in modules then load from its code cache during
// init instead of being compiled from source (heap-flags.cjs); restored in afterInit.
const { setHeapFlagsAside, v8SetFlags } = require('./heap-flags.cjs');
const restoreHeapFlags = setHeapFlagsAside();
// A pre-started runtime first waits for its function and takes on its environment
// (blank.cjs): everything below then reads that function's variables, as it would in a
// runtime started for it.
const preStarted = process.env._HEARTH_BLANK === '1' ? require('./blank.cjs').takeAssignment() : undefined;
const codeCacheDir = process.env._HEARTH_CODE_CACHE;
delete process.env._HEARTH_CODE_CACHE;
// A sandbox's folder is read-only: its entries go to the platform over the channel, before
// the first NEXT (code-cache.cjs `send`).
const codeCacheSends = process.env._HEARTH_CODE_CACHE_SEND === '1';
delete process.env._HEARTH_CODE_CACHE_SEND;
/** The code cache, unless this init has been found too small for it (small-init.cjs). */
function startCodeCache() {
  if (codeCacheDir === undefined || codeCacheDir === '') {
    return undefined;
  }
  const { hasMarker, markerName } = require('./small-init.cjs');
  const marker = markerName(process.env);
  if (hasMarker(codeCacheDir, marker)) {
    return undefined;
  }
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  return require('./code-cache.cjs').install(
    codeCacheDir,
    { marker, root },
    codeCacheSends
      ? (/** @type {string} */ name, /** @type {Buffer} */ bytes) => channel.cacheEntry?.(name, bytes)
      : undefined,
  );
}
const codeCache = startCodeCache();
const { createFdChannel } = require('./channel-fd.cjs');
const { errorForLog, formatError } = require('./errors.cjs');
const { loadHandler } = require('./handler-loader.cjs');
const { logContext, patchConsole } = require('./log-patch.cjs');
const { installTraceEnv } = require('./trace-env.cjs');

/** @typedef {import('./frames.cjs').Invocation} Invocation */
/** @typedef {import('./channel-fd.cjs').Channel} Channel */
/** @typedef {import('./handler-loader.cjs').Handler} Handler */

const env = process.env;
const privateFd = env._HEARTH_RUNTIME_FD;
delete env._HEARTH_RUNTIME_FD;

/** @returns {Channel} */
function openChannel() {
  if (preStarted !== undefined) {
    return preStarted;
  }
  if (privateFd !== undefined) {
    return createFdChannel(Number(privateFd));
  }
  const api = env.AWS_LAMBDA_RUNTIME_API;
  if (api === undefined || api === '') {
    throw new Error('AWS_LAMBDA_RUNTIME_API environment variable is not set');
  }
  // node:http is loaded only for this channel: it is the costliest module to start.
  /** @type {typeof import('./channel-http.cjs')} */
  const { createHttpChannel } = require('./channel-http.cjs');
  return createHttpChannel(api);
}

const channel = openChannel();
patchConsole();
/** Sets process.env._X_AMZN_TRACE_ID for an invocation (trace-env.cjs: not setenv(3)). */
const setTraceId = installTraceEnv();

/** Per-environment facts for the context object (§5.5). */
const fixed = {
  functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? '',
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
};

/**
 * @typedef {object} Current
 * @property {string} requestId
 * @property {boolean} settled
 * @property {{ error: unknown, result: unknown } | undefined} deferred
 *   a callback result waiting for the event loop to drain
 */

/** @type {Current | undefined} */
let current;
/** @type {Handler} */
let handler = () => undefined;
/** Set once `_HANDLER` is loaded: an uncaught exception before that is an init error. */
let initDone = false;

/**
 * @param {string} errorType
 * @param {unknown} error
 */
async function failInit(errorType, error) {
  console.error('Uncaught Exception', errorForLog(error));
  const doc = formatError(error);
  try {
    await channel.initError(errorType, JSON.stringify(doc));
  } finally {
    process.exit(1);
  }
}

/**
 * @param {string} s
 * @returns {unknown}
 */
function parseOptionalJson(s) {
  if (s === '') {
    return undefined;
  }
  try {
    return /** @type {unknown} */ (JSON.parse(s));
  } catch {
    return undefined;
  }
}

/**
 * Reports the outcome of the current invocation once, then moves on to the next.
 * @param {Current} inv
 * @param {unknown} error undefined/null for success
 * @param {unknown} result
 */
function settle(inv, error, result) {
  if (inv.settled) {
    return;
  }
  inv.settled = true;
  /** @type {void | Promise<void>} */
  let sent;
  if (error !== undefined && error !== null) {
    console.error('Invoke Error', errorForLog(error));
    const doc = formatError(error);
    sent = channel.fail(inv.requestId, doc.errorType, JSON.stringify(doc));
  } else {
    let json;
    try {
      // JSON.stringify(undefined) is undefined: Lambda answers `null` (§5.7).
      json = JSON.stringify(result) ?? 'null';
    } catch (e) {
      settleFailure(inv, e);
      return;
    }
    sent = channel.respond(inv.requestId, json);
  }
  afterSend(sent);
}

/**
 * A failure while serialising a result is the invocation's error.
 * @param {Current} inv
 * @param {unknown} e
 */
function settleFailure(inv, e) {
  console.error('Invoke Error', errorForLog(e));
  const doc = formatError(e);
  afterSend(channel.fail(inv.requestId, doc.errorType, JSON.stringify(doc)));
}

/**
 * An on-demand environment makes and writes its code cache entries, and lowers V8's
 * tier-up thresholds, after its first answer is out: the caller of a cold start waits for
 * none of it (and the data must be made before the flags change: code-cache.cjs).
 */
let afterFirstAnswer = false;

/**
 * Init's deferred work, once the platform has this environment's next /next (it is
 * ready, or the NEXT went out with the first answer): the code cache's data is made
 * (before tierUpEarly: V8 refuses data made under other flags) and written, then V8
 * tiers up early. On the private channel it runs before the runtime blocks in read(): an
 * invocation sent meanwhile waits in the socket for it, once per environment. (Writing on
 * the thread pool instead would not finish: fs.writeFile's open, write and close each
 * need a turn of an event loop that is blocked in read().)
 */
function afterInit() {
  codeCache?.seal();
  codeCache?.flush();
  restoreHeapFlags();
  tierUpEarly();
}

/** Asks for the next invocation, then runs afterInit once the request is on its way. */
function stepThenAfterInit() {
  step();
  if (channel.whenNextSent !== undefined) {
    channel.whenNextSent(() => setImmediate(afterInit));
  } else {
    setImmediate(afterInit);
  }
}

/**
 * @param {void | Promise<void>} sent
 */
function afterSend(sent) {
  current = undefined;
  logContext.requestId = 'undefined';
  const deferred = afterFirstAnswer;
  afterFirstAnswer = false;
  if (sent instanceof Promise) {
    sent.then(
      () =>
        // HTTP: the /next is a long poll; the work runs while it waits.
        setImmediate(deferred ? stepThenAfterInit : step),
      (/** @type {unknown} */ e) => {
        console.error('Failed to post invocation result', errorForLog(e));
        process.exit(1);
      },
    );
  } else {
    // Private channel: the NEXT went out with the answer.
    if (deferred) {
      afterInit();
    }
    // The answer is out; one turn of the event loop before blocking in next(): callbacks
    // already due run now, as they would before Lambda freezes the environment.
    setImmediate(step);
  }
}

/**
 * @param {Invocation} inv
 */
function run(inv) {
  /** @type {Current} */
  const me = { requestId: inv.requestId, settled: false, deferred: undefined };
  current = me;
  logContext.requestId = inv.requestId;
  setTraceId(inv.traceId);
  /** @type {unknown} */
  let event;
  try {
    // Parsed before anything else: on the private channel the payload's bytes are reused.
    event = inv.payload.length === 0 ? {} : /** @type {unknown} */ (JSON.parse(inv.payload.toString('utf8')));
  } catch (e) {
    settle(me, e, undefined);
    return;
  }
  const deadlineMs = inv.deadlineMs;
  /** @param {unknown} error @param {unknown} result */
  const callback = (error, result) => {
    if (me.settled || me.deferred !== undefined) {
      return;
    }
    if (context.callbackWaitsForEmptyEventLoop) {
      me.deferred = { error, result };
    } else {
      settle(me, error, result);
    }
  };
  // The fixed facts written out rather than spread: same properties in the same order,
  // without a generic object copy on every invocation.
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fixed.functionName,
    functionVersion: fixed.functionVersion,
    memoryLimitInMB: fixed.memoryLimitInMB,
    logGroupName: fixed.logGroupName,
    logStreamName: fixed.logStreamName,
    invokedFunctionArn: inv.invokedFunctionArn,
    awsRequestId: inv.requestId,
    identity: parseOptionalJson(inv.cognitoIdentity),
    clientContext: parseOptionalJson(inv.clientContext),
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    // The legacy context methods answer at once (they never waited for the event loop).
    /** @param {unknown} [error] @param {unknown} [result] */
    done: (error, result) => settle(me, error, result),
    /** @param {unknown} result */
    succeed: (result) => settle(me, undefined, result),
    /** @param {unknown} error */
    fail: (error) => settle(me, error ?? 'handled', undefined),
  };
  try {
    const returned = handler(event, context, callback);
    if (
      typeof returned === 'object' &&
      returned !== null &&
      'then' in returned &&
      typeof returned.then === 'function'
    ) {
      /** @type {PromiseLike<unknown>} */ (returned).then(
        (result) => settle(me, undefined, result),
        (/** @type {unknown} */ error) =>
          settle(me, error ?? new Error('Promise rejected with a falsy value'), undefined),
      );
    }
  } catch (e) {
    settle(me, e, undefined);
  }
}

/** Waits for the next invocation (blocking on the private channel) and runs it. */
function step() {
  const next = channel.next();
  if (next instanceof Promise) {
    next.then(run, (/** @type {unknown} */ e) => {
      console.error('Failed to get next invocation', errorForLog(e));
      process.exit(1);
    });
  } else {
    run(next);
  }
}

// The event loop drained with an invocation still open: a deferred callback result is
// sent now; a handler that returned nothing and never called back answers null.
process.on('beforeExit', () => {
  const inv = current;
  if (inv !== undefined && !inv.settled) {
    const deferred = inv.deferred;
    settle(inv, deferred?.error, deferred?.result ?? null);
  }
});

/**
 * An exception nobody caught ends the environment: it is the current invocation's error
 * (or the init error), and the process exits, as with the official client.
 * @param {unknown} error
 * @param {number} exitCode
 */
function fatal(error, exitCode) {
  const inv = current;
  if (inv === undefined || inv.settled) {
    if (!initDone) {
      void failInit(error instanceof Error ? error.name : 'Runtime.Unknown', error);
      return;
    }
    console.error('Uncaught Exception', errorForLog(error));
    process.exit(exitCode);
  }
  inv.settled = true;
  console.error('Uncaught Exception', errorForLog(error));
  const doc = formatError(error);
  const sent = channel.failAndExit(inv.requestId, doc.errorType, JSON.stringify(doc));
  const exit = () => process.exit(exitCode);
  if (sent instanceof Promise) {
    sent.then(exit, exit);
  } else {
    exit();
  }
}

process.on('uncaughtException', (error) => fatal(error, 129));
process.on('unhandledRejection', (reason) => {
  const error = new Error(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  error.name = 'Runtime.UnhandledPromiseRejection';
  fatal(error, 128);
});

/**
 * Init is over: from here on, V8 tiers code up after far fewer calls than its defaults.
 *
 * Why: an environment sees 1/N of a function's traffic, so with V8's defaults each of N
 * environments spends its first thousand or so invocations in the interpreter and the
 * baseline compiler; with 32 environments at concurrency 32, that warm-up is about two
 * thirds of the CPU of an invocation (bench/run.mjs; src/pool/README.md "JIT warm-up").
 * Set after init, so init itself (module loading, which runs once) is not slowed by
 * compiling code that never runs again. The flags are read at each tier-up decision.
 */
function tierUpEarly() {
  try {
    const set = v8SetFlags();
    set('--interrupt-budget=4000');
    set('--minimum-invocations-after-ic-update=50');
    set('--no-lazy-feedback-allocation');
  } catch {
    // A tuning, not a behaviour: without it the environment is only slower to warm.
  }
}

loadHandler(env.LAMBDA_TASK_ROOT ?? process.cwd(), env._HANDLER ?? '').then(
  (loaded) => {
    handler = loaded;
    initDone = true;
    // Modules loaded from here on compile as Node compiles them.
    codeCache?.stop();
    if (codeCache !== undefined && codeCacheSends) {
      // Sent before the first NEXT: the platform takes entries only from an environment
      // that has run no invocation yet (src/pool/code-cache-writer.ts). The rest of
      // afterInit (V8's flags) waits as below, as in an unsandboxed runtime.
      codeCache.seal();
      codeCache.flush();
    }
    if (codeCache !== undefined && env.AWS_LAMBDA_INITIALIZATION_TYPE === 'on-demand') {
      afterFirstAnswer = true;
      step();
    } else if (channel.announce !== undefined) {
      // Provisioned (or no cache): ready first, then the deferred work, then wait.
      channel.announce();
      afterInit();
      step();
    } else {
      stepThenAfterInit();
    }
  },
  (/** @type {unknown} */ e) => failInit(e instanceof Error ? e.name : 'Runtime.Unknown', e),
);

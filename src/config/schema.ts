/**
 * hearth's configuration: one schema, parsed once (defaults < environment < flags), then
 * frozen. Nothing else in hearth reads process.env for settings.
 */
import { z } from 'zod';

/** One SCF API key of the deprecated `scfCredentials` (HEARTH_SCF_CREDENTIALS). */
const scfCredential = z.strictObject({
  secretId: z.string().min(1),
  secretKey: z.string().min(1),
  /** The account the key acts as: required, a key belongs to exactly one account (issue 12). */
  accountId: z
    .string({ error: 'required: the account this key acts as (a key belongs to exactly one account)' })
    .regex(/^\d{12}$/, 'must be 12 digits'),
});

/** JSON text (from the environment) is parsed first; a parse failure is left for the schema to report. */
const jsonText = (v: unknown): unknown => {
  if (typeof v !== 'string') {
    return v;
  }
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/**
 * A whole number from a flag or the environment: decimal digits only, so that `''`, `' '`,
 * `1e3` or `0x10` are refused rather than read as 0, 1000 or 16.
 */
const whole = (bounds: (n: z.ZodNumber) => z.ZodNumber) =>
  z.preprocess(
    (v: unknown) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    bounds(
      z.number({
        // Bounds say which bound (a port of 70000 was "not a whole number"); a bound's own
        // message, where it has one, wins.
        error: (issue) => {
          // (typed as the type check's issue only; the bounds' issues come here too)
          const bound = issue as { code: string; maximum?: unknown; minimum?: unknown };
          if (bound.code === 'too_big') {
            return `must be at most ${String(bound.maximum)}`;
          }
          if (bound.code === 'too_small') {
            return `must be at least ${String(bound.minimum)}`;
          }
          return 'must be a whole number';
        },
      }),
    ),
  );

/**
 * A delay for a timer, in ms: Node runs any delay above 2^31 − 1 ms after 1 ms, so a
 * larger setting would fire at once instead of never; it is refused here instead.
 */
const MAX_TIMER_MS = 2_147_483_647;
const timerMs = (min: number) =>
  whole((n) => n.int().min(min).max(MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} ms (about 24.8 days)`));

/** A switch from a flag or the environment: true/false, 1/0, yes/no, on/off. */
const onOff = z.preprocess(
  (v: unknown) => {
    if (typeof v !== 'string') {
      return v;
    }
    const t = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(t)) {
      return true;
    }
    if (['false', '0', 'no', 'off'].includes(t)) {
      return false;
    }
    return v;
  },
  z.boolean({ error: 'must be true or false' }),
);

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const configSchema = z.strictObject({
  /** Interface to listen on. */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; 0 picks a free one (tests). */
  port: whole((n) => n.int().min(0).max(65535)).default(8910),
  /** Directory for the SQLite database and code packages. */
  dataDir: z.string().min(1).default('./.hearth'),
  /**
   * Where functions, versions, aliases and configs are kept: absent, SQLite in the data dir;
   * a `postgres://` URL, that PostgreSQL database, which several hearth nodes may share (a
   * cluster: src/cluster/README.md).
   */
  store: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (or absent: SQLite in the data dir)')
    .optional(),
  /**
   * This node's id in a cluster (several nodes on one PostgreSQL store): unique among the
   * live nodes. Default: the host name and port.
   */
  nodeId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", ":" or "-"')
    .optional(),
  /** Most provisioned environments this node runs (the cluster's placement respects it). */
  nodeCapacity: whole((n) => n.int().min(0)).default(1000),
  /**
   * The TCP port other nodes of a cluster reach this one on (forwarded invokes), on the
   * same host as `host`; 0 picks a free one. Advertised in the database.
   */
  clusterPort: whole((n) => n.int().min(0).max(65535)).default(0),
  /** How often a cluster node beats (ms). */
  clusterHeartbeatMs: timerMs(50).default(1000),
  /** A node silent this long (ms, by the database's clock) is dead and its share is placed again. */
  clusterExpiryMs: timerMs(200).default(5000),
  /** Region used when a request carries no SigV4 credential scope. */
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must look like us-east-1')
    .default('us-east-1'),
  /** The (single, for now) account id: 12 digits. */
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'must be 12 digits')
    .default('123456789012'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Account-wide ConcurrentExecutions (AWS default 1000). */
  accountConcurrency: whole((n) => n.int().min(1)).default(1000),
  /** UnreservedConcurrentExecutions may not drop below this (AWS: 100). */
  minUnreservedConcurrency: whole((n) => n.int().min(0)).default(100),
  /** Idle on-demand environments are stopped after this many milliseconds. */
  idleTimeoutMs: timerMs(0).default(300_000),
  /** Environments starting at once, across all functions. */
  maxConcurrentStarts: whole((n) => n.int().min(1)).default(8),
  /**
   * Init limit of on-demand environments, ms (AWS: 10 s; a timed-out init is retried once
   * inside its invocation under the function's timeout, src/pool/init-limits.ts).
   */
  onDemandInitTimeoutMs: timerMs(1).default(10_000),
  /** Lower bound of the provisioned init limit, max(this, function timeout), ms (AWS: 130 s). */
  provisionedInitTimeoutMs: timerMs(1).default(130_000),
  /**
   * Limit each environment to its MemorySize with a memory cgroup where the machine allows
   * one (src/pool/README.md "Memory").
   */
  memoryCgroups: onOff.default(true),
  /**
   * Sandbox every environment (src/pool/launchers/sandbox-launcher.ts, README "Security"):
   * `auto` uses bubblewrap where it works and warns once where it does not; `bubblewrap`
   * refuses to start without it; `off` runs environments as hearth's own user.
   */
  sandbox: z.enum(['auto', 'bubblewrap', 'off']).default('auto'),
  /** Run the bundled Node.js runtime under SCHED_BATCH when `chrt` is on the PATH. */
  batchScheduling: onOff.default(true),
  /**
   * Fork unsandboxed environments from a small spawner process instead of hearth's own
   * (src/pool/launchers/spawner.ts): hearth's event loop no longer blocks in fork(), so the
   * API stays responsive during a start storm (`bench/start-storm.mjs`); Put(100) -> READY
   * is no faster on 2 cores (`bench/startup.mjs`). On by default.
   */
  spawner: onOff.default(true),
  /**
   * Keep up to this many Node.js and Python runtimes started and waiting for a function
   * (sandboxed too: src/pool/launchers/prestarted.ts, sandbox-launcher.ts): a cold start
   * then skips starting the interpreter (and the sandbox). 0 turns them off.
   */
  prestartedRuntimes: whole((n) => n.int().min(0).max(64)).default(4),
  /**
   * Keep V8's code cache of the Node.js modules functions load during init, under
   * `<dataDir>/code-cache` (unsandboxed environments; src/runtimes/node/code-cache.cjs).
   */
  codeCache: onOff.default(true),
  /**
   * Runtime id → the interpreter that runs it, as JSON (e.g. `{"nodejs22.x":
   * "/opt/node22/bin/node"}`). Runtimes not named here run on a matching interpreter found
   * on the PATH (`node22`), else on the host's with a warning (src/pool/interpreters.ts).
   */
  runtimeInterpreters: z
    .preprocess(
      jsonText,
      z.record(
        z
          .string()
          .regex(/^(nodejs\d+\.x|python3\.\d+)$/, 'must name a runtime such as nodejs22.x or python3.12'),
        z.string().min(1),
      ),
    )
    .default({}),
  /**
   * Function logs (CloudWatch Logs API, SCF GetFunctionLogs) keep at most this many bytes
   * of messages in `<dataDir>/logs.db`; the oldest events go first. Per-group retention
   * (PutRetentionPolicy) applies before this cap.
   */
  /**
   * Write function output and START/END/REPORT lines to the log store (default true).
   * Off: the Logs API and GetFunctionLogs still serve what was stored before.
   */
  functionLogs: onOff.default(true),
  logsMaxBytes: whole((n) => n.int().min(1024 * 1024)).default(256 * 1024 * 1024),
  /** Base URL advertised in Code.Location; defaults to the listening address. */
  publicUrl: z.string().url().optional(),

  // ---- who may call (src/auth/README.md) ----
  /**
   * The credentials file (JSON or YAML): every access key hearth accepts and the account
   * each belongs to; watched and reloaded on change. Without it (and without the
   * deprecated scfCredentials) hearth runs open: any signature acts as `accountId`, which
   * it allows only on a loopback host unless `insecure` is set.
   */
  credentialsFile: z.string().min(1).optional(),
  /** Run open (no signature checks) on a non-loopback host. */
  insecure: onOff.default(false),

  // ---- Tencent SCF dialect (src/dialects/tencent-scf/README.md) ----
  /**
   * Deprecated alias of `credentialsFile` for Tencent keys: a JSON array of {secretId,
   * secretKey, accountId}. Its keys are added to the credentials file's; each must name its
   * account (a key belongs to exactly one account).
   */
  scfCredentials: z.preprocess(jsonText, z.array(scfCredential)).default([]),
  /** Requests per second per account and action (Tencent: 20). */
  scfRateLimitPerSecond: whole((n) => n.int().min(1)).default(20),
  /** Zone of TriggerCronConfig and of SCF datetimes (Tencent's console: Beijing time). */
  scfTimeZone: z
    .string()
    .min(1)
    .refine(isTimeZone, 'must be an IANA time zone, e.g. Asia/Shanghai')
    .default('Asia/Shanghai'),
  /** Scheduled provisioned-concurrency actions per version. */
  scfMaxTriggerActions: whole((n) => n.int().min(0)).default(20),
  /** Shortest interval between two fires of one TriggerCronConfig, seconds (0: no check). */
  scfMinTriggerIntervalSec: whole((n) => n.int().min(0)).default(60),
  /** Default account concurrency quota (TotalConcurrencyMem), MB. */
  scfTotalConcurrencyMem: whole((n) => n.int().min(0)).default(128_000),
  /** Highest TotalConcurrencyMem PutTotalConcurrencyConfig accepts, MB. */
  scfTotalConcurrencyMemLimit: whole((n) => n.int().min(0)).default(128_000),

  // ---- asynchronous invocation queue (src/core/invoke/event-queue.ts) ----
  /**
   * Event invokes accepted and not yet settled, per account; beyond it an Event invoke is
   * throttled (AWS TooManyRequestsException, SCF LimitExceeded).
   */
  asyncQueueCapacity: whole((n) => n.int().min(1)).default(10_000),
  /** Queued events running at once (each holds a concurrency lease while it runs). */
  asyncQueueWorkers: whole((n) => n.int().min(1)).default(64),
  /** How often the queue's depth is checked against the log's thresholds, ms (server/queue-log.ts). */
  asyncQueueLogIntervalMs: timerMs(100).default(1_000),

  // ---- scaling loop (scheduled and utilisation-tracking provisioned concurrency) ----
  /** Tracking scale-out cadence, ms (Tencent: 10 s). Shorter only for tests. */
  scalingScaleOutPeriodMs: timerMs(10).default(10_000),
  /** Tracking scale-in window and spacing, ms (Tencent: 10 min). */
  scalingScaleInWindowMs: timerMs(10).default(600_000),
  /**
   * One CloudWatch datapoint for AWS target tracking, ms (AWS: 60 s; alarms look at 3 to
   * scale out and 15 to scale in, cooldowns scale alike). Shorter only for tests and demos.
   */
  awsScalingDatapointMs: timerMs(10).default(60_000),
  /** How often provisioned utilisation is read into the metrics buckets, ms. */
  metricsSampleMs: timerMs(10).default(1_000),
});

export type HearthConfig = Readonly<z.infer<typeof configSchema>>;
export type HearthConfigInput = z.input<typeof configSchema>;

/**
 * The launcher port: WHERE an environment's process runs. The environment decides what to
 * run (a launch plan from the runtime table, runtimes/) and speaks to it over its channel;
 * a launcher only starts the process with that command, arguments, environment and
 * working directory, reports its output and its end, and kills it with everything it
 * started.
 *
 * Today: a local child process (process-launcher.ts) and a sandboxed local process
 * (bubblewrap, sandbox-launcher.ts). Next: a process on another hearth node; each is a new
 * file implementing this interface, chosen by the composition (data-plane.ts).
 */
import type { Socket } from 'node:net';

/** The private channel's fd in the child (LaunchRequest.privateChannel). */
export const PRIVATE_FD = 3;
/** The variable naming the private channel's fd; the runtime deletes it before user code runs. */
export const PRIVATE_FD_VARIABLE = '_HEARTH_RUNTIME_FD';

export interface LaunchRequest {
  /** The environment's id (names its memory cgroup, logs). */
  readonly id: number;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the process: nothing is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** The code directory on the host (LAMBDA_TASK_ROOT unsandboxed; /var/task in a sandbox). */
  readonly cwd: string;
  /**
   * Host files the command needs besides the code (the interpreter, the bundled runtime
   * client): a launcher that hides the host shows these, read-only, at their own path.
   */
  readonly hostPaths: readonly string[];
  /** The unpacked layers on the host, in order (a sandbox merges them at /opt). */
  readonly layerDirs: readonly string[];
  /** Give the process fd 3 as one end of a socketpair (the private channel). */
  readonly privateChannel: boolean;
  /** MemorySize, for launchers that enforce it. */
  readonly memoryMb: number;
  /** EphemeralStorage: the size of a private /tmp, for launchers that give one. */
  readonly tmpSizeMb?: number;
  /**
   * Run it under SCHED_BATCH where this launcher can (RuntimeEntry.batchScheduling): a
   * batch task never preempts the running task when woken. Best effort: a launcher that
   * cannot, starts it as it is.
   */
  readonly batchScheduling: boolean;
  /**
   * Set when the process may be one started before this request (a pre-started runtime,
   * prestarted.ts) with the same command, arguments and MemorySize and the same values of
   * the variables this matches (those the interpreter reads when it starts); it takes the
   * rest of `env` and `cwd` over the private channel (ASSIGN). A launcher may ignore it.
   */
  readonly startVariables?: RegExp;
  /**
   * A sandboxed runtime's code cache folder on the host (code-cache-writer.ts): a launcher
   * that hides the host shows it read-only at SANDBOX_CODE_CACHE.
   */
  readonly codeCacheDir?: string;
}

export interface LaunchHandlers {
  /** A chunk of the process's stdout or stderr. */
  onOutput(chunk: Buffer): void;
  /** The process could not be spawned (ENOENT, EACCES...): there is no process. */
  onSpawnError(message: string): void;
  /** The process is gone and its output is drained (or cut after a grace period). */
  onClose(code: number | null, signal: NodeJS.Signals | null): void;
}

export interface LaunchedProcess {
  readonly pid: number | undefined;
  /** The platform's end of fd 3, when `privateChannel` was asked for. */
  readonly privateSocket: Socket | undefined;
  /**
   * Settles once the process is within its limits (its memory cgroup), where the launcher
   * puts it there after it started; absent when there is nothing to wait for. The pool
   * calls the environment ready only then.
   */
  readonly placed?: Promise<unknown>;
  /** SIGKILL to the process and everything it started. Idempotent. */
  kill(): void;
  /** Whether the kernel's OOM killer ended it (its memory limit). */
  oomKilled(): boolean;
  /** Its peak resident memory in MB, read now; undefined once it is gone. */
  peakMemoryMb(): number | undefined;
  /** The same, for a background refresh (a launcher may answer it from the same read). */
  readPeakMemoryMb(): Promise<number | undefined>;
  /**
   * Whether the loopback TCP connection from `clientPort` to `serverPort` was opened by
   * this process (its Runtime API admits no one else); absent where the launcher cannot
   * tell (every environment runs as hearth's own user).
   */
  ownsConnection?(serverPort: number, clientPort: number): Promise<boolean>;
}

/** What a launch that spawned nothing returns (its handlers heard onSpawnError). */
export const NO_PROCESS: LaunchedProcess = {
  pid: undefined,
  privateSocket: undefined,
  kill: () => undefined,
  oomKilled: () => false,
  peakMemoryMb: () => undefined,
  readPeakMemoryMb: () => Promise.resolve(undefined),
};

export interface Launcher {
  /**
   * Starts a process. Throws when it cannot even be attempted (a bad argument); an
   * executable that cannot run is reported through `onSpawnError`. A launcher that forks
   * elsewhere (a spawner process, spawner.ts) answers once the pid and the pipes are here;
   * `onSpawnError` may come before that answer, `onOutput` and `onClose` only after it.
   */
  launch(req: LaunchRequest, handlers: LaunchHandlers): LaunchedProcess | Promise<LaunchedProcess>;
  /**
   * True when each process's TCP connections can be told apart (`ownsConnection`): a
   * Runtime API then admits only its own environment, from the start.
   */
  readonly isolatesRuntimeApi?: boolean;
  /**
   * True when the process sees Lambda's file system: its code at /var/task (cwd) and its
   * layers merged at /opt, so that the launch plan names those paths (launch.ts).
   */
  readonly lambdaFilesystem?: boolean;
  /** True when MemorySize is a hard limit of the processes this launcher starts. */
  readonly limitsMemory: boolean;
  /**
   * No environment is starting now: background starts of the launcher's own (pre-started
   * runtimes, prestarted.ts) slow no one's start. Optional.
   */
  quiet?(): void;
  /**
   * A launch like `req` is likely to come (the pool's usual first one, at start): a
   * launcher that pre-starts processes prepares one at the next `quiet()`. Optional.
   */
  expect?(req: LaunchRequest): void;
  /** Releases what the launcher holds (memory cgroups); processes are killed before. */
  dispose(): Promise<void>;
}

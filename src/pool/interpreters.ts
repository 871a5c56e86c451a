/**
 * Which interpreter runs a runtime (issue 16: runtimes tell the truth). `nodejs22.x` should
 * run on Node.js 22, not on whatever node hearth itself runs on. For each runtime, first
 * match wins:
 *
 *   1. the command configured for it (`runtimeInterpreters`, HEARTH_RUNTIME_INTERPRETERS);
 *   2. the host's own interpreter when its version matches (hearth's `node`);
 *   3. a versioned command on the PATH (`node22`, `nodejs22`) whose `--version` matches;
 *   4. otherwise the host's interpreter, marked as a mismatch: the pool warns once per
 *      function in its log and in every init log of those environments.
 *
 * Resolved once per runtime and cached; probing a command on the PATH runs it once with
 * `--version`.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { findOnPath } from './launch.js';

export interface Interpreter {
  /** The executable. */
  readonly command: string;
  /** Its version as it reports it, e.g. `v20.20.2`. */
  readonly version: string;
  /** Where it came from. */
  readonly source: 'configured' | 'host' | 'path';
  /** False when the runtime asked for another major version than this one runs. */
  readonly matches: boolean;
  /**
   * AWS-style runtime version for INIT_START and RuntimeVersionConfig: `nodejs:20.v20.20.2`
   * and a 64-hex digest that changes when the runtime or its interpreter does.
   */
  readonly versionName: string;
  readonly versionDigest: string;
}

export interface InterpreterSettings {
  /** Runtime id → command (e.g. `{ "nodejs22.x": "/opt/node22/bin/node" }`). */
  readonly configured: Readonly<Record<string, string>>;
  /** PATH to look for versioned commands on. */
  readonly path: string;
  /** The host's node and its version (process.execPath, process.version). */
  readonly hostNode: { readonly command: string; readonly version: string };
  /** Runs `command --version`; injectable for tests. */
  readonly probe?: (command: string) => string;
}

const NODE_RUNTIME = /^nodejs(\d+)\.x$/;

function defaultProbe(command: string): string {
  return execFileSync(command, ['--version'], { encoding: 'utf8', timeout: 10_000, env: {} }).trim();
}

/** `v22.11.0` → 22. */
function majorOf(version: string): number | undefined {
  const m = /^v?(\d+)\./.exec(version);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export class Interpreters {
  readonly #s: InterpreterSettings;
  readonly #cache = new Map<string, Interpreter | undefined>();

  constructor(s: InterpreterSettings) {
    this.#s = s;
  }

  /**
   * Checks every configured command now (hearth refuses to start on a broken setting
   * rather than failing each init later).
   */
  verifyConfigured(): void {
    for (const runtime of Object.keys(this.#s.configured)) {
      this.node(runtime);
    }
  }

  /** The interpreter for a Node.js runtime id, or undefined when `runtime` is not one. */
  node(runtime: string): Interpreter | undefined {
    if (this.#cache.has(runtime)) {
      return this.#cache.get(runtime);
    }
    const resolved = this.#resolveNode(runtime);
    this.#cache.set(runtime, resolved);
    return resolved;
  }

  #resolveNode(runtime: string): Interpreter | undefined {
    const wanted = NODE_RUNTIME.exec(runtime)?.[1];
    if (wanted === undefined) {
      return undefined;
    }
    const major = Number(wanted);
    const probe = this.#s.probe ?? defaultProbe;
    const make = (command: string, version: string, source: Interpreter['source']): Interpreter => {
      const matches = majorOf(version) === major;
      return {
        command,
        version,
        source,
        matches,
        versionName: `nodejs:${major}.${version}`,
        versionDigest: createHash('sha256').update(`${runtime}\0${command}\0${version}`).digest('hex'),
      };
    };
    const configured = this.#s.configured[runtime];
    if (configured !== undefined) {
      let version: string;
      try {
        version = probe(configured);
      } catch (e) {
        throw new Error(
          `runtimeInterpreters: ${runtime} → ${configured} cannot be run (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
        );
      }
      return make(configured, version, 'configured');
    }
    const host = this.#s.hostNode;
    if (majorOf(host.version) === major) {
      return make(host.command, host.version, 'host');
    }
    for (const name of [`node${major}`, `nodejs${major}`]) {
      const found = findOnPath(name, this.#s.path);
      if (found === undefined) {
        continue;
      }
      try {
        const version = probe(found);
        if (majorOf(version) === major) {
          return make(found, version, 'path');
        }
      } catch {
        // not a working node: keep looking
      }
    }
    return make(host.command, host.version, 'host');
  }
}

/** The line for hearth's log and the function's init log when a runtime runs on another major. */
export function mismatchWarning(runtime: string, i: Interpreter): string {
  const major = NODE_RUNTIME.exec(runtime)?.[1] ?? '?';
  return (
    `${runtime} runs on the host's Node.js ${i.version}: no Node.js ${major} was configured ` +
    `(HEARTH_RUNTIME_INTERPRETERS / --runtime-interpreters) or found on the PATH as node${major} or nodejs${major}`
  );
}

/**
 * Whether this Node.js has `module.registerHooks` (22.15+, 23.5+): the bundled client then
 * keeps ES modules inside their code root in-thread; older ones need a loader thread
 * (~50 ms of init; src/runtimes/node/code-root.cjs).
 */
export function hasInThreadModuleHooks(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\./.exec(version);
  const major = Number(m?.[1] ?? 0);
  const minor = Number(m?.[2] ?? 0);
  return major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 15);
}

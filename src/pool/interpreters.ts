/**
 * Which interpreter runs a runtime (issue 16: runtimes tell the truth). `nodejs22.x` should
 * run on Node.js 22 and `python3.12` on Python 3.12, not on whatever hearth finds first.
 * For each runtime, first match wins:
 *
 *   1. the command configured for it (`runtimeInterpreters`, HEARTH_RUNTIME_INTERPRETERS);
 *   2. the host's own interpreter when its version matches (hearth's `node`; the `python3`
 *      on the PATH);
 *   3. a versioned command on the PATH (`node22`, `nodejs22`; `python3.12`) whose version
 *      matches;
 *   4. otherwise the host's interpreter, marked as a mismatch: the pool warns once per
 *      function in its log and in every init log of those environments.
 *
 * Resolved once per runtime and cached. A command is probed once: Node with `--version`,
 * Python for its version and `sys.executable`, so that a version manager's shim in front
 * of the interpreter (pyenv's costs ~300 ms per start) is resolved to the interpreter.
 */
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { findOnPath } from './launch.js';

export interface Interpreter {
  /** The executable. */
  readonly command: string;
  /** Its version as it reports it, e.g. `v20.20.2` or `3.11.7`. */
  readonly version: string;
  /** Where it came from. */
  readonly source: 'configured' | 'host' | 'path';
  /** False when the runtime asked for another version than this one runs. */
  readonly matches: boolean;
  /**
   * AWS-style runtime version for INIT_START and RuntimeVersionConfig
   * (`nodejs:20.v20.20.2`, `python:3.12.v3.12.4`) and a 64-hex digest that changes when
   * the runtime or its interpreter does.
   */
  readonly versionName: string;
  readonly versionDigest: string;
}

/** What a probe learns about a command. */
export interface Probed {
  readonly version: string;
  /** The real executable (a shim resolved), when the language can tell. */
  readonly executable?: string;
}

export interface InterpreterSettings {
  /** Runtime id → command (e.g. `{ "nodejs22.x": "/opt/node22/bin/node" }`). */
  readonly configured: Readonly<Record<string, string>>;
  /** PATH to look for commands on. */
  readonly path: string;
  /** The host's node and its version (process.execPath, process.version). */
  readonly hostNode: { readonly command: string; readonly version: string };
  /** Probes a command of a family; injectable for tests. */
  readonly probe?: (family: Family['name'], command: string) => Probed;
}

/** A language whose runtimes hearth runs with a bundled client. */
export interface Family {
  readonly name: 'nodejs' | 'python';
  /** The version a runtime id asks for (`22`, `3.12`), or undefined when not this family's. */
  wanted(runtime: string): string | undefined;
  /** Whether an interpreter's version satisfies it. */
  satisfies(version: string, wanted: string): boolean;
  /** Versioned command names to look for on the PATH. */
  candidates(wanted: string): readonly string[];
  /** `nodejs:22`, `python:3.12` (AWS's runtime version names). */
  prefix(wanted: string): string;
  /** How the runtime is named in advice: `Node.js 22`. */
  display(wanted: string): string;
}

const NODE: Family = {
  name: 'nodejs',
  wanted: (runtime) => /^nodejs(\d+)\.x$/.exec(runtime)?.[1],
  satisfies: (version, wanted) => /^v?(\d+)\./.exec(version)?.[1] === wanted,
  candidates: (wanted) => [`node${wanted}`, `nodejs${wanted}`],
  prefix: (wanted) => `nodejs:${wanted}`,
  display: (wanted) => `Node.js ${wanted}`,
};

const PYTHON: Family = {
  name: 'python',
  wanted: (runtime) => /^python(3\.\d+)$/.exec(runtime)?.[1],
  satisfies: (version, wanted) => version === wanted || version.startsWith(`${wanted}.`),
  candidates: (wanted) => [`python${wanted}`],
  prefix: (wanted) => `python:${wanted}`,
  display: (wanted) => `Python ${wanted}`,
};

export const FAMILIES: readonly Family[] = [NODE, PYTHON];

/** Every runtime id a bundled client runs: resolved ahead of the first start (Interpreters.warm). */
export const BUNDLED_RUNTIMES: readonly string[] = [
  'nodejs18.x',
  'nodejs20.x',
  'nodejs22.x',
  ...['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'].map((v) => `python${v}`),
];

export function familyOf(runtime: string): Family | undefined {
  return FAMILIES.find((f) => f.wanted(runtime) !== undefined);
}

const PYTHON_PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)';

function parseProbe(family: Family['name'], out: string): Probed {
  if (family === 'python') {
    const [version = '', executable = ''] = out.trim().split('\n');
    return executable === '' ? { version } : { version, executable };
  }
  return { version: out.trim() };
}

function probeArgs(family: Family['name']): string[] {
  return family === 'python' ? ['-c', PYTHON_PROBE] : ['--version'];
}

/** The same probe without blocking the event loop (Interpreters.warm). */
async function probeAsync(family: Family['name'], command: string): Promise<Probed> {
  const { stdout } = await promisify(execFile)(command, probeArgs(family), {
    encoding: 'utf8',
    timeout: 10_000,
    env: {},
  });
  return parseProbe(family, stdout);
}

function defaultProbe(family: Family['name'], command: string): Probed {
  if (family === 'python') {
    const [version = '', executable = ''] = execFileSync(command, ['-c', PYTHON_PROBE], {
      encoding: 'utf8',
      timeout: 10_000,
      env: {},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .trim()
      .split('\n');
    return executable === '' ? { version } : { version, executable };
  }
  return {
    version: execFileSync(command, ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: {},
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim(),
  };
}

export class Interpreters {
  readonly #s: InterpreterSettings;
  readonly #cache = new Map<string, Interpreter | undefined>();
  /** The host's `python3`, probed once for every Python runtime. */
  #hostPython: { command: string; probed: Probed } | null | undefined;
  /** Probes done ahead by `warm`, by command (an Error when the command failed). */
  readonly #probed = new Map<string, Probed | Error>();

  constructor(s: InterpreterSettings) {
    this.#s = s;
  }

  /**
   * Checks every configured command now (hearth refuses to start on a broken setting
   * rather than failing each init later).
   */
  verifyConfigured(): void {
    for (const runtime of Object.keys(this.#s.configured)) {
      this.of(runtime);
    }
  }

  /**
   * Probes, in parallel and without blocking, every command that resolving `runtimes` will
   * ask about, so that `of` answers from memory afterwards (a probe through a version
   * manager's shim takes hundreds of milliseconds: not on the event loop of a server).
   */
  async warm(runtimes: readonly string[]): Promise<void> {
    if (this.#s.probe !== undefined) {
      return; // tests inject a synchronous probe
    }
    const wanted = new Map<string, Family['name']>();
    for (const runtime of runtimes) {
      const family = familyOf(runtime);
      if (family === undefined || this.#cache.has(runtime)) {
        continue;
      }
      const version = family.wanted(runtime) ?? '';
      const configured = this.#s.configured[runtime];
      const commands =
        configured !== undefined
          ? [configured]
          : [...(family.name === 'python' ? ['python3'] : []), ...family.candidates(version)]
              .map((name) => findOnPath(name, this.#s.path))
              .filter((c): c is string => c !== undefined);
      for (const c of commands) {
        wanted.set(c, family.name);
      }
    }
    await Promise.all(
      [...wanted].map(async ([command, family]) => {
        try {
          this.#probed.set(command, await probeAsync(family, command));
        } catch (e) {
          this.#probed.set(command, e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
    for (const runtime of runtimes) {
      this.of(runtime);
    }
  }

  /** The interpreter for a runtime id, or undefined when no bundled client runs it. */
  of(runtime: string): Interpreter | undefined {
    if (this.#cache.has(runtime)) {
      return this.#cache.get(runtime);
    }
    const family = familyOf(runtime);
    const resolved = family === undefined ? undefined : this.#resolve(runtime, family);
    this.#cache.set(runtime, resolved);
    return resolved;
  }

  /** @deprecated use `of`; kept for the Node.js call sites. */
  node(runtime: string): Interpreter | undefined {
    return familyOf(runtime)?.name === 'nodejs' ? this.of(runtime) : undefined;
  }

  #resolve(runtime: string, family: Family): Interpreter {
    const wanted = family.wanted(runtime) ?? '';
    const probe = (name: Family['name'], command: string): Probed => {
      const ahead = this.#probed.get(command);
      if (ahead instanceof Error) {
        throw ahead;
      }
      return ahead ?? (this.#s.probe ?? defaultProbe)(name, command);
    };
    const make = (command: string, probed: Probed, source: Interpreter['source']): Interpreter => {
      const executable = probed.executable ?? command;
      return {
        command: executable,
        version: probed.version,
        source,
        matches: family.satisfies(probed.version, wanted),
        versionName: `${family.prefix(wanted)}.${probed.version.startsWith('v') ? '' : 'v'}${probed.version}`,
        versionDigest: createHash('sha256')
          .update(`${runtime}\0${executable}\0${probed.version}`)
          .digest('hex'),
      };
    };
    const tryProbe = (command: string): Probed | undefined => {
      try {
        return probe(family.name, command);
      } catch {
        return undefined;
      }
    };
    const configured = this.#s.configured[runtime];
    if (configured !== undefined) {
      let probed: Probed;
      try {
        probed = probe(family.name, configured);
      } catch (e) {
        throw new Error(
          `runtimeInterpreters: ${runtime} → ${configured} cannot be run (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
        );
      }
      return make(configured, probed, 'configured');
    }
    let host: { command: string; probed: Probed } | undefined;
    if (family.name === 'nodejs') {
      host = { command: this.#s.hostNode.command, probed: { version: this.#s.hostNode.version } };
    } else {
      if (this.#hostPython === undefined) {
        const python3 = findOnPath('python3', this.#s.path);
        const probed = python3 === undefined ? undefined : tryProbe(python3);
        this.#hostPython =
          python3 === undefined || probed === undefined ? null : { command: python3, probed };
      }
      host = this.#hostPython ?? undefined;
    }
    if (host !== undefined && family.satisfies(host.probed.version, wanted)) {
      return make(host.command, host.probed, 'host');
    }
    for (const name of family.candidates(wanted)) {
      const found = findOnPath(name, this.#s.path);
      const probed = found === undefined ? undefined : tryProbe(found);
      if (found !== undefined && probed !== undefined && family.satisfies(probed.version, wanted)) {
        return make(found, probed, 'path');
      }
    }
    if (host === undefined) {
      // No interpreter of this language at all: the launch names what is missing.
      return {
        command: family.candidates(wanted)[0] ?? runtime,
        version: 'none',
        source: 'host',
        matches: false,
        versionName: `${family.prefix(wanted)}.none`,
        versionDigest: createHash('sha256').update(`${runtime}\0none`).digest('hex'),
      };
    }
    return make(host.command, host.probed, 'host');
  }
}

/** The line for hearth's log and the function's init log when a runtime runs on another version. */
export function mismatchWarning(runtime: string, i: Interpreter): string {
  const family = familyOf(runtime);
  const wanted = family?.wanted(runtime) ?? '?';
  const candidates = family?.candidates(wanted) ?? [];
  const asked = family?.display(wanted) ?? runtime;
  const host =
    family?.name === 'python' ? `the host's Python ${i.version}` : `the host's Node.js ${i.version}`;
  return (
    `${runtime} runs on ${host}: no ${asked} was configured ` +
    `(HEARTH_RUNTIME_INTERPRETERS / --runtime-interpreters) or found on the PATH as ${candidates.join(' or ')}`
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

/**
 * What hearth says once about how functions run (hearth's log; the init logs say it per
 * environment, environment.ts):
 *
 * - once per function: its runtime runs on another version than it names (interpreters.ts);
 * - once per code-root parent: node_modules folders above it cost ES-module functions a
 *   loader thread at init on this Node.js (src/runtimes/node/code-root.cjs); never in a
 *   sandbox, where nothing lies above /var/task.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { EnvironmentSpec } from '../core/ports.js';
import { hasInThreadModuleHooks, mismatchWarning, type Interpreters } from './interpreters.js';

export class RuntimeWarnings {
  readonly #warned = new Set<string>();

  constructor(
    private readonly interpreters: Interpreters,
    private readonly log: Logger,
  ) {}

  /** Called for every environment start; says each thing once. */
  check(spec: EnvironmentSpec, overridden: boolean, lambdaFilesystem = false): void {
    if (overridden) {
      return;
    }
    const interpreter = this.interpreters.of(spec.runtime);
    if (interpreter === undefined) {
      return;
    }
    const who = `${spec.accountId}/${spec.region}/${spec.namespace}/${spec.functionName}/${spec.runtime}`;
    if (!interpreter.matches && !this.#warned.has(who)) {
      this.#warned.add(who);
      this.log.warn(
        { fn: spec.functionName, runtime: spec.runtime },
        mismatchWarning(spec.runtime, interpreter),
      );
    }
    const parent = path.dirname(spec.codeDir);
    if (
      !lambdaFilesystem &&
      spec.runtime.startsWith('nodejs') &&
      !hasInThreadModuleHooks(interpreter.version) &&
      !this.#warned.has(parent)
    ) {
      this.#warned.add(parent);
      const above: string[] = [];
      for (let dir = parent; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, 'node_modules'))) {
          above.push(path.join(dir, 'node_modules'));
        }
        if (path.dirname(dir) === dir) {
          break;
        }
      }
      if (above.length > 0) {
        this.log.info(
          { above },
          'function code lies below node_modules folders that functions must not see: on this Node.js, ' +
            'ES-module functions pay ~50 ms of init to keep them out (a --data-dir outside any project avoids it)',
        );
      }
    }
  }
}

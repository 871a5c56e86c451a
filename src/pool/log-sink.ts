/**
 * Where function output and START/END/REPORT lines go: the `onFunctionLog` sink when one
 * is given (a log store, a test), else hearth's log at debug level, else nowhere.
 */
import type { Logger } from 'pino';
import type { LogSink } from './environment.js';
import type { FunctionLogEntry } from './types.js';

export function createLogSink(
  sink: ((entry: FunctionLogEntry) => void) | undefined,
  log: Logger,
): LogSink | undefined {
  if (sink !== undefined) {
    return (env, text) => {
      try {
        sink({
          environmentId: env.id,
          specKey: env.spec.key,
          functionName: env.spec.functionName,
          version: env.spec.version,
          logGroup: env.spec.logGroup,
          logStream: env.logStreamName,
          text: typeof text === 'string' ? text : text.toString('utf8'),
        });
      } catch (e) {
        // A sink is called from stream and timer callbacks: its failure must not be ours.
        log.warn({ err: e }, 'the function log sink failed');
      }
    };
  }
  if (log.isLevelEnabled('debug')) {
    return (env, text) => log.debug({ environmentId: env.id, fn: env.spec.functionName }, String(text));
  }
  return undefined;
}

/**
 * What an operation handler receives and returns. Handlers validate their input (model
 * constraints → ValidationException, then AWS's semantic checks), call core, and return a
 * status with a JSON body; errors are thrown (AwsWireError or PlatformError) and rendered
 * by the pipeline.
 */
import type { Core } from '../../../core/index.js';
import type { AwsLambdaDialectOptions } from '../index.js';
import type { RequestContext } from '../request-context.js';
import type { OperationName } from '../routes.js';
import type { BodyReader } from '../validation.js';

export interface OperationCall {
  readonly core: Core;
  readonly ctx: RequestContext;
  readonly opts: AwsLambdaDialectOptions;
  /** Percent-decoded path labels by template name (`FunctionName`, `Name`, `Resource`). */
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The query as sent (percent-encoded), `query`'s source. */
  readonly rawQuery: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The JSON body of a `json` route (an empty reader otherwise). */
  readonly body: BodyReader;
  /** The raw body of a `raw` route (Invoke); empty otherwise. */
  readonly rawBody: Buffer;
}

export interface OperationResult {
  readonly status: number;
  /** Serialised as JSON; undefined means an empty body (204s). */
  readonly json?: unknown;
  /** A raw body (Invoke's payload, or JSON text already serialised); wins over `json`. */
  readonly raw?: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type OperationHandler = (call: OperationCall) => Promise<OperationResult>;

/** Some operations' handlers (test overrides, the per-module tables). */
export type OperationHandlers = { readonly [K in OperationName]?: OperationHandler };
/** Every routed operation's handler: a route without one is a compile error. */
export type AllOperationHandlers = { readonly [K in OperationName]: OperationHandler };

/**
 * Invoke (spec §5.7): RequestResponse, Event (202) and DryRun (204).
 *
 * The payload must be JSON (AWS parses it: InvalidRequestContentException otherwise); an
 * empty payload is passed as `{}`. A function error is a 200 with
 * `X-Amz-Function-Error: Unhandled` and the error document verbatim.
 */
import { isUtf8 } from 'node:buffer';
import { functionArn } from '../arns.js';
import { JSON_SCAN_MAX_BYTES, isCertainlyJson } from '../json-scan.js';
import { Violations, utf8Error } from '../validation.js';
import { invalidRequestContent, requestTooLarge } from '../wire-error.js';
import { parseFunctionLabel, readQualifierParam, resolveRef } from './common.js';
import type { FunctionRef } from '../function-name.js';
import type { OperationCall, OperationHandlers, OperationResult } from './types.js';

const INVOCATION_TYPES = ['Event', 'RequestResponse', 'DryRun'] as const;
const LOG_TYPES = ['None', 'Tail'] as const;
/** Asynchronous payload limit (spec §7.9 DESIGN: AWS's historical 256 KB). */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 262_144;
/** X-Amz-Log-Result carries the last 4 KB of the log (spec §5.7). */
const LOG_TAIL_BYTES = 4096;
/** X-Amz-Client-Context: at most 3583 bytes of base64 (spec §5.3). */
const CLIENT_CONTEXT_LIMIT = 3583;
const EMPTY_EVENT = Buffer.from('{}');

type InvocationType = (typeof INVOCATION_TYPES)[number];

function checkJson(payload: Buffer): void {
  // isUtf8 is a native scan with no allocation; the worded error is only for a failure.
  if (!isUtf8(payload)) {
    throw invalidRequestContent(
      `Could not parse payload into json: ${utf8Error(payload) ?? 'Invalid UTF-8'}`,
    );
  }
  // A leading byte order mark is skipped, as AWS's parser does.
  const start = payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf ? 3 : 0;
  // A small payload is scanned without building it (json-scan.ts); JSON.parse decides the rest.
  if (payload.length <= JSON_SCAN_MAX_BYTES && isCertainlyJson(payload, start)) {
    return;
  }
  try {
    JSON.parse(payload.toString('utf8', start));
  } catch (e) {
    throw invalidRequestContent(
      `Could not parse payload into json: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function decodeClientContext(v: Violations, raw: string | undefined): string | undefined {
  if (raw === undefined) {
    return undefined;
  }
  if (raw.length > CLIENT_CONTEXT_LIMIT) {
    v.add('clientContext', raw, `Member must have length less than or equal to ${CLIENT_CONTEXT_LIMIT}`);
    return undefined;
  }
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    throw invalidRequestContent('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

/** What a valid request names: its function (and qualifier) and the ARN it was invoked by. */
interface Target {
  readonly ref: FunctionRef;
  readonly invokedFunctionArn: string;
}

/** A valid target, and the caller scope it was checked in. */
interface KnownTarget {
  readonly accountId: string;
  readonly region: string;
  readonly target: Target;
}

/**
 * Valid targets by request line and caller scope: the same few are invoked again and
 * again, and their checks (the name's and qualifier's patterns, the name rules, the ARN)
 * gave the same answer each time. Keyed by the route's labels, which routes.ts's routeOf
 * shares between every request with the same line (method, path and query), so a warm
 * invoke builds and hashes no key string; a line too long to be remembered there has labels
 * of its own each time and is checked each time. An entry goes with its labels.
 */
const knownTargets = new WeakMap<object, KnownTarget>();

async function invoke(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const { accountId, region } = call.ctx;
  const remembered = knownTargets.get(call.labels);
  const known =
    remembered !== undefined && remembered.accountId === accountId && remembered.region === region
      ? remembered.target
      : undefined;
  // A known target adds no violations; an unknown one is checked in the model's order.
  const parsed = known === undefined ? parseFunctionLabel(v, call, 'NamespacedFunctionName') : undefined;
  const qualifierParam = known === undefined ? readQualifierParam(v, call) : undefined;
  const invocationType = (call.headers['x-amz-invocation-type'] ?? 'RequestResponse') as InvocationType;
  v.enumValue('invocationType', invocationType, INVOCATION_TYPES);
  const logType = call.headers['x-amz-log-type'] ?? 'None';
  v.enumValue('logType', logType, LOG_TYPES);
  const clientContext = decodeClientContext(v, call.headers['x-amz-client-context']);
  let target: Target;
  if (known === undefined) {
    const ref = resolveRef(v, call, parsed, qualifierParam);
    target = { ref, invokedFunctionArn: functionArn(call.ctx, ref.key.name, ref.qualifier) };
    knownTargets.set(call.labels, { accountId, region, target });
  } else {
    v.throwIfAny();
    target = known;
  }
  const { ref } = target;

  const payload = call.rawBody.length === 0 ? EMPTY_EVENT : call.rawBody;
  if (invocationType === 'Event' && payload.length > ASYNC_PAYLOAD_LIMIT_BYTES) {
    throw requestTooLarge(
      `Request must be smaller than ${ASYNC_PAYLOAD_LIMIT_BYTES} bytes for the InvokeAsync operation`,
    );
  }
  checkJson(payload);
  const traceId = call.headers['x-amzn-trace-id'];
  const result = await call.core.invoke.invoke({
    key: ref.key,
    ...(ref.qualifier === undefined ? {} : { qualifier: ref.qualifier }),
    payload,
    invocationType,
    // LogType Tail is honoured only for synchronous calls (spec §5.7).
    wantLog: logType === 'Tail' && invocationType === 'RequestResponse',
    invokedFunctionArn: target.invokedFunctionArn,
    ...(clientContext === undefined ? {} : { clientContext }),
    ...(traceId === undefined ? {} : { traceId }),
    // One id for the API request and the invocation, as AWS has: in x-amzn-RequestId, in
    // the runtime's Lambda-Runtime-Aws-Request-Id and in the function's log lines.
    requestId: call.ctx.requestId,
  });

  if (result.kind === 'dry-run') {
    return { status: 204, headers: { 'X-Amz-Executed-Version': result.executedVersion } };
  }
  if (result.kind === 'queued') {
    return { status: 202, headers: { 'x-amzn-RequestId': result.requestId } };
  }
  const { outcome } = result;
  const headers: Record<string, string> = {
    'x-amzn-RequestId': outcome.requestId,
    'X-Amz-Executed-Version': outcome.executedVersion,
    'content-type': outcome.kind === 'success' ? outcome.contentType : 'application/json',
  };
  if (outcome.kind === 'function-error') {
    headers['X-Amz-Function-Error'] = 'Unhandled';
  }
  if (logType === 'Tail' && outcome.log !== undefined) {
    const bytes = Buffer.from(outcome.log, 'utf8');
    headers['X-Amz-Log-Result'] = bytes
      .subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES))
      .toString('base64');
  }
  return { status: 200, headers, raw: outcome.payload };
}

export const invokeOperations = {
  Invoke: invoke,
} satisfies OperationHandlers;

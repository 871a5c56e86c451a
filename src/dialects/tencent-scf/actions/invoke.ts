/**
 * Invoke and InvokeFunction (spec §3.6, §4; Appendix A Result).
 *
 *   - Invoke: RequestResponse (default) or Event; Qualifier defaults to `$LATEST`; the event
 *     is `ClientContext`.
 *   - InvokeFunction: synchronous only; Qualifier defaults to `$DEFAULT`; the event is `Event`.
 * Both render core's InvocationOutcome as a `Result`. A function that fails is a Result, not
 * an API error (ARCHITECTURE.md principle 5): `ErrMsg` holds the runtime's error document and
 * `InvokeResult` a function status code [REC, DOC 583/35311]: 0 success, 430 user code
 * exception, 407 response too large, 433 timeout, 434 memory limit. Payload limits: 6 MB sync, 128 KB async
 * (spec §3.5), InvalidParameter.RequestTooLarge beyond.
 */
import { PlatformError } from '../../../core/errors.js';
import { LATEST, type FunctionKey } from '../../../core/model.js';
import type { InvocationOutcome } from '../../../core/ports.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterValue, scfError } from '../wire-error.js';
import { readFunctionKey, readQualifier } from './common.js';
import { DEFAULT_ALIAS, aliasOf } from './aliases.js';

export const SYNC_EVENT_LIMIT_BYTES = 6 * 1024 * 1024;
export const ASYNC_EVENT_LIMIT_BYTES = 128 * 1024;

interface InvokeInput {
  readonly key: FunctionKey;
  readonly qualifier: string;
  readonly event: string;
  readonly async: boolean;
  readonly wantLog: boolean;
}

export async function invoke(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const type = call.params.string('InvocationType') ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event') {
    throw invalidParameterValue('InvocationType', `'${type}' must be RequestResponse or Event.`);
  }
  const qualifier = readQualifier(call) ?? LATEST;
  const event = readEvent(call, 'ClientContext');
  return run(call, { key, qualifier, event, async: type === 'Event', wantLog: readLogType(call) });
}

export async function invokeFunction(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call) ?? DEFAULT_ALIAS;
  const event = readEvent(call, 'Event');
  return run(call, { key, qualifier, event, async: false, wantLog: readLogType(call) });
}

function readEvent(call: ActionCall, member: string): string {
  const event = call.params.string(member);
  if (event === undefined || event === '') {
    return '{}';
  }
  try {
    JSON.parse(event);
  } catch {
    throw scfError(
      'InvalidParameterValue.Param',
      `The input parameter is not in the standard JSON format. (${member})`,
    );
  }
  return event;
}

function readLogType(call: ActionCall): boolean {
  const logType = call.params.string('LogType');
  if (logType === undefined || logType === '' || logType === 'None') {
    return false;
  }
  if (logType !== 'Tail') {
    throw invalidParameterValue('LogType', `'${logType}' must be None or Tail.`);
  }
  return true;
}

async function run(call: ActionCall, input: InvokeInput): Promise<ActionResult> {
  const payload = Buffer.from(input.event, 'utf8');
  const limit = input.async ? ASYNC_EVENT_LIMIT_BYTES : SYNC_EVENT_LIMIT_BYTES;
  if (payload.length > limit) {
    throw new PlatformError('PAYLOAD_TOO_LARGE', { limitBytes: limit });
  }
  // The function must exist before its qualifier is looked at (SCF's order of errors).
  await call.core.functions.get(input.key);
  let qualifier = input.qualifier;
  if (qualifier === DEFAULT_ALIAS) {
    // The virtual `$DEFAULT` (aliases.ts) routes to `$LATEST` until it is stored.
    const alias = await aliasOf(call, input.key, DEFAULT_ALIAS);
    qualifier = alias.revisionId === '' ? LATEST : DEFAULT_ALIAS;
  }
  const invokedFunctionArn = `qcs::scf:${input.key.region}:uin/${input.key.accountId}:namespace/${input.key.namespace}/function/${input.key.name}`;

  // The account quota for functions without a reservation (quotas.ts): T − Σ R MB in
  // flight, held by the pool's admission with the other leases (core passes it on for
  // synchronous invokes of functions without a reservation).
  const result = await call.core.invoke.invoke({
    key: input.key,
    qualifier,
    payload,
    invocationType: input.async ? 'Event' : 'RequestResponse',
    wantLog: input.wantLog,
    invokedFunctionArn,
    ...(input.async ? {} : { memoryBudgetMb: await call.services.accounts.invokeLimitMb(call.scope) }),
  });
  if (result.kind === 'completed') {
    return { Result: renderResult(result.outcome, input.wantLog) };
  }
  const requestId = result.kind === 'queued' ? result.requestId : '';
  return { Result: renderQueued(requestId) };
}

/** Appendix A Result from an outcome. Duration is ms (float), BillDuration whole ms, MemUsage bytes. */
export function renderResult(outcome: InvocationOutcome, wantLog: boolean): Record<string, unknown> {
  const text = outcome.payload.toString('utf8');
  return {
    Log: wantLog ? (outcome.log ?? '') : '',
    RetMsg: outcome.kind === 'success' ? text : '',
    ErrMsg: outcome.kind === 'function-error' ? text : '',
    MemUsage: Math.round((outcome.maxMemoryUsedMb ?? 0) * 1024 * 1024),
    Duration: Math.round(outcome.durationMs * 1000) / 1000,
    BillDuration: Math.max(1, Math.ceil(outcome.durationMs)),
    FunctionRequestId: outcome.requestId,
    InvokeResult: outcome.kind === 'success' ? 0 : functionStatusCode(outcome.errorType),
  };
}

/** "Null is returned for asynchronous invocations" (Appendix A Result), except the request id. */
export function renderQueued(requestId: string): Record<string, unknown> {
  return {
    Log: null,
    RetMsg: null,
    ErrMsg: null,
    MemUsage: null,
    Duration: null,
    BillDuration: null,
    FunctionRequestId: requestId,
    InvokeResult: 0,
  };
}

/** SCF function status codes (DOC 583/35311): 407 response too large, 433 timeout, 434 memory, else 430 user code exception. */
export function functionStatusCode(errorType: string): number {
  // Memory first: `Runtime.OutOfMemory` contains "time.Out".
  if (/memory/i.test(errorType)) {
    return 434;
  }
  if (/timed ?out|timeout/i.test(errorType)) {
    return 433;
  }
  if (/ResponseSizeTooLarge/i.test(errorType)) {
    return 407;
  }
  return 430;
}

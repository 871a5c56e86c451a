/**
 * SCF's asynchronous side (issue 13): the async retry config and the async events of the
 * durable queue that `Invoke` with `InvocationType: Event` feeds (core event-queue.ts).
 *
 *   - GetFunctionEventInvokeConfig / UpdateFunctionEventInvokeConfig: `AsyncTriggerConfig`
 *     `{ RetryConfig: [{ RetryNum }], MsgTTL }` is core's event invoke config of the
 *     qualifier (Update: `$LATEST`, the API has no Qualifier): RetryNum = retries after a
 *     function error (0–2, the account's RetryNumLimit), MsgTTL = the event's maximum age
 *     in seconds (60–21600, MinMsgTTL–MaxMsgTTL). Beyond: LimitExceeded.RetryNum /
 *     LimitExceeded.MsgTTL (codes from the SDK's error list; messages [DESIGN]).
 *   - ListAsyncEvents, GetAsyncEventStatus (InvokeRequestId only), TerminateAsyncEvent.
 *     Status: RUNNING (pending or in flight), FINISHED, FAILED, ABORTED (terminated).
 */
import { LATEST } from '../../../core/model.js';
import type { AsyncEventStatus, AsyncEventSummary } from '../../../core/ports.js';
import type { DateTimeFormatter } from '../codec.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterValue, scfError } from '../wire-error.js';
import { readFunctionKey, readQualifier } from './common.js';

/** Account limits (spec §3.5 GetAccount: RetryNumLimit 2, MinMsgTTL 60, MaxMsgTTL 21600). */
export const RETRY_NUM_LIMIT = 2;
export const MIN_MSG_TTL = 60;
export const MAX_MSG_TTL = 21600;
/** [DESIGN] what Get reports for a function never configured: core's defaults (AWS's). */
const DEFAULT_RETRY_NUM = 2;
const DEFAULT_MSG_TTL = 21600;
/** [DESIGN] every event hearth queues comes from the Invoke API. */
const INVOKE_TYPE = 'API';

const SCF_STATUS: { readonly [S in AsyncEventStatus]: string } = {
  pending: 'RUNNING',
  succeeded: 'FINISHED',
  failed: 'FAILED',
  dropped: 'FAILED',
  terminated: 'ABORTED',
};

/** [DESIGN] StatusCode: 0 while running (the API reference's example), else an HTTP-like code. */
const STATUS_CODE: { readonly [S in AsyncEventStatus]: number } = {
  pending: 0,
  succeeded: 200,
  failed: 500,
  dropped: 500,
  terminated: 499,
};

export async function getFunctionEventInvokeConfig(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call) ?? LATEST;
  await call.core.functions.get(key);
  const config = await call.core.eventConfigs.configOf(key, qualifier);
  return {
    AsyncTriggerConfig: {
      RetryConfig: [{ RetryNum: config?.maximumRetryAttempts ?? DEFAULT_RETRY_NUM }],
      MsgTTL: config?.maximumEventAgeSec ?? DEFAULT_MSG_TTL,
    },
  };
}

export async function updateFunctionEventInvokeConfig(call: ActionCall): Promise<ActionResult> {
  const trigger = call.params.object('AsyncTriggerConfig', { required: true });
  const key = await readFunctionKey(call);
  const retryConfig = trigger?.objects('RetryConfig', { required: true }) ?? [];
  const first = retryConfig[0];
  if (first === undefined) {
    throw invalidParameterValue(
      'AsyncTriggerConfig.RetryConfig',
      'at least one RetryConfig is required.',
      'InvalidParameterValue.AsyncTriggerConfig',
    );
  }
  const retryNum = first.integer('RetryNum', { required: true }) ?? 0;
  const msgTtl = trigger?.integer('MsgTTL', { required: true }) ?? 0;
  if (retryNum < 0 || retryNum > RETRY_NUM_LIMIT) {
    throw scfError(
      'LimitExceeded.RetryNum',
      `The number of retries exceeds the limit. (RetryNum: ${retryNum}, range 0-${RETRY_NUM_LIMIT})`,
    );
  }
  if (msgTtl < MIN_MSG_TTL || msgTtl > MAX_MSG_TTL) {
    throw scfError(
      'LimitExceeded.MsgTTL',
      `The message retention time exceeds the limit. (MsgTTL: ${msgTtl}, range ${MIN_MSG_TTL}-${MAX_MSG_TTL} seconds)`,
    );
  }
  await call.core.functions.get(key);
  await call.core.eventConfigs.put(
    key,
    LATEST,
    { maximumRetryAttempts: retryNum, maximumEventAgeSec: msgTtl },
    'upsert',
  );
  return {};
}

/** `YYYY-MM-DD HH:MM:SS` (TimeInterval) in the dialect's zone → epoch ms. */
export function parseDateTime(dates: DateTimeFormatter, text: string, member: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text);
  if (m === null) {
    throw invalidParameterValue(member, `'${text}' is not a time of the form YYYY-MM-DD HH:MM:SS.`);
  }
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // The zone's offset at that instant: format the UTC reading and see how far it moved.
  const shown = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(dates.format(asUtc));
  const shownMs =
    shown === null
      ? asUtc
      : Date.UTC(
          Number(shown[1]),
          Number(shown[2]) - 1,
          Number(shown[3]),
          Number(shown[4]),
          Number(shown[5]),
          Number(shown[6]),
        );
  return asUtc - (shownMs - asUtc);
}

/** `%Y-%m-%d %H:%M:%S.%f` (AsyncEvent StartTime / EndTime). */
function formatPrecise(dates: DateTimeFormatter, ms: number): string {
  return `${dates.format(ms)}.${String(Math.floor(((ms % 1000) + 1000) % 1000) * 1000).padStart(6, '0')}`;
}

function renderEvent(dates: DateTimeFormatter, ev: AsyncEventSummary): Record<string, unknown> {
  return {
    InvokeRequestId: ev.requestId,
    InvokeType: INVOKE_TYPE,
    Qualifier: ev.qualifier ?? LATEST,
    Status: SCF_STATUS[ev.status],
    StartTime: formatPrecise(dates, ev.enqueuedMs),
    // [DESIGN] a running event has no end yet: empty.
    EndTime: ev.endMs === undefined ? '' : formatPrecise(dates, ev.endMs),
  };
}

function readStatuses(call: ActionCall): AsyncEventStatus[] | undefined {
  const wanted = call.params.strings('Status');
  if (wanted === undefined) {
    return undefined;
  }
  const statuses: AsyncEventStatus[] = [];
  for (const w of wanted) {
    const matching = (Object.keys(SCF_STATUS) as AsyncEventStatus[]).filter((s) => SCF_STATUS[s] === w);
    if (matching.length === 0) {
      throw invalidParameterValue('Status', `'${w}' must be one of RUNNING, FINISHED, ABORTED, FAILED.`);
    }
    statuses.push(...matching);
  }
  return statuses;
}

export async function listAsyncEvents(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call);
  const invokeTypes = call.params.strings('InvokeType');
  const statuses = readStatuses(call);
  const start = call.params.object('StartTimeInterval');
  const startFrom = start?.string('Start');
  const startTo = start?.string('End');
  const order = call.params.string('Order') ?? 'DESC';
  if (order !== 'ASC' && order !== 'DESC') {
    throw invalidParameterValue('Order', `'${order}' must be ASC or DESC.`);
  }
  const orderBy = call.params.string('Orderby') ?? 'StartTime';
  if (orderBy !== 'StartTime' && orderBy !== 'EndTime') {
    throw invalidParameterValue('Orderby', `'${orderBy}' must be StartTime or EndTime.`);
  }
  const offset = call.params.integer('Offset', { min: 0 }) ?? 0;
  const limit = call.params.integer('Limit', { min: 0 }) ?? 20;
  if (limit < 1 || limit > 100) {
    throw invalidParameterValue('Limit', `${limit} must be between 1 and 100.`);
  }
  const requestId = call.params.string('InvokeRequestId');
  await call.core.functions.get(key);
  if (invokeTypes !== undefined && !invokeTypes.includes(INVOKE_TYPE)) {
    return { TotalCount: 0, EventList: [] };
  }
  const dates = call.services.dates;
  const { events, total } = await call.core.asyncEvents.list(key, {
    ...(qualifier === undefined ? {} : { qualifier }),
    ...(statuses === undefined ? {} : { statuses }),
    ...(requestId === undefined || requestId === '' ? {} : { requestId }),
    ...(startFrom === undefined || startFrom === ''
      ? {}
      : { fromMs: parseDateTime(dates, startFrom, 'StartTimeInterval.Start') }),
    ...(startTo === undefined || startTo === ''
      ? {}
      : { toMs: parseDateTime(dates, startTo, 'StartTimeInterval.End') }),
    order: order === 'ASC' ? 'asc' : 'desc',
    offset,
    limit,
  });
  return { TotalCount: total, EventList: events.map((ev) => renderEvent(dates, ev)) };
}

function asyncEventNotFound(requestId: string) {
  return scfError(
    'ResourceNotFound.AsyncEvent',
    `The specified AsyncEvent was not found. (InvokeRequestId: ${requestId})`,
  );
}

export async function getAsyncEventStatus(call: ActionCall): Promise<ActionResult> {
  const requestId = call.params.string('InvokeRequestId', { required: true }) ?? '';
  const ev = await call.core.asyncEvents.find(requestId);
  if (ev?.key.accountId !== call.scope.accountId || ev.key.region !== call.scope.region) {
    throw asyncEventNotFound(requestId);
  }
  return {
    Result: { Status: SCF_STATUS[ev.status], StatusCode: STATUS_CODE[ev.status], InvokeRequestId: requestId },
  };
}

export async function terminateAsyncEvent(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const requestId = call.params.string('InvokeRequestId', { required: true }) ?? '';
  // [DESIGN] GraceShutdown is accepted; a running attempt ends (SIGKILL) after it returns.
  call.params.boolean('GraceShutdown');
  await call.core.functions.get(key);
  const ev = await call.core.asyncEvents.get(key, requestId);
  if (ev === undefined) {
    throw asyncEventNotFound(requestId);
  }
  if (ev.status !== 'pending' || !(await call.core.events.terminate(requestId))) {
    throw scfError(
      'FailedOperation.AsyncEventStatus',
      `This operation is not supported by the current async event status. (Status: ${SCF_STATUS[ev.status]})`,
    );
  }
  return {};
}

/**
 * GetFunctionLogs (spec "GetFunctionLogs"): one FunctionLog per invocation, read from the
 * same log store as the CloudWatch Logs dialect (core/logs/log-port.ts): the invocation's
 * lines from START to REPORT, with Duration, BillDuration and MemUsage from its REPORT
 * line. Tencent documents the action as offline in favour of CLS; hearth serves it as a
 * thin query (spec [REC]). RetMsg (the function's return value) is not logged: empty.
 */
import { LATEST } from '../../../core/model.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterValue, scfError } from '../wire-error.js';
import { readFunctionKey, readQualifier } from './common.js';

const ORDER_BY = ['function_name', 'duration', 'mem_usage', 'start_time'];
const RET_CODES: Record<string, 'success' | 'failure' | 'timeout' | 'error'> = {
  is0: 'success',
  not0: 'failure',
  TimeLimitExceeded: 'timeout',
  UserCodeException: 'error',
  // hearth reports no separate resource-limit outcome: an OOM kill is an error.
  ResourceLimitExceeded: 'error',
};

/** `2017-05-16 20:00:00` in `timeZone` → epoch ms. */
export function parseScfDateTime(text: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) {
    return undefined;
  }
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // The zone's offset at that instant, from how Intl shows it there.
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(asUtc));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? NaN);
  const shown = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  const ms = asUtc - (shown - asUtc);
  return Number.isFinite(ms) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 ? ms : undefined;
}

export async function getFunctionLogs(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call);
  const offset = call.params.integer('Offset') ?? 0;
  const limit = call.params.integer('Limit') ?? 10_000 - offset;
  if (offset < 0) {
    throw invalidParameterValue('Offset', 'must be ≥ 0.', 'InvalidParameterValue.Offset');
  }
  if (limit < 0 || offset + limit > 10_000) {
    throw scfError('LimitExceeded.Offset', 'The sum of Offset and Limit cannot exceed 10000.');
  }
  const order = (call.params.string('Order') ?? 'desc').toLowerCase();
  if (order !== 'desc' && order !== 'asc') {
    throw invalidParameterValue('Order', `'${order}' must be desc or asc.`, 'InvalidParameterValue.Order');
  }
  const orderBy = call.params.string('OrderBy') ?? 'start_time';
  if (!ORDER_BY.includes(orderBy)) {
    throw invalidParameterValue(
      'OrderBy',
      `'${orderBy}' must be one of ${ORDER_BY.join(', ')}.`,
      'InvalidParameterValue.OrderBy',
    );
  }
  const retCode = call.params.object('Filter')?.string('RetCode');
  if (retCode !== undefined && retCode !== '' && RET_CODES[retCode] === undefined) {
    throw invalidParameterValue(
      'Filter.RetCode',
      `'${retCode}' is not a known RetCode filter.`,
      'InvalidParameterValue.RetCode',
    );
  }
  const range = ['StartTime', 'EndTime'].map((name) => {
    const text = call.params.string(name);
    if (text === undefined || text === '') {
      return undefined;
    }
    const ms = parseScfDateTime(text, call.opts.timeZone);
    if (ms === undefined) {
      throw invalidParameterValue(
        name,
        `'${text}' is not a datetime like 2017-05-16 20:00:00.`,
        'InvalidParameterValue.DateTime',
      );
    }
    return ms;
  });
  const [startMs, endMs] = range;
  if (startMs !== undefined && endMs !== undefined && (endMs < startMs || endMs - startMs > 86_400_000)) {
    throw scfError(
      'InvalidParameterValue.StartTimeOrEndTime',
      'StartTime and EndTime must be in order and within one day of each other.',
    );
  }
  // The function must exist (ResourceNotFound.Function otherwise, from core).
  const { fn, version } = await call.core.functions.get(key, qualifier ?? LATEST);
  const logs = call.opts.logs;
  if (logs === undefined) {
    return { TotalCount: 0, Data: [] };
  }
  const requestId = call.params.string('FunctionRequestId');
  const status = retCode === undefined || retCode === '' ? undefined : RET_CODES[retCode];
  const found = await logs.invocations(key, fn.latest.config.logGroup ?? `/aws/lambda/${key.name}`, {
    functionName: key.name,
    // An alias names the version it points at.
    ...(qualifier === undefined ? {} : { version: version.version }),
    ...(requestId === undefined || requestId === '' ? {} : { requestId }),
    ...(startMs === undefined ? {} : { startMs }),
    ...(endMs === undefined ? {} : { endMs }),
    ...(status === undefined ? {} : { status }),
    descending: order === 'desc',
    offset,
    limit,
  });
  return {
    TotalCount: found.total,
    Data: found.items.map((i) => ({
      FunctionName: i.functionName,
      RetMsg: '',
      RequestId: i.requestId,
      StartTime: call.services.dates.format(i.startMs),
      RetCode: i.status === 'success' ? 0 : 1,
      InvokeFinished: 1,
      Duration: Number(i.durationMs.toFixed(3)),
      BillDuration: i.billedMs,
      MemUsage: i.maxMemoryUsedMb * 1024 * 1024,
      Log: i.log,
      Level: '',
      Source: '',
      RetryNum: 0,
    })),
  };
}

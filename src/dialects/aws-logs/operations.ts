/**
 * The CloudWatch Logs operations hearth serves, over the log store (core/logs/log-port.ts).
 * Names verbatim from the model; shapes and limits from botocore's
 * logs/2014-03-28/service-2.json.
 */
import type { LogScope, LogStore, LogStreamInfo } from '../../core/logs/log-port.js';
import { groupNotFound, invalidParameter, streamNotFound } from './errors.js';
import { parseFilterPattern } from './filter-pattern.js';
import type { Input } from './input.js';
import {
  LOG_GROUP_IDENTIFIER,
  LOG_GROUP_IDENTIFIER_SOURCE,
  LOG_GROUP_NAME,
  LOG_GROUP_NAME_SOURCE,
  LOG_STREAM_NAME,
  LOG_STREAM_NAME_SOURCE,
  type Json,
} from './input.js';
import { decodeStreamToken, decodeToken, encodeStreamToken, encodeToken } from './tokens.js';

export interface OperationContext {
  readonly store: LogStore;
  readonly scope: LogScope;
}

export type Operation = (ctx: OperationContext, input: Input) => Promise<Json>;

/** PutRetentionPolicy's Days (the model's documentation lists them). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Events a FilterLogEvents call looks at before it answers with what it found and a token. */
const FILTER_SCAN_LIMIT = 10_000;

const groupArn = (s: LogScope, name: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}`;

const groupName = (input: Input, required: boolean) =>
  input.string('logGroupName', {
    required,
    min: 1,
    max: 512,
    pattern: LOG_GROUP_NAME,
    patternSource: LOG_GROUP_NAME_SOURCE,
  });

/** `logGroupName` or `logGroupIdentifier` (a name or the group's ARN, with or without `:*`). */
function groupOf(ctx: OperationContext, input: Input): string {
  const name = groupName(input, false);
  const id = input.string('logGroupIdentifier', {
    min: 1,
    max: 2048,
    pattern: LOG_GROUP_IDENTIFIER,
    patternSource: LOG_GROUP_IDENTIFIER_SOURCE,
  });
  input.check();
  if (name !== undefined && id !== undefined) {
    throw invalidParameter('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (id !== undefined) {
    const m = /^arn:aws[a-z-]*:logs:([^:]*):([^:]*):log-group:([^:]+)(:\*)?$/.exec(id);
    if (m === null) {
      return id;
    }
    if (m[1] !== ctx.scope.region || m[2] !== ctx.scope.accountId) {
      throw groupNotFound();
    }
    return m[3] ?? '';
  }
  if (name === undefined) {
    throw invalidParameter('Either logGroupName or logGroupIdentifier must be specified.');
  }
  return name;
}

const streamName = (input: Input, name: string, required: boolean) =>
  input.string(name, {
    required,
    min: 1,
    max: 512,
    pattern: LOG_STREAM_NAME,
    patternSource: LOG_STREAM_NAME_SOURCE,
  });

const DescribeLogGroups: Operation = async (ctx, input) => {
  const namePrefix = input.string('logGroupNamePrefix', {
    min: 1,
    max: 512,
    pattern: LOG_GROUP_NAME,
    patternSource: LOG_GROUP_NAME_SOURCE,
  });
  const pattern = input.string('logGroupNamePattern', {
    max: 512,
    pattern: /^[.\-_/#A-Za-z0-9]*$/,
    patternSource: '[\\.\\-_/#A-Za-z0-9]*',
  });
  const limit = input.integer('limit', { min: 1, max: 50 }) ?? 50;
  const token = input.string('nextToken', { min: 1 });
  input.check();
  if (namePrefix !== undefined && pattern !== undefined) {
    throw invalidParameter(
      'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.',
    );
  }
  const after = token === undefined ? undefined : decodeToken(token, { n: 'string' }).n;
  const page = await ctx.store.listGroups(ctx.scope, {
    ...(namePrefix === undefined ? {} : { prefix: namePrefix }),
    ...(pattern === undefined ? {} : { contains: pattern }),
    ...(after === undefined ? {} : { afterName: after }),
    limit,
  });
  return {
    logGroups: page.items.map((g) => ({
      logGroupName: g.name,
      creationTime: g.createdMs,
      ...(g.retentionDays === undefined ? {} : { retentionInDays: g.retentionDays }),
      metricFilterCount: 0,
      arn: `${groupArn(ctx.scope, g.name)}:*`,
      storedBytes: g.storedBytes,
      logGroupClass: 'STANDARD',
      logGroupArn: groupArn(ctx.scope, g.name),
      deletionProtectionEnabled: false,
    })),
    ...(page.next === undefined ? {} : { nextToken: encodeToken({ n: page.next }) }),
  };
};

const streamShape = (ctx: OperationContext, group: string, s: LogStreamInfo): Json => ({
  logStreamName: s.name,
  creationTime: s.createdMs,
  ...(s.firstEventMs === undefined ? {} : { firstEventTimestamp: s.firstEventMs }),
  ...(s.lastEventMs === undefined ? {} : { lastEventTimestamp: s.lastEventMs }),
  ...(s.lastIngestionMs === undefined ? {} : { lastIngestionTime: s.lastIngestionMs }),
  arn: `${groupArn(ctx.scope, group)}:log-stream:${s.name}`,
  // Deprecated in the model; AWS reports 0.
  storedBytes: 0,
});

const DescribeLogStreams: Operation = async (ctx, input) => {
  const prefix = streamName(input, 'logStreamNamePrefix', false);
  const orderBy =
    input.enumeration('orderBy', ['LogStreamName', 'LastEventTime'] as const) ?? 'LogStreamName';
  const descending = input.boolean('descending') ?? false;
  const limit = input.integer('limit', { min: 1, max: 50 }) ?? 50;
  const token = input.string('nextToken', { min: 1 });
  const group = groupOf(ctx, input);
  if (orderBy === 'LastEventTime' && prefix !== undefined) {
    throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  const after = token === undefined ? undefined : decodeToken(token, { n: 'string', t: 'number' });
  const page = await ctx.store.listStreams(ctx.scope, group, {
    ...(prefix === undefined ? {} : { prefix }),
    orderBy: orderBy === 'LogStreamName' ? 'name' : 'lastEventTime',
    descending,
    ...(after === undefined ? {} : { after: { name: after.n, lastEventMs: after.t } }),
    limit,
  });
  if (page === undefined) {
    throw groupNotFound();
  }
  return {
    logStreams: page.items.map((s) => streamShape(ctx, group, s)),
    ...(page.next === undefined
      ? {}
      : { nextToken: encodeToken({ n: page.next.name, t: page.next.lastEventMs }) }),
  };
};

const GetLogEvents: Operation = async (ctx, input) => {
  const stream = streamName(input, 'logStreamName', true);
  const startMs = input.integer('startTime', { min: 0 });
  const endMs = input.integer('endTime', { min: 0 });
  const token = input.string('nextToken', { min: 1 });
  const limit = input.integer('limit', { min: 1, max: 10_000 }) ?? 10_000;
  const fromHead = input.boolean('startFromHead') ?? false;
  const group = groupOf(ctx, input);
  const position = token === undefined ? undefined : decodeStreamToken(token);
  if ((await ctx.store.getGroup(ctx.scope, group)) === undefined) {
    throw groupNotFound();
  }
  if (stream === undefined || (await ctx.store.getStream(ctx.scope, group, stream)) === undefined) {
    throw streamNotFound();
  }
  // No token: the newest `limit` events, or the oldest with startFromHead (AWS's default).
  const forward = position === undefined ? fromHead : position.direction === 'f';
  const range = {
    ...(startMs === undefined ? {} : { startMs }),
    ...(endMs === undefined ? {} : { endMs }),
  };
  const events = await ctx.store.readStream(ctx.scope, group, stream, {
    ...range,
    ...(forward ? { afterId: position?.id ?? 0 } : position === undefined ? {} : { beforeId: position.id }),
    limit,
  });
  const first = events[0];
  const last = events.at(-1);
  // With nothing new, the forward token stays put: that is how clients know they reached the end.
  const fallback = position?.id ?? 0;
  return {
    events: events.map((e) => ({
      timestamp: e.timestampMs,
      message: e.message,
      ingestionTime: e.ingestionMs,
    })),
    nextForwardToken: encodeStreamToken({
      direction: 'f',
      id: last?.id ?? (forward || position === undefined ? fallback : Math.max(0, fallback - 1)),
    }),
    nextBackwardToken: encodeStreamToken({
      direction: 'b',
      id: first?.id ?? (forward ? fallback + 1 : fallback),
    }),
  };
};

const FilterLogEvents: Operation = async (ctx, input) => {
  const names = input.strings('logStreamNames', {
    min: 1,
    max: 100,
    item: (s) => s.length >= 1 && s.length <= 512 && LOG_STREAM_NAME.test(s),
    itemRule: `satisfy constraint: [Member must have length less than or equal to 512, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${LOG_STREAM_NAME_SOURCE}]`,
  });
  const prefix = streamName(input, 'logStreamNamePrefix', false);
  const startMs = input.integer('startTime', { min: 0 });
  const endMs = input.integer('endTime', { min: 0 });
  const pattern = input.string('filterPattern', { max: 1024 });
  const token = input.string('nextToken', { min: 1 });
  const limit = input.integer('limit', { min: 1, max: 10_000 }) ?? 10_000;
  input.boolean('interleaved');
  const group = groupOf(ctx, input);
  if (names !== undefined && prefix !== undefined) {
    throw invalidParameter('Cannot specify both logStreamNames and logStreamNamePrefix.');
  }
  const parsed = parseFilterPattern(pattern ?? '');
  if (!parsed.ok) {
    throw invalidParameter(parsed.message);
  }
  const after = token === undefined ? undefined : decodeToken(token, { t: 'number', i: 'number' });
  const result = await ctx.store.filter(ctx.scope, group, {
    ...(names === undefined ? {} : { streamNames: names }),
    ...(prefix === undefined ? {} : { streamPrefix: prefix }),
    ...(startMs === undefined ? {} : { startMs }),
    // FilterLogEvents' endTime is inclusive ("later than this time are not returned").
    ...(endMs === undefined ? {} : { endMs: endMs + 1 }),
    ...(after === undefined ? {} : { after: { timestampMs: after.t, id: after.i } }),
    limit,
    scanLimit: FILTER_SCAN_LIMIT,
    matches: parsed.matches,
  });
  if (result === undefined) {
    throw groupNotFound();
  }
  return {
    events: result.events.map((e) => ({
      logStreamName: e.streamName,
      timestamp: e.timestampMs,
      message: e.message,
      ingestionTime: e.ingestionMs,
      eventId: String(e.id).padStart(56, '0'),
    })),
    searchedLogStreams: [],
    ...(result.next === undefined
      ? {}
      : { nextToken: encodeToken({ t: result.next.timestampMs, i: result.next.id }) }),
  };
};

const DeleteLogGroup: Operation = async (ctx, input) => {
  const name = groupName(input, true);
  input.check();
  if (name === undefined || !(await ctx.store.deleteGroup(ctx.scope, name))) {
    throw groupNotFound();
  }
  return {};
};

const PutRetentionPolicy: Operation = async (ctx, input) => {
  const name = groupName(input, true);
  const days = input.oneOf('retentionInDays', RETENTION_DAYS, true);
  input.check();
  if (name === undefined || days === undefined || !(await ctx.store.setRetention(ctx.scope, name, days))) {
    throw groupNotFound();
  }
  return {};
};

const DeleteRetentionPolicy: Operation = async (ctx, input) => {
  const name = groupName(input, true);
  input.check();
  if (name === undefined || !(await ctx.store.setRetention(ctx.scope, name, undefined))) {
    throw groupNotFound();
  }
  return {};
};

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  DescribeLogGroups,
  DescribeLogStreams,
  GetLogEvents,
  FilterLogEvents,
  DeleteLogGroup,
  PutRetentionPolicy,
  DeleteRetentionPolicy,
};

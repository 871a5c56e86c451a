/**
 * The function log store as core sees it: groups of streams of timestamped events, read by
 * the dialects (CloudWatch Logs, SCF GetFunctionLogs) and written by the composition root
 * from the pool's `onFunctionLog`. No SQL here: store/logs/ implements it.
 *
 * A group lives in a scope (account, region, SCF namespace): the AWS view is namespace
 * `default`, where AWS functions live (ARCHITECTURE.md "one core, many dialects").
 */
import type { Scope } from '../model.js';

export interface LogScope extends Scope {
  readonly namespace: string;
}

export interface LogGroupInfo {
  readonly name: string;
  readonly createdMs: number;
  /** Undefined: events never expire (only the store's size cap removes them). */
  readonly retentionDays: number | undefined;
  readonly storedBytes: number;
}

export interface LogStreamInfo {
  readonly name: string;
  readonly createdMs: number;
  readonly firstEventMs: number | undefined;
  readonly lastEventMs: number | undefined;
  readonly lastIngestionMs: number | undefined;
  readonly storedBytes: number;
}

export interface LogEvent {
  /** Increases with every event stored (a stable position for paging). */
  readonly id: number;
  readonly streamName: string;
  readonly timestampMs: number;
  readonly ingestionMs: number;
  readonly message: string;
}

/** One page of a listing; `after` positions are opaque to core and come back as given. */
export interface Page<T, P> {
  readonly items: readonly T[];
  /** Where the next page starts; undefined when this page is the last. */
  readonly next: P | undefined;
}

export interface GroupQuery {
  readonly prefix?: string;
  /** Case-insensitive substring of the name. */
  readonly contains?: string;
  /** Names strictly after this one. */
  readonly afterName?: string;
  readonly limit: number;
}

/** Streams are listed by name, or by last event time (then name). */
export type StreamPosition = { readonly name: string; readonly lastEventMs: number };

export interface StreamQuery {
  readonly prefix?: string;
  readonly orderBy: 'name' | 'lastEventTime';
  readonly descending: boolean;
  readonly after?: StreamPosition;
  readonly limit: number;
}

export interface StreamReadQuery {
  readonly startMs?: number;
  /** Exclusive, as AWS's endTime. */
  readonly endMs?: number;
  /** Events with ids above this, oldest first. */
  readonly afterId?: number;
  /** Events with ids below this, newest first (the page is returned oldest first). */
  readonly beforeId?: number;
  readonly limit: number;
}

/** A position in a group's (timestamp, id) order. */
export type EventPosition = { readonly timestampMs: number; readonly id: number };

export interface FilterQuery {
  readonly streamNames?: readonly string[];
  readonly streamPrefix?: string;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly after?: EventPosition;
  readonly limit: number;
  /** Events looked at before a page is returned even if fewer than `limit` matched. */
  readonly scanLimit: number;
  readonly matches: (message: string) => boolean;
}

/** One invocation as its START and REPORT lines describe it (SCF's FunctionLog). */
export interface InvocationRecord {
  readonly requestId: string;
  readonly functionName: string;
  readonly version: string;
  readonly streamName: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly maxMemoryUsedMb: number;
  /** `success`, `timeout` or the error type of the REPORT line's Status. */
  readonly status: 'success' | 'timeout' | 'error';
  readonly errorType: string | undefined;
  /** The invocation's lines, START to REPORT, newline-joined. */
  readonly log: string;
}

export interface InvocationQuery {
  readonly functionName: string;
  readonly version?: string;
  readonly requestId?: string;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly status?: 'success' | 'failure' | 'timeout' | 'error';
  readonly descending: boolean;
  readonly offset: number;
  readonly limit: number;
}

export interface LogStore {
  listGroups(scope: LogScope, q: GroupQuery): Promise<Page<LogGroupInfo, string>>;
  getGroup(scope: LogScope, name: string): Promise<LogGroupInfo | undefined>;
  /** Undefined when the group does not exist. */
  listStreams(
    scope: LogScope,
    group: string,
    q: StreamQuery,
  ): Promise<Page<LogStreamInfo, StreamPosition> | undefined>;
  getStream(scope: LogScope, group: string, stream: string): Promise<LogStreamInfo | undefined>;
  readStream(
    scope: LogScope,
    group: string,
    stream: string,
    q: StreamReadQuery,
  ): Promise<readonly LogEvent[]>;
  /** Undefined when the group does not exist. */
  filter(
    scope: LogScope,
    group: string,
    q: FilterQuery,
  ): Promise<{ readonly events: readonly LogEvent[]; readonly next: EventPosition | undefined } | undefined>;
  /** False when the group does not exist. */
  deleteGroup(scope: LogScope, name: string): Promise<boolean>;
  /** False when the group does not exist; undefined days removes the policy. */
  setRetention(scope: LogScope, name: string, days: number | undefined): Promise<boolean>;
  invocations(
    scope: LogScope,
    group: string,
    q: InvocationQuery,
  ): Promise<{ readonly total: number; readonly items: readonly InvocationRecord[] }>;
}

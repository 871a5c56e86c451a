/**
 * `hearth logs NAME [--since 1h] [--filter PATTERN] [--follow]`: a function's log events
 * (group `/aws/lambda/NAME`, or NAME itself when it starts with `/`) through the
 * CloudWatch Logs API, oldest first. `--follow` keeps asking for newer events (by time,
 * skipping the event ids already shown) until interrupted.
 */
import {
  paginateFilterLogEvents,
  ResourceNotFoundException,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Connection } from '../client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { paint, type Output } from '../output.js';

export interface LogsOptions {
  readonly since?: string;
  readonly filter?: string;
  readonly follow?: boolean;
  readonly pollMs?: number;
  /** Resolves when following should stop (SIGINT). */
  readonly stopped?: Promise<void>;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseSince(text: string, nowMs: number): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m?.[1] === undefined || m[2] === undefined) {
    throw new CliError(`'${text}' is not a duration like 30s, 10m, 2h or 1d`, EXIT.usage);
  }
  return nowMs - Number(m[1]) * (UNITS[m[2]] ?? 0);
}

function print(o: Output, e: FilteredLogEvent): void {
  if (o.json) {
    o.out(
      `${JSON.stringify({ timestamp: e.timestamp, logStreamName: e.logStreamName, message: e.message, eventId: e.eventId })}\n`,
    );
    return;
  }
  const when = new Date(e.timestamp ?? 0).toISOString();
  const message = e.message ?? '';
  const platform = /^(START|END|REPORT|INIT_START|INIT_REPORT) /.test(message);
  o.out(`${paint(o, 'dim', when)}  ${platform ? paint(o, 'dim', message) : message}\n`);
}

export async function showLogs(
  conn: Connection,
  o: Output,
  name: string,
  opts: LogsOptions,
): Promise<number> {
  const group = name.startsWith('/') ? name : `/aws/lambda/${name}`;
  let startTime = opts.since === undefined ? undefined : parseSince(opts.since, Date.now());
  const seen = new Set<string>();
  let stopped = false;
  void opts.stopped?.then(() => {
    stopped = true;
  });
  for (;;) {
    try {
      let newest = startTime;
      const shown = new Set<string>();
      for await (const page of paginateFilterLogEvents(
        { client: conn.logs },
        {
          logGroupName: group,
          ...(startTime === undefined ? {} : { startTime }),
          ...(opts.filter === undefined ? {} : { filterPattern: opts.filter }),
        },
      )) {
        for (const e of page.events ?? []) {
          const id = e.eventId ?? '';
          if (!seen.has(id)) {
            print(o, e);
          }
          shown.add(id);
          newest = Math.max(newest ?? 0, e.timestamp ?? 0);
        }
      }
      // Next round: from the newest timestamp on, minus what was shown at that instant.
      startTime = newest;
      seen.clear();
      for (const id of shown) {
        seen.add(id);
      }
    } catch (e) {
      // A function that has not logged yet has no group: following waits for it.
      if (!(opts.follow === true && e instanceof ResourceNotFoundException)) {
        throw e;
      }
    }
    if (opts.follow !== true || stopped) {
      return EXIT.ok;
    }
    await Promise.race([new Promise((r) => setTimeout(r, opts.pollMs ?? 1000)), opts.stopped]);
    if (stopped) {
      return EXIT.ok;
    }
  }
}

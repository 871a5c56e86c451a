/**
 * The async queue in hearth's log (issue 13 item 4): a line when its depth crosses a
 * threshold, up or down, and when an account's share nears its bound; never one per event.
 *
 *   bands: 0 | 1–99 | 100–999 | 1,000–9,999 | … (powers of ten from 100);
 *   a line when the band changes (info; warn when it rises to 10,000 or more), with the
 *   depth, the events running and the oldest event's age;
 *   a warning when an account holds 90 % of `capacityPerAccount` (further Event invokes
 *   will be throttled), once per crossing.
 * The queue is sampled every `intervalMs` (`asyncQueueLogIntervalMs`), so a crossing is
 * logged within that interval.
 */
import type { Logger } from 'pino';
import type { EventQueueStats } from '../core/invoke/event-queue.js';

/** 0 for an empty queue, 1 below 100, then one band per power of ten. */
export function depthBand(depth: number): number {
  if (depth === 0) {
    return 0;
  }
  return depth < 100 ? 1 : Math.floor(Math.log10(depth));
}

/** The lowest depth of a band (what the log line names as the threshold crossed). */
export function bandFloor(band: number): number {
  return band === 0 ? 0 : band === 1 ? 1 : 10 ** band;
}

export interface QueueLogLine {
  readonly level: 'info' | 'warn';
  readonly message: string;
}

/** What changed between two samples: the lines to log (pure, table-tested). */
export function queueLogLines(
  before: { band: number; nearFull: ReadonlySet<string> },
  now: EventQueueStats,
  capacityPerAccount: number,
): { lines: QueueLogLine[]; band: number; nearFull: Set<string> } {
  const lines: QueueLogLine[] = [];
  const band = depthBand(now.depth);
  if (band !== before.band) {
    const age = `${Math.round(now.oldestAgeMs / 1000)} s`;
    if (band === 0) {
      lines.push({ level: 'info', message: 'async event queue drained' });
    } else if (band > before.band) {
      lines.push({
        level: band >= 4 ? 'warn' : 'info',
        message: `async event queue holds ${now.depth} events (over ${bandFloor(band)}); ${now.running} running, the oldest ${age} old`,
      });
    } else {
      lines.push({
        level: 'info',
        message: `async event queue down to ${now.depth} events (under ${bandFloor(band + 1)}); the oldest ${age} old`,
      });
    }
  }
  const nearFull = new Set<string>();
  for (const [account, n] of Object.entries(now.byAccount)) {
    if (n >= 0.9 * capacityPerAccount) {
      nearFull.add(account);
      if (!before.nearFull.has(account)) {
        lines.push({
          level: 'warn',
          message: `account ${account} holds ${n} of its ${capacityPerAccount} queued events: Event invokes beyond the bound are throttled`,
        });
      }
    }
  }
  return { lines, band, nearFull };
}

/** Samples the queue every `intervalMs` and logs what crossed a threshold; returns a stop. */
export function watchQueue(
  stats: () => EventQueueStats,
  o: { readonly logger: Logger; readonly intervalMs: number; readonly capacityPerAccount: number },
): () => void {
  let state: { band: number; nearFull: ReadonlySet<string> } = { band: 0, nearFull: new Set() };
  const timer = setInterval(() => {
    const s = stats();
    const next = queueLogLines(state, s, o.capacityPerAccount);
    state = next;
    for (const line of next.lines) {
      o.logger[line.level](
        { asyncQueue: { depth: s.depth, running: s.running, oldestAgeMs: s.oldestAgeMs } },
        line.message,
      );
    }
  }, o.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

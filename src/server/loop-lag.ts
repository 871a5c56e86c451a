/**
 * hearth's event-loop lag, for the async queue's pacer (core/invoke/queue-pacer.ts), which
 * may not read the process's clocks itself (core imports no I/O).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DEFAULT_PACER_INTERVAL_MS } from '../core/invoke/queue-pacer.js';

/**
 * The loop's lag since the previous call, ms: the larger of how late a 10 ms timer fired
 * on average (node:perf_hooks monitorEventLoopDelay, which records whole intervals: the
 * resolution is taken off) and how much longer than expected the time since the previous
 * call was (a loop so starved that the 10 ms timer never fired leaves the histogram empty).
 */
export function eventLoopLag(expectedIntervalMs = DEFAULT_PACER_INTERVAL_MS): {
  lagMs: () => number;
  stop: () => void;
} {
  const resolutionMs = 10;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  let last = performance.now();
  return {
    lagMs: () => {
      const now = performance.now();
      const late = now - last - expectedIntervalMs;
      last = now;
      const mean = Number.isNaN(h.mean) ? 0 : h.mean / 1e6 - resolutionMs;
      h.reset();
      return Math.max(0, late, mean);
    },
    stop: () => h.disable(),
  };
}

/**
 * What both log stores offer beyond core's LogStore port: the pool's sink (`append`, which
 * only queues), and the composition root's and tests' handles on their writers.
 */
import type { LogStore } from '../../core/logs/log-port.js';
import type { FunctionLogInput } from './log-ingest.js';

export interface FunctionLogStore extends LogStore {
  /** Queues a chunk of a function's output; never waits on I/O. */
  append(input: FunctionLogInput): void;
  /** Hands on what is queued (partial lines stay pending) and waits until it is written. */
  flush(): Promise<void>;
  /** Stored message bytes across all groups. */
  totalBytes(): Promise<number>;
  /** Retention of every group, then the size cap. */
  housekeep(): Promise<void>;
  /** Writes what is queued (partial lines too) and lets go of the database. */
  close(): Promise<void>;
}

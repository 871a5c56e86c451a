/**
 * What the dashboard reads from hearth (src/server/dashboard.ts): one snapshot, a chart's
 * history, and two event streams. Read-only.
 */

export type PcStatus = 'IN_PROGRESS' | 'READY' | 'FAILED';

export interface FunctionView {
  readonly region: string;
  readonly namespace: string;
  readonly name: string;
  readonly runtime: string;
  readonly memoryMb: number;
  readonly dialects: readonly string[];
  readonly reservedConcurrency: number | null;
  readonly versions: readonly { readonly version: string; readonly lastModifiedMs: number }[];
  readonly aliases: readonly {
    readonly name: string;
    readonly functionVersion: string;
    readonly additionalVersionWeights: Readonly<Record<string, number>>;
  }[];
}

export interface ScheduleView {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly actions: readonly {
    readonly name: string;
    readonly expression: string;
    readonly timeZone: string | null;
    readonly min: number | null;
    readonly max: number | null;
  }[];
  readonly policies: readonly { readonly name: string; readonly targetValue: number }[];
}

export interface ProvisionedView {
  readonly poolKey: string;
  readonly region: string;
  readonly namespace: string;
  readonly functionName: string;
  readonly qualifier: string;
  readonly requested: number;
  readonly allocated: number;
  readonly available: number;
  readonly status: PcStatus;
  readonly statusReason: string | null;
  readonly utilization: number;
  readonly schedule: ScheduleView | null;
}

export interface Invocation {
  readonly atMs: number;
  readonly requestId: string;
  readonly functionName: string;
  readonly namespace: string;
  readonly version: string;
  readonly durationMs: number;
  readonly cold: boolean;
  readonly initializationType: 'on-demand' | 'provisioned-concurrency';
  readonly spillover: boolean;
  readonly errorType?: string;
}

export interface State {
  readonly nowMs: number;
  readonly functions: readonly FunctionView[];
  readonly provisioned: readonly ProvisionedView[];
  readonly recentInvocations: readonly Invocation[];
  readonly queue: { readonly depth: number; readonly running: number; readonly oldestAgeMs: number };
}

export interface HistoryPoint {
  readonly t: number;
  readonly requested: number;
  readonly allocated: number;
  readonly available: number;
  readonly utilization: number;
  readonly invocations: number;
  readonly spillovers: number;
}

export interface StatusEvent {
  readonly poolKey: string;
  readonly allocated: number;
  readonly available: number;
  readonly status: PcStatus;
  readonly statusReason?: string;
}

const BASE = '/_hearth/api';

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${BASE}${path}`, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    throw new Error(`${path}: HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

export const fetchState = (): Promise<State> => getJson<State>('/state');

export const fetchHistory = (poolKey: string): Promise<{ sampleMs: number; points: HistoryPoint[] }> =>
  getJson(`/history?key=${encodeURIComponent(poolKey)}`);

export const eventsUrl = `${BASE}/events`;

export const logsUrl = (f: { name: string; namespace: string; region: string }): string =>
  `${BASE}/logs?function=${encodeURIComponent(f.name)}&namespace=${encodeURIComponent(f.namespace)}&region=${encodeURIComponent(f.region)}`;

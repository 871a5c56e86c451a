/**
 * GET /metrics, read the way Prometheus reads it: the text exposition format parsed by the
 * Prometheus project's own parser (test/helpers/prometheus.ts) while a load runs on a
 * provisioned alias and spills over, then the counters checked against what the load did.
 * Without the parser the suite fails in CI (.ci/run installs it) and is skipped elsewhere.
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import {
  hasPrometheusParser,
  prometheusParser,
  type PromFamily,
  type PrometheusParser,
} from '../helpers/prometheus.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
// Holds each invocation long enough for the load to overlap (the function waits, not the test).
const SLOW = `export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return { ok: true }; };`;
const FAILING = `export const handler = async () => { throw new Error('boom'); };`;

if (!hasPrometheusParser && process.env.CI !== undefined) {
  throw new Error('the Prometheus parser is required in CI (apt-get install python3-prometheus-client)');
}

type Families = Map<string, PromFamily>;
let p: TestPlatform;
let parser: PrometheusParser;

async function scrape(): Promise<Families> {
  const res = await fetch(`${p.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parser.parse(await res.text());
}

/** The value of sample `name` (e.g. `x_total`, `x_bucket`) with these labels (among others). */
function value(families: Families, name: string, labels: Record<string, string>): number {
  for (const f of families.values()) {
    const s = f.samples.find(
      (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
    );
    if (s !== undefined) {
      return Number(s.value);
    }
  }
  return NaN;
}

async function create(name: string, source: string) {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: await makeZip({ 'index.mjs': source }) },
    }),
  );
}

const invoke = (name: string, ms: number, qualifier?: string) =>
  p.client.send(
    new InvokeCommand({
      FunctionName: name,
      ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
      Payload: Buffer.from(JSON.stringify({ ms })),
    }),
  );

beforeAll(async () => {
  parser = prometheusParser();
  p = await startPlatform();
  await create('web', SLOW);
  await p.client.send(new PublishVersionCommand({ FunctionName: 'web' }));
  await p.client.send(new CreateAliasCommand({ FunctionName: 'web', Name: 'live', FunctionVersion: '1' }));
  await p.client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'web',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 2,
    }),
  );
  // What a client does: ask until READY (the provisioned test suite's pattern), bounded.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const c = await p.client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'web', Qualifier: 'live' }),
    );
    if (c.Status === 'READY') {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`web:live still ${c.Status}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  parser?.close();
  await p?.dispose();
});

describe.skipIf(!hasPrometheusParser)('GET /metrics', () => {
  it('parses while a load runs and spills over, and counts what the load did', async () => {
    const base = { region: 'us-east-1', namespace: 'default', function: 'web' };
    // 6 invocations at once on 2 provisioned environments: 4 spill over to on-demand ones.
    const load = Array.from({ length: 6 }, () => invoke('web', 1000, 'live'));
    // While it runs: the provisioned family shows both environments busy.
    let during: Families;
    const deadline = Date.now() + 10_000;
    do {
      during = await scrape();
      if (Date.now() > deadline) {
        throw new Error('the provisioned environments were never seen busy');
      }
    } while (value(during, 'hearth_provisioned_concurrent_executions', { ...base, qualifier: 'live' }) !== 2);
    expect(
      value(during, 'hearth_provisioned_concurrency_utilization_ratio', { ...base, qualifier: 'live' }),
    ).toBe(1);
    expect(value(during, 'hearth_concurrent_executions', { ...base, version: '1' })).toBeGreaterThanOrEqual(
      2,
    );
    expect(during.get('hearth_provisioned_concurrent_executions')?.type).toBe('gauge');
    const outs = await Promise.all(load);
    expect(outs.every((o) => o.FunctionError === undefined)).toBe(true);

    const after = await scrape();
    const pc = { ...base, qualifier: 'live' };
    const onPc = value(after, 'hearth_provisioned_concurrency_invocations_total', pc);
    const spilled = value(after, 'hearth_provisioned_concurrency_spillover_invocations_total', pc);
    expect(onPc + spilled).toBe(6);
    expect(spilled).toBeGreaterThanOrEqual(1);
    expect(onPc).toBeGreaterThanOrEqual(2);
    expect(after.get('hearth_provisioned_concurrency_invocations')?.type).toBe('counter');
    expect(value(after, 'hearth_provisioned_concurrency_requested', pc)).toBe(2);
    expect(value(after, 'hearth_provisioned_concurrency_allocated', pc)).toBe(2);
    expect(value(after, 'hearth_provisioned_concurrency_status', { ...pc, status: 'READY' })).toBe(1);
    expect(value(after, 'hearth_provisioned_concurrency_status', { ...pc, status: 'IN_PROGRESS' })).toBe(0);

    const v1 = { ...base, version: '1' };
    expect(value(after, 'hearth_invocations_total', v1)).toBe(6);
    // A spill-over starts an environment, unless an earlier one is warm again by then.
    expect(value(after, 'hearth_cold_starts_total', v1)).toBeGreaterThanOrEqual(1);
    expect(value(after, 'hearth_cold_starts_total', v1)).toBeLessThanOrEqual(spilled);
    expect(value(after, 'hearth_invocation_errors_total', v1)).toBe(0);
    // The duration histogram: every invocation took at least 1 s.
    expect(after.get('hearth_invocation_duration_seconds')?.type).toBe('histogram');
    expect(value(after, 'hearth_invocation_duration_seconds_count', v1)).toBe(6);
    expect(value(after, 'hearth_invocation_duration_seconds_sum', v1)).toBeGreaterThanOrEqual(6);
    expect(value(after, 'hearth_invocation_duration_seconds_bucket', { ...v1, le: '0.5' })).toBe(0);
    expect(value(after, 'hearth_invocation_duration_seconds_bucket', { ...v1, le: '30' })).toBe(6);
    expect(value(after, 'hearth_invocation_duration_seconds_bucket', { ...v1, le: '+Inf' })).toBe(6);
    // Init durations: the 2 provisioned environments.
    expect(
      value(after, 'hearth_init_duration_seconds_count', {
        ...v1,
        initialization_type: 'provisioned-concurrency',
      }),
    ).toBe(2);
    // Environments by state, the queue and the process metrics are there too.
    // (an environment that has just answered is busy until its runtime asks for the next)
    const provisionedEnvs = (state: string) =>
      value(after, 'hearth_environments', { state, initialization_type: 'provisioned-concurrency' });
    expect(provisionedEnvs('idle') + provisionedEnvs('busy')).toBe(2);
    expect(value(after, 'hearth_async_events_queued', {})).toBe(0);
    // Unsandboxed, the Node.js function's cold starts left a runtime waiting for the next one.
    expect(value(after, 'hearth_prestarted_runtimes', {})).toBeGreaterThanOrEqual(1);
    // The pacer starts at 4 (or fewer workers) and never exceeds asyncQueueWorkers.
    expect(value(after, 'hearth_async_events_run_limit', {})).toBeGreaterThanOrEqual(1);
    expect(after.has('process_cpu_seconds')).toBe(true);
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
    // Prometheus's conventions: snake_case names with the hearth_ prefix, counters ending in
    // _total, base units (seconds), snake_case labels.
    for (const f of after.values()) {
      expect(f.name).toMatch(/^[a-z_][a-z0-9_]*$/);
      for (const s of f.samples) {
        if (f.type === 'counter') {
          expect(s.name).toMatch(/_total$/);
        }
        for (const k of Object.keys(s.labels)) {
          expect(k).toMatch(/^[a-z_][a-z0-9_]*$/);
        }
      }
      if (f.name.startsWith('hearth_')) {
        expect(f.name).not.toMatch(/_ms$|milliseconds/);
        expect(f.help.length).toBeGreaterThan(0);
      }
    }
  });

  it('counts function errors and throttles by reason', async () => {
    await create('bad', FAILING);
    const out = await invoke('bad', 0);
    expect(out.FunctionError).toBe('Unhandled');
    await create('narrow', SLOW);
    await p.client.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'narrow', ReservedConcurrentExecutions: 1 }),
    );
    const results = await Promise.allSettled([
      invoke('narrow', 300),
      invoke('narrow', 300),
      invoke('narrow', 300),
    ]);
    const throttled = results.filter(
      (r) => r.status === 'rejected' && r.reason instanceof TooManyRequestsException,
    ).length;
    expect(throttled).toBeGreaterThanOrEqual(1);
    const m = await scrape();
    const base = { region: 'us-east-1', namespace: 'default' };
    expect(value(m, 'hearth_invocation_errors_total', { ...base, function: 'bad', version: '$LATEST' })).toBe(
      1,
    );
    expect(value(m, 'hearth_invocations_total', { ...base, function: 'bad', version: '$LATEST' })).toBe(1);
    expect(
      value(m, 'hearth_throttles_total', {
        ...base,
        function: 'narrow',
        version: '$LATEST',
        reason: 'reserved',
      }),
    ).toBe(throttled);
    expect(
      value(m, 'hearth_throttles_total', {
        ...base,
        function: 'narrow',
        version: '$LATEST',
        reason: 'account',
      }),
    ).toBe(0);
  });

  it('answers HEAD with headers only', async () => {
    const res = await fetch(`${p.url}/metrics`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

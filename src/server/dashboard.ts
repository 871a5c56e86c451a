/**
 * The web dashboard's server side, under /_hearth/ (read-only: GET only):
 *
 *   /_hearth/                 the page (web/dashboard, bundled by vite into dist/dashboard)
 *   /_hearth/assets/*         its scripts and styles
 *   /_hearth/api/state        one snapshot: functions, versions, aliases, provisioned
 *                             configs (Requested/Allocated/Available/Status, schedule,
 *                             policies), recent invocations, the async queue
 *   /_hearth/api/history      per config, the last hour of utilisation and counts (chart)
 *   /_hearth/api/events       server-sent events: `provisioned` (a config's status moved),
 *                             `changed` (functions, versions or aliases changed),
 *                             `invocations` (batched), `sample` (a chart point per config)
 *   /_hearth/api/logs?function=NAME[&namespace=&region=]
 *                             server-sent events: that function's log text as it is written
 *
 * The streams are answered on the raw socket (front-door.ts `raw`), everything else as
 * WireResponses. History is sampled here every SAMPLE_MS from the pool's status and core's
 * metrics buckets (nothing on the invoke path); invocations come from the pool's stats.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core/index.js';
import type { FunctionKey } from '../core/model.js';
import type { Store } from '../core/ports.js';
import type { WireRequest, WireResponse } from '../dialects/http.js';
import type { FunctionLogEntry, HearthPool } from '../pool/index.js';
import type { RecentInvocation } from '../pool/stats.js';

/** How often a chart point is taken per config, ms. */
export const SAMPLE_MS = 5_000;
const HISTORY_MS = 3600_000;
const INVOCATION_FLUSH_MS = 250;
/** Keeps proxies and the browser from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export interface DashboardOptions {
  readonly core: Core;
  readonly store: Store;
  readonly pool: HearthPool;
  /** The built page (dist/dashboard); absent: the page answers 503 with how to build it. */
  readonly assetsDir: string;
  readonly sampleMs?: number;
}

interface HistoryPoint {
  readonly t: number;
  readonly requested: number;
  readonly allocated: number;
  readonly available: number;
  /** Max utilisation over the interval (core/metrics). */
  readonly utilization: number;
  readonly invocations: number;
  readonly spillovers: number;
}

interface ConfigInfo {
  readonly poolKey: string;
  readonly key: FunctionKey;
  readonly qualifier: string;
  readonly requested: number;
}

const json = (status: number, value: unknown): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(value),
});

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export class Dashboard {
  readonly #o: DashboardOptions;
  readonly #history = new Map<string, HistoryPoint[]>();
  readonly #streams = new Set<ServerResponse>();
  readonly #logStreams = new Map<ServerResponse, { name: string; namespace: string; region: string }>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  #pendingInvocations: RecentInvocation[] = [];
  #flush: NodeJS.Timeout | undefined;

  constructor(o: DashboardOptions) {
    this.#o = o;
    const sampler = setInterval(() => void this.#sample(), o.sampleMs ?? SAMPLE_MS);
    sampler.unref();
    const keepalive = setInterval(() => this.#broadcastComment(), KEEPALIVE_MS);
    keepalive.unref();
    this.#timers.push(sampler, keepalive);
    this.#unsubscribe.push(
      o.pool.subscribe((e) => {
        if (e.type === 'provisioned-status') {
          this.#broadcast('provisioned', { poolKey: e.provisionedKey, ...e.status });
        }
      }),
      o.pool.stats.onInvocation((r) => this.#queueInvocation(r)),
      o.core.changes.subscribe((c) => {
        this.#broadcast('changed', { kind: c.kind, function: c.key.name, namespace: c.key.namespace });
        return Promise.resolve();
      }),
    );
  }

  /** True for the requests the dashboard answers as WireResponses. */
  matches(req: WireRequest): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return false;
    }
    // GET / with a query or an action header is SCF's GET variant (spec §2.3.4), not a browser.
    const browserRoot =
      req.rawPath === '/' &&
      req.rawQuery === '' &&
      req.headers['x-tc-action'] === undefined &&
      req.headers['x-amz-target'] === undefined;
    return browserRoot || isPagePath(req.rawPath);
  }

  async handle(req: WireRequest): Promise<WireResponse> {
    const p = req.rawPath;
    if (p === '/') {
      return { status: 302, headers: { location: '/_hearth/' }, body: '' };
    }
    if (p === '/_hearth/' || p === '/_hearth/index.html') {
      return this.#file('index.html');
    }
    if (p.startsWith('/_hearth/assets/')) {
      const name = p.slice('/_hearth/assets/'.length);
      if (!/^[\w.-]+$/.test(name)) {
        return json(404, { message: `Not found: ${p}` });
      }
      return this.#file(`assets/${name}`);
    }
    if (p === '/_hearth/api/state') {
      return json(200, await this.state());
    }
    if (p === '/_hearth/api/history') {
      const key = req.query.get('key') ?? '';
      return json(200, { sampleMs: this.#o.sampleMs ?? SAMPLE_MS, points: this.#history.get(key) ?? [] });
    }
    return json(404, { message: `Not found: ${p}` });
  }

  /** Answers the event streams on the raw socket; false for any other request. */
  serveRaw(raw: IncomingMessage, out: ServerResponse): boolean {
    // Every control-plane GET passes here first: the URL is parsed only for paths that can
    // be the dashboard's (no parsing decodes `_hearth`, so a path that normalises to one of
    // them spells it).
    if (raw.method !== 'GET' || raw.url?.includes('_hearth') !== true) {
      return false;
    }
    const url = new URL(raw.url, 'http://hearth');
    if (url.pathname === '/_hearth/api/events') {
      this.#open(out, this.#streams);
      return true;
    }
    if (url.pathname === '/_hearth/api/logs') {
      const name = url.searchParams.get('function');
      if (name === null || name === '') {
        out.writeHead(400, { 'content-type': 'application/json' });
        out.end(JSON.stringify({ message: 'function is required' }));
        return true;
      }
      this.#logStreams.set(out, {
        name,
        namespace: url.searchParams.get('namespace') ?? 'default',
        region: url.searchParams.get('region') ?? '',
      });
      this.#open(out, undefined);
      out.on('close', () => this.#logStreams.delete(out));
      send(out, 'following', { function: name });
      return true;
    }
    return false;
  }

  /** A chunk of function log text (the pool's onFunctionLog), to the tails that follow it. */
  publishLog(entry: FunctionLogEntry): void {
    if (this.#logStreams.size === 0) {
      return;
    }
    const [, region, namespace] = entry.specKey.split('/', 3);
    for (const [out, f] of this.#logStreams) {
      if (
        f.name === entry.functionName &&
        f.namespace === namespace &&
        (f.region === '' || f.region === region)
      ) {
        send(out, 'log', { stream: entry.logStream, text: entry.text });
      }
    }
  }

  async state(): Promise<unknown> {
    const { store, pool, core } = this.#o;
    const functions = await store.listAllFunctions();
    const out = [];
    for (const fn of functions) {
      const [versions, aliases] = await Promise.all([store.listVersions(fn.key), store.listAliases(fn.key)]);
      out.push({
        region: fn.key.region,
        namespace: fn.key.namespace,
        name: fn.key.name,
        runtime: fn.latest.config.runtime,
        memoryMb: fn.latest.config.memoryMb,
        // The default namespace is one function set for both dialects (ARCHITECTURE.md).
        dialects: fn.key.namespace === 'default' ? ['aws-lambda', 'tencent-scf'] : ['tencent-scf'],
        reservedConcurrency: fn.reservedConcurrency ?? null,
        versions: versions.map((v) => ({ version: v.version, lastModifiedMs: v.lastModifiedMs })),
        aliases: aliases.map((a) => ({
          name: a.name,
          functionVersion: a.functionVersion,
          additionalVersionWeights: a.additionalVersionWeights,
        })),
      });
    }
    const targets = await store.listAllScalableTargets();
    const configs = await this.#configs();
    return {
      nowMs: Date.now(),
      functions: out,
      provisioned: configs.map((c) => {
        const s = pool.provisionedStatus(c.poolKey);
        const target = targets.find(
          (t) =>
            t.target.qualifier === c.qualifier &&
            t.key.name === c.key.name &&
            t.key.namespace === c.key.namespace &&
            t.key.region === c.key.region,
        )?.target;
        return {
          poolKey: c.poolKey,
          region: c.key.region,
          namespace: c.key.namespace,
          functionName: c.key.name,
          qualifier: c.qualifier,
          requested: c.requested,
          allocated: s.allocated,
          available: s.available,
          status: s.status,
          statusReason: s.statusReason ?? null,
          utilization: pool.provisionedUtilization(c.poolKey),
          schedule:
            target === undefined
              ? null
              : {
                  minCapacity: target.minCapacity,
                  maxCapacity: target.maxCapacity,
                  actions: target.scheduledActions.map((a) => ({
                    name: a.name,
                    expression: a.schedule.expression,
                    timeZone: a.schedule.timeZone ?? null,
                    min: a.min ?? null,
                    max: a.max ?? null,
                  })),
                  policies: target.policies.map((pol) => ({ name: pol.name, targetValue: pol.targetValue })),
                },
        };
      }),
      recentInvocations: pool.stats.recent().slice(-50),
      queue: core.events.stats(),
    };
  }

  close(): void {
    for (const t of this.#timers) {
      clearInterval(t);
    }
    clearTimeout(this.#flush);
    for (const u of this.#unsubscribe) {
      u();
    }
    for (const out of [...this.#streams, ...this.#logStreams.keys()]) {
      out.end();
    }
    this.#streams.clear();
    this.#logStreams.clear();
  }

  // ---- internals -------------------------------------------------------------------------

  async #configs(): Promise<ConfigInfo[]> {
    return (await this.#o.store.listAllProvisionedConfigs()).map(({ key, config }) => ({
      poolKey: this.#o.core.provisioned.poolKey(key, config.qualifier),
      key,
      qualifier: config.qualifier,
      requested: config.requested,
    }));
  }

  /** One chart point per config; points older than an hour and gone configs are dropped. */
  async #sample(): Promise<void> {
    const { pool, core } = this.#o;
    const now = Date.now();
    const from = now - (this.#o.sampleMs ?? SAMPLE_MS);
    const configs = await this.#configs().catch(() => undefined);
    if (configs === undefined) {
      return;
    }
    const live = new Set<string>();
    const points: Record<string, HistoryPoint> = {};
    for (const c of configs) {
      live.add(c.poolKey);
      const s = pool.provisionedStatus(c.poolKey);
      const w = core.metrics.window(c.poolKey, from, now);
      const point: HistoryPoint = {
        t: now,
        requested: c.requested,
        allocated: s.allocated,
        available: s.available,
        utilization: Math.max(w.maxUtilization, pool.provisionedUtilization(c.poolKey)),
        invocations: w.invocations,
        spillovers: w.spilloverInvocations,
      };
      let h = this.#history.get(c.poolKey);
      if (h === undefined) {
        h = [];
        this.#history.set(c.poolKey, h);
      }
      h.push(point);
      while (h.length > 0 && (h[0] as HistoryPoint).t < now - HISTORY_MS) {
        h.shift();
      }
      points[c.poolKey] = point;
    }
    for (const k of [...this.#history.keys()]) {
      if (!live.has(k)) {
        this.#history.delete(k);
      }
    }
    this.#broadcast('sample', points);
  }

  #file(name: string): WireResponse {
    const file = path.join(this.#o.assetsDir, name);
    if (!existsSync(file)) {
      if (name === 'index.html') {
        return {
          status: 503,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'The dashboard is not built: run `npm run build`.\n',
        };
      }
      return json(404, { message: `Not found: /_hearth/${name}` });
    }
    return {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
        // Vite names assets by content hash: they never change.
        'cache-control': name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
      body: readFileSync(file),
    };
  }

  #open(out: ServerResponse, set: Set<ServerResponse> | undefined): void {
    out.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    out.write('retry: 1000\n\n');
    if (set !== undefined) {
      set.add(out);
      out.on('close', () => set.delete(out));
    }
  }

  #broadcast(event: string, data: unknown): void {
    for (const out of this.#streams) {
      send(out, event, data);
    }
  }

  #broadcastComment(): void {
    for (const out of [...this.#streams, ...this.#logStreams.keys()]) {
      out.write(': keepalive\n\n');
    }
  }

  #queueInvocation(r: RecentInvocation): void {
    if (this.#streams.size === 0) {
      return;
    }
    this.#pendingInvocations.push(r);
    this.#flush ??= setTimeout(() => {
      this.#flush = undefined;
      const batch = this.#pendingInvocations;
      this.#pendingInvocations = [];
      this.#broadcast('invocations', batch.slice(-50));
    }, INVOCATION_FLUSH_MS);
  }
}

function isPagePath(p: string): boolean {
  return p.startsWith('/_hearth/') && !p.startsWith('/_hearth/code/') && p !== '/_hearth/health';
}

function send(out: ServerResponse, event: string, data: unknown): void {
  out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** dist/dashboard beside the running code (dist/server → dist/dashboard; src/server → dist/dashboard). */
export function defaultAssetsDir(moduleDir: string): string {
  const fromDist = path.resolve(moduleDir, '..', 'dashboard');
  if (existsSync(path.join(fromDist, 'index.html'))) {
    return fromDist;
  }
  return path.resolve(moduleDir, '..', '..', 'dist', 'dashboard');
}

/**
 * hearth's own endpoints under /_hearth/: health and code package download (the target of
 * GetFunction's Code.Location); GET /metrics (metrics.ts); the dashboard (dashboard.ts) at
 * /_hearth/ and its API, and GET / redirecting to it.
 */
import type { Registry } from 'prom-client';
import type { Dashboard } from './dashboard.js';
import type { PackageStore } from '../core/ports.js';
import type { Dialect, WireResponse } from '../dialects/http.js';

const json = (status: number, value: unknown): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

export interface HearthEndpointsOptions {
  /** Served at GET /metrics. */
  readonly metrics?: Registry;
  readonly dashboard?: Dashboard;
}

export function createHearthEndpoints(packages: PackageStore, opts: HearthEndpointsOptions = {}): Dialect {
  const { metrics, dashboard } = opts;
  return {
    name: 'hearth',
    matches: (req) =>
      req.rawPath.startsWith('/_hearth/') ||
      (metrics !== undefined &&
        req.rawPath === '/metrics' &&
        (req.method === 'GET' || req.method === 'HEAD')) ||
      (dashboard?.matches(req) ?? false),
    async handle(req) {
      if (req.rawPath === '/metrics' && metrics !== undefined) {
        const text = await metrics.metrics();
        return {
          status: 200,
          headers: { 'content-type': metrics.contentType },
          body: req.method === 'HEAD' ? '' : text,
        };
      }
      if (req.method === 'GET' && req.rawPath === '/_hearth/health') {
        return json(200, { status: 'ok' });
      }
      const code = /^\/_hearth\/code\/([0-9a-f]{64})\.zip$/.exec(req.rawPath);
      if ((req.method === 'GET' || req.method === 'HEAD') && code?.[1] !== undefined) {
        const sha = code[1];
        if (!(await packages.has(sha))) {
          return json(404, { message: 'No such code package' });
        }
        const bytes = await packages.read(sha);
        return {
          status: 200,
          headers: { 'content-type': 'application/zip', 'content-length': String(bytes.length) },
          body: req.method === 'HEAD' ? '' : bytes,
        };
      }
      if (dashboard?.matches(req) === true) {
        return dashboard.handle(req);
      }
      return json(404, { message: `Not found: ${req.rawPath}` });
    },
  };
}

/**
 * hearth's own endpoints under /_hearth/: health and code package download (the target of
 * GetFunction's Code.Location: a presigned URL that expires, src/auth/code-urls.ts); GET
 * /metrics (metrics.ts); the dashboard (dashboard.ts) at /_hearth/ and its API, and GET /
 * redirecting to it.
 */
import type { Registry } from 'prom-client';
import { s3ErrorXml, type CodeUrls } from '../auth/code-urls.js';
import type { Dashboard } from './dashboard.js';
import type { PackageStore } from '../core/ports.js';
import type { Dialect, WireResponse } from '../dialects/http.js';

const json = (status: number, value: unknown): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

const s3Error = (status: number, code: string, message: string, requestId: string): WireResponse => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
  body: s3ErrorXml(code, message, requestId),
});

export interface HearthEndpointsOptions {
  /** Served at GET /metrics. */
  readonly metrics?: Registry;
  readonly dashboard?: Dashboard;
}

export function createHearthEndpoints(
  packages: PackageStore,
  codeUrls: CodeUrls,
  opts: HearthEndpointsOptions = {},
): Dialect {
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
      if ((req.method === 'GET' || req.method === 'HEAD') && req.rawPath.startsWith('/_hearth/code/')) {
        const check = await codeUrls.check({
          method: req.method,
          rawPath: req.rawPath,
          rawQuery: req.rawQuery,
          headers: req.headers,
          body: Buffer.alloc(0),
        });
        if (!check.ok) {
          return s3Error(check.status, check.code, check.message, req.requestId);
        }
        if (!(await packages.has(check.codeSha256Hex))) {
          return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', req.requestId);
        }
        const bytes = await packages.read(check.codeSha256Hex);
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

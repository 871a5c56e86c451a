/**
 * Paths with a malformed percent-escape (`%zz`, a truncated UTF-8 sequence, a trailing
 * `%`) through the front door on a real socket: the AWS dialect answers each in its own
 * error form (400 ValidationException where a label cannot be what it names, 404
 * UnknownOperationException where no operation has the path), on both lanes (the invoke
 * data plane and the rest), never a 500 and never a framework page. (front-door.test.ts
 * has the truncated UTF-8 case on both lanes; routing.test.ts the dialect in process.)
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPlatform, type TestPlatform } from '../helpers/platform.js';

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(() => p.dispose());

function request(method: string, path: string, body?: Buffer) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const headers = body === undefined ? {} : { 'content-length': String(body.length) };
      const req = http.request(`${p.url}${path}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

it.each([
  ['GET', '/2015-03-31/functions/%zz/configuration', 400, 'ValidationException'],
  ['GET', '/2015-03-31/functions/%E0%A4%A', 400, 'ValidationException'],
  ['GET', '/2015-03-31/functions/fn%/configuration', 400, 'ValidationException'],
  ['POST', '/2015-03-31/functions/%zz/invocations', 400, 'ValidationException'],
  ['POST', '/2015-03-31/functions/fn%/invocations?Qualifier=%zz', 400, 'ValidationException'],
  ['GET', '/2015-03-31/functions/fn/configuration?Qualifier=%zz', 400, 'ValidationException'],
  ['GET', '/2015-03-31/%zz', 404, 'UnknownOperationException'],
] as const)('%s %s → %i %s', async (method, path, status, errorType) => {
  const res = await request(method, path, method === 'POST' ? Buffer.from('{}') : undefined);
  expect(res.status).toBe(status);
  expect(res.headers['x-amzn-errortype']).toBe(errorType);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.parse(res.body)).toMatchObject({ __type: errorType, message: expect.any(String) as string });
});

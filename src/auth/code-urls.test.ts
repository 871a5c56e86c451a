import { describe, expect, it } from 'vitest';
import { CodeUrls } from './code-urls.js';
import type { SigV4Request } from './sigv4.js';

const SHA = 'ab'.repeat(32);
const T0 = Date.parse('2026-03-01T12:00:00Z');

function request(url: string, method = 'GET'): SigV4Request {
  const u = new URL(url);
  return {
    method,
    rawPath: u.pathname,
    rawQuery: u.search.slice(1),
    headers: { host: u.host },
    body: Buffer.alloc(0),
  };
}

describe('Code.Location URLs', () => {
  it('open the package of their account for 10 minutes, GET and HEAD', async () => {
    let now = T0;
    const urls = new CodeUrls(() => now);
    const url = await urls.sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', SHA);
    expect(url).toMatch(
      /^http:\/\/127\.0\.0\.1:8910\/_hearth\/code\/111111111111\/[0-9a-f]{64}\.zip\?.*X-Amz-Expires=600/,
    );
    expect(await urls.check(request(url))).toEqual({
      ok: true,
      accountId: '111111111111',
      codeSha256Hex: SHA,
    });
    expect((await urls.check(request(url, 'HEAD'))).ok).toBe(true);
    now = T0 + 601_000;
    expect(await urls.check(request(url))).toMatchObject({
      ok: false,
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired',
    });
  });

  it('are signed once per package and second: the same bytes a new signature gives', async () => {
    let now = T0 + 100;
    const urls = new CodeUrls(() => now, 'secret');
    const first = await urls.sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', SHA);
    now = T0 + 900;
    expect(await urls.sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', SHA)).toBe(first);
    expect(
      await new CodeUrls(() => now, 'secret').sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', SHA),
    ).toBe(first);
    const otherSha = await urls.sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', 'cd'.repeat(32));
    expect(otherSha).not.toBe(first);
    now = T0 + 1000;
    const next = await urls.sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', SHA);
    expect(next).not.toBe(first);
    expect(next).toContain('X-Amz-Date=20260301T120001Z');
    expect((await urls.check(request(next))).ok).toBe(true);
  });

  it('refuse another account’s path, another host, another process’s URL and unsigned paths', async () => {
    const urls = new CodeUrls(() => T0);
    const url = await urls.sign('http://127.0.0.1:8910', '111111111111', 'us-east-1', SHA);
    const other = request(url.replace('/111111111111/', '/222222222222/'));
    expect(await urls.check(other)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect((await urls.check({ ...request(url), headers: { host: 'evil:1' } })).ok).toBe(false);
    expect((await new CodeUrls(() => T0).check(request(url))).ok).toBe(false);
    expect(
      await urls.check(request(`http://127.0.0.1:8910/_hearth/code/111111111111/${SHA}.zip`)),
    ).toMatchObject({
      ok: false,
      status: 403,
      code: 'AccessDenied',
    });
    expect(await urls.check(request(`http://127.0.0.1:8910/_hearth/code/${SHA}.zip`))).toMatchObject({
      status: 404,
      code: 'NoSuchKey',
    });
  });
});

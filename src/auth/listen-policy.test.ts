import { describe, expect, it } from 'vitest';
import { decideListenMode, InsecureListenError, isLoopbackHost } from './listen-policy.js';

const base = { credentialsConfigured: false, insecure: false, accountId: '123456789012' };

describe('closed by default', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (h) => {
      expect(isLoopbackHost(h)).toBe(true);
    },
  );
  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com'])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });

  it('open on loopback without credentials, and says so', () => {
    expect(decideListenMode({ ...base, host: '127.0.0.1' })).toMatchObject({
      mode: 'open',
      notice: { level: 'info', message: expect.stringContaining('accepting any signature') },
    });
  });

  it('refuses a non-loopback host without credentials unless --insecure', () => {
    expect(() => decideListenMode({ ...base, host: '0.0.0.0' })).toThrow(InsecureListenError);
    expect(decideListenMode({ ...base, host: '0.0.0.0', insecure: true })).toMatchObject({
      mode: 'open',
      notice: { level: 'warn' },
    });
  });

  it('verifies whenever credentials are configured, on any host', () => {
    expect(decideListenMode({ ...base, credentialsConfigured: true, host: '0.0.0.0' })).toEqual({
      mode: 'verify',
    });
    expect(decideListenMode({ ...base, credentialsConfigured: true, host: '127.0.0.1' })).toEqual({
      mode: 'verify',
    });
  });
});

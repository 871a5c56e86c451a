/**
 * The SCF account view over core's claims index: T − Σ R (the invoke path's memory budget)
 * follows the changes that move a reservation's MB, and only those; a version or an alias
 * written keeps the cached figure (issue 8: the cache was dropped on every change kind).
 */
import { describe, expect, it, vi } from 'vitest';
import { createCore } from '../../core/index.js';
import type { FunctionKey } from '../../core/model.js';
import { fakeZip, memoryDeps } from '../../core/services/testing/in-memory-ports.js';
import { AccountQuotaCache } from './account-view.js';
import { writeScfSettings } from './scf-settings.js';

const key: FunctionKey = {
  accountId: '100000000001',
  region: 'ap-guangzhou',
  namespace: 'default',
  name: 'fn',
};
const config = { runtime: 'nodejs20.x', handler: 'index.handler', role: 'r', memoryMb: 128 };

async function setup() {
  const core = createCore(memoryDeps());
  const accounts = new AccountQuotaCache(core, core.scopeSettings, 1000);
  await core.functions.create(key, { config, zip: fakeZip() });
  await core.concurrency.putReserved(key, 2);
  const claims = vi.spyOn(core.concurrency, 'claims');
  return { core, accounts, claims };
}

describe('AccountQuotaCache', () => {
  it('keeps T − Σ R across version and alias writes', async () => {
    const { core, accounts, claims } = await setup();
    expect(await accounts.invokeLimitMb(key)).toBe(1000 - 2 * 128);
    const reads = claims.mock.calls.length;
    await core.versions.publish(key);
    await core.aliases.create(key, { name: 'live', functionVersion: '1' });
    expect(await accounts.invokeLimitMb(key)).toBe(1000 - 2 * 128);
    expect(claims.mock.calls.length).toBe(reads);
  });

  it('follows reservations, MemorySize and deletions', async () => {
    const { core, accounts } = await setup();
    expect(await accounts.invokeLimitMb(key)).toBe(744);
    await core.concurrency.putReserved(key, 3);
    expect(await accounts.invokeLimitMb(key)).toBe(1000 - 3 * 128);
    await core.functions.updateConfiguration(key, { memoryMb: 256 });
    expect(await accounts.invokeLimitMb(key)).toBe(1000 - 3 * 256);
    await core.functions.delete(key);
    expect(await accounts.invokeLimitMb(key)).toBe(1000);
  });

  it('follows a settings write once invalidated', async () => {
    const { core, accounts } = await setup();
    expect(await accounts.invokeLimitMb(key)).toBe(744);
    await core.scopeSettings.update(key, (s) =>
      writeScfSettings(s, { totalConcurrencyMem: 2000, reservedMem: {} }),
    );
    accounts.invalidate(key);
    expect(await accounts.invokeLimitMb(key)).toBe(2000 - 256);
    expect((await accounts.load(key)).totalMb).toBe(2000);
  });
});

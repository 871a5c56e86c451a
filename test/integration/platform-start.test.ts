/**
 * A start that fails after the store is open (here: the port is taken) leaves nothing
 * behind: the store's lock is released, so the same data dir starts right after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startPlatform } from '../helpers/platform.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('unwinds a failed start, and the data dir is usable again at once', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    await expect(startPlatform({ port }, dataDir)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
  const p = await startPlatform({}, dataDir);
  try {
    const health = await fetch(`${p.url}/_hearth/health`);
    expect(health.status).toBe(200);
  } finally {
    await p.dispose();
  }
});

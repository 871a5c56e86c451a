import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time, in arrival order', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (name: string) =>
      m.run('k', async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([job('a'), job('b'), job('c')]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(m.size).toBe(0);
  });

  it('lets different keys interleave', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    await Promise.all(
      ['x', 'y'].map((k) =>
        m.run(k, async () => {
          log.push(`start ${k}`);
          await tick();
          log.push(`end ${k}`);
        }),
      ),
    );
    expect(log.slice(0, 2)).toEqual(['start x', 'start y']);
  });

  it('releases the key when the holder throws', async () => {
    const m = new KeyedMutex();
    await expect(m.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(m.run('k', () => Promise.resolve(1))).resolves.toBe(1);
    expect(m.size).toBe(0);
  });

  it('makes read-modify-write safe under contention', async () => {
    const m = new KeyedMutex();
    let value = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        m.run('counter', async () => {
          const read = value;
          await tick();
          value = read + 1;
        }),
      ),
    );
    expect(value).toBe(50);
  });
});

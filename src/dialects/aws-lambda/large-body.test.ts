import { describe, expect, it } from 'vitest';
import { BIG_KEY, Slots, isLargeBody } from './large-body.js';
import { BodyReader, Violations } from './validation.js';

describe('large bodies', () => {
  it('take the large path when declared 1 MiB or more on a route that allows it', () => {
    expect(isLargeBody({ 'content-length': String(2 << 20) }, 70_000_000)).toBe(true);
    expect(isLargeBody({ 'content-length': '100' }, 70_000_000)).toBe(false);
    expect(isLargeBody({}, 70_000_000)).toBe(false);
    expect(isLargeBody({ 'content-length': String(2 << 20) }, 1 << 20)).toBe(false);
  });

  it('Slots lets `n` run at once, the rest in order', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const job = (name: string) =>
      slots.run(async () => {
        order.push(`start ${name}`);
        await new Promise<void>((r) => gates.push(r));
        order.push(`end ${name}`);
      });
    const all = Promise.all(['a', 'b', 'c'].map(job));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['start a', 'start b']);
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['start a', 'start b', 'end a', 'start c']);
    gates.forEach((g) => g());
    await new Promise((r) => setImmediate(r));
    gates.forEach((g) => g());
    await all;
  });

  it('reads big strings as blobs or as an over-long stand-in', () => {
    const body = BodyReader.fromLarge({
      obj: {
        Code: { ZipFile: { [BIG_KEY]: 0 } },
        Description: { [BIG_KEY]: 1 },
        Environment: { Variables: { A: { [BIG_KEY]: 1 } } },
      },
      bigs: [
        { length: 100_000, head: 'UEsD', bytes: Buffer.from('zip') },
        { length: 200_000, head: 'd'.repeat(8192) },
      ],
    });
    expect(body.object('Code')?.blob('ZipFile')).toEqual(Buffer.from('zip'));
    expect(body.string('Description')?.length).toBeGreaterThan(8192);
    expect(() => body.blob('Description')).toThrow(/not valid base64/);
    expect(body.object('Environment')?.stringMap('Variables')?.A?.startsWith('ddd')).toBe(true);
  });

  it('does not echo values over 1024 characters', () => {
    const v = new Violations();
    v.string('description', 'x'.repeat(2000), { max: 256 });
    v.string('handler', 'y'.repeat(200), { max: 128 });
    expect(() => v.throwIfAny()).toThrow(
      `2 validation errors detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256; Value '${'y'.repeat(200)}' at 'handler' failed to satisfy constraint: Member must have length less than or equal to 128`,
    );
  });
});

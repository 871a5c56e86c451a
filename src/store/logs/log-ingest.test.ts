import { describe, expect, it } from 'vitest';
import { forEachLine, LogIngest, type WriteBatch } from './log-ingest.js';

function ingest() {
  const batches: WriteBatch[] = [];
  const i = new LogIngest({
    flushIntervalMs: 1_000_000,
    partialFlushMs: 1000,
    maxPendingEvents: 1_000_000,
    now: () => 5,
    write: (b) => batches.push(b),
  });
  return { i, batches };
}

describe('LogIngest', () => {
  it('one stream name under another group or scope is another stream (its key is not reused)', () => {
    const { i, batches } = ingest();
    const scope = { accountId: '111111111111', region: 'us-east-1', namespace: 'default' };
    const stream = '2026/12/04/[1]abc';
    i.append({ scope, group: '/aws/lambda/a', stream, functionName: 'a', text: 'one\n' });
    i.append({ scope, group: '/aws/lambda/b', stream, functionName: 'b', text: 'two\n' });
    i.append({
      scope: { ...scope, region: 'eu-west-1' },
      group: '/aws/lambda/b',
      stream,
      functionName: 'b',
      text: 'three\n',
    });
    i.append({ scope: { ...scope }, group: '/aws/lambda/a', stream, functionName: 'a', text: 'four\n' });
    i.flush();
    const batch = batches[0];
    const placed: string[] = [];
    if (batch !== undefined) {
      forEachLine(batch, (stream, _ms, message) => {
        const t = batch.targets[stream]?.[1];
        placed.push(`${message} ${t?.scope.region} ${t?.group}`);
      });
    }
    expect(placed).toEqual([
      'one us-east-1 /aws/lambda/a',
      'two us-east-1 /aws/lambda/b',
      'three eu-west-1 /aws/lambda/b',
      'four us-east-1 /aws/lambda/a',
    ]);
    expect(batch?.targets).toHaveLength(3);
  });
});

import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../index.js';
import type { FunctionKey } from '../model.js';
import type { InvocationOutcome, InvokeRequest } from '../ports.js';
import { RecordingPool, fakeOutcome, fakeZip, memoryDeps } from '../services/testing/in-memory-ports.js';

const key: FunctionKey = { accountId: '123456789012', region: 'us-east-1', namespace: 'default', name: 'fn' };
const config = { runtime: 'nodejs20.x', handler: 'index.handler', role: 'arn:aws:iam::123456789012:role/r' };

/** A pool that records each invocation as it is handed over and answers when told. */
class HandOverPool extends RecordingPool {
  readonly received: InvokeRequest[] = [];
  readonly #answers: ((o: InvocationOutcome) => void)[] = [];
  #handedOver: (() => void) | undefined;
  override invoke(req: InvokeRequest): Promise<InvocationOutcome> {
    this.received.push(req);
    this.#handedOver?.();
    return new Promise<InvocationOutcome>((resolve) => this.#answers.push(resolve));
  }
  /** Resolves once `n` invocations have been handed over (the slow path awaits reads first). */
  async handedOver(n: number): Promise<void> {
    while (this.received.length < n) {
      await new Promise<void>((resolve) => (this.#handedOver = resolve));
    }
  }
  answerAll(): void {
    for (const answer of this.#answers.splice(0)) {
      answer(fakeOutcome());
    }
  }
}

function setup(): { core: Core; pool: HandOverPool } {
  const pool = new HandOverPool();
  return { core: createCore({ ...memoryDeps(), pool }), pool };
}

const params = (qualifier?: string) => ({
  key,
  ...(qualifier === undefined ? {} : { qualifier }),
  payload: Buffer.from('{}'),
  invocationType: 'RequestResponse' as const,
  wantLog: false,
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:fn`,
});

describe('InvokeService: a warm invocation', () => {
  it('reaches the pool within the call, without a turn of the microtask queue', async () => {
    const { core, pool } = setup();
    await core.functions.create(key, { config, zip: fakeZip(), publish: true });
    await core.aliases.create(key, { name: 'live', functionVersion: '1' });
    // The first invocation reads what is not in memory yet (the version, its spec).
    const first = core.invoke.invoke(params('live'));
    expect(pool.received).toHaveLength(0);
    await pool.handedOver(1);
    pool.answerAll();
    expect((await first).kind).toBe('completed');
    // From then on everything it needs is in memory: handed over before invoke() returns.
    for (const q of ['live', '1', 'live']) {
      const before = pool.received.length;
      const next = core.invoke.invoke(params(q));
      expect(pool.received.length, `qualifier ${q}`).toBe(before + 1);
      pool.answerAll();
      expect((await next).kind).toBe('completed');
    }
  });

  it('still waits for what changed: a reservation being counted, a new configuration', async () => {
    const { core, pool } = setup();
    await core.functions.create(key, { config, zip: fakeZip(), publish: true });
    const warm = core.invoke.invoke(params('1'));
    await pool.handedOver(1);
    pool.answerAll();
    await warm;
    await core.concurrency.putReserved(key, 5);
    const afterReservation = core.invoke.invoke(params('1'));
    await pool.handedOver(2);
    expect(pool.received[1]?.admission.reserved).toBe(5);
    pool.answerAll();
    await afterReservation;
    // $LATEST with a new configuration runs a new spec: built first, then in memory.
    await core.functions.updateConfiguration(key, { memoryMb: 256 });
    const latest = core.invoke.invoke(params());
    expect(pool.received).toHaveLength(2);
    await pool.handedOver(3);
    expect(pool.received[2]?.spec.memoryMb).toBe(256);
    pool.answerAll();
    await latest;
    const again = core.invoke.invoke(params());
    expect(pool.received).toHaveLength(4);
    pool.answerAll();
    await again;
    // A miss is worded as before.
    await expect(core.invoke.invoke(params('nope'))).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    await expect(core.invoke.invoke({ ...params(), key: { ...key, name: 'other' } })).rejects.toMatchObject({
      code: 'FUNCTION_NOT_FOUND',
    });
  });
});

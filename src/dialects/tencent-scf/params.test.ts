import { describe, expect, it } from 'vitest';
import { Params } from './params.js';
import { ScfWireError } from './wire-error.js';

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof ScfWireError) {
      return { code: e.code, message: e.message };
    }
    throw e;
  }
  throw new Error('expected a ScfWireError');
}

const body = (v: unknown) => Params.fromJsonBody(Buffer.from(JSON.stringify(v)));

describe('POST JSON bodies (spec §2.2)', () => {
  it('reads members by their API types', () => {
    const p = body({
      FunctionName: 'hello',
      VersionProvisionedConcurrencyNum: 3,
      TrackingTarget: 0.7,
      Flag: true,
    });
    expect(p.string('FunctionName')).toBe('hello');
    expect(p.integer('VersionProvisionedConcurrencyNum', { min: 0 })).toBe(3);
    expect(p.float('TrackingTarget')).toBe(0.7);
    expect(p.boolean('Flag')).toBe(true);
    expect(p.string('Namespace')).toBeUndefined();
  });

  it('treats an empty body as {} (GetAccount) and null as absent (the SDK strips nulls, §1 finding 9)', () => {
    expect(Params.fromJsonBody(Buffer.alloc(0)).has('X')).toBe(false);
    expect(body({ Namespace: null }).string('Namespace')).toBeUndefined();
  });

  it.each([
    ['not json', '{"FunctionName":', 'InvalidParameter'],
    ['an array', '[1,2]', 'InvalidParameter'],
    ['a string', '"x"', 'InvalidParameter'],
  ])('rejects %s as the body', (_what, text, code) => {
    expect(failure(() => Params.fromJsonBody(Buffer.from(text))).code).toBe(code);
  });

  it('names a missing required member (MissingParameter)', () => {
    expect(failure(() => body({}).string('FunctionName', { required: true }))).toEqual({
      code: 'MissingParameter',
      message: 'The request is missing a required parameter `FunctionName`.',
    });
  });

  it.each([
    ['a number for a string', { FunctionName: 1 }, (p: Params) => p.string('FunctionName')],
    ['a string for an integer', { Limit: '20' }, (p: Params) => p.integer('Limit')],
    ['a float for an integer', { Limit: 2.5 }, (p: Params) => p.integer('Limit')],
    [
      'a negative uint64',
      { ReservedConcurrencyMem: -1 },
      (p: Params) => p.integer('ReservedConcurrencyMem', { min: 0 }),
    ],
    ['a string for a float', { TrackingTarget: '0.5' }, (p: Params) => p.float('TrackingTarget')],
    ['an object for an array', { TriggerActions: {} }, (p: Params) => p.objects('TriggerActions')],
    ['a scalar in an array of objects', { TriggerActions: [1] }, (p: Params) => p.objects('TriggerActions')],
  ])('rejects %s (InvalidParameter)', (_what, members, read) => {
    expect(failure(() => read(body(members))).code).toBe('InvalidParameter');
  });

  it('names nested members by their dotted path', () => {
    const [action] = body({ TriggerActions: [{ TriggerName: 7 }] }).objects('TriggerActions') ?? [];
    expect(failure(() => action?.string('TriggerName')).message).toContain('`TriggerActions.0.TriggerName`');
    const [missing] = body({ TriggerActions: [{}] }).objects('TriggerActions') ?? [];
    expect(failure(() => missing?.string('TriggerCronConfig', { required: true })).message).toContain(
      '`TriggerActions.0.TriggerCronConfig`',
    );
  });
});

describe('GET flattened queries (spec §2.3.4)', () => {
  const q = Params.fromQuery(
    'FunctionName=hello&Qualifier=1&VersionProvisionedConcurrencyNum=3&TriggerActions.0.TriggerName=a%20b&TriggerActions.0.TriggerProvisionedConcurrencyNum=2&TriggerActions.0.TriggerCronConfig=0%200%208%20*%20*%20*%20*&TrackingTarget=0.7&Flag=true',
  );

  it('reads scalars from their string spelling', () => {
    expect(q.string('FunctionName')).toBe('hello');
    expect(q.integer('VersionProvisionedConcurrencyNum', { min: 0 })).toBe(3);
    expect(q.float('TrackingTarget')).toBe(0.7);
    expect(q.boolean('Flag')).toBe(true);
  });

  it('rebuilds arrays of objects from A.0.B keys', () => {
    const [a] = q.objects('TriggerActions') ?? [];
    expect(a?.string('TriggerName')).toBe('a b');
    expect(a?.integer('TriggerProvisionedConcurrencyNum')).toBe(2);
    expect(a?.string('TriggerCronConfig')).toBe('0 0 8 * * * *');
  });

  it('still rejects non-numbers for numbers', () => {
    expect(failure(() => Params.fromQuery('Limit=abc').integer('Limit')).code).toBe('InvalidParameter');
  });
});

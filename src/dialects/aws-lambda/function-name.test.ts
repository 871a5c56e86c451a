import { describe, expect, it } from 'vitest';
import {
  parseFunctionName,
  parseTaggableResource,
  toFunctionRef,
  type ParsedFunctionName,
} from './function-name.js';
import type { RequestContext } from './request-context.js';
import { Violations } from './validation.js';
import { AwsWireError } from './wire-error.js';

const ctx: RequestContext = {
  requestId: 'r',
  accountId: '123456789012',
  region: 'us-east-1',
  operation: 'GetFunction',
};

function parse(value: string | undefined, shape: 'FunctionName' | 'NamespacedFunctionName' = 'FunctionName') {
  const v = new Violations();
  const parsed = parseFunctionName(v, value, shape);
  let message: string | undefined;
  try {
    v.throwIfAny();
  } catch (e) {
    message = (e as AwsWireError).body.message;
  }
  return { parsed, message };
}

function wireError(f: () => unknown): AwsWireError['body'] | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof AwsWireError) {
      return e.body;
    }
    throw e;
  }
}

describe('parseFunctionName (spec §1.2)', () => {
  it.each<[string, ParsedFunctionName]>([
    ['fn', { name: 'fn' }],
    ['fn:prod', { name: 'fn', qualifier: 'prod' }],
    ['fn:$LATEST', { name: 'fn', qualifier: '$LATEST' }],
    ['fn:7', { name: 'fn', qualifier: '7' }],
    ['123456789012:function:fn', { name: 'fn', accountId: '123456789012' }],
    ['123456789012:function:fn:1', { name: 'fn', accountId: '123456789012', qualifier: '1' }],
    [
      'arn:aws:lambda:us-east-1:123456789012:function:my-fn_2',
      { name: 'my-fn_2', region: 'us-east-1', accountId: '123456789012' },
    ],
    [
      'arn:aws:lambda:eu-west-1:210987654321:function:fn:live',
      { name: 'fn', region: 'eu-west-1', accountId: '210987654321', qualifier: 'live' },
    ],
    [
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:fn',
      { name: 'fn', region: 'cn-north-1', accountId: '123456789012' },
    ],
    ['function:fn', { name: 'fn' }],
  ])('%s', (value, expected) => {
    expect(parse(value)).toEqual({ parsed: expected, message: undefined });
  });

  it('rejects what the pattern rejects, quoting the pattern', () => {
    expect(parse('invalid:function:name').message).toBe(
      "1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
    );
    expect(
      parse('arn:aws:lambda:us-east-1:123400000000@function:myfn', 'NamespacedFunctionName').message,
    ).toContain(
      "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?",
    );
    expect(parse('fn name').message).toContain('Member must satisfy regular expression pattern');
  });

  it('checks the whole length first (140 / 256) and requires a value', () => {
    const arn = `arn:aws:lambda:us-east-1:123456789012:function:${'a'.repeat(100)}`;
    expect(parse(arn).message).toBe(
      `1 validation error detected: Value '${arn}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140`,
    );
    expect(parse(arn, 'NamespacedFunctionName').message).toBeUndefined();
    expect(parse(undefined).message).toBe(
      "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('accepts dots only in namespaced names', () => {
    expect(parse('a.b').message).toBeDefined();
    expect(parse('a.b', 'NamespacedFunctionName').parsed).toEqual({ name: 'a.b' });
  });
});

describe('toFunctionRef (spec §1.2)', () => {
  it('builds the key in the caller scope and takes the qualifier from name or parameter', () => {
    expect(toFunctionRef(ctx, { name: 'fn' })).toEqual({
      key: { accountId: '123456789012', region: 'us-east-1', namespace: 'default', name: 'fn' },
    });
    expect(toFunctionRef(ctx, { name: 'fn', qualifier: '1' }).qualifier).toBe('1');
    expect(toFunctionRef(ctx, { name: 'fn' }, '2').qualifier).toBe('2');
    expect(toFunctionRef(ctx, { name: 'fn', qualifier: '2' }, '2').qualifier).toBe('2');
  });

  it('names longer than 64 are InvalidParameterValueException with Type', () => {
    const name = 'a'.repeat(65);
    expect(wireError(() => toFunctionRef(ctx, { name }))).toEqual({
      status: 400,
      type: 'InvalidParameterValueException',
      userType: 'User',
      messageKey: 'message',
      message: `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    });
  });

  it('refuses a mismatched qualifier, another region (404) and another account (403)', () => {
    expect(wireError(() => toFunctionRef(ctx, { name: 'fn', qualifier: '1' }, '2'))?.message).toBe(
      'The derived qualifier from the function name does not match the specified qualifier.',
    );
    expect(wireError(() => toFunctionRef(ctx, { name: 'fn', region: 'ap-southeast-1' }))).toMatchObject({
      status: 404,
      type: 'ResourceNotFoundException',
      messageKey: 'Message',
      message: "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')",
    });
    const denied = wireError(() => toFunctionRef(ctx, { name: 'fn', accountId: '999999999999' }));
    expect(denied).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      messageKey: 'Message',
      // AWS's answer for another account's function without a resource-based policy.
      message:
        `User: arn:aws:iam::${ctx.accountId}:root is not authorized to perform: lambda:${ctx.operation} on resource: ` +
        `arn:aws:lambda:us-east-1:999999999999:function:fn because no resource-based policy allows the lambda:${ctx.operation} action`,
    });
  });
});

describe('parseTaggableResource', () => {
  it('accepts function ARNs, flags other taggable kinds, rejects the rest', () => {
    const v = new Violations();
    expect(parseTaggableResource(v, 'arn:aws:lambda:us-east-1:123456789012:function:fn')).toEqual({
      name: 'fn',
      region: 'us-east-1',
      accountId: '123456789012',
    });
    expect(parseTaggableResource(v, 'arn:aws:lambda:us-east-1:123456789012:function:fn:1')).toMatchObject({
      qualifier: '1',
    });
    expect(parseTaggableResource(v, 'arn:aws:lambda:us-east-1:123456789012:layer:l')).toBe('other');
    expect(v.count).toBe(0);
    expect(parseTaggableResource(v, 'arn:aws:something')).toBeUndefined();
    expect(parseTaggableResource(v, 'fn')).toBeUndefined();
    expect(v.count).toBe(2);
  });
});

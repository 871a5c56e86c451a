import { describe, expect, it } from 'vitest';
import {
  BodyReader,
  Violations,
  constraint,
  renderWeights,
  validationError,
  wholePattern,
} from './validation.js';
import { AwsWireError } from './wire-error.js';

function messageOf(v: Violations): string | undefined {
  try {
    v.throwIfAny();
    return undefined;
  } catch (e) {
    return (e as AwsWireError).body.message;
  }
}

describe('ValidationException templates (spec §1.4, Appendix A)', () => {
  it('words one violation like AWS', () => {
    const v = new Violations();
    v.integer('provisionedConcurrentExecutions', 0, { min: 1 });
    expect(messageOf(v)).toBe(
      "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  it('joins several with "; " and pluralises', () => {
    const v = new Violations();
    v.enumValue('functionVersion', 'invalid', ['ALL']);
    v.string('name', '2024', { pattern: wholePattern('(?!^[0-9]+$)([a-zA-Z0-9-_]+)') });
    expect(messageOf(v)).toBe(
      "2 validation errors detected: Value 'invalid' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]; Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
    );
  });

  it('renders null, lists and weight maps as Java does', () => {
    const v = new Violations();
    v.required('tagKeys', undefined);
    v.add('architectures', ['x86_64', 'arm64'], constraint.maxLength(1));
    expect(messageOf(v)).toBe(
      "2 validation errors detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null; Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1",
    );
    expect(renderWeights({ '2': 2 })).toBe("'{2=2.0}'");
    expect(renderWeights({ '2': -1 })).toBe("'{2=-1.0}'");
    expect(renderWeights({ $LATEST: 0.5 })).toBe("'{$LATEST=0.5}'");
  });

  it('is a 400 ValidationException with a `message` and no Type', () => {
    expect(validationError(['x']).body).toEqual({
      status: 400,
      type: 'ValidationException',
      messageKey: 'message',
      message: '1 validation error detected: x',
    });
  });
});

describe('BodyReader', () => {
  const reader = (json: string) => BodyReader.parse(Buffer.from(json));
  const failure = (f: () => unknown) => {
    try {
      f();
      return undefined;
    } catch (e) {
      return e instanceof AwsWireError ? e.body : e;
    }
  };

  it('reads typed members; null reads as absent; empty body is {}', () => {
    const r = reader('{"A":"x","B":3,"C":true,"D":null,"E":{"F":["a"]},"M":{"k":"v"}}');
    expect(r.string('A')).toBe('x');
    expect(r.integer('B')).toBe(3);
    expect(r.boolean('C')).toBe(true);
    expect(r.string('D')).toBeUndefined();
    expect(r.has('D')).toBe(false);
    expect(r.object('E')?.stringList('F')).toEqual(['a']);
    expect(r.stringMap('M')).toEqual({ k: 'v' });
    expect(reader('').has('A')).toBe(false);
    expect(reader('  ').has('A')).toBe(false);
  });

  it('fails with InvalidRequestContentException on malformed JSON, non-objects and wrong types', () => {
    expect(failure(() => reader('{"a":'))).toMatchObject({
      status: 400,
      type: 'InvalidRequestContentException',
    });
    expect(failure(() => reader('[1]'))).toMatchObject({ type: 'InvalidRequestContentException' });
    expect(failure(() => reader('"x"'))).toMatchObject({ type: 'InvalidRequestContentException' });
    expect(failure(() => reader('{"MemorySize":"big"}').integer('MemorySize'))).toMatchObject({
      message: "Could not parse request body into json: member 'MemorySize' must be an integer",
    });
    expect(failure(() => reader('{"T":1.5}').integer('T'))).toMatchObject({
      type: 'InvalidRequestContentException',
    });
    expect(failure(() => reader('{"E":{"V":{"a":1}}}').object('E')?.stringMap('V'))).toMatchObject({
      message: "Could not parse request body into json: member 'E.V' must be a map of strings",
    });
  });

  it('decodes strict base64 blobs', () => {
    expect(reader('{"Z":"aGk="}').blob('Z')?.toString()).toBe('hi');
    expect(failure(() => reader('{"Z":"not base64!"}').blob('Z'))).toMatchObject({
      type: 'InvalidRequestContentException',
      message: "Could not parse request body into json: member 'Z' is not valid base64",
    });
    expect(failure(() => reader('{"Z":"abc"}').blob('Z'))).toMatchObject({
      type: 'InvalidRequestContentException',
    });
  });
});

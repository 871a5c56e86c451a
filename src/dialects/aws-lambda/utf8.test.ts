import { describe, expect, it } from 'vitest';
import { BodyReader, utf8Error } from './validation.js';

describe('utf8Error (the wording of AWS’s parser)', () => {
  it.each([
    [Buffer.from('"héllo 🙂"'), undefined],
    [Buffer.from([0x6e, 0x87, 0x72]), 'Invalid UTF-8 start byte 0x87'],
    [Buffer.from([0x22, 0xc3, 0xa9, 0x87, 0x22]), 'Invalid UTF-8 start byte 0x87'],
    [Buffer.from([0x22, 0xe2, 0x28, 0xa1, 0x22]), 'Invalid UTF-8 middle byte 0x28'],
    [Buffer.from([0xc0, 0x80]), 'Invalid UTF-8 start byte 0xc0'],
    [Buffer.from([0x22, 0xf0, 0x9f]), 'Unexpected end-of-input in UTF-8 character'],
  ])('%o → %s', (bytes, expected) => {
    expect(utf8Error(bytes)).toBe(expected);
  });
});

describe('control-plane bodies', () => {
  it('refuse invalid UTF-8 instead of storing U+FFFD', () => {
    const body = Buffer.concat([Buffer.from('{"Description":"'), Buffer.from([0x87]), Buffer.from('"}')]);
    expect(() => BodyReader.parse(body)).toThrow(
      'Could not parse request body into json: Invalid UTF-8 start byte 0x87',
    );
  });
});

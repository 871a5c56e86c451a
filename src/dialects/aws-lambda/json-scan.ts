/**
 * Whether bytes are certainly one JSON text, by a scan that builds nothing: Invoke only
 * needs to know that its payload parses (spec §5.7), and `JSON.parse` of a small payload
 * costs more in the objects and the string it makes than in the check itself.
 *
 * The scan follows RFC 8259 as V8's `JSON.parse` applies it to the UTF-8 text: whitespace
 * is space, tab, LF and CR; a string holds no character below U+0020 and only the escapes
 * `\" \\ \/ \b \f \n \r \t \uXXXX` (a lone surrogate escape is accepted, as `JSON.parse`
 * does); numbers are `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`; nesting has no
 * limit (kept here in a stack of bytes, not in the call stack). The caller has checked that
 * the bytes are UTF-8, so a byte of 0x80 or more inside a string is part of a character.
 *
 * `true` only when the bytes certainly parse; `false` means "not shown": the caller then
 * asks `JSON.parse`, which words the error (or accepts after all). So a mistake here can
 * only cost speed, never a wrong answer, and json-scan.test.ts checks that it makes none
 * against `JSON.parse` on generated texts.
 */

const OBJECT = 1;
const ARRAY = 2;

/** Above this the scan is not attempted: a first large payload would run it unoptimised. */
export const JSON_SCAN_MAX_BYTES = 64 * 1024;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** The end of the string whose opening quote is at `i - 1`, or -1. */
function stringEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i] as number;
    if (c === 0x22) {
      return i + 1;
    }
    if (c < 0x20) {
      return -1;
    }
    if (c !== 0x5c) {
      i++;
      continue;
    }
    const e = i + 1 < end ? (b[i + 1] as number) : -1;
    if (e === 0x75) {
      if (i + 6 > end) {
        return -1;
      }
      for (let k = i + 2; k < i + 6; k++) {
        if (!isHex(b[k] as number)) {
          return -1;
        }
      }
      i += 6;
    } else if (
      e === 0x22 ||
      e === 0x5c ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    ) {
      i += 2;
    } else {
      return -1;
    }
  }
  return -1;
}

/** The end of the number starting at `i`, or -1. */
function numberEnd(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) {
    i++;
  }
  if (i >= end) {
    return -1;
  }
  if (b[i] === 0x30) {
    i++;
  } else if (isDigit(b[i] as number)) {
    while (i < end && isDigit(b[i] as number)) {
      i++;
    }
  } else {
    return -1;
  }
  if (i < end && b[i] === 0x2e) {
    i++;
    if (i >= end || !isDigit(b[i] as number)) {
      return -1;
    }
    while (i < end && isDigit(b[i] as number)) {
      i++;
    }
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) {
      i++;
    }
    if (i >= end || !isDigit(b[i] as number)) {
      return -1;
    }
    while (i < end && isDigit(b[i] as number)) {
      i++;
    }
  }
  return i;
}

/** The end of the literal `word` (given as its bytes after the first) at `i`, or -1. */
function literalEnd(b: Uint8Array, i: number, end: number, rest: readonly number[]): number {
  if (i + 1 + rest.length > end) {
    return -1;
  }
  for (let k = 0; k < rest.length; k++) {
    if (b[i + 1 + k] !== rest[k]) {
      return -1;
    }
  }
  return i + 1 + rest.length;
}

const RUE = [0x72, 0x75, 0x65];
const ALSE = [0x61, 0x6c, 0x73, 0x65];
const ULL = [0x75, 0x6c, 0x6c];

// What the scan expects next.
const VALUE = 0;
const VALUE_OR_CLOSE = 1; // after `[`
const KEY = 2; // after `,` in an object
const KEY_OR_CLOSE = 3; // after `{`
const AFTER = 4; // after a value: `,`, the container's close, or the end of the text

/** The end of the scalar value at `i` (string, literal or number), or -1. */
function scalarEnd(b: Uint8Array, i: number, end: number): number {
  const c = b[i] as number;
  if (c === 0x22) {
    return stringEnd(b, i + 1, end);
  }
  if (c === 0x74) {
    return literalEnd(b, i, end, RUE);
  }
  if (c === 0x66) {
    return literalEnd(b, i, end, ALSE);
  }
  if (c === 0x6e) {
    return literalEnd(b, i, end, ULL);
  }
  if (c === 0x2d || isDigit(c)) {
    return numberEnd(b, i, end);
  }
  return -1;
}

/** True when b[start, b.length) is certainly one JSON text (see the module comment). */
export function isCertainlyJson(b: Uint8Array, start = 0): boolean {
  const end = b.length;
  // Open containers, innermost last: as deep as the text nests, never the call stack.
  const stack: number[] = [];
  let state = VALUE;
  let i = start;
  for (;;) {
    while (i < end && isSpace(b[i] as number)) {
      i++;
    }
    if (i >= end) {
      return state === AFTER && stack.length === 0;
    }
    const c = b[i] as number;
    if (state === AFTER) {
      const top = stack.length === 0 ? 0 : (stack[stack.length - 1] as number);
      if (top === 0) {
        return false; // something after the whole text
      }
      if (c === 0x2c) {
        state = top === OBJECT ? KEY : VALUE;
        i++;
      } else if (c === (top === OBJECT ? 0x7d : 0x5d)) {
        stack.pop();
        i++;
      } else {
        return false;
      }
      continue;
    }
    if ((state === VALUE_OR_CLOSE && c === 0x5d) || (state === KEY_OR_CLOSE && c === 0x7d)) {
      stack.pop();
      state = AFTER;
      i++;
      continue;
    }
    if (state === KEY || state === KEY_OR_CLOSE) {
      if (c !== 0x22) {
        return false;
      }
      i = stringEnd(b, i + 1, end);
      if (i < 0) {
        return false;
      }
      while (i < end && isSpace(b[i] as number)) {
        i++;
      }
      if (i >= end || b[i] !== 0x3a) {
        return false;
      }
      state = VALUE;
      i++;
      continue;
    }
    // A value.
    if (c === 0x7b) {
      stack.push(OBJECT);
      state = KEY_OR_CLOSE;
      i++;
    } else if (c === 0x5b) {
      stack.push(ARRAY);
      state = VALUE_OR_CLOSE;
      i++;
    } else {
      i = scalarEnd(b, i, end);
      if (i < 0) {
        return false;
      }
      state = AFTER;
    }
  }
}

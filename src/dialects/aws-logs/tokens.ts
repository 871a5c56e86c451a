/**
 * Pagination tokens. GetLogEvents' look like AWS's (`f/` or `b/` and 56 digits: an event
 * position); the others are opaque base64url JSON. A token hearth did not make is
 * refused with AWS's "The specified nextToken is invalid.".
 */
import { invalidToken } from './errors.js';

export type StreamToken = { readonly direction: 'f' | 'b'; readonly id: number };

export function encodeStreamToken(t: StreamToken): string {
  return `${t.direction}/${String(t.id).padStart(56, '0')}`;
}

export function decodeStreamToken(token: string): StreamToken {
  const m = /^([fb])\/(\d{56})$/.exec(token);
  const id = m?.[2] === undefined ? NaN : Number(m[2]);
  if (m === null || !Number.isSafeInteger(id)) {
    throw invalidToken();
  }
  return { direction: m[1] === 'f' ? 'f' : 'b', id };
}

export function encodeToken(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a token made by encodeToken whose members have the types of `shape`. */
export function decodeToken<T extends Record<string, 'string' | 'number'>>(
  token: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  if (typeof v !== 'object' || v === null) {
    throw invalidToken();
  }
  const o = v as Record<string, unknown>;
  for (const [k, type] of Object.entries(shape)) {
    if (typeof o[k] !== type || (type === 'number' && !Number.isSafeInteger(o[k]))) {
      throw invalidToken();
    }
  }
  return o as { [K in keyof T]: T[K] extends 'string' ? string : number };
}

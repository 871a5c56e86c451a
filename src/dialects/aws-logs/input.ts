/**
 * Reading an operation's JSON input with the model's constraints (botocore
 * logs/2014-03-28/service-2.json). Type errors are SerializationException, as coral's
 * deserializer answers; constraint violations are collected and reported together in
 * AWS's validation format, as InvalidParameterException (recorded: "1 validation error
 * detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value
 * less than or equal to 10000").
 */
import { invalidParameter, serialization } from './errors.js';

export type Json = Record<string, unknown>;

export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
export const LOG_GROUP_NAME_SOURCE = '[\\.\\-_/#A-Za-z0-9]+';
export const LOG_STREAM_NAME = /^[^:*]*$/;
export const LOG_STREAM_NAME_SOURCE = '[^:*]*';
export const LOG_GROUP_IDENTIFIER = /^[\w#+=/:,.@-]*$/;
export const LOG_GROUP_IDENTIFIER_SOURCE = '[\\w#+=/:,.@-]*';

export class Input {
  readonly #body: Json;
  readonly #violations: string[] = [];

  constructor(body: Json) {
    this.#body = body;
  }

  static parse(raw: Buffer): Input {
    if (raw.length === 0) {
      return new Input({});
    }
    let v: unknown;
    try {
      v = JSON.parse(raw.toString('utf8'));
    } catch {
      throw serialization();
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw serialization();
    }
    return new Input(v as Json);
  }

  #violation(name: string, value: string | number | undefined, constraint: string): void {
    const shown = value === undefined ? 'null' : `'${value}'`;
    this.#violations.push(
      `Value ${shown} at '${name}' failed to satisfy constraint: Member must ${constraint}`,
    );
  }

  string(
    name: string,
    o: { required?: boolean; min?: number; max?: number; pattern?: RegExp; patternSource?: string } = {},
  ): string | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      if (o.required === true) {
        this.#violation(name, undefined, 'not be null');
      }
      return undefined;
    }
    if (typeof v !== 'string') {
      throw serialization();
    }
    if (o.min !== undefined && v.length < o.min) {
      this.#violation(name, v, `have length greater than or equal to ${o.min}`);
    } else if (o.max !== undefined && v.length > o.max) {
      this.#violation(name, v, `have length less than or equal to ${o.max}`);
    } else if (o.pattern !== undefined && !o.pattern.test(v)) {
      this.#violation(name, v, `satisfy regular expression pattern: ${o.patternSource ?? ''}`);
    }
    return v;
  }

  integer(name: string, o: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      if (o.required === true) {
        this.#violation(name, undefined, 'not be null');
      }
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw serialization();
    }
    if (o.min !== undefined && v < o.min) {
      this.#violation(name, v, `have value greater than or equal to ${o.min}`);
    } else if (o.max !== undefined && v > o.max) {
      this.#violation(name, v, `have value less than or equal to ${o.max}`);
    }
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'boolean') {
      throw serialization();
    }
    return v;
  }

  enumeration<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v !== undefined && !(values as readonly string[]).includes(v)) {
      this.#violation(name, v, `satisfy enum value set: [${values.join(', ')}]`);
      return undefined;
    }
    return v as T | undefined;
  }

  /** An integer that must be one of `values` (PutRetentionPolicy's Days). */
  oneOf(name: string, values: readonly number[], required: boolean): number | undefined {
    const v = this.integer(name, { required });
    if (v !== undefined && !values.includes(v)) {
      this.#violation(name, v, `satisfy enum value set: [${values.join(', ')}]`);
    }
    return v;
  }

  strings(name: string, o: { min: number; max: number; item: (s: string) => boolean; itemRule: string }) {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      throw serialization();
    }
    const list = v as string[];
    if (list.length < o.min) {
      this.#violation(name, `[${list.join(', ')}]`, `have length greater than or equal to ${o.min}`);
    } else if (list.length > o.max) {
      this.#violation(name, `[${list.join(', ')}]`, `have length less than or equal to ${o.max}`);
    } else if (!list.every(o.item)) {
      this.#violation(name, `[${list.join(', ')}]`, o.itemRule);
    }
    return list;
  }

  /** Throws the collected violations, AWS style, if there are any. */
  check(): void {
    const n = this.#violations.length;
    if (n > 0) {
      throw invalidParameter(
        `${n} validation error${n === 1 ? '' : 's'} detected: ${this.#violations.join('; ')}`,
      );
    }
  }
}

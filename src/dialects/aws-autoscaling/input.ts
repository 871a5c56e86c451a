/**
 * An operation's JSON input read with the model's constraints (botocore
 * application-autoscaling/2016-02-06/service-2.json). A member of the wrong JSON type is a
 * SerializationException (coral's deserializer); constraint violations are collected and
 * reported together as one ValidationException in AWS's format ("1 validation error
 * detected: Value 'x' at 'serviceNamespace' failed to satisfy constraint: Member must
 * satisfy enum value set: [...]"); member paths are camel-cased as AWS prints them.
 */
import { serialization, validation } from './errors.js';

export type Json = Record<string, unknown>;

const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

export class Input {
  readonly #body: Json;
  readonly #path: string;
  readonly #violations: string[];

  private constructor(body: Json, path: string, violations: string[]) {
    this.#body = body;
    this.#path = path;
    this.#violations = violations;
  }

  static parse(raw: Buffer): Input {
    if (raw.length === 0) {
      return new Input({}, '', []);
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
    return new Input(v as Json, '', []);
  }

  #at(name: string): string {
    return this.#path === '' ? camel(name) : `${this.#path}.${camel(name)}`;
  }

  #violation(name: string, value: string | number | undefined, constraint: string): void {
    const shown = value === undefined ? 'null' : `'${String(value)}'`;
    this.#violations.push(
      `Value ${shown} at '${this.#at(name)}' failed to satisfy constraint: Member must ${constraint}`,
    );
  }

  has(name: string): boolean {
    return this.#body[name] !== undefined && this.#body[name] !== null;
  }

  string(name: string, o: { required?: boolean; min?: number; max?: number } = {}): string | undefined {
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
    }
    return v;
  }

  enumeration<T extends string>(name: string, values: readonly T[], required = false): T | undefined {
    const v = this.string(name, { required });
    if (v !== undefined && !(values as readonly string[]).includes(v)) {
      this.#violation(name, v, `satisfy enum value set: [${values.join(', ')}]`);
      return undefined;
    }
    return v as T | undefined;
  }

  integer(name: string, o: { min?: number; max?: number } = {}): number | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
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

  double(name: string, required: boolean): number | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      if (required) {
        this.#violation(name, undefined, 'not be null');
      }
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw serialization();
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

  /** A timestamp: JSON 1.1 sends epoch seconds (fractions allowed); returns epoch ms. */
  timestampMs(name: string): number | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw serialization();
    }
    return Math.round(v * 1000);
  }

  strings(name: string, o: { required?: boolean; max?: number } = {}): string[] | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      if (o.required === true) {
        this.#violation(name, undefined, 'not be null');
      }
      return undefined;
    }
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      throw serialization();
    }
    const list = v as string[];
    if (o.max !== undefined && list.length > o.max) {
      this.#violation(name, `[${list.join(', ')}]`, `have length less than or equal to ${o.max}`);
    }
    return list;
  }

  /** A map of strings (TagMap: keys 1–128, values 0–256 characters). */
  stringMap(name: string, required = false): Record<string, string> | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      if (required) {
        this.#violation(name, undefined, 'not be null');
      }
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((s) => typeof s !== 'string')) {
      throw serialization();
    }
    const map = v as Record<string, string>;
    for (const [k, val] of Object.entries(map)) {
      if (k.length < 1 || k.length > 128) {
        this.#violation(`${name}`, k, 'have length between 1 and 128 for each key');
      }
      if (val.length > 256) {
        this.#violation(`${name}`, val, 'have length less than or equal to 256 for each value');
      }
    }
    return map;
  }

  /** A nested structure, reported under this member's path. */
  struct(name: string): Input | undefined {
    const v = this.#body[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw serialization();
    }
    return new Input(v as Json, this.#at(name), this.#violations);
  }

  /** Throws the collected violations, AWS style, if there are any. */
  check(): void {
    const n = this.#violations.length;
    if (n > 0) {
      throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.#violations.join('; ')}`);
    }
  }
}

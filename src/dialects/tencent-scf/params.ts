/**
 * Typed access to an action's parameters, with the gateway's errors (spec §2.6 [REC]):
 * a missing required member is `MissingParameter`, a member of the wrong JSON type is
 * `InvalidParameter`; value rules are the actions' business. Unknown members are ignored so
 * that newer SDKs keep working (spec §2.6 last row). `null` counts as absent, as the SDK
 * strips nulls itself (spec §1 finding 9).
 *
 * Two sources: the JSON body of a POST (numbers stay numbers), and the flattened query of
 * the GET variant (`TriggerActions.0.TriggerName=...`, every value a string, spec §2.3.4),
 * where scalars are read from their decimal/`true`/`false` spelling instead.
 */
import { invalidParameterType, missingParameter, scfError } from './wire-error.js';

type Source = 'json' | 'query';

interface Opts {
  readonly required?: boolean;
}

/** Query segments that name Object.prototype's own machinery, never a parameter. */
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

export class Params {
  private constructor(
    private readonly members: Readonly<Record<string, unknown>>,
    private readonly source: Source,
    /** Dotted prefix for messages, e.g. `TriggerActions.0.` */
    private readonly prefix: string,
  ) {}

  /** The JSON object of a POST body. An empty body is `{}` (GetAccount sends `{}`, spec §1 finding 9). */
  static fromJsonBody(body: Buffer): Params {
    const text = body.toString('utf8').trim();
    if (text === '') {
      return new Params({}, 'json', '');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw scfError('InvalidParameter', 'The request body is not valid JSON.');
    }
    if (!isRecord(parsed)) {
      throw scfError('InvalidParameter', 'The request body must be a JSON object.');
    }
    return new Params(parsed, 'json', '');
  }

  /** The flattened parameters of a GET query (spec §2.3.4). */
  static fromQuery(rawQuery: string): Params {
    const root: Record<string, unknown> = {};
    for (const [flatKey, value] of new URLSearchParams(rawQuery)) {
      const path = flatKey.split('.');
      let node: Record<string, unknown> = root;
      for (const [i, segment] of path.entries()) {
        // `__proto__` and friends would reach Object.prototype through `node[segment]`.
        if (segment === '' || UNSAFE_SEGMENTS.has(segment)) {
          throw scfError('InvalidParameter', `The parameter name \`${flatKey}\` is not valid.`);
        }
        if (i === path.length - 1) {
          node[segment] = value;
        } else {
          const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
          if (isRecord(next)) {
            node = next;
          } else {
            const created: Record<string, unknown> = {};
            node[segment] = created;
            node = created;
          }
        }
      }
    }
    return new Params(root, 'query', '');
  }

  /** For tests and nested readers. */
  static of(members: Readonly<Record<string, unknown>>, source: Source = 'json', prefix = ''): Params {
    return new Params(members, source, prefix);
  }

  /** True when the member is present and not null. */
  has(name: string): boolean {
    const v = this.members[name];
    return v !== undefined && v !== null;
  }

  /** Dotted name of a member, for messages. */
  path(name: string): string {
    return `${this.prefix}${name}`;
  }

  string(name: string, opts: Opts = {}): string | undefined {
    const v = this.raw(name, opts);
    if (v === undefined) {
      return undefined;
    }
    if (typeof v !== 'string') {
      throw invalidParameterType(this.path(name), 'String');
    }
    return v;
  }

  /** int64 / uint64: a JSON integer (a decimal string in a GET query). `min: 0` for uint64. */
  integer(name: string, opts: Opts & { readonly min?: number } = {}): number | undefined {
    const v = this.raw(name, opts);
    if (v === undefined) {
      return undefined;
    }
    let n: number | undefined;
    if (typeof v === 'number') {
      n = v;
    } else if (this.source === 'query' && typeof v === 'string' && /^-?\d{1,16}$/.test(v)) {
      n = Number(v);
    }
    const type = opts.min !== undefined && opts.min >= 0 ? 'UInteger' : 'Integer';
    if (n === undefined || !Number.isSafeInteger(n) || (opts.min !== undefined && opts.min >= 0 && n < 0)) {
      throw invalidParameterType(this.path(name), type);
    }
    return n;
  }

  /** float: any JSON number (a decimal string in a GET query). */
  float(name: string, opts: Opts = {}): number | undefined {
    const v = this.raw(name, opts);
    if (v === undefined) {
      return undefined;
    }
    let n: number | undefined;
    if (typeof v === 'number') {
      n = v;
    } else if (this.source === 'query' && typeof v === 'string' && v.trim() !== '') {
      n = Number(v);
    }
    if (n === undefined || !Number.isFinite(n)) {
      throw invalidParameterType(this.path(name), 'Float');
    }
    return n;
  }

  boolean(name: string, opts: Opts = {}): boolean | undefined {
    const v = this.raw(name, opts);
    if (v === undefined) {
      return undefined;
    }
    if (typeof v === 'boolean') {
      return v;
    }
    if (this.source === 'query' && (v === 'true' || v === 'false')) {
      return v === 'true';
    }
    throw invalidParameterType(this.path(name), 'Boolean');
  }

  object(name: string, opts: Opts = {}): Params | undefined {
    const v = this.raw(name, opts);
    if (v === undefined) {
      return undefined;
    }
    if (!isRecord(v) || (this.source === 'query' && isIndexRecord(v))) {
      throw invalidParameterType(this.path(name), 'Object');
    }
    return new Params(v, this.source, `${this.path(name)}.`);
  }

  /** An array of objects. */
  objects(name: string, opts: Opts = {}): Params[] | undefined {
    const items = this.array(name, opts);
    return items?.map((item, i) => {
      if (!isRecord(item)) {
        throw invalidParameterType(`${this.path(name)}.${i}`, 'Object');
      }
      return new Params(item, this.source, `${this.path(name)}.${i}.`);
    });
  }

  /** An array of strings. */
  strings(name: string, opts: Opts = {}): string[] | undefined {
    const items = this.array(name, opts);
    return items?.map((item, i) => {
      if (typeof item !== 'string') {
        throw invalidParameterType(`${this.path(name)}.${i}`, 'String');
      }
      return item;
    });
  }

  private array(name: string, opts: Opts): unknown[] | undefined {
    const v = this.raw(name, opts);
    if (v === undefined) {
      return undefined;
    }
    if (Array.isArray(v)) {
      return v as unknown[];
    }
    // GET: `A.0.B=...` arrives as an object keyed 0, 1, ... (spec §2.3.4).
    if (this.source === 'query' && isRecord(v) && isIndexRecord(v)) {
      return Object.keys(v)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => v[k]);
    }
    throw invalidParameterType(this.path(name), 'Array');
  }

  private raw(name: string, opts: Opts): unknown {
    const v = this.members[name];
    if (v === undefined || v === null) {
      if (opts.required === true) {
        throw missingParameter(this.path(name));
      }
      return undefined;
    }
    return v;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ "0": ..., "1": ... }` with consecutive keys from 0. */
function isIndexRecord(v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  return (
    keys.length > 0 &&
    keys.every((k) => /^\d+$/.test(k)) &&
    keys
      .map(Number)
      .sort((a, b) => a - b)
      .every((n, i) => n === i)
  );
}

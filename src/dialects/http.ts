/**
 * The small HTTP vocabulary shared by every dialect: a request whose body is read lazily
 * under a limit the dialect chooses per operation, and a plain response value. Dialects
 * depend on this, not on the web framework (server/ adapts fastify to it).
 */

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export interface WireRequest {
  readonly method: string;
  /** The raw path, still percent-encoded, without the query string. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** The query string exactly as sent, without `?` (signatures cover it byte for byte). */
  readonly rawQuery: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /**
   * Reads the whole body, failing with BodyTooLargeError as soon as it is known to exceed
   * `limitBytes` (from Content-Length, or while streaming): nothing unbounded is buffered.
   * The caller awaits what it gets at once: nothing else handles its rejection (the front
   * door adds no reaction of its own, which would run before the caller's on every request).
   */
  readBody(limitBytes: number): Promise<Buffer>;
  /** Request id assigned by the front door (also sent back in the dialect's header). */
  readonly requestId: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/** The part of a pino logger a dialect uses. */
export interface DialectLogger {
  error(obj: object, msg: string): void;
  /** Refused requests (authentication failures): logged, not errors of hearth. */
  warn?(obj: object, msg: string): void;
}

export interface Dialect {
  readonly name: string;
  /** True when the request has this dialect's shape (path prefix, action header...). */
  matches(req: WireRequest): boolean;
  /** Never throws: every failure is rendered in the dialect's own error format. */
  handle(req: WireRequest): Promise<WireResponse>;
}

/**
 * What the front door answers when no dialect can (no dialect matched, or writing the
 * dialect's answer failed): one dialect's own wire form, chosen at composition.
 */
export interface Fallback {
  notFound(method: string, rawPath: string, requestId: string): WireResponse;
  internalError(requestId: string): WireResponse;
}

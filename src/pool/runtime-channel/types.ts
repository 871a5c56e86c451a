/**
 * What an environment needs from the runtime it hosts, whichever way the runtime talks:
 * the HTTP Runtime API (aws-lambda.md §5.2) or hearth's private channel (frames.ts).
 */

/** One invocation as the runtime receives it (§5.3 headers + payload). */
export interface ChannelInvocation {
  readonly requestId: string;
  /** Epoch milliseconds (Lambda-Runtime-Deadline-Ms). */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  /** Empty when absent; header-valued fields are sent only when non-empty (§5.3). */
  readonly traceId: string;
  readonly clientContext: string;
  readonly cognitoIdentity: string;
  readonly payload: Buffer;
}

/** Runtime → platform, in protocol terms. The environment turns these into state changes. */
export interface RuntimeEvents {
  /** GET /invocation/next: the runtime waits for work; the first one ends init (§5.6). */
  onNext(): void;
  onResponse(requestId: string, payload: Buffer, contentType: string): void;
  /** POST /invocation/{id}/error; `errorType` from the header, else the body, else ''. */
  onError(requestId: string, errorType: string, body: Buffer): void;
  onInitError(errorType: string, body: Buffer): void;
  /** The runtime's response exceeded 6291556 bytes and was refused with 413 (§5.2). */
  onResponseTooLarge(requestId: string, sizeBytes: number): void;
  /**
   * The runtime's own peak resident memory so far, KB, sent just before an answer (the
   * private channel's PEAK frame; runtimes that do not send it leave the platform to read
   * /proc).
   */
  onPeak(kb: number): void;
  /**
   * An entry of the runtime's code cache for the platform to write (a sandboxed runtime's,
   * before its first NEXT: the private channel's CACHE frame, code-cache-writer.ts).
   */
  onCacheEntry(name: string, bytes: Buffer): void;
  /** The runtime broke the protocol beyond repair; the environment must go. */
  onProtocolError(reason: string): void;
}

export interface RuntimeChannel {
  /** Hands the runtime its next invocation; it has asked for one (onNext). */
  deliver(inv: ChannelInvocation): void;
  /** Releases the channel's resources (sockets, listening port). Idempotent. */
  close(): void;
}

/**
 * Committed changes, announced after the store has made them durable. Services that keep
 * derived state (the provisioned-concurrency reconciler, caches, metrics) subscribe here
 * instead of being called by every mutating service.
 */
import type { FunctionKey, Scope } from '../model.js';

export type CoreChange =
  | { readonly kind: 'function-created'; readonly key: FunctionKey }
  /** `$LATEST`'s code or configuration changed (its revision is new). */
  | { readonly kind: 'function-updated'; readonly key: FunctionKey }
  | { readonly kind: 'function-deleted'; readonly key: FunctionKey }
  | { readonly kind: 'version-published'; readonly key: FunctionKey; readonly version: string }
  | { readonly kind: 'version-deleted'; readonly key: FunctionKey; readonly version: string }
  /** Created or updated (target version, weights or description). */
  | { readonly kind: 'alias-changed'; readonly key: FunctionKey; readonly alias: string }
  | { readonly kind: 'alias-deleted'; readonly key: FunctionKey; readonly alias: string }
  | { readonly kind: 'reserved-concurrency-changed'; readonly key: FunctionKey }
  /**
   * Another node (sharing the store) put or deleted a provisioned config; this node's
   * services changed it themselves, they never emit it.
   */
  | { readonly kind: 'provisioned-changed'; readonly key: FunctionKey; readonly qualifier: string }
  /** Another node put or deleted a scalable target (Application Auto Scaling). */
  | { readonly kind: 'target-changed'; readonly key: FunctionKey; readonly qualifier: string };

/**
 * What another node (sharing the store) changed, as this node hears it: core's changes,
 * and writes of a scope's settings (which belong to no function).
 */
export type RemoteChange = CoreChange | { readonly kind: 'settings-changed'; readonly scope: Scope };

/**
 * A listener may return a promise: the emitting service awaits it before it releases the
 * function's lock and answers, so derived state (the provisioned reconcile after an alias
 * move) is already true when the caller hears back. Listeners run inside that lock and
 * must not take it again.
 */
export type ChangeListener = (change: CoreChange) => void | Promise<void>;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  constructor(
    private readonly onListenerError: (error: unknown, change: CoreChange) => void = () => undefined,
  ) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Tells every listener, in subscription order, and waits for the ones that return a
   * promise. The change is already committed, so a failing listener must not fail the
   * caller's request: its error is handed to `onListenerError` (default: ignored).
   */
  async emit(change: CoreChange): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change);
      } catch (e) {
        this.onListenerError(e, change);
      }
    }
  }
}

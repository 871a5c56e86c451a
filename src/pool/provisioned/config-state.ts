/**
 * The closed set of states of a provisioned config (provisioned-shell.ts), replacing a bag
 * of flags. Moves:
 *
 *   filling ──READY for its spec and count──▶ serving
 *   filling / serving ──new spec or larger count──▶ filling
 *   filling / serving ──last init attempt failed (§3.4)──▶ failed ──new spec or count──▶ filling
 *   any ──deleted or disposed──▶ removed (final)
 */
export type ConfigState = 'filling' | 'serving' | 'failed' | 'removed';

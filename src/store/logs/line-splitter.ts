/**
 * Raw output chunks → log events, one per line, per stream. A line written in several
 * chunks becomes one event stamped when its first chunk arrived; a partial line is ended
 * when a platform line arrives on the same stream (START/END/REPORT are written whole) or
 * when it has waited `partialFlushMs` (the function may never finish it).
 */
import { isPlatformLine } from './platform-lines.js';

export interface SplitLine {
  readonly streamKey: string;
  readonly timestampMs: number;
  readonly message: string;
}

/** AWS: an event's message is at most 256 KB; longer lines are cut into several events. */
export const MAX_EVENT_BYTES = 256 * 1024;

interface Partial {
  text: string;
  sinceMs: number;
}

export class LineSplitter {
  readonly #partials = new Map<string, Partial>();

  /** Complete lines of `text` on `streamKey`, in order. */
  push(streamKey: string, text: string, nowMs: number, out: SplitLine[]): void {
    let pending = this.#partials.get(streamKey);
    if (pending !== undefined && isPlatformLine(text)) {
      emit(out, streamKey, pending.sinceMs, pending.text);
      this.#partials.delete(streamKey);
      pending = undefined;
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) {
        break;
      }
      const piece = text.slice(start, nl);
      if (pending !== undefined) {
        emit(out, streamKey, pending.sinceMs, pending.text + piece);
        this.#partials.delete(streamKey);
        pending = undefined;
      } else {
        emit(out, streamKey, nowMs, piece);
      }
      start = nl + 1;
    }
    if (start < text.length) {
      const rest = text.slice(start);
      if (pending !== undefined) {
        pending.text += rest;
      } else {
        this.#partials.set(streamKey, { text: rest, sinceMs: nowMs });
      }
    }
  }

  /** Ends partial lines older than `olderThanMs` (all of them with 0 and `Infinity` now). */
  flushPartials(nowMs: number, olderThanMs: number, out: SplitLine[]): void {
    for (const [key, p] of this.#partials) {
      if (nowMs - p.sinceMs >= olderThanMs) {
        emit(out, key, p.sinceMs, p.text);
        this.#partials.delete(key);
      }
    }
  }
}

function emit(out: SplitLine[], streamKey: string, timestampMs: number, line: string): void {
  // A trailing \r of a CRLF line is not part of the message; empty lines are not events.
  const message = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (message.length === 0) {
    return;
  }
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a short line is counted only when
  // it might be too long (every invocation logs three short lines at least).
  if (message.length <= MAX_EVENT_BYTES / 3 || Buffer.byteLength(message) <= MAX_EVENT_BYTES) {
    out.push({ streamKey, timestampMs, message });
    return;
  }
  const bytes = Buffer.from(message);
  for (let i = 0; i < bytes.length; i += MAX_EVENT_BYTES) {
    // Cutting inside a UTF-8 sequence leaves a replacement character at each end: acceptable
    // for a line this long, and the bytes stay bounded.
    out.push({ streamKey, timestampMs, message: bytes.subarray(i, i + MAX_EVENT_BYTES).toString('utf8') });
  }
}

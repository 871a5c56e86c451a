import { describe, expect, it } from 'vitest';
import {
  chunkCursor,
  chunkEvents,
  MAX_CHUNK_BYTES,
  MAX_CHUNK_LINES,
  MAX_CHUNK_SPAN_MS,
  PendingChunk,
  type ChunkRow,
} from './log-chunks.js';
import type { EventRow } from './log-rows.js';

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rowOf(id: number, stream: string, c: PendingChunk): ChunkRow {
  return {
    id,
    stream,
    min_ms: c.minMs,
    ingest_ms: 7,
    lines: c.messages.length,
    times: c.encodedTimes(),
    messages: c.messages.join('\n'),
  };
}

describe('log chunks', () => {
  it("gives back each event's id, time and message", () => {
    const c = new PendingChunk(100);
    c.add(100, 'a', 1);
    c.add(103, 'b\tc', 3);
    c.add(101, 'é', 2);
    expect(c.encodedTimes()).toBe('0,3,1');
    expect(chunkEvents(rowOf(40, 's', c))).toEqual([
      { id: 40, stream: 's', ts_ms: 100, ingest_ms: 7, message: 'a' },
      { id: 41, stream: 's', ts_ms: 103, ingest_ms: 7, message: 'b\tc' },
      { id: 42, stream: 's', ts_ms: 101, ingest_ms: 7, message: 'é' },
    ]);
    const same = new PendingChunk(5);
    same.add(5, 'x', 1);
    same.add(5, 'y', 1);
    expect(same.encodedTimes()).toBe('');
    expect(chunkEvents(rowOf(1, 's', same)).map((e) => e.ts_ms)).toEqual([5, 5]);
  });

  it('ends a chunk at its line, byte and time-span bounds', () => {
    const lines = new PendingChunk(0);
    for (let i = 0; i < MAX_CHUNK_LINES; i++) {
      expect(lines.fits(0, 1)).toBe(true);
      lines.add(0, 'x', 1);
    }
    expect(lines.fits(0, 1)).toBe(false);
    const bytes = new PendingChunk(0);
    bytes.add(0, 'x', MAX_CHUNK_BYTES - 10);
    expect(bytes.fits(0, 10)).toBe(true);
    expect(bytes.fits(0, 11)).toBe(false);
    const span = new PendingChunk(1000);
    span.add(1000, 'x', 1);
    expect(span.fits(1000 + MAX_CHUNK_SPAN_MS, 1)).toBe(true);
    expect(span.fits(1001 + MAX_CHUNK_SPAN_MS, 1)).toBe(false);
    expect(span.fits(999 - MAX_CHUNK_SPAN_MS, 1)).toBe(false);
  });

  it('reads overlapping chunks of many streams in (timestamp, id) order from any position', () => {
    const rnd = random(42);
    // 40 streams, each a run of chunks with rising, sometimes equal, times.
    const chunks: ChunkRow[] = [];
    let nextId = 1;
    const clock = new Map<string, number>();
    for (let batch = 0; batch < 60; batch++) {
      for (let s = 0; s < 40; s++) {
        if (rnd() < 0.5) {
          continue;
        }
        const stream = `s${s}`;
        let t = (clock.get(stream) ?? 0) + Math.floor(rnd() * 300);
        const c = new PendingChunk(t);
        const n = 1 + Math.floor(rnd() * 6);
        for (let i = 0; i < n && c.fits(t, 1); i++) {
          c.add(t, `${stream}-${batch}-${i}`, 1);
          t += Math.floor(rnd() * 2) * Math.floor(rnd() * 900);
        }
        clock.set(stream, c.maxMs);
        chunks.push(rowOf(nextId, stream, c));
        nextId += c.messages.length;
      }
    }
    const all = chunks.flatMap(chunkEvents);
    const order = (x: EventRow, y: EventRow) => x.ts_ms - y.ts_ms || x.id - y.id;
    const sorted = [...all].sort(order);
    const byStart = [...chunks].sort((x, y) => x.min_ms - y.min_ms || x.id - y.id);
    const page = (after: { minMs: number; id: number }, n: number) =>
      byStart
        .filter((c) => c.min_ms > after.minMs || (c.min_ms === after.minMs && c.id > after.id))
        .slice(0, n);
    const read = (next: () => EventRow | undefined) => {
      const out: EventRow[] = [];
      for (let e = next(); e !== undefined; e = next()) {
        out.push(e);
      }
      return out;
    };
    expect(read(chunkCursor(page, { timestampMs: -1, id: 0 }, 0, Number.MAX_SAFE_INTEGER))).toEqual(sorted);
    for (let k = 0; k < 25; k++) {
      const at = sorted[Math.floor(rnd() * sorted.length)] as EventRow;
      const startMs = Math.floor(rnd() * 20_000);
      const endMs = startMs + Math.floor(rnd() * 10_000);
      const after = { timestampMs: at.ts_ms, id: at.id };
      const want = sorted.filter(
        (e) =>
          e.ts_ms >= startMs &&
          e.ts_ms < endMs &&
          (e.ts_ms > after.timestampMs || (e.ts_ms === after.timestampMs && e.id > after.id)),
      );
      expect(read(chunkCursor(page, after, startMs, endMs))).toEqual(want);
    }
  });
});

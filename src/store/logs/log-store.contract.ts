/**
 * The function log stores' contract, as one vitest suite both run (SQLite's logs.db and
 * PostgreSQL's shared tables): `runLogStoreContract('sqlite', backend)` in the store's test
 * file. What the dialects rely on: line splitting, orders and paging positions, the
 * filter's scan limit, SCF's invocations, retention, deleteGroup and the size cap.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventPosition, LogEvent } from '../../core/logs/log-port.js';
import type { FunctionLogStore } from './function-log-store.js';

export interface LogStoreBackend {
  /** Opens a store on the current test's data: a second open sees what the first wrote. */
  open(o: { readonly maxBytes: number; readonly now: () => number }): Promise<FunctionLogStore>;
  /** Before each test: empty data. */
  fresh(): Promise<void>;
  /** After the suite; every store is closed by then. */
  cleanup(): Promise<void>;
}

const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };
const DAY = 86_400_000;
const report = (id: string, extra = '') =>
  `END RequestId: ${id}\nREPORT RequestId: ${id}\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t${extra}\n`;

export function runLogStoreContract(name: string, backend: LogStoreBackend): void {
  describe(`log store contract: ${name}`, () => {
    let now: number;
    let opened: FunctionLogStore[] = [];

    const open = async (o: { maxBytes?: number } = {}) => {
      const s = await backend.open({ maxBytes: o.maxBytes ?? 1 << 30, now: () => now });
      opened.push(s);
      return s;
    };
    const write = (s: FunctionLogStore, text: string, stream = 's1', group = '/aws/lambda/f', fn = 'f') =>
      s.append({ scope, group, stream, functionName: fn, text });
    const all = async (s: FunctionLogStore, group = '/aws/lambda/f') =>
      (
        (await s.filter(scope, group, { limit: 10_000, scanLimit: 10_000, matches: () => true }))?.events ??
        []
      ).map((e) => e.message);

    beforeEach(async () => {
      now = 1_700_000_000_000;
      await backend.fresh();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) {
        await s.close();
      }
      opened = [];
    });
    afterAll(() => backend.cleanup());

    it('splits chunks into line events, joining a line written in pieces', async () => {
      const s = await open();
      write(s, 'one\ntw');
      write(s, 'o\nthree\n');
      write(s, 'dangling');
      // A platform line ends the function's unfinished line first.
      write(s, 'END RequestId: r1\n');
      expect(await all(s)).toEqual(['one', 'two', 'three', 'dangling', 'END RequestId: r1']);
    });

    it("keeps a line's characters and counts its UTF-8 bytes", async () => {
      const s = await open();
      const line = 'quote " backslash \\ tab \t bell \u0007 é 漢字 🎉 {"json":[1]}';
      write(s, `${line}\n`);
      expect(await all(s)).toEqual([line]);
      expect(await s.totalBytes()).toBe(Buffer.byteLength(line));
    });

    it('keeps what was appended across close and reopen, and indexes invocations', async () => {
      let s = await open();
      write(s, 'START RequestId: r1 Version: $LATEST\n');
      write(s, 'hello\n');
      write(s, report('r1'));
      await s.close();
      s = await open();
      expect(await all(s)).toHaveLength(4);
      const inv = await s.invocations(scope, '/aws/lambda/f', {
        functionName: 'f',
        descending: true,
        offset: 0,
        limit: 10,
      });
      expect(inv.total).toBe(1);
      expect(inv.items[0]).toMatchObject({
        requestId: 'r1',
        version: '$LATEST',
        streamName: 's1',
        durationMs: 1.5,
        billedMs: 2,
        memoryMb: 128,
        maxMemoryUsedMb: 40,
        status: 'success',
        errorType: undefined,
      });
      expect(inv.items[0]?.log.split('\n')).toHaveLength(4);
    });

    it('keeps order, ids and invocations of a large batch written in one flush across streams', async () => {
      const s = await open();
      // 3 streams × 25 invocations × 4 lines, interleaved, and one more line: 301 lines,
      // more than any one statement a store writes them in.
      const expected = new Map<string, string[]>();
      for (let i = 0; i < 25; i++) {
        for (const stream of ['a', 'b', 'c']) {
          const id = `${stream}${i}`;
          const lines = [`START RequestId: ${id} Version: $LATEST`, `line ${id}`];
          write(s, `${lines.join('\n')}\n`, stream);
          write(s, report(id), stream);
          expected.set(stream, [
            ...(expected.get(stream) ?? []),
            ...lines,
            ...report(id).slice(0, -1).split('\n'),
          ]);
        }
      }
      write(s, 'last\n', 'a');
      expected.get('a')?.push('last');
      expect(await all(s)).toHaveLength(301);
      for (const [stream, lines] of expected) {
        const events = await s.readStream(scope, '/aws/lambda/f', stream, { limit: 1000, afterId: 0 });
        expect(events.map((e) => e.message)).toEqual(lines);
        const ids = events.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      }
      const inv = await s.invocations(scope, '/aws/lambda/f', {
        functionName: 'f',
        descending: false,
        offset: 0,
        limit: 100,
      });
      expect(inv.total).toBe(75);
      for (const item of inv.items) {
        const id = item.requestId;
        expect(item.streamName).toBe(id.slice(0, 1));
        expect(item.log).toBe(
          `START RequestId: ${id} Version: $LATEST\nline ${id}\n${report(id).slice(0, -1)}`,
        );
      }
    });

    it('pages a stream both ways and a group in time order, a few events at a time', async () => {
      const s = await open();
      const streams = ['a', 'b', 'c'];
      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 10; i++) {
          // Times that rise, repeat and jump by more than a second between rounds.
          now = 1_700_000_000_000 + round * 1500 + (i % 4) * 7;
          const stream = streams[(round + i) % 3] ?? 'a';
          write(s, `${stream} ${round} ${i}\nmore ${stream} ${round} ${i}\n`, stream);
        }
        if (round % 3 === 0) {
          await s.flush();
        }
      }
      const every = new Map<string, LogEvent[]>();
      for (const stream of streams) {
        every.set(stream, [
          ...(await s.readStream(scope, '/aws/lambda/f', stream, { limit: 1000, afterId: 0 })),
        ]);
        const want = every.get(stream) ?? [];
        expect(want.length).toBeGreaterThan(0);
        const forward: LogEvent[] = [];
        for (let afterId = 0; ;) {
          const page = await s.readStream(scope, '/aws/lambda/f', stream, { limit: 7, afterId });
          forward.push(...page);
          if (page.length < 7) {
            break;
          }
          afterId = page.at(-1)?.id ?? 0;
        }
        expect(forward).toEqual(want);
        const backward: LogEvent[] = [];
        for (let beforeId: number | undefined; ;) {
          const page = await s.readStream(scope, '/aws/lambda/f', stream, {
            limit: 7,
            ...(beforeId === undefined ? {} : { beforeId }),
          });
          backward.unshift(...page);
          if (page.length < 7) {
            break;
          }
          beforeId = page[0]?.id;
        }
        expect(backward).toEqual(want);
      }
      const inOrder = [...every.values()].flat().sort((x, y) => x.timestampMs - y.timestampMs || x.id - y.id);
      expect(inOrder).toHaveLength(240);
      const filtered: LogEvent[] = [];
      let after: EventPosition | undefined;
      do {
        const page = await s.filter(scope, '/aws/lambda/f', {
          limit: 5,
          scanLimit: 9,
          matches: (m) => !m.startsWith('more'),
          ...(after === undefined ? {} : { after }),
        });
        filtered.push(...(page?.events ?? []));
        after = page?.next;
      } while (after !== undefined);
      expect(filtered).toEqual(inOrder.filter((e) => !e.message.startsWith('more')));
    });

    it('drops events older than a group retention, keeping byte counts true', async () => {
      const s = await open();
      write(s, 'old\n');
      await s.flush();
      now += 3 * DAY;
      write(s, 'new\n');
      expect(await s.setRetention(scope, '/aws/lambda/f', 1)).toBe(true);
      expect(await all(s)).toEqual(['new']);
      expect(await s.getGroup(scope, '/aws/lambda/f')).toMatchObject({ storedBytes: 3, retentionDays: 1 });
      expect((await s.getStream(scope, '/aws/lambda/f', 's1'))?.storedBytes).toBe(3);
      expect(await s.totalBytes()).toBe(3);
      expect(await s.setRetention(scope, '/aws/lambda/none', 1)).toBe(false);
      // Housekeeping applies the policy to what has aged since.
      now += 2 * DAY;
      await s.housekeep();
      expect(await all(s)).toEqual([]);
      expect(await s.setRetention(scope, '/aws/lambda/f', undefined)).toBe(true);
      expect((await s.getGroup(scope, '/aws/lambda/f'))?.retentionDays).toBeUndefined();
    });

    it('removes the oldest events across groups once the size cap is passed', async () => {
      const s = await open({ maxBytes: 1000 });
      for (let i = 0; i < 30; i++) {
        write(s, `${String(i).padStart(2, '0')}${'x'.repeat(98)}\n`, 's1', i % 2 === 0 ? '/a' : '/b');
        await s.flush();
      }
      expect(await s.totalBytes()).toBeLessThanOrEqual(1000);
      const left = [...(await all(s, '/a')), ...(await all(s, '/b'))]
        .map((m) => Number(m.slice(0, 2)))
        .sort((x, y) => x - y);
      expect(left.at(-1)).toBe(29);
      expect(left[0]).toBeGreaterThanOrEqual(20);
      expect(left.length).toBeLessThanOrEqual(10);
      const groups = await s.listGroups(scope, { limit: 10 });
      expect(groups.items.reduce((n, g) => n + g.storedBytes, 0)).toBe(await s.totalBytes());
    });

    it('lists groups in byte order with prefix, contains and paging, within their scope', async () => {
      const s = await open();
      for (const g of ['/aws/lambda/b', '/aws/lambda/B', '/aws/lambda/ab', '/other/x']) {
        write(s, 'x\n', 's1', g);
      }
      s.append({
        scope: { ...scope, namespace: 'other' },
        group: '/aws/lambda/z',
        stream: 's',
        functionName: 'z',
        text: 'x\n',
      });
      const first = await s.listGroups(scope, { prefix: '/aws/lambda/', limit: 2 });
      expect(first.items.map((g) => g.name)).toEqual(['/aws/lambda/B', '/aws/lambda/ab']);
      expect(first.next).toBe('/aws/lambda/ab');
      const second = await s.listGroups(scope, {
        prefix: '/aws/lambda/',
        afterName: first.next ?? '',
        limit: 2,
      });
      expect(second.items.map((g) => g.name)).toEqual(['/aws/lambda/b']);
      expect(second.next).toBeUndefined();
      const found = await s.listGroups(scope, { contains: 'B', limit: 10 });
      expect(found.items.map((g) => g.name)).toEqual(['/aws/lambda/B', '/aws/lambda/ab', '/aws/lambda/b']);
      expect((await s.listGroups(scope, { limit: 10 })).items).toHaveLength(4);
      expect(await s.getGroup(scope, '/aws/lambda/z')).toBeUndefined();
      expect(await s.getGroup(scope, '/aws/lambda/b')).toMatchObject({ createdMs: now, storedBytes: 1 });
    });

    it('lists streams by name and by last event time, both ways, with paging', async () => {
      const s = await open();
      const times: Record<string, number> = { s1: 1000, s2: 3000, s3: 2000 };
      for (const [stream, t] of Object.entries(times)) {
        now = 1_700_000_000_000 + t;
        write(s, `${stream} first\n`, stream);
        write(s, `${stream} second\n`, stream);
        await s.flush();
      }
      const byName = await s.listStreams(scope, '/aws/lambda/f', {
        orderBy: 'name',
        descending: false,
        limit: 2,
      });
      expect(byName?.items.map((x) => x.name)).toEqual(['s1', 's2']);
      const rest = await s.listStreams(scope, '/aws/lambda/f', {
        orderBy: 'name',
        descending: false,
        limit: 2,
        ...(byName?.next === undefined ? {} : { after: byName.next }),
      });
      expect(rest?.items.map((x) => x.name)).toEqual(['s3']);
      expect(rest?.next).toBeUndefined();
      const names: string[] = [];
      let after;
      do {
        const page = await s.listStreams(scope, '/aws/lambda/f', {
          orderBy: 'lastEventTime',
          descending: true,
          limit: 1,
          ...(after === undefined ? {} : { after }),
        });
        names.push(...(page?.items ?? []).map((x) => x.name));
        after = page?.next;
      } while (after !== undefined);
      expect(names).toEqual(['s2', 's3', 's1']);
      const prefixed = await s.listStreams(scope, '/aws/lambda/f', {
        prefix: 's3',
        orderBy: 'name',
        descending: true,
        limit: 5,
      });
      expect(prefixed?.items.map((x) => x.name)).toEqual(['s3']);
      expect(await s.getStream(scope, '/aws/lambda/f', 's2')).toEqual({
        name: 's2',
        createdMs: 1_700_000_003_000,
        firstEventMs: 1_700_000_003_000,
        lastEventMs: 1_700_000_003_000,
        lastIngestionMs: 1_700_000_003_000,
        storedBytes: 's2 first'.length + 's2 second'.length,
      });
      expect(
        await s.listStreams(scope, '/aws/lambda/none', { orderBy: 'name', descending: false, limit: 1 }),
      ).toBe(undefined);
      expect(await s.getStream(scope, '/aws/lambda/f', 'none')).toBeUndefined();
    });

    it('reads a stream newest first by default, forward after an id, within [start, end)', async () => {
      const s = await open();
      for (let i = 0; i < 5; i++) {
        now = 1_700_000_000_000 + i * 10;
        write(s, `line ${i}\n`);
        await s.flush();
      }
      write(s, 'elsewhere\n', 's2');
      const last = await s.readStream(scope, '/aws/lambda/f', 's1', { limit: 2 });
      expect(last.map((e) => e.message)).toEqual(['line 3', 'line 4']);
      expect(last.map((e) => e.streamName)).toEqual(['s1', 's1']);
      expect(last[0]?.timestampMs).toBe(1_700_000_000_030);
      const before = await s.readStream(scope, '/aws/lambda/f', 's1', {
        limit: 2,
        beforeId: last[0]?.id ?? 0,
      });
      expect(before.map((e) => e.message)).toEqual(['line 1', 'line 2']);
      const after = await s.readStream(scope, '/aws/lambda/f', 's1', {
        limit: 2,
        afterId: before[0]?.id ?? 0,
      });
      expect(after.map((e) => e.message)).toEqual(['line 2', 'line 3']);
      const ids = [...before, ...last].map((e) => e.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const window = await s.readStream(scope, '/aws/lambda/f', 's1', {
        limit: 10,
        afterId: 0,
        startMs: 1_700_000_000_010,
        endMs: 1_700_000_000_030,
      });
      expect(window.map((e) => e.message)).toEqual(['line 1', 'line 2']);
      expect(await s.readStream(scope, '/aws/lambda/f', 'none', { limit: 2 })).toEqual([]);
    });

    it('filters a group in time order, stopping at the scan limit with a position to resume from', async () => {
      const s = await open();
      // Interleaved streams, written out of time order.
      const lines: [string, number, string][] = [
        ['b', 30, 'match 3'],
        ['a', 10, 'match 1'],
        ['a', 20, 'skip'],
        ['b', 20, 'match 2'],
        ['a', 40, 'match 4'],
        ['c', 50, 'match 5'],
      ];
      for (const [stream, t, m] of lines) {
        now = 1_700_000_000_000 + t;
        write(s, `${m}\n`, stream);
        await s.flush();
      }
      const q = { limit: 10, scanLimit: 3, matches: (m: string) => m.startsWith('match') };
      const first = await s.filter(scope, '/aws/lambda/f', q);
      expect(first?.events.map((e) => e.message)).toEqual(['match 1', 'match 2']);
      expect(first?.next).toBeDefined();
      const second = await s.filter(scope, '/aws/lambda/f', {
        ...q,
        ...(first?.next ? { after: first.next } : {}),
      });
      expect(second?.events.map((e) => e.message)).toEqual(['match 3', 'match 4', 'match 5']);
      expect(second?.next).toBeUndefined();
      const limited = await s.filter(scope, '/aws/lambda/f', { ...q, limit: 1, scanLimit: 100 });
      expect(limited?.events.map((e) => [e.streamName, e.message])).toEqual([['a', 'match 1']]);
      expect(limited?.next).toEqual({ timestampMs: 1_700_000_000_010, id: limited?.events[0]?.id });
      const named = await s.filter(scope, '/aws/lambda/f', { ...q, scanLimit: 100, streamNames: ['b', 'c'] });
      expect(named?.events.map((e) => e.message)).toEqual(['match 2', 'match 3', 'match 5']);
      const prefixed = await s.filter(scope, '/aws/lambda/f', {
        ...q,
        scanLimit: 100,
        streamPrefix: 'a',
        startMs: 1_700_000_000_011,
        endMs: 1_700_000_000_040,
      });
      expect(prefixed?.events.map((e) => e.message)).toEqual([]);
      expect(await s.filter(scope, '/aws/lambda/none', q)).toBeUndefined();
    });

    it('deletes a group with its streams, events and invocations; a later line makes it again', async () => {
      const s = await open();
      write(s, 'START RequestId: r1 Version: $LATEST\n');
      write(s, report('r1'));
      write(s, 'other\n', 's1', '/aws/lambda/g');
      expect(await s.deleteGroup(scope, '/aws/lambda/f')).toBe(true);
      expect(await s.getGroup(scope, '/aws/lambda/f')).toBeUndefined();
      expect(await s.deleteGroup(scope, '/aws/lambda/f')).toBe(false);
      expect(await s.totalBytes()).toBe('other'.length);
      write(s, 'again\n');
      expect(await all(s)).toEqual(['again']);
      expect((await s.getGroup(scope, '/aws/lambda/f'))?.storedBytes).toBe(5);
      const inv = await s.invocations(scope, '/aws/lambda/f', {
        functionName: 'f',
        descending: false,
        offset: 0,
        limit: 5,
      });
      expect(inv).toEqual({ total: 0, items: [] });
    });

    it('finds invocations by status, request id, version and start time, paged', async () => {
      const s = await open();
      const run = (id: string, version: string, status: string, t: number) => {
        now = 1_700_000_000_000 + t;
        write(s, `START RequestId: ${id} Version: ${version}\n`, `stream-${id}`);
        write(s, `working on ${id}\n`, `stream-${id}`);
        write(s, report(id, status), `stream-${id}`);
      };
      run('r1', '$LATEST', '', 10);
      run('r2', '1', 'Status: error\tError Type: Runtime.Boom', 20);
      run('r3', '$LATEST', 'Status: timeout', 30);
      const q = { functionName: 'f', descending: true, offset: 0, limit: 10 };
      const ids = async (extra: object) =>
        (await s.invocations(scope, '/aws/lambda/f', { ...q, ...extra })).items.map((i) => i.requestId);
      expect(await ids({})).toEqual(['r3', 'r2', 'r1']);
      expect(await ids({ descending: false, offset: 1, limit: 1 })).toEqual(['r2']);
      expect((await s.invocations(scope, '/aws/lambda/f', { ...q, limit: 1 })).total).toBe(3);
      expect(await ids({ status: 'failure' })).toEqual(['r3', 'r2']);
      expect(await ids({ status: 'success' })).toEqual(['r1']);
      expect(await ids({ status: 'timeout' })).toEqual(['r3']);
      expect(await ids({ requestId: 'r2' })).toEqual(['r2']);
      expect(await ids({ version: '$LATEST' })).toEqual(['r3', 'r1']);
      expect(await ids({ startMs: 1_700_000_000_020, endMs: 1_700_000_000_020 })).toEqual(['r2']);
      expect(await ids({ functionName: 'g' })).toEqual([]);
      const r2 = (await s.invocations(scope, '/aws/lambda/f', { ...q, requestId: 'r2' })).items[0];
      expect(r2).toMatchObject({
        status: 'error',
        errorType: 'Runtime.Boom',
        streamName: 'stream-r2',
        version: '1',
      });
      expect(r2?.log).toBe(
        'START RequestId: r2 Version: 1\nworking on r2\nEND RequestId: r2\n' +
          'REPORT RequestId: r2\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: error\tError Type: Runtime.Boom',
      );
      expect(await s.invocations(scope, '/aws/lambda/none', q)).toEqual({ total: 0, items: [] });
    });
  });
}

import { describe, expect, it } from 'vitest';
import {
  FrameError,
  FrameReader,
  FrameType,
  encodeAssign,
  encodeInvoke,
  type InvokeFrame,
} from './frames.js';

/** The runtime's side of the codec (plain JS that runs inside environments). */
interface RuntimeFrames {
  FRAME: Record<string, number>;
  MAX_RESPONSE_BYTES: number;
  NEXT_FRAME: Buffer;
  decodeInvoke(body: Buffer): InvokeFrame;
  encodeFrame(type: number, strings: readonly string[], payload: string): Buffer;
  encodeAnswerAndNext(type: number, first: string, second: string, payload: string, peakKb?: number): Buffer;
  encodePeak(peakKb: number): Buffer;
  encodeResponseTooLarge(requestId: string, sizeBytes: number): Buffer;
  encodeCacheEntry(name: string, bytes: Buffer): Buffer;
}
const runtimeFramesUrl = new URL('../../runtimes/node/frames.cjs', import.meta.url).href;
const rt = ((await import(runtimeFramesUrl)) as { default: RuntimeFrames }).default;

const invoke: InvokeFrame = {
  requestId: '6f1c1a54-2a44-4c2c-9d8e-0a3e3c7e9b11',
  deadlineMs: 1_790_000_000_123,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn:live',
  traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  clientContext: '{"custom":{"ünïcode":"✓"}}',
  cognitoIdentity: '',
  payload: Buffer.from('{"hello":"wörld"}'),
};

describe('private channel frames: platform and runtime agree', () => {
  it('INVOKE encoded by the pool decodes in the runtime', () => {
    const frame = encodeInvoke(invoke);
    expect(frame.readUInt32LE(0)).toBe(frame.length - 5);
    expect(frame[4]).toBe(rt.FRAME.INVOKE);
    const decoded = rt.decodeInvoke(frame.subarray(5));
    expect({ ...decoded, payload: decoded.payload.toString() }).toEqual({
      ...invoke,
      payload: invoke.payload.toString(),
    });
  });

  it('INVOKE of ASCII strings (the one-write path) decodes alike, lengths above 255 included', () => {
    for (const f of [
      { ...invoke, clientContext: '' },
      {
        ...invoke,
        clientContext: `{"custom":"${'x'.repeat(300)}"}`,
        cognitoIdentity: 'c'.repeat(70_000 - 69_700),
      },
      {
        ...invoke,
        clientContext: '',
        invokedFunctionArn: `${invoke.invokedFunctionArn}${'a'.repeat(65_000)}`,
      },
    ]) {
      const frame = encodeInvoke(f);
      expect(frame.readUInt32LE(0)).toBe(frame.length - 5);
      const decoded = rt.decodeInvoke(frame.subarray(5));
      expect({ ...decoded, payload: decoded.payload.toString() }).toEqual({
        ...f,
        payload: f.payload.toString(),
      });
    }
  });

  it('INVOKE refuses a field longer than 65,535 bytes', () => {
    expect(() => encodeInvoke({ ...invoke, clientContext: 'x'.repeat(65_536) })).toThrow(RangeError);
    expect(() => encodeInvoke({ ...invoke, clientContext: 'é'.repeat(40_000) })).toThrow(RangeError);
  });

  it('the frame types are the same numbers on both sides', () => {
    expect(rt.FRAME).toEqual(FrameType);
  });

  it('ASSIGN carries the environment and working directory as JSON', () => {
    const env = { PATH: '/usr/bin', NAME: 'wörld ✓' };
    const frame = encodeAssign({ env, cwd: '/code/fn' });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 5);
    expect(frame[4]).toBe(rt.FRAME.ASSIGN);
    expect(JSON.parse(frame.subarray(5).toString('utf8'))).toEqual({ env, cwd: '/code/fn' });
  });

  it('runtime frames decode in the pool, whole or byte by byte', () => {
    const bytes = Buffer.concat([
      rt.NEXT_FRAME,
      rt.encodeFrame(rt.FRAME.RESPONSE ?? 0, ['id-1', 'application/json'], '{"ok":"✓"}'),
      rt.NEXT_FRAME,
      rt.encodeFrame(rt.FRAME.ERROR ?? 0, ['id-2', 'TypeError'], '{"errorType":"TypeError"}'),
      rt.encodeFrame(
        rt.FRAME.INIT_ERROR ?? 0,
        ['Runtime.ImportModuleError'],
        '{"errorType":"Runtime.ImportModuleError"}',
      ),
      rt.encodeResponseTooLarge('id-3', 10_485_762),
    ]);
    const want = [
      { type: 'next' },
      { type: 'response', requestId: 'id-1', contentType: 'application/json', payload: '{"ok":"✓"}' },
      { type: 'next' },
      { type: 'error', requestId: 'id-2', errorType: 'TypeError', body: '{"errorType":"TypeError"}' },
      {
        type: 'init-error',
        errorType: 'Runtime.ImportModuleError',
        body: '{"errorType":"Runtime.ImportModuleError"}',
      },
      { type: 'response-too-large', requestId: 'id-3', sizeBytes: 10_485_762 },
    ];
    const readable = (fs: ReturnType<FrameReader['push']>) =>
      fs.map((f) =>
        'payload' in f
          ? { ...f, payload: f.payload.toString() }
          : 'body' in f
            ? { ...f, body: f.body.toString() }
            : f,
      );
    expect(readable(new FrameReader().push(bytes))).toEqual(want);
    const r = new FrameReader();
    const oneByOne = [];
    for (let i = 0; i < bytes.length; i++) {
      oneByOne.push(...r.push(bytes.subarray(i, i + 1)));
    }
    expect(readable(oneByOne)).toEqual(want);
  });

  it('CACHE carries an entry’s name and its bytes as they are (code-cache-writer.ts)', () => {
    const bytes = Buffer.from([0, 1, 2, 255, 0x7b, 0x22]);
    const frames = new FrameReader().push(
      Buffer.concat([rt.encodeCacheEntry('0123456789abcdef.v8', bytes), rt.NEXT_FRAME]),
    );
    expect(frames).toEqual([{ type: 'cache', name: '0123456789abcdef.v8', bytes }, { type: 'next' }]);
  });

  it('an answer with its NEXT is the same bytes as the two frames apart', () => {
    for (const [type, second, payload] of [
      [rt.FRAME.RESPONSE ?? 0, 'application/json', '{"ok":"✓ ünïcode"}'],
      [rt.FRAME.ERROR ?? 0, 'TypeError', '{"errorType":"TypeError"}'],
      [rt.FRAME.RESPONSE ?? 0, 'application/json', ''],
    ] as const) {
      const id = 'id-✓-1';
      expect(rt.encodeAnswerAndNext(type, id, second, payload)).toEqual(
        Buffer.concat([rt.encodeFrame(type, [id, second], payload), rt.NEXT_FRAME]),
      );
    }
  });

  it('an answer with the peak before it: PEAK, the answer, NEXT (the peak in KB, as a u32)', () => {
    const id = 'id-✓-2';
    const bytes = rt.encodeAnswerAndNext(rt.FRAME.RESPONSE ?? 0, id, 'application/json', '{}', 41_234);
    expect(bytes).toEqual(
      Buffer.concat([
        rt.encodePeak(41_234),
        rt.encodeFrame(rt.FRAME.RESPONSE ?? 0, [id, 'application/json'], '{}'),
        rt.NEXT_FRAME,
      ]),
    );
    expect(new FrameReader().push(bytes).map((f) => f.type)).toEqual(['peak', 'response', 'next']);
    expect(new FrameReader().push(bytes)[0]).toEqual({ type: 'peak', kb: 41_234 });
    // No peak (0): no PEAK frame.
    expect(rt.encodeAnswerAndNext(rt.FRAME.ERROR ?? 0, id, 'TypeError', '{}', 0)).toEqual(
      rt.encodeAnswerAndNext(rt.FRAME.ERROR ?? 0, id, 'TypeError', '{}'),
    );
    // A PEAK without its u32 is garbage.
    expect(() => new FrameReader().push(Buffer.from([2, 0, 0, 0, rt.FRAME.PEAK ?? 0, 1, 0]))).toThrow(
      FrameError,
    );
  });

  it('a large frame split in many chunks is joined once', () => {
    const big = 'z'.repeat(3 * 1024 * 1024);
    const bytes = rt.encodeFrame(rt.FRAME.RESPONSE ?? 0, ['id', 'application/json'], big);
    const r = new FrameReader();
    const out = [];
    for (let i = 0; i < bytes.length; i += 65536) {
      out.push(...r.push(bytes.subarray(i, i + 65536)));
    }
    expect(out).toHaveLength(1);
    expect(out[0]?.type === 'response' && out[0].payload.length).toBe(big.length);
  });

  it('garbage is a FrameError', () => {
    expect(() => new FrameReader().push(Buffer.from([1, 0, 0, 0, 99, 0]))).toThrow(FrameError);
    expect(() => new FrameReader().push(Buffer.from([255, 255, 255, 255, 3]))).toThrow(FrameError);
  });

  it('both sides agree on the response limit (aws-lambda.md §5.2)', () => {
    expect(rt.MAX_RESPONSE_BYTES).toBe(6291556);
  });
});

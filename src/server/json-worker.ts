/**
 * The worker thread that parses large JSON bodies for the AWS dialect (its LargeJsonParser,
 * dialects/aws-lambda/large-body.ts): UTF-8 check, JSON.parse, and strings longer than
 * BIG_STRING_CHARS taken out of the object, decoded when they are base64, so that neither
 * the parse nor the decode of a 60 MB zip runs on the event loop. One worker, started on
 * first use and unreferenced while idle.
 */
import { Worker } from 'node:worker_threads';
import {
  BIG_KEY,
  BIG_STRING_CHARS,
  SURROGATE_CHARS,
  type LargeParseResult,
} from '../dialects/aws-lambda/large-body.js';
import type { Json } from '../dialects/aws-lambda/validation.js';

/** The worker: CommonJS source, so that it runs the same from src/ (tests) and dist/. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { isUtf8 } = require('node:buffer');
const BIG_KEY = ${JSON.stringify(BIG_KEY)};
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
parentPort.on('message', ({ id, buffer, bigChars, headChars }) => {
  const bytes = Buffer.from(buffer);
  if (!isUtf8(bytes)) {
    parentPort.postMessage({ id, ok: false, reason: 'utf8', buffer }, [buffer]);
    return;
  }
  const text = bytes.toString('utf8').trim();
  let obj;
  try {
    obj = text === '' ? {} : JSON.parse(text);
  } catch (e) {
    parentPort.postMessage({ id, ok: false, reason: 'json', message: e instanceof Error ? e.message : 'malformed JSON' });
    return;
  }
  const bigs = [];
  const transfer = [];
  const walk = (v) => {
    if (typeof v === 'string') {
      if (v.length <= bigChars) return v;
      const big = { length: v.length, head: v.slice(0, headChars) };
      const compact = v.replace(/[\\r\\n]/g, '');
      if (compact.length % 4 === 0 && BASE64.test(compact)) {
        const b = Buffer.from(compact, 'base64');
        const ab = b.byteOffset === 0 && b.buffer.byteLength === b.length ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
        big.bytes = ab;
        transfer.push(ab);
      }
      bigs.push(big);
      return { [BIG_KEY]: bigs.length - 1 };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) v[k] = walk(v[k]);
    }
    return v;
  };
  obj = walk(obj);
  parentPort.postMessage({ id, ok: true, obj, bigs }, transfer);
});
`;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly reason?: 'utf8' | 'json';
  readonly message?: string;
  readonly buffer?: ArrayBuffer;
  readonly obj?: Record<string, Json>;
  readonly bigs?: { length: number; head: string; bytes?: ArrayBuffer }[];
}

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (r: LargeParseResult) => void; reject: (e: Error) => void }>();

function theWorker(): Worker {
  if (worker !== undefined) {
    return worker;
  }
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.unref();
  w.on('message', (r: Reply) => {
    const pending = waiting.get(r.id);
    waiting.delete(r.id);
    if (waiting.size === 0) {
      w.unref();
    }
    if (pending === undefined) {
      return;
    }
    if (r.ok) {
      pending.resolve({
        ok: true,
        body: {
          // Whatever JSON it was (null, an array...): BodyReader.fromLarge refuses non-objects.
          obj: r.obj as Record<string, Json>,
          bigs: (r.bigs ?? []).map((b) => ({
            length: b.length,
            head: b.head,
            ...(b.bytes === undefined ? {} : { bytes: Buffer.from(b.bytes) }),
          })),
        },
      });
    } else if (r.reason === 'utf8') {
      pending.resolve({ ok: false, reason: 'utf8', bytes: Buffer.from(r.buffer ?? new ArrayBuffer(0)) });
    } else {
      pending.resolve({ ok: false, reason: 'json', message: r.message ?? 'malformed JSON' });
    }
  });
  const fail = (e: Error) => {
    worker = undefined;
    for (const p of waiting.values()) {
      p.reject(e);
    }
    waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`large-body worker exited ${code}`)));
  worker = w;
  return w;
}

/** Parses a large JSON body in the worker; `bytes` is handed over (do not use it after). */
export function parseJsonOffThread(bytes: Buffer): Promise<LargeParseResult> {
  // Transfer when the buffer owns its memory (large Buffer.concat results do), else copy.
  const owns = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length;
  const buffer = owns
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  const id = nextId++;
  const w = theWorker();
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, buffer, bigChars: BIG_STRING_CHARS, headChars: SURROGATE_CHARS }, [buffer]);
  });
}

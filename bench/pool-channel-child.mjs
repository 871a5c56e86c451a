// Child side of bench/pool-channels.mjs: echoes what it is handed, over one of three
// channels, doing the work a runtime client does (parse the event, call a handler,
// stringify the result).
import net from 'node:net';
import http from 'node:http';
import { channelFrame, lengthPrefixedFrames, parseChannelFrame } from './frames.mjs';

const mode = process.argv[2];
const handler = async (event) => event;

if (mode === 'ipc') {
  process.on('message', async (m) => {
    const result = await handler(JSON.parse(m.payload));
    process.send({ id: m.id, payload: JSON.stringify(result) });
  });
  process.send({ ready: true });
} else if (mode === 'pipe') {
  const sock = new net.Socket({ fd: 3, readable: true, writable: true });
  const ready = Buffer.alloc(5);
  ready.writeUInt32LE(1, 0);
  ready[4] = 1;
  sock.write(ready);
  sock.on(
    'data',
    lengthPrefixedFrames(async (frame) => {
      const { id, payload } = parseChannelFrame(frame);
      const result = Buffer.from(JSON.stringify(await handler(JSON.parse(payload.toString()))));
      sock.write(channelFrame(2, id, result));
    }),
  );
} else if (mode === 'sync') {
  // Blocking reads between invocations: the environment is "frozen" in read(2) until the
  // next frame, as Lambda freezes it; the event loop runs while a handler is in flight.
  const { readSync, writeSync } = await import('node:fs');
  const head = Buffer.alloc(4);
  let big = Buffer.alloc(65536);
  const readFull = (buf, len) => {
    let off = 0;
    while (off < len) {
      const n = readSync(3, buf, off, len - off, null);
      if (n === 0) process.exit(0);
      off += n;
    }
  };
  const ready = Buffer.alloc(5);
  ready.writeUInt32LE(1, 0);
  ready[4] = 1;
  writeSync(3, ready);
  const loop = () => {
    readFull(head, 4);
    const len = head.readUInt32LE(0);
    if (big.length < len) big = Buffer.alloc(len);
    readFull(big, len);
    const { id, payload } = parseChannelFrame(big.subarray(0, len));
    handler(JSON.parse(payload.toString())).then((r) => {
      writeSync(3, channelFrame(2, id, Buffer.from(JSON.stringify(r))));
      setImmediate(loop);
    });
  };
  setImmediate(loop);
} else if (mode === 'http') {
  const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const req = (method, path, body) =>
    new Promise((resolve, reject) => {
      const r = http.request(
        {
          host,
          port,
          method,
          path,
          agent,
          headers: body ? { 'content-length': Buffer.byteLength(body) } : {},
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  for (;;) {
    const next = await req('GET', '/2018-06-01/runtime/invocation/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    const result = JSON.stringify(await handler(JSON.parse(next.body)));
    await req('POST', `/2018-06-01/runtime/invocation/${id}/response`, result);
  }
}

#!/usr/bin/env node
// A small keep-alive HTTP/1.1 load generator for the pool benchmarks. It runs as its own
// process (so its CPU is accounted like any client's) and speaks HTTP over raw sockets:
// one connection per concurrency slot, one request in flight per connection, responses
// framed by Content-Length. It is deliberately cheap so that the baseline (a bare
// node:http echo) is limited by the server, not by the client.
//
// usage: node bench/pool-loadgen.mjs <port> <concurrency> <durationMs> [path] [bodyBytes]
// prints one JSON line: {"requests","rps","p50Us","p90Us","p99Us","errors"}
import net from 'node:net';

const [port, concurrency, durationMs, path = '/', bodyBytes = '16'] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ k: 'x'.repeat(Math.max(0, Number(bodyBytes) - 8)) }));
const request = Buffer.concat([
  Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  ),
  body,
]);

const latencies = [];
let errors = 0;
let stopAt = 0;
let measuring = false;

function connection() {
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    let sentAt = 0n;
    const send = () => {
      if (Date.now() >= stopAt) {
        socket.end();
        resolve();
        return;
      }
      sentAt = process.hrtime.bigint();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('error', () => {
      errors++;
      resolve();
    });
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const headerEnd = buffered.indexOf('\r\n\r\n');
        if (headerEnd < 0) {
          return;
        }
        const head = buffered.subarray(0, headerEnd).toString('latin1');
        const m = /content-length:\s*(\d+)/i.exec(head);
        const length = m === null ? 0 : Number(m[1]);
        const total = headerEnd + 4 + length;
        if (buffered.length < total) {
          return;
        }
        if (!head.startsWith('HTTP/1.1 200')) {
          errors++;
        }
        buffered = buffered.subarray(total);
        if (measuring) {
          latencies.push(Number(process.hrtime.bigint() - sentAt) / 1000);
        }
        send();
      }
    });
  });
}

// 1 s warm-up (JIT, environments), then the measured window.
const warmupMs = 1000;
stopAt = Date.now() + warmupMs + Number(durationMs);
setTimeout(() => {
  measuring = true;
}, warmupMs);
const started = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, connection));
const measuredMs = Date.now() - started - warmupMs;
latencies.sort((a, b) => a - b);
const q = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    rps: Math.round((latencies.length * 1000) / measuredMs),
    p50Us: q(0.5),
    p90Us: q(0.9),
    p99Us: q(0.99),
    errors,
  })}\n`,
);

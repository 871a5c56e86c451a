/**
 * Platform side of the private channel: one socketpair per environment (the child's fd 3),
 * length-prefixed frames, one write per invocation each way. Used for the bundled Node.js
 * runtime only; why it exists and what it buys is measured in src/pool/README.md.
 */
import type { Socket } from 'node:net';
import { FrameError, FrameReader, encodeInvoke } from './frames.js';
import type { ChannelInvocation, RuntimeChannel, RuntimeEvents } from './types.js';

export function openPrivateChannel(socket: Socket, events: RuntimeEvents): RuntimeChannel {
  const reader = new FrameReader();
  let closed = false;
  socket.setNoDelay?.(true);
  socket.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch (e) {
      events.onProtocolError(e instanceof FrameError ? e.message : String(e));
      return;
    }
    for (const f of frames) {
      switch (f.type) {
        case 'next':
          events.onNext();
          break;
        case 'response':
          events.onResponse(f.requestId, f.payload, f.contentType);
          break;
        case 'error':
          events.onError(f.requestId, f.errorType, f.body);
          break;
        case 'init-error':
          events.onInitError(f.errorType, f.body);
          break;
        case 'response-too-large':
          events.onResponseTooLarge(f.requestId, f.sizeBytes);
          break;
        case 'peak':
          events.onPeak(f.kb);
          break;
        case 'cache':
          events.onCacheEntry(f.name, f.bytes);
          break;
      }
    }
  });
  // The process's exit is what the environment acts on; a socket error only precedes it.
  socket.on('error', () => undefined);
  return {
    deliver(inv: ChannelInvocation) {
      socket.write(encodeInvoke(inv));
    },
    close() {
      if (!closed) {
        closed = true;
        socket.destroy();
      }
    },
  };
}

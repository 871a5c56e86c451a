'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: a CommonJS function then never starts the ESM loader (src/pool/README.md). */
/**
 * The standard channel: the Lambda Runtime API over HTTP/1.1 (aws-lambda.md §5.1–5.3),
 * used when the environment has no private channel (AWS_LAMBDA_RUNTIME_API only). It is
 * what the official clients speak; hearth's pool uses it for benchmarks and as a fallback.
 */
const http = require('node:http');

/** @typedef {import('./frames.cjs').Invocation} Invocation */
/** @typedef {import('./channel-fd.cjs').Channel} Channel */

/**
 * @param {string} runtimeApi host:port
 * @returns {Channel}
 */
function createHttpChannel(runtimeApi) {
  const colon = runtimeApi.lastIndexOf(':');
  const hostname = runtimeApi.slice(0, colon);
  const port = Number(runtimeApi.slice(colon + 1));
  // One kept-alive connection, as the official client does (§5.3).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /**
   * @param {'GET' | 'POST'} method
   * @param {string} path
   * @param {string | undefined} body
   * @param {Record<string, string>} headers
   * @param {() => void} [onSent] once the request is written to the socket
   * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>}
   */
  const request = (method, path, body, headers, onSent) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          hostname,
          port,
          method,
          path: `/2018-06-01${path}`,
          agent,
          headers:
            body === undefined
              ? headers
              : {
                  ...headers,
                  'content-type': 'application/json',
                  'content-length': String(Buffer.byteLength(body)),
                },
        },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (onSent !== undefined) {
        req.on('finish', onSent);
      }
      req.end(body);
    });

  // Whether the pending /next is on the wire (its request written), and who waits for it.
  let nextSent = false;
  /** @type {(() => void)[]} */
  const whenSent = [];
  const sent = () => {
    nextSent = true;
    for (const work of whenSent.splice(0)) {
      work();
    }
  };

  /** @param {string | string[] | undefined} v */
  const header = (v) => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));

  return {
    whenNextSent(work) {
      if (nextSent) {
        work();
      } else {
        whenSent.push(work);
      }
    },
    async next() {
      nextSent = false;
      const res = await request('GET', '/runtime/invocation/next', undefined, {}, sent);
      return {
        requestId: header(res.headers['lambda-runtime-aws-request-id']),
        deadlineMs: Number(header(res.headers['lambda-runtime-deadline-ms'])),
        invokedFunctionArn: header(res.headers['lambda-runtime-invoked-function-arn']),
        traceId: header(res.headers['lambda-runtime-trace-id']),
        clientContext: header(res.headers['lambda-runtime-client-context']),
        cognitoIdentity: header(res.headers['lambda-runtime-cognito-identity']),
        payload: res.body,
      };
    },
    async respond(requestId, json) {
      // An over-limit body is sent anyway: the platform answers 413 and reports
      // Function.ResponseSizeTooLarge (§5.2), as with any other runtime.
      await request('POST', `/runtime/invocation/${encodeURIComponent(requestId)}/response`, json, {});
    },
    async fail(requestId, errorType, json) {
      await request('POST', `/runtime/invocation/${encodeURIComponent(requestId)}/error`, json, {
        'lambda-runtime-function-error-type': errorType,
      });
    },
    async failAndExit(requestId, errorType, json) {
      await this.fail(requestId, errorType, json);
    },
    async initError(errorType, json) {
      await request('POST', '/runtime/init/error', json, { 'lambda-runtime-function-error-type': errorType });
    },
  };
}

module.exports = { createHttpChannel };

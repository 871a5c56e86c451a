/**
 * hearth's bundled Python runtime client (src/runtimes/python/) in real environments, over
 * the HTTP Runtime API: handler loading, context, module-level init, AWS's error shapes
 * (awslambdaric's, issue 9), logs, timeouts and crashes.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec, InvocationOutcome } from '../../src/core/ports.js';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const PYTHON_FIXTURES = fileURLToPath(new URL('../fixtures/python/', import.meta.url));
const BOOTSTRAP = fileURLToPath(new URL('../../src/runtimes/python/bootstrap.py', import.meta.url));

// The interpreter itself, not a version manager's shim in front of it (pyenv's costs ~300 ms).
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

const pool = testPool({
  runtimeCommands: { 'python3.12': { command: PYTHON, args: [BOOTSTRAP] } },
  onDemandInitTimeoutMs: 5000,
});
afterAll(() => pool.dispose());

function py(fixture: string, overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return makeSpec(fixture, {
    runtime: 'python3.12',
    handler: 'app.handler',
    codeDir: path.join(PYTHON_FIXTURES, fixture),
    functionName: `py-${fixture}`,
    ...overrides,
  });
}

function errorOf(o: InvocationOutcome): Record<string, unknown> {
  expect(o.kind).toBe('function-error');
  return json(o.payload) as Record<string, unknown>;
}

describe('the Python runtime', () => {
  it('passes the event and a context with Lambda members, and returns JSON', async () => {
    const spec = py('echo');
    const req = makeRequest(spec, { event: { a: 1 } });
    const o = await pool.invoke(req);
    expect(o.kind).toBe('success');
    const body = json(o.payload) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: { a: 1 },
      initType: 'on-demand',
      requestId: req.requestId,
      functionName: 'py-echo',
      functionVersion: '$LATEST',
      invokedFunctionArn: req.invokedFunctionArn,
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/py-echo',
    });
    expect(body.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(body.remainingMs).toBeGreaterThan(0);
    expect(body.remainingMs).toBeLessThanOrEqual(3000);
  });

  it('loads handlers from packages in sub-folders', async () => {
    const o = await pool.invoke(
      makeRequest(py('echo', { handler: 'pkg/mod.handler', functionName: 'py-pkg' }), { event: 7 }),
    );
    expect(json(o.payload)).toEqual({ from: 'pkg.mod', event: 7 });
  });

  it('runs module-level code once per environment', async () => {
    const spec = py('counter');
    const first = json((await pool.invoke(makeRequest(spec))).payload) as {
      inits: number;
      calls: number;
      pid: number;
    };
    const second = json((await pool.invoke(makeRequest(spec))).payload) as {
      inits: number;
      calls: number;
      pid: number;
    };
    expect(first).toMatchObject({ inits: 1, calls: 1 });
    expect(second).toEqual({ inits: 1, calls: 2, pid: first.pid });
  });

  it.each([
    [
      'import-error',
      'Runtime.ImportModuleError',
      "Unable to import module 'app': No module named 'not_a_module_anyone_has'",
    ],
    ['handler-missing', 'Runtime.HandlerNotFound', "Handler 'handler' missing on module 'app'"],
  ])('reports %s at init as AWS does', async (fixture, errorType, errorMessage) => {
    const o = await pool.invoke(makeRequest(py(fixture)));
    expect(errorOf(o)).toEqual({ errorMessage, errorType, requestId: '', stackTrace: [] });
    expect(o.kind === 'function-error' && o.errorType).toBe(errorType);
  });

  it('reports a syntax error with the file and line', async () => {
    const doc = errorOf(await pool.invoke(makeRequest(py('syntax-error'))));
    expect(doc.errorType).toBe('Runtime.UserCodeSyntaxError');
    expect(doc.errorMessage).toMatch(/^Syntax error in module 'app': /);
    expect((doc.stackTrace as string[])[0]).toMatch(
      /^ {2}File ".*syntax-error\/app\.py" Line 1\n {4}def handler/,
    );
  });

  it('malformed handler names are refused', async () => {
    const doc = errorOf(
      await pool.invoke(makeRequest(py('echo', { handler: 'nodot', functionName: 'py-nodot' }))),
    );
    expect(doc).toMatchObject({
      errorType: 'Runtime.MalformedHandlerName',
      errorMessage: "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
    });
  });

  it('an unhandled exception is {errorMessage, errorType, requestId, stackTrace}', async () => {
    const req = makeRequest(py('raiser'), { wantLog: true });
    const o = await pool.invoke(req);
    const doc = errorOf(o);
    expect(doc).toMatchObject({
      errorMessage: 'Handler fails',
      errorType: 'Exception',
      requestId: req.requestId,
    });
    expect(doc.stackTrace).toEqual([
      expect.stringMatching(
        /^ {2}File ".*raiser\/app\.py", line 2, in handler\n {4}raise Exception\("Handler fails"\)\n$/,
      ),
    ]);
    expect(o.log).toContain(
      '[ERROR] Exception: Handler fails\rTraceback (most recent call last):\r\u00a0\u00a0File',
    );
  });

  it('a result that is not JSON is Runtime.MarshalError', async () => {
    expect(errorOf(await pool.invoke(makeRequest(py('marshal'))))).toMatchObject({
      errorType: 'Runtime.MarshalError',
      errorMessage: 'Unable to marshal response: Object of type set is not JSON serializable',
    });
  });

  it('print and logging go to the invocation log', async () => {
    const req = makeRequest(py('logger'), { wantLog: true, event: { n: 5 } });
    const o = await pool.invoke(req);
    expect(json(o.payload)).toBe('ok');
    expect(o.log).toContain('printed 5\n');
    expect(o.log).toMatch(
      new RegExp(
        `\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${req.requestId}\\tlogged 5\\n`,
      ),
    );
  });

  it('a function that imports logging only in its handler gets the same root logger', async () => {
    const req = makeRequest(py('logger-late'), { wantLog: true, event: { n: 6 } });
    const o = await pool.invoke(req);
    expect(o.kind).toBe('success');
    // The runtime configures logging as it is first imported (hearth_runtime.py _StartupModules).
    expect(json(o.payload)).toEqual({
      loggingAtInit: false,
      handlers: ['_StdoutHandler'],
      filters: ['_RequestIdFilter'],
      format: '[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n',
      datefmt: '%Y-%m-%dT%H:%M:%S',
      gmtime: true,
    });
    const line = (level: string, message: string) =>
      new RegExp(
        `\\[${level}\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${req.requestId}\\t${message}\\n`,
      );
    expect(o.log).toMatch(line('INFO', 'info 6'));
    expect(o.log).toMatch(line('WARNING', 'warning 6'));
    expect(o.log).not.toContain('not shown');
  });

  it("a function's files named like json and the modules it imports do not replace them", async () => {
    const o = await pool.invoke(makeRequest(py('stdlib-names')));
    expect(o.kind).toBe('success');
    expect(json(o.payload)).toEqual({ json: '{"a": [1, 2]}', re: 'acc', shadowed: [] });
  });

  it('an init error logs the LAMBDA_WARNING line through the configured root logger', async () => {
    const o = await pool.invoke(
      makeRequest(py('import-error', { functionName: 'py-import-error-log' }), { wantLog: true }),
    );
    expect(o.log).toMatch(
      /\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t\tLAMBDA_WARNING: Unhandled exception\. /,
    );
    expect(o.log).toContain("[ERROR] Runtime.ImportModuleError: Unable to import module 'app'");
  });

  it('Decimals in a result are JSON numbers', async () => {
    const o = await pool.invoke(makeRequest(py('decimals')));
    expect(o.kind).toBe('success');
    expect(o.kind === 'success' && o.payload.toString('utf8')).toBe(
      '{"int": 3, "frac": 1.25, "neg": -2, "big": 12345678901234567890, "list": [0.1]}',
    );
  });

  it('a timeout ends the environment with Sandbox.Timedout', async () => {
    const req = makeRequest(py('sleeper', { timeoutSec: 1 }), { event: { seconds: 30 } });
    expect(errorOf(await pool.invoke(req))).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${req.requestId} Error: Task timed out after 1.00 seconds`,
    });
  });

  it('a process that exits mid-invoke is Runtime.ExitError', async () => {
    const req = makeRequest(py('crash'));
    expect(errorOf(await pool.invoke(req))).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${req.requestId} Error: Runtime exited with error: exit status 3`,
    });
  });
});

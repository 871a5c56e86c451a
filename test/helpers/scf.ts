/**
 * A real hearth (createPlatform on port 0, see platform.ts) with the official
 * `tencentcloud-sdk-nodejs-scf` client pointed at it: only `endpoint` and `protocol` change
 * (spec §1 finding 1). The SDK signs with service `127` and host `127.0.0.1` (spec §1
 * findings 2–3), which the verifier accepts.
 *
 *   const p = await startScfPlatform();
 *   await p.scf.ListFunctions({});
 *   const err = await scfFailure(p.scf.GetFunction({ FunctionName: 'nope' }));
 *   expect(err.code).toBe('ResourceNotFound.Function');
 */
import { createRequire } from 'node:module';
import type * as ScfSdk from 'tencentcloud-sdk-nodejs-scf';
import type { HearthConfigInput } from '../../src/config/schema.js';
import { TEST_REGION, startPlatform, type TestPlatform } from './platform.js';
import { makeZip, type ZipEntryInput } from './zip.js';

type ScfModule = typeof ScfSdk;
/** The SDK is CommonJS; loaded the way its README shows (`require`). */
const { scf } = createRequire(import.meta.url)('tencentcloud-sdk-nodejs-scf') as ScfModule;

export type ScfClient = InstanceType<ScfModule['scf']['v20180416']['Client']>;

export const TEST_SECRET_ID = 'AKIDhearthTestSecretId000000000000000';
export const TEST_SECRET_KEY = 'hearthTestSecretKey00000000000000';

export interface ScfClientOptions {
  readonly secretId?: string;
  readonly secretKey?: string;
  /** Defaults to the AWS test region, so both dialects see one scope. */
  readonly region?: string;
  readonly reqMethod?: 'POST' | 'GET';
  readonly language?: 'zh-CN' | 'en-US';
}

export function scfClient(url: string, o: ScfClientOptions = {}): ScfClient {
  return new scf.v20180416.Client({
    credential: { secretId: o.secretId ?? TEST_SECRET_ID, secretKey: o.secretKey ?? TEST_SECRET_KEY },
    region: o.region ?? TEST_REGION,
    profile: {
      httpProfile: {
        endpoint: new URL(url).host,
        protocol: 'http://',
        ...(o.reqMethod === undefined ? {} : { reqMethod: o.reqMethod }),
      },
      ...(o.language === undefined ? {} : { language: o.language }),
    },
  });
}

export interface ScfTestPlatform extends TestPlatform {
  readonly scf: ScfClient;
  scfClient(o?: ScfClientOptions): ScfClient;
  /** Stops the server (if running) and starts a new one on the same data dir. */
  restart(): Promise<ScfTestPlatform>;
}

export async function startScfPlatform(
  overrides: HearthConfigInput = {},
  dataDir?: string,
): Promise<ScfTestPlatform> {
  return withScf(
    await (dataDir === undefined ? startPlatform(overrides) : startPlatform(overrides, dataDir)),
  );
}

function withScf(p: TestPlatform): ScfTestPlatform {
  return {
    ...p,
    scf: scfClient(p.url),
    scfClient: (o) => scfClient(p.url, o),
    restart: async () => withScf(await p.restart()),
  };
}

/** What the SDK's TencentCloudSDKHttpException carries (spec §2.5). */
export interface ScfFailure {
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
}

/** Awaits a call that must fail with an API error and returns the SDK's view of it. */
export async function scfFailure(call: Promise<unknown>): Promise<ScfFailure> {
  try {
    await call;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown; requestId?: unknown };
    if (typeof err.code !== 'string') {
      throw e;
    }
    return { code: err.code, message: String(err.message), requestId: String(err.requestId) };
  }
  throw new Error('expected the SCF call to fail, it succeeded');
}

/** A zip as `Code.ZipFile` wants it. */
export async function zipBase64(files: Record<string, ZipEntryInput>): Promise<string> {
  return (await makeZip(files)).toString('base64');
}

/**
 * Polls until `check` returns a value (not undefined), with a deadline: the way a client
 * waits for asynchronous state (never a fixed sleep standing in for it).
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 20_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) {
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${last instanceof Error ? last.message : JSON.stringify(last)}`}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * boto3 (the official AWS SDK for Python) as a test client: one long-lived Python process
 * (boto3_driver.py) per client, one JSON line per call. Used where no JavaScript client of
 * a service is available from the registry (Application Auto Scaling).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DRIVER = fileURLToPath(new URL('./boto3_driver.py', import.meta.url));

/** True when python3 can import boto3 (else the tests that need it are skipped, saying so). */
export const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;

export type BotoResult =
  | { readonly ok: Record<string, unknown> }
  | { readonly error: { readonly Code: string; readonly Message: string; readonly Status: number | null } };

export interface Boto3 {
  call(service: string, operation: string, params?: object): Promise<BotoResult>;
  /** The result, or a thrown Error with the AWS error code and message. */
  ok(service: string, operation: string, params?: object): Promise<Record<string, unknown>>;
  close(): void;
}

export function boto3(
  endpoint: string,
  key?: { readonly accessKeyId: string; readonly secretAccessKey: string },
): Boto3 {
  const args =
    key === undefined ? [DRIVER, endpoint] : [DRIVER, endpoint, key.accessKeyId, key.secretAccessKey];
  const child = spawn('python3', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const call = (service: string, operation: string, params: object = {}) =>
    new Promise<BotoResult>((resolve, reject) => {
      waiting.push((line) => resolve(JSON.parse(line) as BotoResult));
      child.stdin.write(`${JSON.stringify({ service, operation, params })}\n`, (e) => {
        if (e) {
          reject(e);
        }
      });
    });
  return {
    call,
    async ok(service, operation, params) {
      const r = await call(service, operation, params);
      if ('error' in r) {
        throw new Error(`${operation}: ${r.error.Code}: ${r.error.Message}`);
      }
      return r.ok;
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}

/**
 * How the CLI reaches a running hearth: over its public APIs only (the official AWS SDK
 * clients for Lambda and CloudWatch Logs, `/_hearth/health`), never its database. Errors
 * become one line and an exit code (exit-codes.ts): an answer from hearth is exit 1 with
 * its error type and message, no answer at all is exit 3.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CliError, EXIT } from './exit-codes.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8910';

export interface Connection {
  readonly endpoint: string;
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;
  close(): void;
}

export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? env.HEARTH_ENDPOINT ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`'${raw}' is not a URL (expected e.g. ${DEFAULT_ENDPOINT})`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`'${raw}' is not an http(s) URL`, EXIT.usage);
  }
  return url.origin;
}

export function connect(endpoint: string, env: NodeJS.ProcessEnv): Connection {
  // The SDK release is pinned and runs on the Node hearth supports: its notice that later
  // releases need Node 22 is not the user's concern (read once, at client construction).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // hearth does not check signatures yet: any key signs. Real keys are used when given, so
  // the same commands keep working once it does.
  const credentials =
    env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN }),
        }
      : { accessKeyId: 'hearth', secretAccessKey: 'hearth' };
  const common = {
    endpoint,
    region: env.HEARTH_REGION ?? env.AWS_REGION ?? 'us-east-1',
    credentials,
    // A dead endpoint is reported at once rather than retried.
    maxAttempts: 1,
  };
  const lambda = new LambdaClient(common);
  const logs = new CloudWatchLogsClient(common);
  return {
    endpoint,
    lambda,
    logs,
    close() {
      lambda.destroy();
      logs.destroy();
    },
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/** Any failure of a call to hearth → a CliError with a one-line message. */
export function describeFailure(e: unknown, endpoint: string): CliError {
  if (e instanceof CliError) {
    return e;
  }
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined) {
    return new CliError(`${err.name ?? 'Error'}: ${err.message ?? `HTTP ${status}`}`, EXIT.apiError);
  }
  const code = err.code ?? /\b(E[A-Z]+)\b/.exec(err.message ?? '')?.[1];
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    err.name === 'TimeoutError' ||
    err.name === 'TypeError'
  ) {
    return new CliError(
      `cannot reach hearth at ${endpoint} (${code ?? err.message ?? 'no answer'}); is it running? (--endpoint, HEARTH_ENDPOINT)`,
      EXIT.unreachable,
    );
  }
  return new CliError(err.message ?? String(e), EXIT.apiError);
}

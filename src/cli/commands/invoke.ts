/**
 * `hearth invoke NAME[:QUALIFIER] [--payload JSON|@file] [--log]`: one synchronous invoke.
 * The function's answer goes to stdout as it is; `--log` adds the log tail (the last 4 KB,
 * as Lambda returns it) on stderr. A function error exits 4.
 */
import { readFileSync } from 'node:fs';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Connection } from '../client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { paint, printJson, splitQualified, type Output } from '../output.js';

export interface InvokeOptions {
  readonly payload?: string;
  readonly log?: boolean;
}

function payloadOf(spec: string | undefined): string {
  if (spec === undefined) {
    return '{}';
  }
  if (!spec.startsWith('@')) {
    return spec;
  }
  try {
    return readFileSync(spec.slice(1), 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${spec.slice(1)}: ${(e as Error).message}`, EXIT.usage);
  }
}

export async function invoke(conn: Connection, o: Output, ref: string, opts: InvokeOptions): Promise<number> {
  const { name, qualifier } = splitQualified(ref);
  const payload = payloadOf(opts.payload);
  const out = await conn.lambda.send(
    new InvokeCommand({
      FunctionName: name,
      ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
      Payload: Buffer.from(payload),
      ...(opts.log === true || o.json ? { LogType: 'Tail' } : {}),
    }),
  );
  const body = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
  const log = out.LogResult === undefined ? undefined : Buffer.from(out.LogResult, 'base64').toString('utf8');
  if (o.json) {
    let parsed: unknown = body;
    try {
      parsed = JSON.parse(body);
    } catch {
      // Not JSON: shown as the string it is.
    }
    printJson(o, {
      statusCode: out.StatusCode,
      executedVersion: out.ExecutedVersion,
      ...(out.FunctionError === undefined ? {} : { functionError: out.FunctionError }),
      payload: parsed,
      ...(log === undefined ? {} : { log }),
    });
  } else {
    if (log !== undefined) {
      o.err(paint(o, 'dim', log.endsWith('\n') ? log : `${log}\n`));
    }
    o.out(body.endsWith('\n') || body === '' ? body : `${body}\n`);
    if (out.FunctionError !== undefined) {
      o.err(
        `${paint(o, 'red', 'function error')} (${out.FunctionError}) in ${name}:${out.ExecutedVersion ?? ''}\n`,
      );
    }
  }
  return out.FunctionError === undefined ? EXIT.ok : EXIT.failed;
}

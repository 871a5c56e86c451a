/**
 * `hearth pc put NAME:QUALIFIER N [--wait]` and `hearth pc ls [NAME]`: provisioned
 * concurrency through the Lambda API. `--wait` follows the config until READY or FAILED,
 * showing Allocated/Available as they change (one line rewritten on a terminal, a line per
 * change otherwise). Following is polling GetProvisionedConcurrencyConfig, as any client does.
 */
import {
  GetProvisionedConcurrencyConfigCommand,
  paginateListFunctions,
  paginateListProvisionedConcurrencyConfigs,
  PutProvisionedConcurrencyConfigCommand,
  type GetProvisionedConcurrencyConfigCommandOutput,
} from '@aws-sdk/client-lambda';
import type { Connection } from '../client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { paint, printJson, printTable, splitQualified, type Output } from '../output.js';

export interface PutOptions {
  readonly wait?: boolean;
  readonly timeoutSec?: number;
  readonly pollMs?: number;
}

type Config = Pick<
  GetProvisionedConcurrencyConfigCommandOutput,
  | 'RequestedProvisionedConcurrentExecutions'
  | 'AllocatedProvisionedConcurrentExecutions'
  | 'AvailableProvisionedConcurrentExecutions'
  | 'Status'
  | 'StatusReason'
  | 'LastModified'
>;

const plain = (c: Config) => ({
  requested: c.RequestedProvisionedConcurrentExecutions,
  allocated: c.AllocatedProvisionedConcurrentExecutions,
  available: c.AvailableProvisionedConcurrentExecutions,
  status: c.Status,
  ...(c.StatusReason === undefined ? {} : { statusReason: c.StatusReason }),
  lastModified: c.LastModified,
});

function progress(o: Output, ref: string, c: Config): string {
  const n = c.RequestedProvisionedConcurrentExecutions ?? 0;
  const colour = c.Status === 'READY' ? 'green' : c.Status === 'FAILED' ? 'red' : 'yellow';
  return `${ref}  ${paint(o, colour, (c.Status ?? '').padEnd(11))}  allocated ${c.AllocatedProvisionedConcurrentExecutions ?? 0}/${n}  available ${c.AvailableProvisionedConcurrentExecutions ?? 0}/${n}`;
}

export async function putProvisioned(
  conn: Connection,
  o: Output,
  ref: string,
  countText: string,
  opts: PutOptions,
): Promise<number> {
  const { name, qualifier } = splitQualified(ref);
  if (qualifier === undefined || qualifier === '') {
    throw new CliError(`'${ref}' names no version or alias (NAME:QUALIFIER)`, EXIT.usage);
  }
  if (!/^\d+$/.test(countText)) {
    throw new CliError(`'${countText}' is not a whole number of environments`, EXIT.usage);
  }
  const put = await conn.lambda.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: name,
      Qualifier: qualifier,
      ProvisionedConcurrentExecutions: Number(countText),
    }),
  );
  let last: Config = put;
  if (opts.wait !== true) {
    if (o.json) {
      printJson(o, plain(last));
    } else {
      o.out(`${progress(o, ref, last)}\n`);
    }
    return EXIT.ok;
  }
  const deadline = Date.now() + (opts.timeoutSec ?? 600) * 1000;
  let shown = '';
  const show = (c: Config) => {
    if (o.json) {
      return;
    }
    const line = progress(o, ref, c);
    if (o.tty) {
      o.err(`\r\u001b[2K${line}`);
    } else if (line !== shown) {
      o.err(`${line}\n`);
    }
    shown = line;
  };
  show(last);
  while (last.Status === 'IN_PROGRESS') {
    if (Date.now() > deadline) {
      if (o.tty) {
        o.err('\n');
      }
      throw new CliError(`${ref} still IN_PROGRESS after ${opts.timeoutSec ?? 600} s`, EXIT.timedOut);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    last = await conn.lambda.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }),
    );
    show(last);
  }
  if (o.tty && !o.json) {
    o.err('\n');
  }
  if (o.json) {
    printJson(o, plain(last));
  }
  if (last.Status === 'FAILED') {
    o.err(`${paint(o, 'red', 'FAILED')}: ${last.StatusReason ?? 'no reason given'}\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

export async function listProvisioned(conn: Connection, o: Output, fn: string | undefined): Promise<number> {
  const names: string[] = [];
  if (fn !== undefined) {
    names.push(fn);
  } else {
    for await (const page of paginateListFunctions({ client: conn.lambda }, {})) {
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ''));
    }
  }
  const rows: { function: string; qualifier: string; config: Config }[] = [];
  for (const name of names) {
    for await (const page of paginateListProvisionedConcurrencyConfigs(
      { client: conn.lambda },
      { FunctionName: name },
    )) {
      for (const c of page.ProvisionedConcurrencyConfigs ?? []) {
        rows.push({ function: name, qualifier: c.FunctionArn?.split(':').at(-1) ?? '', config: c });
      }
    }
  }
  if (o.json) {
    printJson(
      o,
      rows.map((r) => ({ function: r.function, qualifier: r.qualifier, ...plain(r.config) })),
    );
    return EXIT.ok;
  }
  printTable(
    o,
    ['FUNCTION', 'QUALIFIER', 'REQUESTED', 'ALLOCATED', 'AVAILABLE', 'STATUS', 'REASON'],
    rows.map((r) => [
      r.function,
      r.qualifier,
      String(r.config.RequestedProvisionedConcurrentExecutions ?? ''),
      String(r.config.AllocatedProvisionedConcurrentExecutions ?? ''),
      String(r.config.AvailableProvisionedConcurrentExecutions ?? ''),
      r.config.Status ?? '',
      r.config.StatusReason ?? '',
    ]),
  );
  return EXIT.ok;
}

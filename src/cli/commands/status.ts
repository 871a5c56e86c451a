/**
 * `hearth status`: is hearth up at the endpoint, and what it runs: functions, account
 * concurrency, provisioned configs by status.
 */
import {
  GetAccountSettingsCommand,
  paginateListFunctions,
  paginateListProvisionedConcurrencyConfigs,
} from '@aws-sdk/client-lambda';
import type { Connection } from '../client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { paint, printJson, type Output } from '../output.js';

export async function status(conn: Connection, o: Output): Promise<number> {
  const health = await fetch(`${conn.endpoint}/_hearth/health`);
  if (health.status !== 200) {
    throw new CliError(
      `${conn.endpoint} answered ${health.status} on /_hearth/health: is it hearth?`,
      EXIT.apiError,
    );
  }
  const settings = await conn.lambda.send(new GetAccountSettingsCommand({}));
  const names: string[] = [];
  for await (const page of paginateListFunctions({ client: conn.lambda }, {})) {
    names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ''));
  }
  const byStatus: Record<string, number> = {};
  let requested = 0;
  let available = 0;
  for (const name of names) {
    for await (const page of paginateListProvisionedConcurrencyConfigs(
      { client: conn.lambda },
      { FunctionName: name },
    )) {
      for (const c of page.ProvisionedConcurrencyConfigs ?? []) {
        byStatus[c.Status ?? 'UNKNOWN'] = (byStatus[c.Status ?? 'UNKNOWN'] ?? 0) + 1;
        requested += c.RequestedProvisionedConcurrentExecutions ?? 0;
        available += c.AvailableProvisionedConcurrentExecutions ?? 0;
      }
    }
  }
  const summary = {
    endpoint: conn.endpoint,
    healthy: true,
    functions: names.length,
    concurrentExecutions: settings.AccountLimit?.ConcurrentExecutions,
    unreservedConcurrentExecutions: settings.AccountLimit?.UnreservedConcurrentExecutions,
    provisioned: { configs: byStatus, requested, available },
  };
  if (o.json) {
    printJson(o, summary);
    return EXIT.ok;
  }
  const configs = Object.entries(byStatus)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  o.out(
    [
      `${paint(o, 'green', 'up')}         ${conn.endpoint}`,
      `functions  ${names.length}`,
      `concurrency ${summary.concurrentExecutions ?? '?'} (unreserved ${summary.unreservedConcurrentExecutions ?? '?'})`,
      `provisioned ${available}/${requested} available${configs === '' ? '' : ` (${configs})`}`,
    ].join('\n') + '\n',
  );
  return EXIT.ok;
}

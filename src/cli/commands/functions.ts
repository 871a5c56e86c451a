/** `hearth functions ls`: the functions of the account and region, as ListFunctions has them. */
import { paginateListFunctions, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { Connection } from '../client.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printTable, type Output } from '../output.js';

export async function listFunctions(conn: Connection, o: Output): Promise<number> {
  const all: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client: conn.lambda }, {})) {
    all.push(...(page.Functions ?? []));
  }
  if (o.json) {
    printJson(o, all);
    return EXIT.ok;
  }
  printTable(
    o,
    ['NAME', 'RUNTIME', 'MEMORY', 'TIMEOUT', 'STATE', 'LAST MODIFIED'],
    all.map((f) => [
      f.FunctionName ?? '',
      f.Runtime ?? f.PackageType ?? '',
      `${f.MemorySize ?? ''} MB`,
      `${f.Timeout ?? ''} s`,
      f.State ?? '',
      f.LastModified ?? '',
    ]),
  );
  return EXIT.ok;
}

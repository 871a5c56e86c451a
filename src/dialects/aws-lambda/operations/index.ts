/**
 * Every implemented operation, by AWS operation name. An operation listed in routes.ts
 * but absent here is answered as not available yet (see index.ts).
 *
 * Open slots: `Invoke` (spec §5.7) and the four ProvisionedConcurrency operations
 * (`PutProvisionedConcurrencyConfig`, `GetProvisionedConcurrencyConfig`,
 * `DeleteProvisionedConcurrencyConfig`, `ListProvisionedConcurrencyConfigs`, spec §3.3):
 * add a module exporting their handlers and spread it below.
 */
import { aliasOperations } from './aliases.js';
import { concurrencyOperations } from './concurrency.js';
import { functionOperations } from './functions.js';
import { tagOperations } from './tags.js';
import type { OperationHandlers } from './types.js';
import { versionOperations } from './versions.js';

export const OPERATION_HANDLERS: OperationHandlers = {
  ...functionOperations,
  ...versionOperations,
  ...aliasOperations,
  ...concurrencyOperations,
  ...tagOperations,
};

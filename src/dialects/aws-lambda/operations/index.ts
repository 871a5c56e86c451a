/**
 * Every routed operation's handler, by AWS operation name: an operation in routes.ts
 * without one here does not compile (AllOperationHandlers).
 *
 * To add an operation: route it in routes.ts, write its handler in a module here and
 * spread the module below.
 */
import { aliasOperations } from './aliases.js';
import { concurrencyOperations } from './concurrency.js';
import { eventInvokeConfigOperations } from './event-invoke-config.js';
import { functionOperations } from './functions.js';
import { invokeOperations } from './invoke.js';
import { layerOperations } from './layers.js';
import { permissionOperations } from './permissions.js';
import { provisionedOperations } from './provisioned.js';
import { runtimeManagementOperations } from './runtime-management.js';
import { tagOperations } from './tags.js';
import type { AllOperationHandlers } from './types.js';
import { versionOperations } from './versions.js';

export const OPERATION_HANDLERS: AllOperationHandlers = {
  ...functionOperations,
  ...versionOperations,
  ...aliasOperations,
  ...concurrencyOperations,
  ...tagOperations,
  ...invokeOperations,
  ...provisionedOperations,
  ...permissionOperations,
  ...runtimeManagementOperations,
  ...layerOperations,
  ...eventInvokeConfigOperations,
};

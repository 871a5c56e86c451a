/**
 * "While a task for the version is InProgress, another Put, a Delete, DeleteFunction or
 * DeleteFunctionVersion returns FailedOperation.ProvisionedInProgress" (spec §3.2, §3.6).
 * The task's state is the pool's truth about live environments (IN_PROGRESS ↔ InProgress).
 */
import { PlatformError } from '../../../core/errors.js';
import type { FunctionKey } from '../../../core/model.js';
import type { ActionCall } from '../types.js';

/** Throws PROVISIONED_IN_PROGRESS when a config of `key` (or of `qualifier` only) is still being set up. */
export async function assertNoProvisionedTask(
  call: ActionCall,
  key: FunctionKey,
  qualifier?: string,
): Promise<void> {
  const busy = (await call.core.provisioned.list(key)).find(
    (v) => (qualifier === undefined || v.config.qualifier === qualifier) && v.status.status === 'IN_PROGRESS',
  );
  if (busy !== undefined) {
    throw new PlatformError('PROVISIONED_IN_PROGRESS', {
      functionName: key.name,
      qualifier: busy.config.qualifier,
    });
  }
}

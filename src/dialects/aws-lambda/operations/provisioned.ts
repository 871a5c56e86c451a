/**
 * Put/Get/Delete/ListProvisionedConcurrencyConfigs (spec §3.3–3.4). Requested comes from
 * the stored config; Allocated, Available and Status from the pool's live environments.
 */
import type { ProvisionedView } from '../../../core/provisioned/provisioned-service.js';
import type { FunctionKey } from '../../../core/model.js';
import { formatProvisionedLastModified, functionArn } from '../arns.js';
import { paginate, readMaxItems } from '../pagination.js';
import { Violations, wholePattern } from '../validation.js';
import { parseFunctionLabel, requireUnqualified, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers, OperationResult } from './types.js';

/** Qualifier of the PC operations: `(|[a-zA-Z0-9$_-]+)`, 1..128, required. */
const PC_QUALIFIER = wholePattern('(|[a-zA-Z0-9$_-]+)');

function render(view: ProvisionedView): Record<string, unknown> {
  const { config, status } = view;
  return {
    RequestedProvisionedConcurrentExecutions: config.requested,
    AvailableProvisionedConcurrentExecutions: status.available,
    AllocatedProvisionedConcurrentExecutions: status.allocated,
    Status: status.status,
    ...(status.statusReason === undefined ? {} : { StatusReason: status.statusReason }),
    LastModified: formatProvisionedLastModified(config.lastModifiedMs),
  };
}

/** The function and qualifier of a PC request; the qualifier is required (query or name). */
function target(call: OperationCall, v: Violations): { key: FunctionKey; qualifier: string } {
  const parsed = parseFunctionLabel(v, call);
  const q = call.query.get('Qualifier') ?? undefined;
  if (v.required('qualifier', q ?? parsed?.qualifier)) {
    v.string('qualifier', q, { min: 1, max: 128, pattern: PC_QUALIFIER });
  }
  const ref = resolveRef(v, call, parsed, q);
  return { key: ref.key, qualifier: ref.qualifier ?? '' };
}

async function put(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const requested = call.body.integer('ProvisionedConcurrentExecutions');
  // Step 0 (§3.3): the value's model constraint comes first.
  if (v.required('provisionedConcurrentExecutions', requested)) {
    v.integer('provisionedConcurrentExecutions', requested, { min: 1 });
  }
  const { key, qualifier } = target(call, v);
  const view = await call.core.provisioned.put(key, qualifier, requested ?? 0);
  return { status: 202, json: render(view) };
}

async function get(call: OperationCall): Promise<OperationResult> {
  const { key, qualifier } = target(call, new Violations());
  return { status: 200, json: render(await call.core.provisioned.get(key, qualifier)) };
}

async function del(call: OperationCall): Promise<OperationResult> {
  const { key, qualifier } = target(call, new Violations());
  await call.core.provisioned.delete(key, qualifier);
  return { status: 204 };
}

async function list(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const pageSize = readMaxItems(v, call.query.get('MaxItems'), { max: 50, cap: 50 });
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const views = await call.core.provisioned.list(ref.key);
  const page = paginate(
    views,
    (view) => view.config.qualifier,
    call.query.get('Marker') ?? undefined,
    pageSize,
  );
  return {
    status: 200,
    json: {
      ProvisionedConcurrencyConfigs: page.items.map((view) => ({
        FunctionArn: functionArn(call.ctx, ref.key.name, view.config.qualifier),
        ...render(view),
      })),
      ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
    },
  };
}

export const provisionedOperations = {
  PutProvisionedConcurrencyConfig: put,
  GetProvisionedConcurrencyConfig: get,
  DeleteProvisionedConcurrencyConfig: del,
  ListProvisionedConcurrencyConfigs: list,
} satisfies OperationHandlers;

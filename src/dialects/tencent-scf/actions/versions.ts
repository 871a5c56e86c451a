/**
 * PublishVersion, ListVersionByFunction, DeleteFunctionVersion (spec §4, §3.6).
 * [REC] PublishVersion keeps core's rule that publishing an unchanged `$LATEST` returns the
 * newest version again instead of numbering a copy (README, differences).
 */
import { scfRuntimeOf } from '../runtimes.js';
import { renderVersionItem } from '../codec.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterValue, scfError } from '../wire-error.js';
import { page, readFunctionKey, readOrder, readPaging, readQualifier } from './common.js';
import { deleteVersionOf } from './functions.js';

export async function publishVersion(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const description = call.params.string('Description');
  if (description !== undefined && description.length > 1000) {
    throw scfError(
      'InvalidParameterValue.Description',
      'Description error. It can contain up to 1,000 characters.',
    );
  }
  const { version } = await call.core.versions.publish(key, description === undefined ? {} : { description });
  const c = version.config;
  return {
    FunctionVersion: version.version,
    CodeSize: c.codeSizeBytes,
    MemorySize: c.memoryMb,
    Description: c.description,
    Handler: c.handler,
    Timeout: c.timeoutSec,
    Runtime: scfRuntimeOf(c),
    Namespace: key.namespace,
  };
}

export async function listVersionByFunction(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const paging = readPaging(call);
  const order = readOrder(call, 'ASC');
  const orderBy = call.params.string('OrderBy') ?? 'AddTime';
  if (orderBy !== 'AddTime' && orderBy !== 'ModTime') {
    throw invalidParameterValue(
      'OrderBy',
      `'${orderBy}' must be AddTime or ModTime.`,
      'InvalidParameterValue.Order',
    );
  }
  const { versions } = await call.core.versions.list(key);
  // `$LATEST` first, then published versions by number (their AddTime order).
  const ordered = order === 'ASC' ? [...versions] : [...versions].reverse();
  const shown = page(ordered, paging);
  return {
    FunctionVersion: shown.map((v) => v.version),
    Versions: shown.map((v) => renderVersionItem(v, call.services.dates)),
    TotalCount: versions.length,
  };
}

export async function deleteFunctionVersion(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call, { required: true }) ?? '';
  await call.core.functions.get(key);
  await deleteVersionOf(call, key, qualifier);
  return {};
}

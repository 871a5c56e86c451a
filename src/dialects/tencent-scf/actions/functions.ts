/**
 * CreateFunction, GetFunction, UpdateFunctionCode, UpdateFunctionConfiguration,
 * DeleteFunction and ListFunctions (spec §4). Functions live in namespaces; namespace
 * `default` is the AWS dialect's view of the same account and region (ARCHITECTURE.md
 * principle 1), so each of these sees functions made through either dialect.
 */
import { LATEST, functionKeyString, isVersionQualifier, type FunctionKey } from '../../../core/model.js';
import { renderFunctionItem, renderGetFunction } from '../codec.js';
import { provisionedMb, reservedInstances } from '../quotas.js';
import { readScfSettings, reservedMemKey, writeScfSettings } from '../scf-settings.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterValue, missingParameter, scfError } from '../wire-error.js';
import {
  NEW_FUNCTION_NAME_PATTERN,
  keyOf,
  page,
  readFlag,
  readFunctionKey,
  readNamespace,
  readOrder,
  readPaging,
  readQualifier,
} from './common.js';
import {
  DEFAULT_HANDLER,
  checkHandler,
  createRuntime,
  readConfigPatch,
  readTags,
  readZip,
} from './function-input.js';
import { quotaLockKey } from './concurrency.js';
import { assertNoProvisionedTask } from './provisioned-guard.js';

export async function createFunction(call: ActionCall): Promise<ActionResult> {
  const { params } = call;
  const name = params.string('FunctionName', { required: true }) ?? '';
  const code = params.object('Code', { required: true });
  if (code === undefined) {
    throw missingParameter('Code');
  }
  if (!NEW_FUNCTION_NAME_PATTERN.test(name)) {
    throw scfError(
      'InvalidParameterValue.FunctionName',
      `The value of \`FunctionName\` does not conform to the specification: '${name}' (2-60 letters, digits, _ and -, starting with a letter and ending with a letter or digit).`,
    );
  }
  const namespace = await readNamespace(call);
  const patch = readConfigPatch(params);
  const runtime = patch.runtime ?? createRuntime(undefined);
  const zip = readZip(code, params.string('CodeSource'));
  if (zip === undefined) {
    throw scfError(
      'MissingParameter.Code',
      'The request is missing `Code.ZipFile`: hearth accepts ZipFile code only.',
    );
  }
  const tags = readTags(params);
  const key = keyOf(call, namespace, name);
  const existing = await call.core.functions.list(call.scope, { namespace });
  if (
    existing.length >= call.opts.maxFunctionsPerNamespace &&
    !existing.some((i) => i.fn.key.name === name)
  ) {
    throw scfError(
      'LimitExceeded.Function',
      `The number of functions in namespace ${namespace} reached the limit of ${call.opts.maxFunctionsPerNamespace}.`,
    );
  }
  await call.core.functions.create(key, {
    config: {
      runtime,
      handler: patch.handler ?? DEFAULT_HANDLER,
      role: patch.role ?? '',
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.timeoutSec === undefined ? {} : { timeoutSec: patch.timeoutSec }),
      ...(patch.memoryMb === undefined ? {} : { memoryMb: patch.memoryMb }),
      ...(patch.environment === undefined ? {} : { environment: patch.environment }),
      ...(patch.extra === undefined ? {} : { extra: patch.extra }),
    },
    zip,
    ...(tags === undefined ? {} : { tags }),
  });
  return {};
}

export async function getFunction(call: ActionCall): Promise<ActionResult> {
  if (!call.params.has('FunctionName')) {
    throw scfError(
      'InvalidParameter.FunctionNameOrResourceIdRequired',
      'Resource ID and function name cannot both be empty.',
    );
  }
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call) ?? LATEST;
  const resolved = await call.core.functions.get(key, qualifier);
  return renderGetFunction(resolved.fn, resolved.version, qualifier, call.services.dates);
}

export async function updateFunctionCode(call: ActionCall): Promise<ActionResult> {
  const { params } = call;
  const key = await readFunctionKey(call);
  const rawHandler = params.string('Handler');
  const handler = rawHandler === undefined ? undefined : checkHandler(rawHandler);
  const code = params.object('Code');
  const zip =
    readZip(params, params.string('CodeSource')) ??
    (code === undefined ? undefined : readZip(code, undefined));
  if (zip === undefined) {
    throw scfError('InvalidParameterValue.Code', 'ZipFile is required: hearth accepts ZipFile code only.');
  }
  const publish = readFlag(call, 'Publish') ?? false;
  // Existence first, so a missing function is not reported as a bad handler.
  await call.core.functions.get(key);
  if (handler !== undefined) {
    await call.core.functions.updateConfiguration(key, { handler });
  }
  await call.core.functions.updateCode(key, { zip, publish });
  return {};
}

export async function updateFunctionConfiguration(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const patch = readConfigPatch(call.params);
  const publish = readFlag(call, 'Publish') ?? false;
  const before = (await call.core.functions.get(key)).fn;
  const after = await call.core.functions.updateConfiguration(key, patch);
  if (after.latest.config.memoryMb !== before.latest.config.memoryMb) {
    await remapReserved(call, key);
  }
  if (publish) {
    await call.core.versions.publish(key);
  }
  return {};
}

/**
 * A reserved quota is MB; core holds floor(MB / MemorySize) instances (quotas.ts). A new
 * MemorySize moves that count. [REC] If core refuses the new count (provisioned
 * concurrency above it), the old count stays and the quota reads back as count × MB.
 */
async function remapReserved(call: ActionCall, key: FunctionKey): Promise<void> {
  await call.services.quotaLock.run(quotaLockKey(call.scope), async () => {
    const fn = (await call.core.functions.get(key)).fn;
    const mb = readScfSettings(await call.services.settings.get(call.scope)).reservedMem[reservedMemKey(fn)];
    if (mb === undefined || fn.reservedConcurrency === undefined) {
      return;
    }
    const count = reservedInstances(mb, fn.latest.config.memoryMb);
    if (count !== fn.reservedConcurrency) {
      try {
        await call.core.concurrency.putReserved(key, count);
      } catch (e) {
        call.opts.logger?.error(
          { err: e, function: functionKeyString(key) },
          'reserved quota not remapped to the new MemorySize',
        );
      }
    }
    call.services.accounts.invalidate(call.scope);
  });
}

export async function deleteFunction(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const qualifier = readQualifier(call);
  await call.core.functions.get(key);
  if (qualifier !== undefined) {
    await deleteVersionOf(call, key, qualifier);
    return {};
  }
  await assertNoProvisionedTask(call, key);
  await call.core.functions.delete(key);
  await call.services.settings.update(call.scope, (s) => {
    const scf = readScfSettings(s);
    const reservedMem = { ...scf.reservedMem };
    delete reservedMem[reservedMemKey({ key })];
    return writeScfSettings(s, { ...scf, reservedMem });
  });
  return {};
}

/** DeleteFunction with a Qualifier and DeleteFunctionVersion (spec §3.6). */
export async function deleteVersionOf(call: ActionCall, key: FunctionKey, qualifier: string): Promise<void> {
  if (qualifier === LATEST || !isVersionQualifier(qualifier)) {
    throw scfError(
      'InvalidParameterValue.Qualifier',
      `Unsupported function version. (Qualifier: ${qualifier})`,
    );
  }
  // Core treats a missing version as deleted (AWS); Tencent names it (ResourceNotFound.Qualifier).
  await call.core.functions.get(key, qualifier);
  await assertNoProvisionedTask(call, key, qualifier);
  await call.core.functions.delete(key, qualifier);
}

const ORDER_BY: Readonly<Record<string, (a: SortItem, b: SortItem) => number>> = {
  AddTime: (a, b) => a.addMs - b.addMs || cmp(a.name, b.name),
  ModTime: (a, b) => a.modMs - b.modMs || cmp(a.name, b.name),
  FunctionName: (a, b) => cmp(a.name, b.name),
};

interface SortItem {
  readonly name: string;
  readonly addMs: number;
  readonly modMs: number;
}

export async function listFunctions(call: ActionCall): Promise<ActionResult> {
  const { params } = call;
  const namespace = await readNamespace(call);
  const order = readOrder(call, 'DESC');
  const orderBy = params.string('Orderby') ?? 'AddTime';
  // Own keys only: `constructor` or `__proto__` are not sort orders.
  const compare = Object.hasOwn(ORDER_BY, orderBy) ? ORDER_BY[orderBy] : undefined;
  if (compare === undefined) {
    throw invalidParameterValue(
      'Orderby',
      `'${orderBy}' must be AddTime, ModTime or FunctionName.`,
      'InvalidParameterValue.Order',
    );
  }
  const paging = readPaging(call);
  const search = params.string('SearchKey');
  const description = params.string('Description');
  const tagFilters: { key: string; values: string[] }[] = [];
  for (const f of params.objects('Filters') ?? []) {
    const fname = f.string('Name', { required: true }) ?? '';
    const values = f.strings('Values', { required: true }) ?? [];
    if (!fname.startsWith('tag:')) {
      throw invalidParameterValue(
        'Filters',
        `filter '${fname}' is not supported (only tag:<key>).`,
        'InvalidParameterValue.Filters',
      );
    }
    tagFilters.push({ key: fname.slice(4), values });
  }

  const fns = (await call.core.functions.list(call.scope, { namespace }))
    .map((i) => i.fn)
    .filter((fn) => search === undefined || fn.key.name.includes(search))
    .filter((fn) => description === undefined || fn.latest.config.description.includes(description))
    .filter((fn) => tagFilters.every((t) => t.values.includes(fn.tags[t.key] ?? '\u0000')));
  const sorted = [...fns].sort((a, b) => {
    const c = compare(
      { name: a.key.name, addMs: a.createdMs, modMs: a.latest.lastModifiedMs },
      { name: b.key.name, addMs: b.createdMs, modMs: b.latest.lastModifiedMs },
    );
    return order === 'ASC' ? c : -c;
  });
  const acct = await call.services.accounts.load(call.scope);
  const functions = page(sorted, paging).map((fn) => {
    const q = acct.functions.find((f) => f.id === functionKeyString(fn.key));
    return renderFunctionItem(
      fn,
      {
        totalProvisionedMb: q === undefined ? 0 : provisionedMb(q),
        ...(q?.reservedMb === undefined ? {} : { reservedMb: q.reservedMb }),
      },
      call.services.dates,
    );
  });
  return { Functions: functions, TotalCount: sorted.length };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases (spec §4, §3.6).
 *
 * Every SCF function has the alias `$DEFAULT`, pointing at `$LATEST` until changed; it
 * cannot be deleted (InvalidParameterValue.Alias, Appendix B). hearth keeps it virtual:
 * it is shown for every function and only stored once UpdateAlias moves it, so the AWS
 * dialect does not see an alias it never made. Rule-based routing (`AddtionVersionMatchs`,
 * Tencent's spelling) is not supported.
 */
import {
  LATEST,
  isVersionQualifier,
  type AliasRecord,
  type FunctionKey,
  type FunctionRecord,
} from '../../../core/model.js';
import { isPlatformError } from '../../../core/errors.js';
import { renderAlias } from '../codec.js';
import type { Params } from '../params.js';
import type { ActionCall, ActionResult } from '../types.js';
import { scfError } from '../wire-error.js';
import { page, readFunctionKey, readPaging } from './common.js';

export const DEFAULT_ALIAS = '$DEFAULT';
/** "1 to 64 letters, digits, `_`, and `-`, and must begin with a letter" (spec §4 CreateAlias). */
const NEW_ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ALIAS_PATTERN = /^(\$DEFAULT|[A-Za-z0-9_-]{1,128})$/;

function virtualDefault(fn: FunctionRecord): AliasRecord {
  return {
    name: DEFAULT_ALIAS,
    functionVersion: LATEST,
    description: '',
    additionalVersionWeights: {},
    revisionId: '',
    createdMs: fn.createdMs,
    lastModifiedMs: fn.createdMs,
  };
}

const invalidAliasName = (name: string) =>
  scfError(
    'InvalidParameterValue.Name',
    `Incorrect \`Name\` parameter: '${name}' (1-64 letters, digits, _ and -, starting with a letter).`,
  );

function readAliasName(call: ActionCall): string {
  const name = call.params.string('Name', { required: true }) ?? '';
  if (!ALIAS_PATTERN.test(name)) {
    throw invalidAliasName(name);
  }
  return name;
}

function readFunctionVersion(call: ActionCall): string {
  const v = call.params.string('FunctionVersion', { required: true }) ?? '';
  if (v !== LATEST && !isVersionQualifier(v)) {
    throw scfError(
      'InvalidParameterValue',
      `Incorrect parameter value. FunctionVersion '${v}' must be $LATEST or a version number.`,
    );
  }
  return v;
}

/** RoutingConfig → additional version weights (undefined when absent). */
function readRouting(routing: Params | undefined): Record<string, number> | undefined {
  if (routing === undefined) {
    return undefined;
  }
  if ((routing.objects('AddtionVersionMatchs') ?? []).length > 0) {
    throw scfError(
      'InvalidParameterValue.RoutingConfig',
      'The value of `RoutingConfig` does not conform to the specification: rule-based routing (AddtionVersionMatchs) is not supported.',
    );
  }
  const weights: Record<string, number> = {};
  for (const w of routing.objects('AdditionalVersionWeights') ?? []) {
    const version = w.string('Version', { required: true }) ?? '';
    const weight = w.float('Weight', { required: true }) ?? 0;
    if (!isVersionQualifier(version) || !(weight > 0 && weight < 1)) {
      throw scfError(
        'InvalidParameterValue.AdditionalVersionWeights',
        `Incorrect \`AdditionalVersionWeights\` parameter: version '${version}' with weight ${weight} (a published version, 0 < weight < 1).`,
      );
    }
    weights[version] = weight;
  }
  return weights;
}

async function findAlias(call: ActionCall, key: FunctionKey, name: string): Promise<AliasRecord | undefined> {
  try {
    return await call.core.aliases.get(key, name);
  } catch (e) {
    if (isPlatformError(e) && e.is('ALIAS_NOT_FOUND')) {
      return undefined;
    }
    throw e;
  }
}

/** The alias, the virtual `$DEFAULT`, or ResourceNotFound.Alias. */
export async function aliasOf(call: ActionCall, key: FunctionKey, name: string): Promise<AliasRecord> {
  const fn = (await call.core.functions.get(key)).fn;
  const stored = await findAlias(call, key, name);
  if (stored !== undefined) {
    return stored;
  }
  if (name === DEFAULT_ALIAS) {
    return virtualDefault(fn);
  }
  throw scfError('ResourceNotFound.Alias', `The alias does not exist. (${key.name}:${name})`);
}

export async function createAlias(call: ActionCall): Promise<ActionResult> {
  const name = readAliasName(call);
  const key = await readFunctionKey(call);
  const functionVersion = readFunctionVersion(call);
  if (name === DEFAULT_ALIAS) {
    await call.core.functions.get(key);
    throw scfError('ResourceInUse.Alias', `The alias is in use. (${key.name}:${name})`);
  }
  if (!NEW_ALIAS_PATTERN.test(name)) {
    throw invalidAliasName(name);
  }
  const weights = readRouting(call.params.object('RoutingConfig'));
  const description = call.params.string('Description');
  await call.core.aliases.create(key, {
    name,
    functionVersion,
    ...(description === undefined ? {} : { description }),
    ...(weights === undefined ? {} : { additionalVersionWeights: weights }),
  });
  return {};
}

export async function getAlias(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const name = readAliasName(call);
  return renderAlias(await aliasOf(call, key, name), call.services.dates);
}

export async function updateAlias(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const name = readAliasName(call);
  const functionVersion = readFunctionVersion(call);
  const weights = readRouting(call.params.object('RoutingConfig'));
  const description = call.params.string('Description');
  const current = await aliasOf(call, key, name);
  if (name === DEFAULT_ALIAS && current.revisionId === '') {
    // First change of the virtual `$DEFAULT`: it becomes a stored alias.
    await call.core.aliases.create(key, {
      name,
      functionVersion,
      ...(description === undefined ? {} : { description }),
      ...(weights === undefined ? {} : { additionalVersionWeights: weights }),
    });
    return {};
  }
  await call.core.aliases.update(key, name, {
    functionVersion,
    ...(description === undefined ? {} : { description }),
    ...(weights === undefined ? {} : { additionalVersionWeights: weights }),
  });
  return {};
}

export async function deleteAlias(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const name = readAliasName(call);
  if (name === DEFAULT_ALIAS) {
    await call.core.functions.get(key);
    throw scfError(
      'InvalidParameterValue.Alias',
      'The default alias cannot be deleted. Please check and try again.',
    );
  }
  await aliasOf(call, key, name);
  await call.core.aliases.delete(key, name);
  return {};
}

export async function listAliases(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const functionVersion = call.params.string('FunctionVersion');
  const paging = readPaging(call, { asStrings: true });
  const fn = (await call.core.functions.get(key)).fn;
  const stored = await call.core.aliases.list(key);
  const all = stored.some((a) => a.name === DEFAULT_ALIAS) ? [...stored] : [virtualDefault(fn), ...stored];
  const shown = all.filter((a) => functionVersion === undefined || a.functionVersion === functionVersion);
  return {
    Aliases: page(shown, paging).map((a) => renderAlias(a, call.services.dates)),
    TotalCount: shown.length,
  };
}

/**
 * CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases (spec §2.2–2.3).
 */
import { renderAlias } from '../codec.js';
import { paginate, readMaxItems } from '../pagination.js';
import { type BodyReader, Violations, renderWeights, wholePattern } from '../validation.js';
import { parseFunctionLabel, requireUnqualified, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers } from './types.js';

export const ALIAS_PATTERN = wholePattern('(?!^[0-9]+$)([a-zA-Z0-9-_]+)');
const VERSION_PATTERN = wholePattern(String.raw`(\$LATEST(\.PUBLISHED)?|[0-9]+)`);
const WEIGHT_KEY = /^[0-9]+$/;

function checkAliasName(v: Violations, name: string | undefined): void {
  if (v.required('name', name)) {
    v.string('name', name, { min: 1, max: 128, pattern: ALIAS_PATTERN });
  }
}

/**
 * RoutingConfig.AdditionalVersionWeights with AWS's recorded constraint messages
 * (Appendix A): map keys must be version numbers, values in [0.0, 1.0].
 */
function readWeights(v: Violations, body: BodyReader): Record<string, number> | undefined {
  const weights = body.object('RoutingConfig')?.numberMap('AdditionalVersionWeights');
  if (weights === undefined) {
    return body.has('RoutingConfig') ? {} : undefined;
  }
  const member = 'routingConfig.additionalVersionWeights';
  const keys = Object.keys(weights);
  if (keys.some((k) => k.length < 1 || k.length > 1024 || !WEIGHT_KEY.test(k))) {
    v.addRaw(
      `Value ${renderWeights(weights)} at '${member}' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]`,
    );
  } else if (Object.values(weights).some((w) => !(w >= 0 && w <= 1))) {
    v.addRaw(
      `Value ${renderWeights(weights)} at '${member}' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`,
    );
  }
  return weights;
}

async function createAlias(call: OperationCall) {
  const { body } = call;
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const name = body.string('Name');
  checkAliasName(v, name);
  const functionVersion = body.string('FunctionVersion');
  if (v.required('functionVersion', functionVersion)) {
    v.string('functionVersion', functionVersion, { min: 1, max: 1024, pattern: VERSION_PATTERN });
  }
  const description = body.string('Description');
  v.string('description', description, { max: 256 });
  const weights = readWeights(v, body);
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const alias = await call.core.aliases.create(ref.key, {
    name: name ?? '',
    functionVersion: functionVersion ?? '',
    ...(description === undefined ? {} : { description }),
    ...(weights === undefined ? {} : { additionalVersionWeights: weights }),
  });
  return { status: 201, json: renderAlias(call.ctx, ref.key.name, alias) };
}

async function getAlias(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  checkAliasName(v, call.labels.Name);
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const alias = await call.core.aliases.get(ref.key, call.labels.Name ?? '');
  return { status: 200, json: renderAlias(call.ctx, ref.key.name, alias) };
}

async function updateAlias(call: OperationCall) {
  const { body } = call;
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  checkAliasName(v, call.labels.Name);
  const functionVersion = body.string('FunctionVersion');
  v.string('functionVersion', functionVersion, { min: 1, max: 1024, pattern: VERSION_PATTERN });
  const description = body.string('Description');
  v.string('description', description, { max: 256 });
  const weights = readWeights(v, body);
  const revisionId = body.string('RevisionId');
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const alias = await call.core.aliases.update(ref.key, call.labels.Name ?? '', {
    ...(functionVersion === undefined ? {} : { functionVersion }),
    ...(description === undefined ? {} : { description }),
    ...(weights === undefined ? {} : { additionalVersionWeights: weights }),
    ...(revisionId === undefined ? {} : { revisionId }),
  });
  return { status: 200, json: renderAlias(call.ctx, ref.key.name, alias) };
}

async function deleteAlias(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  checkAliasName(v, call.labels.Name);
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  await call.core.aliases.delete(ref.key, call.labels.Name ?? '');
  return { status: 204 };
}

async function listAliases(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const functionVersion = call.query.get('FunctionVersion') ?? undefined;
  v.string('functionVersion', functionVersion, { min: 1, max: 1024, pattern: VERSION_PATTERN });
  const pageSize = readMaxItems(v, call.query.get('MaxItems'), { max: 10_000, cap: 10_000 });
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const aliases = await call.core.aliases.list(
    ref.key,
    functionVersion === undefined ? {} : { functionVersion },
  );
  const page = paginate(aliases, (a) => a.name, call.query.get('Marker') ?? undefined, pageSize);
  return {
    status: 200,
    json: {
      Aliases: page.items.map((a) => renderAlias(call.ctx, ref.key.name, a)),
      ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
    },
  };
}

export const aliasOperations = {
  CreateAlias: createAlias,
  GetAlias: getAlias,
  UpdateAlias: updateAlias,
  DeleteAlias: deleteAlias,
  ListAliases: listAliases,
} satisfies OperationHandlers;

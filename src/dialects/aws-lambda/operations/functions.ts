/**
 * CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, ListFunctions (spec §2.2–2.3).
 */
import type { FunctionConfigInput } from '../../../core/services/function-config.js';
import { DEFAULT_NAMESPACE } from '../../../core/model.js';
import { functionConfigurationJson, renderFunctionConfiguration } from '../codec.js';
import { checkConfigSemantics, readArchitectures, readConfigMembers } from '../function-input.js';
import { parseFunctionName } from '../function-name.js';
import { paginate, readMaxItems, versionSortKey } from '../pagination.js';
import { type BodyReader, Violations, wholePattern } from '../validation.js';
import { invalidParameter } from '../wire-error.js';
import { parseFunctionLabel, readQualifierParam, requireUnqualified, resolveRef } from './common.js';
import { toLayerVersionKeys } from './layers.js';
import type { OperationCall, OperationHandlers } from './types.js';

const MASTER_REGION_PATTERN = wholePattern(String.raw`ALL|[a-z]{2}(-gov)?-[a-z]+-\d{1}`);

/** Functions per ListFunctions page, whatever MaxItems says (AWS docs: "a maximum of 50"). */
const LIST_PAGE_CAP = 50;

/**
 * The code source of CreateFunction/UpdateFunctionCode. Only ZipFile is supported; S3 and
 * container images are refused with a message that says so (ledger: gaps).
 */
function readZipFile(code: BodyReader | undefined): { zip?: Buffer; refusal?: string } {
  if (code === undefined) {
    return {};
  }
  if (code.has('ImageUri')) {
    return {
      refusal:
        'hearth runs .zip deployment packages only: Code.ImageUri (container images) is not supported.',
    };
  }
  if (code.has('S3Bucket') || code.has('S3Key') || code.has('S3ObjectVersion')) {
    return {
      refusal:
        'hearth accepts deployment packages only as ZipFile: S3Bucket/S3Key code locations are not supported. Upload the .zip bytes in ZipFile instead.',
    };
  }
  const zip = code.blob('ZipFile');
  return zip === undefined ? {} : { zip };
}

/** [3P] AWS's answer when no code source is given. */
const NO_CODE_SOURCE = 'Please provide a source for function code.';

async function createFunction(call: OperationCall) {
  const { body, core, ctx } = call;
  const v = new Violations();
  const parsed = parseFunctionName(v, body.string('FunctionName'), 'FunctionName');
  const role = body.string('Role');
  v.required('role', role);
  const code = body.object('Code');
  v.required('code', code);
  const members = readConfigMembers(body, v);
  const architectures = readArchitectures(body, v);
  const packageType = body.string('PackageType');
  v.enumValue('packageType', packageType, ['Zip', 'Image']);
  const publish = body.boolean('Publish') ?? false;
  const tags = body.stringMap('Tags');
  const source = readZipFile(code);
  const ref = requireUnqualified(resolveRef(v, call, parsed));

  if (packageType === 'Image') {
    throw invalidParameter('hearth runs .zip deployment packages only: PackageType Image is not supported.');
  }
  if (source.refusal !== undefined) {
    throw invalidParameter(source.refusal);
  }
  checkConfigSemantics(members);
  const { runtime, handler } = members.patch;
  if (runtime === undefined || handler === undefined) {
    throw invalidParameter(
      'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
    );
  }
  if (source.zip === undefined) {
    throw invalidParameter(NO_CODE_SOURCE);
  }
  const config: FunctionConfigInput = {
    ...members.patch,
    runtime,
    handler,
    role: role ?? '',
    ...(architectures === undefined ? {} : { architectures }),
  };
  const { fn, published } = await core.functions.create(ref.key, {
    config,
    zip: source.zip,
    publish,
    ...(tags === undefined ? {} : { tags }),
    ...(members.layers === undefined ? {} : { layers: toLayerVersionKeys(members.layers) }),
  });
  return {
    status: 201,
    json: renderFunctionConfiguration(ctx, fn, published ?? fn.latest, {
      state: 'create',
      runtimes: call.core.runtimes,
    }),
  };
}

/** The ARN qualifier GetFunction/GetFunctionConfiguration report (spec §1.6). */
function arnQualifierOf(qualifier: string | undefined): { arnQualifier?: string } {
  return qualifier === undefined ? {} : { arnQualifier: qualifier };
}

async function getFunction(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const qualifier = readQualifierParam(v, call);
  const ref = resolveRef(v, call, parsed, qualifier);
  const { fn, version } = await call.core.functions.get(ref.key, ref.qualifier);
  const sha = version.config.codeSha256Hex;
  // A presigned URL of the caller's account that expires, as AWS's S3 URL does (src/auth).
  const location =
    call.opts.codeLocation === undefined
      ? `${call.opts.publicUrl()}/_hearth/code/${call.ctx.accountId}/${sha}.zip`
      : await call.opts.codeLocation(call.ctx.accountId, call.ctx.region, sha);
  // With an alias, FunctionArn is the alias ARN and Version the resolved one (spec §1.6).
  // The configuration's text is kept per version record (codec.ts); the rest is small.
  const configuration = functionConfigurationJson(call.ctx, fn, version, {
    ...arnQualifierOf(ref.qualifier),
    state: 'current',
    runtimes: call.core.runtimes,
  });
  const rest = JSON.stringify({
    Code: { RepositoryType: 'S3', Location: location },
    ...(Object.keys(fn.tags).length === 0 ? {} : { Tags: { ...fn.tags } }),
    ...(fn.reservedConcurrency === undefined
      ? {}
      : { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } }),
  });
  return {
    status: 200,
    // `{"Configuration":…,` then the rest's members: the text JSON.stringify gives the whole.
    raw: `{"Configuration":${configuration},${rest.slice(1)}`,
    headers: { 'content-type': 'application/json' },
  };
}

async function getFunctionConfiguration(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const qualifier = readQualifierParam(v, call);
  const ref = resolveRef(v, call, parsed, qualifier);
  const { fn, version } = await call.core.functions.get(ref.key, ref.qualifier);
  return {
    status: 200,
    json: renderFunctionConfiguration(call.ctx, fn, version, {
      ...arnQualifierOf(ref.qualifier),
      state: 'current',
      runtimes: call.core.runtimes,
    }),
  };
}

async function updateFunctionCode(call: OperationCall) {
  const { body } = call;
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const architectures = readArchitectures(body, v);
  const publish = body.boolean('Publish') ?? false;
  const dryRun = body.boolean('DryRun') ?? false;
  const revisionId = body.string('RevisionId');
  const source = readZipFile(body);
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  if (body.has('PublishTo')) {
    throw invalidParameter('hearth does not support $LATEST.PUBLISHED: remove PublishTo.');
  }
  if (source.refusal !== undefined) {
    throw invalidParameter(source.refusal);
  }
  if (source.zip === undefined) {
    throw invalidParameter(NO_CODE_SOURCE);
  }
  const { fn, published } = await call.core.functions.updateCode(ref.key, {
    zip: source.zip,
    publish,
    dryRun,
    ...(architectures === undefined ? {} : { architectures }),
    ...(revisionId === undefined ? {} : { revisionId }),
  });
  return {
    status: 200,
    json: renderFunctionConfiguration(call.ctx, fn, published ?? fn.latest, {
      state: 'update',
      runtimes: call.core.runtimes,
    }),
  };
}

async function updateFunctionConfiguration(call: OperationCall) {
  const { body } = call;
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const members = readConfigMembers(body, v);
  const revisionId = body.string('RevisionId');
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  checkConfigSemantics(members);
  const fn = await call.core.functions.updateConfiguration(ref.key, members.patch, {
    ...(revisionId === undefined ? {} : { revisionId }),
    ...(members.layers === undefined ? {} : { layers: toLayerVersionKeys(members.layers) }),
  });
  return {
    status: 200,
    json: renderFunctionConfiguration(call.ctx, fn, fn.latest, {
      state: 'update',
      runtimes: call.core.runtimes,
    }),
  };
}

async function deleteFunction(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const qualifier = readQualifierParam(v, call);
  const ref = resolveRef(v, call, parsed, qualifier);
  await call.core.functions.delete(ref.key, ref.qualifier);
  // 204 as real AWS sends it, although the model says 200 (spec §1.3).
  return { status: 204 };
}

async function listFunctions(call: OperationCall) {
  const { query } = call;
  const v = new Violations();
  const masterRegion = query.get('MasterRegion') ?? undefined;
  v.string('masterRegion', masterRegion, { pattern: MASTER_REGION_PATTERN });
  const functionVersion = query.get('FunctionVersion') ?? undefined;
  v.enumValue('functionVersion', functionVersion, ['ALL']);
  const pageSize = readMaxItems(v, query.get('MaxItems'), { max: 10_000, cap: LIST_PAGE_CAP });
  v.throwIfAny();
  const all = functionVersion === 'ALL';
  // MasterRegion selects Lambda@Edge replicas, of which hearth has none.
  const items =
    masterRegion === undefined
      ? await call.core.functions.list(call.ctx, { namespace: DEFAULT_NAMESPACE, allVersions: all })
      : [];
  const page = paginate(
    items,
    (i) => `${i.fn.key.name}\u0000${versionSortKey(i.version.version)}`,
    query.get('Marker') ?? undefined,
    pageSize,
  );
  // The page as JSON text from each entry's cached text (codec.ts): no object is built or
  // serialised per entry and request. Same bytes as JSON.stringify of the object form.
  const entries = page.items.map((i) =>
    functionConfigurationJson(call.ctx, i.fn, i.version, {
      // ALL lists qualified ARNs, `:$LATEST` included (spec §1.6).
      ...(all ? { arnQualifier: i.version.version } : {}),
      state: 'list',
      runtimes: call.core.runtimes,
    }),
  );
  const marker = page.nextMarker === undefined ? '' : `,"NextMarker":${JSON.stringify(page.nextMarker)}`;
  return {
    status: 200,
    raw: `{"Functions":[${entries.join(',')}]${marker}}`,
    headers: { 'content-type': 'application/json' },
  };
}

export const functionOperations = {
  CreateFunction: createFunction,
  GetFunction: getFunction,
  GetFunctionConfiguration: getFunctionConfiguration,
  UpdateFunctionCode: updateFunctionCode,
  UpdateFunctionConfiguration: updateFunctionConfiguration,
  DeleteFunction: deleteFunction,
  ListFunctions: listFunctions,
} satisfies OperationHandlers;

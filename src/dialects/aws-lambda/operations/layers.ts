/**
 * PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers,
 * ListLayerVersions, DeleteLayerVersion, over core's layer service (one layer store for
 * both dialects). Shapes and constraints: botocore's model; messages and statuses: AWS's
 * as recorded in LocalStack's AWS-validated snapshots (TestLambdaLayer, ledger "Layers").
 */
import type { LayerKey, LayerVersionKey, LayerVersionRecord } from '../../../core/model.js';
import type { LayerFilter } from '../../../core/services/layer-service.js';
import { codeSha256Base64, formatLastModified, layerArn } from '../arns.js';
import { ARCHITECTURES, LAYER_VERSION_ARN_PATTERN } from '../function-input.js';
import { paginate } from '../pagination.js';
import type { RequestContext } from '../request-context.js';
import { type BodyReader, Violations, constraint, renderValue, wholePattern } from '../validation.js';
import { invalidParameter, layerAccessDenied, resourceNotFound } from '../wire-error.js';
import type { OperationCall, OperationHandlers } from './types.js';

/** LayerName (model): a name or a layer ARN without version. */
const LAYER_NAME_PATTERN = wholePattern(
  String.raw`(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`,
);
const LAYER_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)$/;

const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):(\d+)$/;

/**
 * The layer versions a function's `Layers` name (ARNs already checked against the model).
 * An AWS-managed `awslayer` ARN names nothing hearth has: AWS's answer for a missing version.
 */
export function toLayerVersionKeys(arns: readonly string[]): LayerVersionKey[] {
  return arns.map((arn) => {
    const m = LAYER_VERSION_ARN.exec(arn);
    if (m === null) {
      throw invalidParameter(`Layer version ${arn} does not exist.`);
    }
    const [, region = '', accountId = '', layerName = '', version = ''] = m;
    return { accountId, region, layerName, version: Number(version) };
  });
}

/** PublishLayerVersion's CompatibleRuntimes enum, in the order AWS lists it (recorded). */
export const PUBLISH_RUNTIMES = [
  'nodejs20.x',
  'python3.14',
  'provided.al2023',
  'python3.12',
  'python3.13',
  'nodejs24.x',
  'nodejs22.x',
  'java25',
  'python3.10',
  'python3.11',
  'java21',
  'ruby3.3',
  'ruby3.4',
  'ruby3.2',
  'python3.8',
  'python3.9',
  'java17',
  'nodejs16.x',
  'dotnet10',
  'dotnet8',
  'java11',
  'dotnet6',
  'nodejs18.x',
  'provided.al2',
  'java8.al2',
] as const;

/**
 * ListLayers' and ListLayerVersions' CompatibleRuntime enum, in AWS's order (recorded):
 * every runtime id ever, deprecated ones too, so a filter for an old runtime is accepted.
 * The runtimes compatible layers may declare (above, and those of the recorded publishes:
 * nodejs12.x/14.x, python3.7, java8, dotnetcore3.1, go1.x, ruby2.7, provided) are in it.
 */
export const FILTER_RUNTIMES = [
  'ruby3.5',
  'ruby2.6',
  'dotnetcore1.0',
  'python3.7',
  'nodejs8.10',
  'nasa',
  'ruby2.7',
  'python2.7-greengrass',
  'dotnetcore2.0',
  'python3.8',
  'java21',
  'dotnet6',
  'dotnetcore2.1',
  'python3.9',
  'java11',
  'nodejs6.10',
  'provided',
  'dotnetcore3.1',
  'dotnet8',
  'java25',
  'java17',
  'nodejs',
  'nodejs4.3',
  'java8.al2',
  'go1.x',
  'dotnet10',
  'nodejs20.x',
  'go1.9',
  'byol',
  'nodejs10.x',
  'provided.al2023',
  'nodejs22.x',
  'python3.10',
  'java8',
  'nodejs12.x',
  'python3.11',
  'nodejs24.x',
  'nodejs8.x',
  'python3.12',
  'nodejs14.x',
  'nodejs8.9',
  'nodejs26.x',
  'python3.13',
  'python3.14',
  'nodejs16.x',
  'python3.15',
  'provided.al2',
  'nodejs4.3-edge',
  'nodejs18.x',
  'ruby3.2',
  'python3.4',
  'ruby3.3',
  'ruby3.4',
  'ruby2.5',
  'python3.6',
  'python2.7',
] as const;

/** MaxLayerListItems (model: 1..50); [DESIGN] 50 per page when not given (AWS: unrecorded). */
const LIST_PAGE_MAX = 50;

/**
 * The layer a `{LayerName}` label names, in the caller's scope. A layer ARN of another
 * account is 403 as for functions (spec §1.2); one of another region of the caller's
 * account is `undefined` ([DESIGN]: not visible from this region's endpoint).
 */
function readLayerName(v: Violations, call: OperationCall): { key?: LayerKey; arn: string } {
  const raw = call.labels.LayerName ?? '';
  v.string('layerName', raw, { min: 1, max: 140, pattern: LAYER_NAME_PATTERN });
  v.throwIfAny();
  const m = LAYER_ARN.exec(raw);
  if (m === null) {
    const key = { accountId: call.ctx.accountId, region: call.ctx.region, layerName: raw };
    return { key, arn: layerArn(call.ctx, raw) };
  }
  const [, region = '', accountId = '', layerName = ''] = m;
  if (accountId !== call.ctx.accountId) {
    throw layerAccessDenied();
  }
  return region === call.ctx.region ? { key: { accountId, region, layerName }, arn: raw } : { arn: raw };
}

/** `{VersionNumber}` (a long); [DESIGN] a label that is no integer is refused like 0. */
function readVersionNumber(call: OperationCall): number {
  const raw = call.labels.VersionNumber ?? '';
  if (!/^-?\d{1,18}$/.test(raw) || Number(raw) < 1) {
    throw invalidParameter('Layer Version Cannot be less than 1');
  }
  return Number(raw);
}

/** CompatibleRuntime / CompatibleArchitecture query filters (recorded messages). */
function readFilter(v: Violations, query: URLSearchParams): LayerFilter {
  const runtime = query.get('CompatibleRuntime') ?? undefined;
  v.enumValue('compatibleRuntime', runtime, FILTER_RUNTIMES);
  const architecture = query.get('CompatibleArchitecture') ?? undefined;
  v.enumValue('compatibleArchitecture', architecture, ARCHITECTURES);
  return {
    ...(runtime === undefined ? {} : { runtime }),
    ...(architecture === undefined ? {} : { architecture }),
  };
}

function readMaxItems(v: Violations, raw: string | null): number {
  if (raw === null) {
    return LIST_PAGE_MAX;
  }
  if (!/^-?\d+$/.test(raw)) {
    v.add('maxItems', raw, 'Member must be an integer');
    return LIST_PAGE_MAX;
  }
  const n = Number(raw);
  v.integer('maxItems', n, { min: 1, max: LIST_PAGE_MAX });
  return n;
}

/** GetLayerVersionResponse / PublishLayerVersionResponse (model order). */
async function renderLayerVersion(call: OperationCall, scope: RequestContext, v: LayerVersionRecord) {
  // A presigned URL of the caller's account that expires, as for function code (src/auth).
  const location =
    call.opts.codeLocation === undefined
      ? `${call.opts.publicUrl()}/_hearth/code/${scope.accountId}/${v.codeSha256Hex}.zip`
      : await call.opts.codeLocation(scope.accountId, scope.region, v.codeSha256Hex);
  return {
    Content: {
      Location: location,
      CodeSha256: codeSha256Base64(v.codeSha256Hex),
      CodeSize: v.codeSizeBytes,
    },
    LayerArn: layerArn(scope, v.layerName),
    LayerVersionArn: layerArn(scope, v.layerName, v.version),
    Description: v.description,
    CreatedDate: formatLastModified(v.createdMs),
    Version: v.version,
    ...compatibility(v),
  };
}

/** Absent when the publisher gave none, `[]` when it gave an empty list (recorded). */
function compatibility(v: LayerVersionRecord) {
  return {
    ...(v.compatibleRuntimes === undefined ? {} : { CompatibleRuntimes: [...v.compatibleRuntimes] }),
    ...(v.licenseInfo === undefined ? {} : { LicenseInfo: v.licenseInfo }),
    ...(v.compatibleArchitectures === undefined
      ? {}
      : { CompatibleArchitectures: [...v.compatibleArchitectures] }),
  };
}

/** LayerVersionsListItem (model order). */
function renderListItem(scope: RequestContext, v: LayerVersionRecord) {
  return {
    LayerVersionArn: layerArn(scope, v.layerName, v.version),
    Version: v.version,
    Description: v.description,
    CreatedDate: formatLastModified(v.createdMs),
    ...compatibility(v),
  };
}

/** The layer archive: ZipFile only, as for functions' code (ledger: gaps). */
function readContent(content: BodyReader | undefined): Buffer | undefined {
  if (content === undefined) {
    return undefined;
  }
  if (content.has('S3Bucket') || content.has('S3Key') || content.has('S3ObjectVersion')) {
    throw invalidParameter(
      'hearth accepts layer archives only as ZipFile: S3Bucket/S3Key content locations are not supported. Upload the .zip bytes in ZipFile instead.',
    );
  }
  return content.blob('ZipFile');
}

/** A list member checked against an enum: AWS prints the whole list once (recorded). */
function checkList(
  v: Violations,
  member: string,
  values: readonly string[] | undefined,
  max: number,
  allowed: readonly string[],
  text: string,
): void {
  if (values === undefined) {
    return;
  }
  if (values.length > max) {
    v.add(member, values, constraint.maxLength(max));
  } else if (!values.every((x) => allowed.includes(x))) {
    v.addRaw(`Value ${renderValue(values)} at '${member}' failed to satisfy constraint: ${text}`);
  }
}

async function publishLayerVersion(call: OperationCall) {
  const { body } = call;
  const v = new Violations();
  const name = readLayerName(v, call);
  const content = body.object('Content');
  v.required('content', content);
  const description = body.string('Description');
  v.string('description', description, { max: 256 });
  const runtimes = body.stringList('CompatibleRuntimes');
  checkList(v, 'compatibleRuntimes', runtimes, 15, PUBLISH_RUNTIMES, constraint.enumSet(PUBLISH_RUNTIMES));
  const architectures = body.stringList('CompatibleArchitectures');
  checkList(
    v,
    'compatibleArchitectures',
    architectures,
    2,
    ARCHITECTURES,
    `Member must satisfy constraint: [${constraint.enumSet(ARCHITECTURES)}, ${constraint.notNull}]`,
  );
  const licenseInfo = body.string('LicenseInfo');
  v.string('licenseInfo', licenseInfo, { max: 512 });
  v.throwIfAny();
  if (name.key === undefined) {
    // [DESIGN] Publishing into another region of the account through this endpoint.
    throw invalidParameter(`Layers can only be published in region ${call.ctx.region}.`);
  }
  const zip = readContent(content);
  if (zip === undefined) {
    // [DESIGN] AWS's wording for Content without a source is unrecorded.
    throw invalidParameter('Please provide a source for layer content.');
  }
  const record = await call.core.layers.publish(name.key, {
    zip,
    ...(description === undefined ? {} : { description }),
    ...(runtimes === undefined ? {} : { compatibleRuntimes: runtimes }),
    ...(architectures === undefined ? {} : { compatibleArchitectures: architectures }),
    ...(licenseInfo === undefined ? {} : { licenseInfo }),
  });
  return { status: 201, json: await renderLayerVersion(call, call.ctx, record) };
}

async function getLayerVersion(call: OperationCall) {
  const name = readLayerName(new Violations(), call);
  const version = readVersionNumber(call);
  if (name.key === undefined) {
    throw resourceNotFound('The resource you requested does not exist.');
  }
  const record = await call.core.layers.get({ ...name.key, version });
  return { status: 200, json: await renderLayerVersion(call, call.ctx, record) };
}

async function getLayerVersionByArn(call: OperationCall) {
  const v = new Violations();
  const arn = call.query.get('Arn') ?? undefined;
  if (v.required('arn', arn)) {
    v.string('arn', arn, { min: 1, max: 140, pattern: LAYER_VERSION_ARN_PATTERN });
  }
  v.throwIfAny();
  const m = LAYER_VERSION_ARN.exec(arn ?? '');
  if (m === null) {
    // An AWS-managed `awslayer` ARN: hearth has none.
    throw resourceNotFound('The resource you requested does not exist.');
  }
  const [, region = '', accountId = '', layerName = '', version = ''] = m;
  if (accountId !== call.ctx.accountId) {
    throw layerAccessDenied();
  }
  if (region !== call.ctx.region) {
    throw resourceNotFound('The resource you requested does not exist.');
  }
  if (Number(version) < 1) {
    throw invalidParameter('Layer Version Cannot be less than 1');
  }
  const record = await call.core.layers.get({ accountId, region, layerName, version: Number(version) });
  return { status: 200, json: await renderLayerVersion(call, call.ctx, record) };
}

async function listLayers(call: OperationCall) {
  const v = new Violations();
  const filter = readFilter(v, call.query);
  const pageSize = readMaxItems(v, call.query.get('MaxItems'));
  v.throwIfAny();
  const latest = await call.core.layers.listLatest(call.ctx, filter);
  const page = paginate(latest, (l) => l.layerName, call.query.get('Marker') ?? undefined, pageSize);
  return {
    status: 200,
    json: {
      ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
      Layers: page.items.map((l) => ({
        LayerName: l.layerName,
        LayerArn: layerArn(call.ctx, l.layerName),
        LatestMatchingVersion: renderListItem(call.ctx, l),
      })),
    },
  };
}

/** Newest first, as AWS lists them (recorded). */
const descendingKey = (version: number): string =>
  String(Number.MAX_SAFE_INTEGER - version).padStart(16, '0');

async function listLayerVersions(call: OperationCall) {
  const v = new Violations();
  const filter = readFilter(v, call.query);
  const pageSize = readMaxItems(v, call.query.get('MaxItems'));
  const name = readLayerName(v, call);
  const versions = name.key === undefined ? [] : await call.core.layers.listVersions(name.key, filter);
  const page = paginate(
    versions,
    (x) => descendingKey(x.version),
    call.query.get('Marker') ?? undefined,
    pageSize,
  );
  return {
    status: 200,
    json: {
      ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
      LayerVersions: page.items.map((x) => renderListItem(call.ctx, x)),
    },
  };
}

async function deleteLayerVersion(call: OperationCall) {
  const name = readLayerName(new Violations(), call);
  const version = readVersionNumber(call);
  if (name.key !== undefined) {
    await call.core.layers.delete({ ...name.key, version });
  }
  // 204 even when nothing was there (recorded).
  return { status: 204 };
}

export const layerOperations = {
  PublishLayerVersion: publishLayerVersion,
  GetLayerVersion: getLayerVersion,
  GetLayerVersionByArn: getLayerVersionByArn,
  ListLayers: listLayers,
  ListLayerVersions: listLayerVersions,
  DeleteLayerVersion: deleteLayerVersion,
} satisfies OperationHandlers;

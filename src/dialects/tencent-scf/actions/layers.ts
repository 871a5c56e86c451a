/**
 * PublishLayerVersion, ListLayers, ListLayerVersions, GetLayerVersion, DeleteLayerVersion,
 * and the functions' `Layers` (LayerVersionSimple: LayerName + LayerVersion), over core's
 * layer service: one layer store for both dialects, so an SCF layer is the AWS layer of the
 * same account and region. Shapes: the SDK's models; codes: the SDK's lists (ledger).
 */
import type { LayerVersionKey, LayerVersionRecord } from '../../../core/model.js';
import type { Params } from '../params.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterType, missingParameter, scfError } from '../wire-error.js';
import { page, readPaging } from './common.js';
import { readZip } from './function-input.js';
import type { DateTimeFormatter } from '../codec.js';

/**
 * The SDK's rule for a layer name: letters, digits, `-` and `_`, a letter first, neither
 * `-` nor `_` last, 1–64 characters.
 */
export const LAYER_NAME_PATTERN = /^[A-Za-z]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$/;
/** [DESIGN] A runtime name as SCF spells them (`Python3.9`, `Nodejs18.15`, `CustomRuntime`, `Go1`). */
const RUNTIME_NAME = /^[A-Za-z]+[0-9.]*$/;
/** [DESIGN] SCF's limits for Description and LicenseInfo are unrecorded: AWS's. */
const DESCRIPTION_MAX = 256;
const LICENSE_MAX = 512;

function readLayerName(call: ActionCall, { strict }: { strict: boolean }): string {
  const name = call.params.string('LayerName', { required: true }) ?? '';
  // Lookups take any name (a layer published through the AWS dialect may start with a
  // digit); a new layer must follow SCF's rule.
  const ok = strict ? LAYER_NAME_PATTERN.test(name) : /^[A-Za-z0-9_-]{1,140}$/.test(name);
  if (!ok) {
    throw scfError(
      'InvalidParameterValue.LayerName',
      `The value of \`LayerName\` does not conform to the specification: '${name}' (1-64 letters, digits, - and _, starting with a letter and not ending with - or _).`,
    );
  }
  return name;
}

function readLayerVersion(call: ActionCall): number {
  const version = call.params.integer('LayerVersion', { required: true }) ?? 0;
  if (version < 1) {
    throw scfError(
      'InvalidParameterValue',
      `Invalid value of parameter \`LayerVersion\`: ${version} is below 1.`,
    );
  }
  return version;
}

/** A `LayerVersionInfo` (SDK model); `Stamp` and `Tags` as hearth has them (none). */
export function renderLayerVersionInfo(
  v: LayerVersionRecord,
  dates: DateTimeFormatter,
): Record<string, unknown> {
  return {
    CompatibleRuntimes: [...(v.compatibleRuntimes ?? [])],
    AddTime: dates.format(v.createdMs),
    Description: v.description,
    LicenseInfo: v.licenseInfo ?? null,
    LayerVersion: v.version,
    LayerName: v.layerName,
    Status: 'Active',
    Stamp: 'Default',
    Tags: [],
  };
}

export async function publishLayerVersion(call: ActionCall): Promise<ActionResult> {
  const { params } = call;
  const layerName = readLayerName(call, { strict: true });
  const runtimes = params.strings('CompatibleRuntimes', { required: true }) ?? [];
  const content = params.object('Content', { required: true });
  if (content === undefined) {
    throw missingParameter('Content');
  }
  if (runtimes.length === 0 || !runtimes.every((r) => RUNTIME_NAME.test(r))) {
    throw scfError(
      'InvalidParameterValue.CompatibleRuntimes',
      `Incorrect CompatibleRuntimes parameter: ${JSON.stringify(runtimes)} (at least one runtime name, such as Python3.9 or Nodejs18.15).`,
    );
  }
  const description = params.string('Description');
  if (description !== undefined && description.length > DESCRIPTION_MAX) {
    throw scfError('InvalidParameterValue.Description', `Description exceeds ${DESCRIPTION_MAX} characters.`);
  }
  const licenseInfo = params.string('LicenseInfo');
  if (licenseInfo !== undefined && licenseInfo.length > LICENSE_MAX) {
    throw scfError(
      'InvalidParameterValue',
      `Invalid value of parameter \`LicenseInfo\`: longer than ${LICENSE_MAX} characters.`,
    );
  }
  if (
    ['CosBucketName', 'CosObjectName', 'CosBucketRegion', 'TempCosObjectName'].some((m) => content.has(m))
  ) {
    throw scfError(
      'UnsupportedOperation.Cos',
      'COS layer content is not supported: hearth accepts Content.ZipFile only.',
    );
  }
  const zip = readZip(content, undefined);
  if (zip === undefined) {
    throw scfError(
      'InvalidParameterValue.Content',
      'Content.ZipFile is required: hearth accepts ZipFile content only.',
    );
  }
  const record = await call.core.layers.publish(
    { ...call.scope, layerName },
    {
      zip,
      compatibleRuntimes: runtimes,
      ...(description === undefined ? {} : { description }),
      ...(licenseInfo === undefined ? {} : { licenseInfo }),
    },
  );
  return { LayerVersion: record.version };
}

export async function getLayerVersion(call: ActionCall): Promise<ActionResult> {
  const layerName = readLayerName(call, { strict: false });
  const version = readLayerVersion(call);
  const v = await call.core.layers.get({ ...call.scope, layerName, version });
  const location =
    call.opts.codeLocation === undefined
      ? `${call.opts.publicUrl?.() ?? ''}/_hearth/code/${call.scope.accountId}/${v.codeSha256Hex}.zip`
      : await call.opts.codeLocation(call.scope.accountId, call.scope.region, v.codeSha256Hex);
  return {
    CompatibleRuntimes: [...(v.compatibleRuntimes ?? [])],
    CodeSha256: v.codeSha256Hex,
    Location: location,
    AddTime: call.services.dates.format(v.createdMs),
    Description: v.description,
    LicenseInfo: v.licenseInfo ?? null,
    LayerVersion: v.version,
    LayerName: v.layerName,
    Status: 'Active',
  };
}

export async function deleteLayerVersion(call: ActionCall): Promise<ActionResult> {
  const layerName = readLayerName(call, { strict: false });
  const version = readLayerVersion(call);
  // Tencent names a version that is not there (the SDK lists ResourceNotFound.LayerVersion).
  await call.core.layers.get({ ...call.scope, layerName, version });
  await call.core.layers.delete({ ...call.scope, layerName, version });
  return {};
}

export async function listLayerVersions(call: ActionCall): Promise<ActionResult> {
  const layerName = readLayerName(call, { strict: false });
  const runtimes = call.params.strings('CompatibleRuntime');
  const all = await call.core.layers.listVersions({ ...call.scope, layerName });
  if (all.length === 0) {
    throw scfError('ResourceNotFound.Layer', `The layer does not exist. (LayerName: ${layerName})`);
  }
  const matching = all.filter(
    (v) =>
      runtimes === undefined ||
      runtimes.length === 0 ||
      runtimes.some((r) => v.compatibleRuntimes?.includes(r)),
  );
  // [DESIGN] Newest first, as the AWS dialect lists them.
  return {
    LayerVersions: matching.reverse().map((v) => renderLayerVersionInfo(v, call.services.dates)),
  };
}

export async function listLayers(call: ActionCall): Promise<ActionResult> {
  const runtime = call.params.string('CompatibleRuntime');
  const searchKey = call.params.string('SearchKey');
  const paging = readPaging(call, { maxLimit: 200 });
  const latest = await call.core.layers.listLatest(call.scope, runtime === undefined ? {} : { runtime });
  const matching = latest.filter((v) => searchKey === undefined || v.layerName.includes(searchKey));
  return {
    Layers: page(matching, paging).map((v) => renderLayerVersionInfo(v, call.services.dates)),
    TotalCount: matching.length,
  };
}

/**
 * A function's `Layers` (CreateFunction, UpdateFunctionConfiguration): LayerVersionSimple
 * items in the caller's scope. Items with an empty LayerName or LayerVersion 0 name no
 * layer (the SDK's way to unbind), so `[]` or only such items remove them. Undefined when
 * the member is absent.
 */
export function readFunctionLayers(call: ActionCall, p: Params): LayerVersionKey[] | undefined {
  const items = p.objects('Layers');
  if (items === undefined) {
    return undefined;
  }
  const out: LayerVersionKey[] = [];
  for (const item of items) {
    const layerName = item.string('LayerName') ?? '';
    const version = item.integer('LayerVersion');
    if (version === undefined && layerName !== '') {
      throw invalidParameterType('Layers.LayerVersion', 'Integer');
    }
    if (layerName === '' || version === 0) {
      continue;
    }
    if (!/^[A-Za-z0-9_-]{1,140}$/.test(layerName) || version === undefined || version < 0) {
      throw scfError(
        'InvalidParameterValue.Layers',
        `Incorrect Layers parameter. (${layerName}:${String(version)})`,
      );
    }
    out.push({ ...call.scope, layerName, version });
  }
  return out;
}

/**
 * PutRuntimeManagementConfig, GetRuntimeManagementConfig: AWS's runtime management
 * controls, as far as hearth can honour them (core runtime-service.ts). Shapes from
 * botocore's model; RuntimeVersionArn is returned for Manual only (AWS API reference).
 */
import type { RuntimeManagement } from '../../../core/model.js';
import { functionArn } from '../arns.js';
import { Violations, wholePattern } from '../validation.js';
import { parseFunctionLabel, readQualifierParam, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers, OperationResult } from './types.js';

const MODES = ['Auto', 'Manual', 'FunctionUpdate'] as const;
const RUNTIME_VERSION_ARN = wholePattern(
  String.raw`arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}::runtime:.+`,
);

function render(call: OperationCall, name: string, qualifier: string | undefined, m: RuntimeManagement) {
  return {
    UpdateRuntimeOn: m.updateRuntimeOn,
    FunctionArn: functionArn(call.ctx, name, qualifier),
    ...(m.pinnedDigest === undefined
      ? {}
      : { RuntimeVersionArn: `arn:aws:lambda:${call.ctx.region}::runtime:${m.pinnedDigest}` }),
  };
}

async function put(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const qualifier = readQualifierParam(v, call);
  const mode = call.body.string('UpdateRuntimeOn');
  const arn = call.body.string('RuntimeVersionArn');
  if (v.required('updateRuntimeOn', mode)) {
    v.enumValue('updateRuntimeOn', mode, MODES);
  }
  v.string('runtimeVersionArn', arn, { min: 26, max: 2048, pattern: RUNTIME_VERSION_ARN });
  const ref = resolveRef(v, call, parsed, qualifier);
  const digest = arn === undefined ? undefined : arn.slice(arn.indexOf('::runtime:') + '::runtime:'.length);
  const stored = await call.core.runtimes.putManagement(ref.key, ref.qualifier, {
    updateRuntimeOn: (mode ?? 'Auto') as RuntimeManagement['updateRuntimeOn'],
    ...(digest === undefined ? {} : { pinnedDigest: digest }),
  });
  return { status: 200, json: render(call, ref.key.name, ref.qualifier, stored) };
}

async function get(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const qualifier = readQualifierParam(v, call);
  const ref = resolveRef(v, call, parsed, qualifier);
  const m = await call.core.runtimes.getManagement(ref.key, ref.qualifier);
  return { status: 200, json: render(call, ref.key.name, ref.qualifier, m) };
}

export const runtimeManagementOperations = {
  PutRuntimeManagementConfig: put,
  GetRuntimeManagementConfig: get,
} satisfies OperationHandlers;

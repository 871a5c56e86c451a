/**
 * Put/Update/Get/Delete/ListFunctionEventInvokeConfigs: retries, maximum event age and
 * destinations of asynchronous invocations, per function and qualifier (core:
 * event-config-service.ts). Wording of the errors: errors.ts, from LocalStack's records.
 *
 * Destinations are hearth functions: `arn:aws:lambda:<region>:<account>:function:<name>[:q]`.
 * [DESIGN] An ARN of another service (SQS, SNS, EventBridge, S3) names nothing hearth can
 * deliver to, so it is refused as AWS refuses an unsupported destination.
 */
import type { DestinationRef, EventInvokeConfigRecord } from '../../../core/ports.js';
import type { EventConfigInput } from '../../../core/invoke/event-config-service.js';
import { DEFAULT_NAMESPACE } from '../../../core/model.js';
import { functionArn } from '../arns.js';
import { paginate, readMaxItems } from '../pagination.js';
import { Violations, wholePattern, type BodyReader } from '../validation.js';
import { invalidParameter } from '../wire-error.js';
import { parseFunctionLabel, readQualifierParam, requireUnqualified, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers, OperationResult } from './types.js';

/** DestinationArn (service-2.json): 0..350. */
const DESTINATION_PATTERN = wholePattern(
  String.raw`$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`,
);
const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-zA-Z0-9-]*:lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:(?<name>[a-zA-Z0-9-_]{1,64})(:(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$/;

type Side = 'onSuccess' | 'onFailure';

function readDestination(
  v: Violations,
  config: BodyReader | undefined,
  side: Side,
): string | null | undefined {
  const member = config?.object(side === 'onSuccess' ? 'OnSuccess' : 'OnFailure');
  if (member === undefined) {
    return undefined;
  }
  const arn = member.string('Destination');
  v.string(`destinationConfig.${side}.destination`, arn, { min: 0, max: 350, pattern: DESTINATION_PATTERN });
  return arn === undefined || arn === '' ? null : arn;
}

function toRef(call: OperationCall, arn: string): DestinationRef | 'unsupported' {
  const m = LAMBDA_FUNCTION_ARN.exec(arn)?.groups;
  if (m?.name === undefined || m.account === undefined || m.region === undefined) {
    return 'unsupported';
  }
  return {
    arn,
    key: { accountId: m.account, region: m.region, namespace: DEFAULT_NAMESPACE, name: m.name },
    ...(m.qualifier === undefined ? {} : { qualifier: m.qualifier }),
  };
}

function readInput(call: OperationCall, v: Violations): EventConfigInput {
  const retries = call.body.integer('MaximumRetryAttempts');
  v.integer('maximumRetryAttempts', retries, { min: 0, max: 2 });
  const age = call.body.integer('MaximumEventAgeInSeconds');
  v.integer('maximumEventAgeInSeconds', age, { min: 60, max: 21600 });
  const config = call.body.object('DestinationConfig');
  const success = readDestination(v, config, 'onSuccess');
  const failure = readDestination(v, config, 'onFailure');
  v.throwIfAny();
  const refs = {
    onSuccess: typeof success === 'string' ? toRef(call, success) : success,
    onFailure: typeof failure === 'string' ? toRef(call, failure) : failure,
  };
  if (refs.onSuccess === 'unsupported' || refs.onFailure === 'unsupported') {
    const part = (name: string, arn: string | null | undefined) =>
      typeof arn === 'string' ? `${name}(destination=${arn})` : 'null';
    throw invalidParameter(
      `The provided destination config DestinationConfig(onSuccess=${part('OnSuccess', success)}, onFailure=${part('OnFailure', failure)}) is invalid.`,
    );
  }
  return {
    ...(retries === undefined ? {} : { maximumRetryAttempts: retries }),
    ...(age === undefined ? {} : { maximumEventAgeSec: age }),
    ...(refs.onSuccess === undefined ? {} : { onSuccess: refs.onSuccess }),
    ...(refs.onFailure === undefined ? {} : { onFailure: refs.onFailure }),
  };
}

function render(call: OperationCall, name: string, c: EventInvokeConfigRecord): Record<string, unknown> {
  return {
    // Date members are epoch seconds in the JSON protocol.
    LastModified: c.lastModifiedMs / 1000,
    FunctionArn: functionArn(call.ctx, name, c.qualifier),
    ...(c.maximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: c.maximumRetryAttempts }),
    ...(c.maximumEventAgeSec === undefined ? {} : { MaximumEventAgeInSeconds: c.maximumEventAgeSec }),
    DestinationConfig: {
      OnSuccess: c.onSuccess === undefined ? {} : { Destination: c.onSuccess.arn },
      OnFailure: c.onFailure === undefined ? {} : { Destination: c.onFailure.arn },
    },
  };
}

function put(mode: 'put' | 'update') {
  return async (call: OperationCall): Promise<OperationResult> => {
    const v = new Violations();
    const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
    const q = readQualifierParam(v, call);
    const input = readInput(call, v);
    const ref = resolveRef(v, call, parsed, q);
    const config = await call.core.eventConfigs.put(ref.key, ref.qualifier, input, mode);
    return { status: 200, json: render(call, ref.key.name, config) };
  };
}

async function get(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const ref = resolveRef(v, call, parsed, readQualifierParam(v, call));
  const config = await call.core.eventConfigs.get(ref.key, ref.qualifier);
  return { status: 200, json: render(call, ref.key.name, config) };
}

async function del(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const ref = resolveRef(v, call, parsed, readQualifierParam(v, call));
  await call.core.eventConfigs.delete(ref.key, ref.qualifier);
  return { status: 204 };
}

async function list(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const pageSize = readMaxItems(v, call.query.get('MaxItems'), { max: 50, cap: 50 });
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const configs = await call.core.eventConfigs.list(ref.key);
  const page = paginate(configs, (c) => c.qualifier, call.query.get('Marker') ?? undefined, pageSize);
  return {
    status: 200,
    json: {
      FunctionEventInvokeConfigs: page.items.map((c) => render(call, ref.key.name, c)),
      ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
    },
  };
}

export const eventInvokeConfigOperations = {
  PutFunctionEventInvokeConfig: put('put'),
  UpdateFunctionEventInvokeConfig: put('update'),
  GetFunctionEventInvokeConfig: get,
  DeleteFunctionEventInvokeConfig: del,
  ListFunctionEventInvokeConfigs: list,
} satisfies OperationHandlers;

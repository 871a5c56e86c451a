/**
 * Provisioned concurrency with Tencent's semantics (spec §3.2–3.5, §4):
 * PutProvisionedConcurrencyConfig, GetProvisionedConcurrencyConfig,
 * DeleteProvisionedConcurrencyConfig.
 *
 * Per published version only: `$LATEST` and aliases are InvalidParameterValue.Qualifier.
 * A Put stores a neutral scaling policy with the config (core/scaling): the static number,
 * the scheduled actions (TriggerActions, replacing the previous set, §3.3 [REC]) and the
 * tracking parameters; the scaling service executes it. Status and Available come from the
 * pool's live environments (READY → Done, IN_PROGRESS → InProgress, FAILED → Failed).
 *
 * Put validation order (spec §3.5): 1 parameters → 2 namespace, function → 3 qualifier,
 * version → 5 task in progress → 6 ProvisionedType/tracking, TriggerActions → 7 quotas
 * (MB, quotas.ts) → accept.
 */
import type { FunctionKey } from '../../../core/model.js';
import { LATEST, functionKeyString, isVersionQualifier } from '../../../core/model.js';
import type { ProvisionedStatus } from '../../../core/model.js';
import type { ProvisionedView } from '../../../core/provisioned/provisioned-service.js';
import {
  initialDesired,
  type ScalingPolicy,
  type ScheduledActionPolicy,
  type TrackingPolicySpec,
} from '../../../core/scaling/scaling-policy.js';
import { parseScfCron, scfCronSchedule, type ScfCron } from '../cron.js';
import type { Params } from '../params.js';
import { provisionedBreach, unallocatedConcurrencyNum } from '../quotas.js';
import type { ActionCall, ActionResult } from '../types.js';
import { missingParameter, scfError } from '../wire-error.js';
import { readFunctionKey } from './common.js';
import { quotaLockKey } from './concurrency.js';
import { assertNoProvisionedTask } from './provisioned-guard.js';

/** Schedule kind of SCF's 7-field cron in stored policies (the composition root maps it to cron.ts). */
export const SCF_CRON_KIND = 'scf-cron';

/** Timer-trigger naming rule reused for provisioned actions (spec §3.3 [REC]). */
const TRIGGER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;

const STATUS: Readonly<Record<ProvisionedStatus['status'], string>> = {
  READY: 'Done',
  IN_PROGRESS: 'InProgress',
  FAILED: 'Failed',
};

/** Spec §3.5 step 3: only published versions carry provisioned concurrency. */
async function readVersionQualifier(
  call: ActionCall,
  key: FunctionKey,
  required: boolean,
): Promise<string | undefined> {
  const q = call.params.string('Qualifier', { required });
  if (q === undefined || q === '') {
    if (required) {
      throw missingParameter('Qualifier');
    }
    return undefined;
  }
  if (q === LATEST || !isVersionQualifier(q)) {
    throw scfError(
      'InvalidParameterValue.Qualifier',
      q === LATEST
        ? 'Unsupported function version. The $LATEST version does not support provisioned concurrency.'
        : `Unsupported function version. Provisioned concurrency is set on published versions only. (Qualifier: ${q})`,
    );
  }
  await call.core.functions.get(key, q);
  return q;
}

interface ParsedAction {
  readonly policy: ScheduledActionPolicy;
  readonly cron: ScfCron;
}

function readTriggerActions(call: ActionCall): ParsedAction[] {
  const items = call.params.objects('TriggerActions') ?? [];
  if (items.length > call.opts.maxTriggerActions) {
    throw scfError(
      'LimitExceeded.ProvisionTriggerAction',
      `A version can have at most ${call.opts.maxTriggerActions} scheduled provisioned concurrency actions (got ${items.length}).`,
    );
  }
  const names = new Set<string>();
  const patterns = new Set<string>();
  return items.map((item) => readTriggerAction(call, item, names, patterns));
}

function readTriggerAction(
  call: ActionCall,
  p: Params,
  names: Set<string>,
  patterns: Set<string>,
): ParsedAction {
  const name = p.string('TriggerName', { required: true }) ?? '';
  const num = p.integer('TriggerProvisionedConcurrencyNum', { required: true, min: 0 }) ?? 0;
  const expression = p.string('TriggerCronConfig', { required: true }) ?? '';
  const type = p.string('ProvisionedType');
  if (!TRIGGER_NAME_PATTERN.test(name)) {
    throw scfError(
      'InvalidParameterValue.ProvisionTriggerName',
      `TriggerName input parameter error: '${name}' (up to 60 letters, digits, _ and -, starting with a letter).`,
    );
  }
  if (names.has(name)) {
    throw scfError(
      'InvalidParameterValue.ProvisionTriggerNameDuplicate',
      `TriggerName already exists: '${name}'.`,
    );
  }
  names.add(name);
  if (type !== undefined && type !== 'Default') {
    throw scfError(
      'InvalidParameterValue.ProvisionType',
      `ProvisionType input parameter error: ${p.path('ProvisionedType')} must be Default.`,
    );
  }
  const parsed = parseScfCron(expression);
  if (!parsed.ok) {
    throw scfError(
      'InvalidParameterValue.TriggerCronConfig',
      `TriggerCronConfig input parameter error: ${parsed.error.message}.`,
    );
  }
  if (patterns.has(parsed.cron.cronerPattern)) {
    throw scfError(
      'InvalidParameterValue.ProvisionTriggerCronConfigDuplicate',
      `Cron expression of the scheduled action already exists: '${expression}'.`,
    );
  }
  patterns.add(parsed.cron.cronerPattern);
  checkInterval(call, parsed.cron);
  return {
    cron: parsed.cron,
    policy: {
      name,
      provisionedNum: num,
      schedule: { kind: SCF_CRON_KIND, expression: parsed.cron.expression, timeZone: call.opts.timeZone },
    },
  };
}

/** InvalidParameterValue.TriggerCronConfigTimeInterval (spec §3.3; the minimum is configurable, Appendix D 2). */
function checkInterval(call: ActionCall, cron: ScfCron): void {
  const minMs = call.opts.minTriggerIntervalSec * 1000;
  if (minMs <= 0) {
    return;
  }
  const schedule = scfCronSchedule(cron, call.opts.timeZone);
  let at = schedule.nextFireAfter(call.opts.now());
  for (let i = 0; i < 8 && at !== undefined; i++) {
    const next = schedule.nextFireAfter(at);
    if (next === undefined) {
      return;
    }
    if (next - at < minMs) {
      throw scfError(
        'InvalidParameterValue.TriggerCronConfigTimeInterval',
        `The interval of triggering specified in TriggerCronConfig is smaller than the specified value (${call.opts.minTriggerIntervalSec} s): '${cron.expression}'.`,
      );
    }
    at = next;
  }
}

/** Spec §3.4: ConcurrencyUtilizationTracking needs TrackingTarget, MinCapacity, MaxCapacity and a 0 static number. */
function readTracking(call: ActionCall, requested: number): TrackingPolicySpec | undefined {
  const { params } = call;
  const type = params.string('ProvisionedType') ?? 'Default';
  if (type === 'Default' || type === '') {
    return undefined;
  }
  if (type !== 'ConcurrencyUtilizationTracking') {
    throw scfError(
      'InvalidParameterValue.ProvisionType',
      `ProvisionType input parameter error: '${type}' must be Default or ConcurrencyUtilizationTracking.`,
    );
  }
  const target = params.float('TrackingTarget');
  const min = params.integer('MinCapacity', { min: 0 });
  const max = params.integer('MaxCapacity', { min: 0 });
  // Required with tracking (spec §3.5): absent is MissingParameter, not a bad value.
  for (const [name, value] of [
    ['TrackingTarget', target],
    ['MinCapacity', min],
    ['MaxCapacity', max],
  ] as const) {
    if (value === undefined) {
      throw missingParameter(name);
    }
  }
  // Two decimals, judged with a tolerance: 0.29 * 100 is 28.999999999999996 in binary.
  if (
    target === undefined ||
    !(target > 0 && target < 1) ||
    Math.abs(target * 100 - Math.round(target * 100)) > 1e-9
  ) {
    throw scfError(
      'InvalidParameterValue.TrackingTarget',
      'TrackingTarget parameter error: a number in (0, 1) with at most two decimal places is required.',
    );
  }
  if (min === undefined || min < 1) {
    throw scfError(
      'InvalidParameterValue.MinCapacity',
      'MinCapacity parameter input error: an integer ≥ 1 is required.',
    );
  }
  if (max === undefined || max < min) {
    throw scfError(
      'InvalidParameterValue.MinCapacity',
      `MinCapacity parameter input error: MaxCapacity (${max ?? 'missing'}) must be ≥ MinCapacity (${min}).`,
    );
  }
  if (requested !== 0) {
    throw scfError(
      'InvalidParameterValue',
      'Incorrect parameter value. VersionProvisionedConcurrencyNum must be 0 with ProvisionedType ConcurrencyUtilizationTracking.',
    );
  }
  return { targetUtilization: target, min, max };
}

export async function putProvisionedConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  const { params } = call;
  // 1. required members and their types, before anything is looked up.
  params.string('FunctionName', { required: true });
  params.string('Qualifier', { required: true });
  const requested = params.integer('VersionProvisionedConcurrencyNum', { required: true, min: 0 }) ?? 0;
  // 2–3.
  const key = await readFunctionKey(call);
  await call.core.functions.get(key);
  const qualifier = (await readVersionQualifier(call, key, true)) ?? '';
  // 5.
  await assertNoProvisionedTask(call, key, qualifier);
  // 6.
  const tracking = readTracking(call, requested);
  const actions = readTriggerActions(call);
  const policy: ScalingPolicy = {
    requested,
    configuredAtMs: call.opts.now(),
    scheduledActions: actions.map((a) => a.policy),
    ...(tracking === undefined ? {} : { tracking }),
  };
  // 7. and accept, with no other quota change in between.
  await call.services.quotaLock.run(quotaLockKey(call.scope), async () => {
    // Again under the lock: a Put racing this one may have started a task meanwhile.
    await assertNoProvisionedTask(call, key, qualifier);
    await checkQuota(call, key, qualifier, policy);
    await configure(call, key, qualifier, policy);
  });
  return {};
}

async function checkQuota(
  call: ActionCall,
  key: FunctionKey,
  qualifier: string,
  policy: ScalingPolicy,
): Promise<void> {
  const version = (await call.core.functions.get(key, qualifier)).version;
  const acct = await call.services.accounts.load(call.scope);
  const id = functionKeyString(key);
  const breach = (n: number) => provisionedBreach(acct, id, qualifier, n, version.config.memoryMb);
  const byStatic = breach(policy.tracking === undefined ? policy.requested : policy.tracking.min);
  if (byStatic === 'reserved') {
    throw scfError(
      'FailedOperation.ProvisionedExceedReserved',
      'The provisioned concurrency exceeds the limit. (reserved quota of the function)',
    );
  }
  if (byStatic === 'available') {
    throw scfError(
      'FailedOperation.ProvisionedExceedAvailable',
      'Running out of available provisioned concurrency quota.',
    );
  }
  if (policy.tracking !== undefined && breach(policy.tracking.max) !== undefined) {
    throw scfError(
      'LimitExceeded.MaxCapacity',
      `Reached the upper limit of dynamic scaling: MaxCapacity ${policy.tracking.max} × ${version.config.memoryMb} MB exceeds the quota.`,
    );
  }
  const tooMany = policy.scheduledActions.find((a) => breach(a.provisionedNum) !== undefined);
  if (tooMany !== undefined) {
    throw scfError(
      'InvalidParameterValue.TriggerProvisionedConcurrencyNum',
      `TriggerProvisionedConcurrencyNum input parameter error: ${tooMany.provisionedNum} of '${tooMany.name}' exceeds the provisioned concurrency quota.`,
    );
  }
}

function configure(
  call: ActionCall,
  key: FunctionKey,
  qualifier: string,
  policy: ScalingPolicy,
): Promise<ProvisionedView> {
  if (call.opts.scaling !== undefined) {
    return call.opts.scaling.configure(key, qualifier, policy);
  }
  // No scaling service (tests of the dialect alone): the policy is stored, the count is static.
  return call.core.provisioned.put(key, qualifier, initialDesired(policy), policy);
}

export async function getProvisionedConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const fn = (await call.core.functions.get(key)).fn;
  const qualifier = await readVersionQualifier(call, key, false);
  const views = (await call.core.provisioned.list(key))
    .filter((v) => qualifier === undefined || v.config.qualifier === qualifier)
    .sort((a, b) => compareQualifiers(a.config.qualifier, b.config.qualifier));
  const acct = await call.services.accounts.load(call.scope);
  return {
    UnallocatedConcurrencyNum: unallocatedConcurrencyNum(acct, functionKeyString(fn.key)),
    Allocated: views.map(renderAllocated),
  };
}

/** Appendix A VersionProvisionedConcurrencyInfo, plus the tracking settings as extension fields (spec §1 finding 6). */
export function renderAllocated(view: ProvisionedView): Record<string, unknown> {
  const policy = view.config.scaling;
  const item: Record<string, unknown> = {
    Qualifier: view.config.qualifier,
    AvailableProvisionedConcurrencyNum: view.status.available,
    AllocatedProvisionedConcurrencyNum: view.config.requested,
    Status: STATUS[view.status.status],
    StatusReason: scfStatusReason(view.status),
    TriggerActions: (policy?.scheduledActions ?? []).map((a) => ({
      TriggerName: a.name,
      ProvisionedType: 'Default',
      TriggerProvisionedConcurrencyNum: a.provisionedNum,
      TriggerCronConfig: a.schedule.expression,
    })),
  };
  if (policy?.tracking !== undefined) {
    item.ProvisionedType = 'ConcurrencyUtilizationTracking';
    item.TrackingTarget = policy.tracking.targetUtilization;
    item.MinCapacity = policy.tracking.min;
    item.MaxCapacity = policy.tracking.max;
  }
  return item;
}

export async function deleteProvisionedConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  call.params.string('FunctionName', { required: true });
  call.params.string('Qualifier', { required: true });
  const key = await readFunctionKey(call);
  await call.core.functions.get(key);
  const qualifier = (await readVersionQualifier(call, key, true)) ?? '';
  await assertNoProvisionedTask(call, key, qualifier);
  await call.services.quotaLock.run(quotaLockKey(call.scope), async () => {
    await assertNoProvisionedTask(call, key, qualifier);
    if (call.opts.scaling !== undefined) {
      await call.opts.scaling.remove(key, qualifier);
    } else {
      await call.core.provisioned.delete(key, qualifier);
    }
  });
  return {};
}

function compareQualifiers(a: string, b: string): number {
  if (isVersionQualifier(a) && isVersionQualifier(b)) {
    return Number(a) - Number(b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SCF's StatusReason is free text [DESIGN: its wording for failed inits is not documented]:
 * the reason while retrying; on FAILED, the code and why the last init failed.
 */
function scfStatusReason(status: ProvisionedStatus): string {
  const reason = status.statusReason ?? '';
  return status.status === 'FAILED' && status.lastInitFailure !== undefined
    ? `${reason}: ${status.lastInitFailure}`
    : reason;
}

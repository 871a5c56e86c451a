/**
 * Reserved and account quotas in MB (spec §3.1, §3.5): PutReservedConcurrencyConfig,
 * GetReservedConcurrencyConfig, DeleteReservedConcurrencyConfig, PutTotalConcurrencyConfig,
 * GetAccount. The MB figures are checked here (quotas.ts) under the dialect's per-scope
 * quota lock; core then holds the reservation as floor(MB / MemorySize) instances, which
 * is what admission enforces for every dialect.
 */
import { functionKeyString, type Scope } from '../../../core/model.js';
import { scopeKey } from '../../../core/model.js';
import {
  UNALLOCATABLE_MB,
  provisionedMb,
  reservedBreach,
  reservedInstances,
  reservedTotalMb,
  totalBreach,
  usedMb,
} from '../quotas.js';
import { effectiveReservedMb, readScfSettings, reservedMemKey, writeScfSettings } from '../scf-settings.js';
import type { ActionCall, ActionResult } from '../types.js';
import { scfError } from '../wire-error.js';
import { readFunctionKey, readNamespace } from './common.js';

/** The lock serialising one scope's quota read–check–write sequences. */
export function quotaLockKey(scope: Scope): string {
  return `quota:${scopeKey(scope)}`;
}

export async function putReservedConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  const reservedMb = call.params.integer('ReservedConcurrencyMem', { required: true, min: 0 }) ?? 0;
  const key = await readFunctionKey(call);
  await call.core.functions.get(key);
  await call.services.quotaLock.run(quotaLockKey(call.scope), async () => {
    const acct = await call.services.accounts.load(call.scope);
    const breach = reservedBreach(acct, functionKeyString(key), reservedMb);
    if (breach === 'total') {
      throw scfError(
        'LimitExceeded.FunctionReservedConcurrencyMemory',
        `The function's reserved concurrency memory has exceeded the limit. (reserved by others ${reservedTotalMb(acct, functionKeyString(key))} MB + ${reservedMb} MB > ${acct.totalMb} - ${UNALLOCATABLE_MB} MB)`,
      );
    }
    if (breach === 'provisioned') {
      const f = acct.functions.find((x) => x.id === functionKeyString(key));
      throw scfError(
        'FailedOperation.ProvisionedExceedReserved',
        `The provisioned concurrency exceeds the limit. (provisioned ${f === undefined ? 0 : provisionedMb(f)} MB > reserved ${reservedMb} MB)`,
      );
    }
    const fn = (await call.core.functions.get(key)).fn;
    // ReservedConcurrencyMem = 0 disables the function (spec §3.5): core's reserved 0 blocks every invoke.
    await call.core.concurrency.putReserved(key, reservedInstances(reservedMb, fn.latest.config.memoryMb));
    await call.services.settings.update(call.scope, (s) => {
      const scf = readScfSettings(s);
      return writeScfSettings(s, {
        ...scf,
        reservedMem: { ...scf.reservedMem, [reservedMemKey(fn)]: reservedMb },
      });
    });
    call.services.accounts.invalidate(call.scope);
  });
  return {};
}

export async function getReservedConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  const fn = (await call.core.functions.get(key)).fn;
  const scf = readScfSettings(await call.services.settings.get(call.scope));
  return { ReservedMem: effectiveReservedMb(fn, scf) ?? null };
}

export async function deleteReservedConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  const key = await readFunctionKey(call);
  await call.services.quotaLock.run(quotaLockKey(call.scope), async () => {
    const fn = (await call.core.functions.get(key)).fn;
    await call.core.concurrency.deleteReserved(key);
    await call.services.settings.update(call.scope, (s) => {
      const scf = readScfSettings(s);
      const reservedMem = { ...scf.reservedMem };
      delete reservedMem[reservedMemKey(fn)];
      return writeScfSettings(s, { ...scf, reservedMem });
    });
    call.services.accounts.invalidate(call.scope);
  });
  return {};
}

export async function putTotalConcurrencyConfig(call: ActionCall): Promise<ActionResult> {
  const totalMb = call.params.integer('TotalConcurrencyMem', { required: true, min: 0 }) ?? 0;
  await readNamespace(call);
  await call.services.quotaLock.run(quotaLockKey(call.scope), async () => {
    const acct = await call.services.accounts.load(call.scope);
    const breach = totalBreach(acct, totalMb, call.opts.totalConcurrencyMemLimit);
    if (breach === 'above-limit') {
      throw scfError(
        'LimitExceeded.TotalConcurrencyMemory',
        `The account concurrency memory has exceeded the limit. (${totalMb} MB > ${call.opts.totalConcurrencyMemLimit} MB)`,
      );
    }
    if (breach === 'below-used') {
      throw scfError(
        'FailedOperation.ReservedExceedTotal',
        `The value of ReservedExceedTotal exceeds the limit. (used ${usedMb(acct)} MB + ${UNALLOCATABLE_MB} MB > ${totalMb} MB)`,
      );
    }
    await call.services.settings.update(call.scope, (s) =>
      writeScfSettings(s, { ...readScfSettings(s), totalConcurrencyMem: totalMb }),
    );
    call.services.accounts.invalidate(call.scope);
  });
  return {};
}

/** Spec §3.5 GetAccount, shaped like the official example. */
export async function getAccount(call: ActionCall): Promise<ActionResult> {
  const acct = await call.services.accounts.load(call.scope);
  const stored = await call.services.namespaces.list(call.scope);
  const names = ['default', ...stored.map((ns) => ns.name)];
  const usage = names.map((ns) => {
    const fns = acct.functions.filter((f) => f.namespace === ns);
    return {
      Namespace: ns,
      Functions: fns.map((f) => f.name),
      FunctionsCount: fns.length,
      // Namespaces have no quota of their own in hearth.
      TotalConcurrencyMem: 0,
      TotalAllocatedConcurrencyMem: fns.reduce((s, f) => s + (f.reservedMb ?? 0), 0),
      TotalAllocatedProvisionedMem: fns.reduce((s, f) => s + provisionedMb(f), 0),
    };
  });
  const limits = names.map((ns) => ({
    Namespace: ns,
    FunctionsCount: call.opts.maxFunctionsPerNamespace,
    Trigger: {
      Cos: 10,
      Timer: 10,
      Cmq: 10,
      Total: 110,
      Ckafka: 10,
      Apigw: 10,
      Cls: 10,
      Clb: 10,
      Mps: 10,
      Cm: 10,
      Vod: 10,
      Eb: 10,
    },
    ConcurrentExecutions: 100,
    TimeoutLimit: 900,
    TestModelLimit: 20,
    InitTimeoutLimit: 300,
    RetryNumLimit: 2,
    MinMsgTTL: 60,
    MaxMsgTTL: 21600,
  }));
  return {
    AccountUsage: {
      NamespacesCount: names.length,
      Namespace: usage,
      TotalConcurrencyMem: acct.totalMb,
      TotalAllocatedConcurrencyMem: reservedTotalMb(acct),
      UserConcurrencyMemLimit: call.opts.totalConcurrencyMemLimit,
    },
    AccountLimit: { NamespacesCount: call.opts.maxNamespaces, Namespace: limits },
  };
}

/**
 * PutFunctionConcurrency, GetFunctionConcurrency, DeleteFunctionConcurrency and
 * GetAccountSettings (spec §3.1–3.2).
 */
import { Violations } from '../validation.js';
import { parseFunctionLabel, requireUnqualified, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers } from './types.js';

/** AccountLimit figures hearth enforces for code (AWS's defaults, spec §2.1). */
export const ACCOUNT_CODE_LIMITS = Object.freeze({
  TotalCodeSize: 80_530_636_800,
  CodeSizeUnzipped: 262_144_000,
  CodeSizeZipped: 52_428_800,
});

async function putFunctionConcurrency(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const reserved = call.body.integer('ReservedConcurrentExecutions');
  if (v.required('reservedConcurrentExecutions', reserved)) {
    v.integer('reservedConcurrentExecutions', reserved, { min: 0 });
  }
  // §3.2 order: qualified name (1), missing function (2), then the account rules (3–4).
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const n = await call.core.concurrency.putReserved(ref.key, reserved ?? 0);
  return { status: 200, json: { ReservedConcurrentExecutions: n } };
}

async function getFunctionConcurrency(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const n = await call.core.concurrency.getReserved(ref.key);
  // `{}` when nothing is reserved (spec §1.3).
  return { status: 200, json: n === undefined ? {} : { ReservedConcurrentExecutions: n } };
}

async function deleteFunctionConcurrency(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  await call.core.concurrency.deleteReserved(ref.key);
  return { status: 204 };
}

async function getAccountSettings(call: OperationCall) {
  const s = await call.core.concurrency.accountSettings(call.ctx);
  return {
    status: 200,
    json: {
      AccountLimit: {
        ...ACCOUNT_CODE_LIMITS,
        ConcurrentExecutions: s.concurrencyLimit,
        UnreservedConcurrentExecutions: s.unreservedConcurrency,
      },
      AccountUsage: { TotalCodeSize: s.totalCodeSizeBytes, FunctionCount: s.functionCount },
    },
  };
}

export const concurrencyOperations = {
  PutFunctionConcurrency: putFunctionConcurrency,
  GetFunctionConcurrency: getFunctionConcurrency,
  DeleteFunctionConcurrency: deleteFunctionConcurrency,
  GetAccountSettings: getAccountSettings,
} satisfies OperationHandlers;

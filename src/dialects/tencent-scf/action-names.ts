/**
 * Action names of scf 2018-04-16, verbatim (spec Appendix C). An action outside the 52 is
 * `InvalidAction`; one of the 52 that hearth does not implement is `UnsupportedOperation`
 * (spec §2.6).
 */

/** Every action of the API version (spec Appendix C). */
export const SCF_API_ACTIONS: ReadonlySet<string> = new Set([
  'CopyFunction',
  'CreateAlias',
  'CreateCustomDomain',
  'CreateFunction',
  'CreateNamespace',
  'CreateTrigger',
  'DeleteAlias',
  'DeleteCustomDomain',
  'DeleteFunction',
  'DeleteFunctionVersion',
  'DeleteLayerVersion',
  'DeleteNamespace',
  'DeleteProvisionedConcurrencyConfig',
  'DeleteReservedConcurrencyConfig',
  'DeleteTrigger',
  'GetAccount',
  'GetAlias',
  'GetAsyncEventStatus',
  'GetCustomDomain',
  'GetFunction',
  'GetFunctionAddress',
  'GetFunctionEventInvokeConfig',
  'GetFunctionLogs',
  'GetLayerVersion',
  'GetProvisionedConcurrencyConfig',
  'GetRequestStatus',
  'GetReservedConcurrencyConfig',
  'Invoke',
  'InvokeFunction',
  'ListAliases',
  'ListAsyncEvents',
  'ListCustomDomains',
  'ListFunctions',
  'ListLayerVersions',
  'ListLayers',
  'ListNamespaces',
  'ListTriggers',
  'ListVersionByFunction',
  'PublishLayerVersion',
  'PublishVersion',
  'PutProvisionedConcurrencyConfig',
  'PutReservedConcurrencyConfig',
  'PutTotalConcurrencyConfig',
  'TerminateAsyncEvent',
  'UpdateAlias',
  'UpdateCustomDomain',
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration',
  'UpdateFunctionEventInvokeConfig',
  'UpdateNamespace',
  'UpdateTrigger',
  'UpdateTriggerStatus',
]);

/** The actions hearth implements (the keys of the action table in actions/index.ts). */
export const SCF_ACTION_NAMES = [
  'CreateNamespace',
  'ListNamespaces',
  'DeleteNamespace',
  'CreateFunction',
  'GetFunction',
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration',
  'DeleteFunction',
  'ListFunctions',
  'PublishVersion',
  'ListVersionByFunction',
  'DeleteFunctionVersion',
  'CreateAlias',
  'GetAlias',
  'UpdateAlias',
  'DeleteAlias',
  'ListAliases',
  'Invoke',
  'InvokeFunction',
  'PutReservedConcurrencyConfig',
  'GetReservedConcurrencyConfig',
  'DeleteReservedConcurrencyConfig',
  'PutTotalConcurrencyConfig',
  'GetAccount',
  'PutProvisionedConcurrencyConfig',
  'GetProvisionedConcurrencyConfig',
  'DeleteProvisionedConcurrencyConfig',
  'GetFunctionLogs',
  'GetFunctionEventInvokeConfig',
  'UpdateFunctionEventInvokeConfig',
  'ListAsyncEvents',
  'GetAsyncEventStatus',
  'TerminateAsyncEvent',
] as const;

export type ScfActionName = (typeof SCF_ACTION_NAMES)[number];

const IMPLEMENTED: ReadonlySet<string> = new Set(SCF_ACTION_NAMES);

export function isImplementedAction(name: string): name is ScfActionName {
  return IMPLEMENTED.has(name);
}

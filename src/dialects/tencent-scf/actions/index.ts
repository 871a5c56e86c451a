/**
 * The action table: every implemented action by its exact SCF name (action-names.ts), with
 * its body limit and handler. A name missing here is a compile error.
 *
 * Body limits (spec §2.6 "Request size limits"): 10 MB for TC3 POSTs, except the two
 * actions that carry `ZipFile`, which take the documented 50 MB zip (Appendix A Code) after
 * base64 (4/3) plus 1 MB for the rest of the JSON. Beyond: RequestSizeLimitExceeded.
 */
import type { ScfActionName } from '../action-names.js';
import type { ActionDef, ActionHandler } from '../types.js';
import { createAlias, deleteAlias, getAlias, listAliases, updateAlias } from './aliases.js';
import {
  deleteReservedConcurrencyConfig,
  getAccount,
  getReservedConcurrencyConfig,
  putReservedConcurrencyConfig,
  putTotalConcurrencyConfig,
} from './concurrency.js';
import {
  getAsyncEventStatus,
  getFunctionEventInvokeConfig,
  listAsyncEvents,
  terminateAsyncEvent,
  updateFunctionEventInvokeConfig,
} from './async-events.js';
import { MAX_ZIP_BYTES } from './function-input.js';
import {
  createFunction,
  deleteFunction,
  getFunction,
  listFunctions,
  updateFunctionCode,
  updateFunctionConfiguration,
} from './functions.js';
import { invoke, invokeFunction } from './invoke.js';
import {
  deleteLayerVersion,
  getLayerVersion,
  listLayerVersions,
  listLayers,
  publishLayerVersion,
} from './layers.js';
import { getFunctionLogs } from './logs.js';
import { createNamespace, deleteNamespace, listNamespaces } from './namespaces.js';
import {
  deleteProvisionedConcurrencyConfig,
  getProvisionedConcurrencyConfig,
  putProvisionedConcurrencyConfig,
} from './provisioned.js';
import { deleteFunctionVersion, listVersionByFunction, publishVersion } from './versions.js';

/** TC3 POST limit (spec §2.6). */
export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** CreateFunction / UpdateFunctionCode: base64 of a 50 MB zip + 1 MB of JSON. */
export const CODE_BODY_LIMIT_BYTES = Math.ceil(MAX_ZIP_BYTES / 3) * 4 + 1024 * 1024;
/** GET query limit (spec §2.6: GET ≤ 32 KB). */
export const GET_QUERY_LIMIT_BYTES = 32 * 1024;

const def = (handler: ActionHandler, bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES): ActionDef => ({
  handler,
  bodyLimitBytes,
});

export const ACTIONS: { readonly [A in ScfActionName]: ActionDef } = {
  CreateNamespace: def(createNamespace),
  ListNamespaces: def(listNamespaces),
  DeleteNamespace: def(deleteNamespace),
  CreateFunction: def(createFunction, CODE_BODY_LIMIT_BYTES),
  GetFunction: def(getFunction),
  UpdateFunctionCode: def(updateFunctionCode, CODE_BODY_LIMIT_BYTES),
  UpdateFunctionConfiguration: def(updateFunctionConfiguration),
  DeleteFunction: def(deleteFunction),
  ListFunctions: def(listFunctions),
  PublishVersion: def(publishVersion),
  ListVersionByFunction: def(listVersionByFunction),
  DeleteFunctionVersion: def(deleteFunctionVersion),
  CreateAlias: def(createAlias),
  GetAlias: def(getAlias),
  UpdateAlias: def(updateAlias),
  DeleteAlias: def(deleteAlias),
  ListAliases: def(listAliases),
  Invoke: def(invoke),
  InvokeFunction: def(invokeFunction),
  PutReservedConcurrencyConfig: def(putReservedConcurrencyConfig),
  GetReservedConcurrencyConfig: def(getReservedConcurrencyConfig),
  DeleteReservedConcurrencyConfig: def(deleteReservedConcurrencyConfig),
  PutTotalConcurrencyConfig: def(putTotalConcurrencyConfig),
  GetAccount: def(getAccount),
  PutProvisionedConcurrencyConfig: def(putProvisionedConcurrencyConfig),
  GetProvisionedConcurrencyConfig: def(getProvisionedConcurrencyConfig),
  DeleteProvisionedConcurrencyConfig: def(deleteProvisionedConcurrencyConfig),
  GetFunctionLogs: def(getFunctionLogs),
  // The layer archive comes base64 as function code does: the same limit.
  PublishLayerVersion: def(publishLayerVersion, CODE_BODY_LIMIT_BYTES),
  GetLayerVersion: def(getLayerVersion),
  ListLayers: def(listLayers),
  ListLayerVersions: def(listLayerVersions),
  DeleteLayerVersion: def(deleteLayerVersion),
  GetFunctionEventInvokeConfig: def(getFunctionEventInvokeConfig),
  UpdateFunctionEventInvokeConfig: def(updateFunctionEventInvokeConfig),
  ListAsyncEvents: def(listAsyncEvents),
  GetAsyncEventStatus: def(getAsyncEventStatus),
  TerminateAsyncEvent: def(terminateAsyncEvent),
};

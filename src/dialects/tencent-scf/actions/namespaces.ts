/**
 * CreateNamespace, ListNamespaces, DeleteNamespace (spec §4). `default` always exists: it
 * is listed, cannot be created again (ResourceInUse.Namespace) and cannot be deleted
 * (FailedOperation.DeleteNamespace, whose Appendix B meaning is exactly that).
 */
import { DEFAULT_NAMESPACE, type NamespaceRecord } from '../../../core/model.js';
import { renderNamespace } from '../codec.js';
import type { ActionCall, ActionResult } from '../types.js';
import { invalidParameterValue, scfError } from '../wire-error.js';
import { NAMESPACE_PATTERN, page, readOrder, readPaging } from './common.js';

function readNewNamespaceName(call: ActionCall): string {
  const name = call.params.string('Namespace', { required: true }) ?? '';
  if (!NAMESPACE_PATTERN.test(name)) {
    throw scfError(
      'InvalidParameterValue.NamespaceInvalid',
      'Incorrect Namespace. A namespace contains up to 30 characters of letters, digits, hyphens (-), and underscores (_).',
    );
  }
  return name;
}

export async function createNamespace(call: ActionCall): Promise<ActionResult> {
  const name = readNewNamespaceName(call);
  const description = call.params.string('Description');
  if (description !== undefined && description.length > 60) {
    throw scfError(
      'InvalidParameterValue.Description',
      'Description error. It can contain up to 60 characters.',
    );
  }
  if (call.params.has('ResourceEnv')) {
    throw scfError(
      'UnsupportedOperation',
      'Unsupported operation. hearth has no TKE or offline resource pools (ResourceEnv).',
    );
  }
  // Spec §3.5 "5 namespaces per region", `default` included [REC].
  const stored = await call.services.namespaces.list(call.scope);
  if (
    name !== DEFAULT_NAMESPACE &&
    !stored.some((ns) => ns.name === name) &&
    stored.length + 1 >= call.opts.maxNamespaces
  ) {
    throw scfError(
      'LimitExceeded.Namespace',
      `The number of namespaces reached the limit of ${call.opts.maxNamespaces}.`,
    );
  }
  await call.services.namespaces.create(call.scope, {
    name,
    ...(description === undefined ? {} : { description }),
  });
  return {};
}

const ORDER_BY: Readonly<Record<string, (a: NamespaceRecord, b: NamespaceRecord) => number>> = {
  Name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  Addtime: (a, b) => a.createdMs - b.createdMs,
  AddTime: (a, b) => a.createdMs - b.createdMs,
  Updatetime: (a, b) => a.lastModifiedMs - b.lastModifiedMs,
  ModTime: (a, b) => a.lastModifiedMs - b.lastModifiedMs,
};

export async function listNamespaces(call: ActionCall): Promise<ActionResult> {
  const paging = readPaging(call);
  const order = readOrder(call, 'ASC');
  const orderBy = call.params.string('Orderby') ?? 'Name';
  // Own keys only: `constructor` or `__proto__` are not sort orders.
  const compare = Object.hasOwn(ORDER_BY, orderBy) ? ORDER_BY[orderBy] : undefined;
  if (compare === undefined) {
    throw invalidParameterValue(
      'Orderby',
      `'${orderBy}' must be Name or Updatetime.`,
      'InvalidParameterValue.Order',
    );
  }
  const filters: { key: 'Namespace' | 'Description'; value: string }[] = [];
  for (const k of call.params.objects('SearchKey') ?? []) {
    const key = k.string('Key', { required: true }) ?? '';
    const value = k.string('Value', { required: true }) ?? '';
    if (key !== 'Namespace' && key !== 'Description') {
      throw invalidParameterValue(
        'SearchKey',
        `Key '${key}' must be Namespace or Description.`,
        'InvalidParameterValue.SearchKey',
      );
    }
    filters.push({ key, value });
  }
  const defaultNs: NamespaceRecord = {
    name: DEFAULT_NAMESPACE,
    description: '',
    createdMs: call.services.startedAtMs,
    lastModifiedMs: call.services.startedAtMs,
  };
  const all = [defaultNs, ...(await call.services.namespaces.list(call.scope))]
    .filter((ns) =>
      filters.every((f) => (f.key === 'Namespace' ? ns.name : ns.description).includes(f.value)),
    )
    .sort((a, b) => (order === 'ASC' ? compare(a, b) : -compare(a, b)));
  return {
    Namespaces: page(all, paging).map((ns) => renderNamespace(ns, call.services.dates)),
    TotalCount: all.length,
  };
}

export async function deleteNamespace(call: ActionCall): Promise<ActionResult> {
  const name = call.params.string('Namespace', { required: true }) ?? '';
  if (name === DEFAULT_NAMESPACE) {
    throw scfError('FailedOperation.DeleteNamespace', 'The default namespace cannot be deleted.');
  }
  if (!NAMESPACE_PATTERN.test(name)) {
    throw scfError(
      'InvalidParameterValue.Namespace',
      `Namespace error. '${name}' is not a valid namespace name.`,
    );
  }
  await call.services.namespaces.delete(call.scope, name);
  return {};
}

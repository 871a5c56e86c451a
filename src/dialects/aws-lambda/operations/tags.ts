/**
 * TagResource, UntagResource, ListTags (spec §2.2–2.3). Only functions are taggable here;
 * a qualified function ARN is refused as AWS does.
 */
import { parseTaggableResource, toFunctionRef, type FunctionRef } from '../function-name.js';
import { Violations } from '../validation.js';
import { invalidParameter, resourceNotFound } from '../wire-error.js';
import type { OperationCall, OperationHandlers } from './types.js';

/**
 * The function a `{Resource}` label names. Call after reading every other member into `v`.
 */
function resolveResource(
  v: Violations,
  call: OperationCall,
  parsed: ReturnType<typeof parseTaggableResource>,
): FunctionRef {
  v.throwIfAny();
  const resource = call.labels.Resource ?? '';
  if (parsed === undefined || parsed === 'other') {
    // A valid ARN of a kind hearth does not have (layer, code signing config...).
    throw resourceNotFound(`Resource not found: ${resource}`);
  }
  const ref = toFunctionRef(call.ctx, parsed);
  if (ref.qualifier !== undefined) {
    throw invalidParameter(
      'Tags on function aliases and versions are not supported. Please specify a function ARN.',
    );
  }
  return ref;
}

async function tagResource(call: OperationCall) {
  const v = new Violations();
  const parsed = parseTaggableResource(v, call.labels.Resource);
  const tags = call.body.stringMap('Tags');
  v.required('tags', tags);
  const ref = resolveResource(v, call, parsed);
  if (tags === undefined || Object.keys(tags).length === 0) {
    throw invalidParameter('An error occurred and the request cannot be processed.');
  }
  await call.core.tags.tag(ref.key, tags);
  return { status: 204 };
}

async function untagResource(call: OperationCall) {
  const v = new Violations();
  const parsed = parseTaggableResource(v, call.labels.Resource);
  const tagKeys = call.query.getAll('tagKeys');
  if (tagKeys.length === 0) {
    v.required('tagKeys', undefined);
  }
  const ref = resolveResource(v, call, parsed);
  await call.core.tags.untag(ref.key, tagKeys);
  return { status: 204 };
}

async function listTags(call: OperationCall) {
  const v = new Violations();
  const parsed = parseTaggableResource(v, call.labels.Resource);
  const ref = resolveResource(v, call, parsed);
  return { status: 200, json: { Tags: { ...(await call.core.tags.list(ref.key)) } } };
}

export const tagOperations = {
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTags: listTags,
} satisfies OperationHandlers;

/**
 * PublishVersion and ListVersionsByFunction (spec §2.2–2.3).
 */
import { codeSha256Hex } from '../arns.js';
import { renderFunctionConfiguration } from '../codec.js';
import { paginate, readMaxItems, versionSortKey } from '../pagination.js';
import { Violations } from '../validation.js';
import { invalidParameter } from '../wire-error.js';
import { parseFunctionLabel, requireUnqualified, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers } from './types.js';

/** Versions per ListVersionsByFunction page, whatever MaxItems says (AWS docs: 50). */
const LIST_PAGE_CAP = 50;

async function publishVersion(call: OperationCall) {
  const { body } = call;
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call);
  const codeSha256 = body.string('CodeSha256');
  const description = body.string('Description');
  v.string('description', description, { max: 256 });
  const revisionId = body.string('RevisionId');
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  if (body.has('PublishTo')) {
    throw invalidParameter('hearth does not support $LATEST.PUBLISHED: remove PublishTo.');
  }
  const { fn, version } = await call.core.versions.publish(ref.key, {
    ...(description === undefined ? {} : { description }),
    ...(revisionId === undefined ? {} : { revisionId }),
    ...(codeSha256 === undefined
      ? {}
      : { codeSha256: { sha256Hex: codeSha256Hex(codeSha256), asGiven: codeSha256 } }),
  });
  // 201 also when the newest version is returned again (spec §2.3).
  return {
    status: 201,
    json: renderFunctionConfiguration(call.ctx, fn, version, {
      arnQualifier: version.version,
      state: 'current',
      runtimes: call.core.runtimes,
    }),
  };
}

async function listVersionsByFunction(call: OperationCall) {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const pageSize = readMaxItems(v, call.query.get('MaxItems'), { max: 10_000, cap: LIST_PAGE_CAP });
  const ref = requireUnqualified(resolveRef(v, call, parsed));
  const { fn, versions } = await call.core.versions.list(ref.key);
  const page = paginate(
    versions,
    (x) => versionSortKey(x.version),
    call.query.get('Marker') ?? undefined,
    pageSize,
  );
  return {
    status: 200,
    json: {
      Versions: page.items.map((x) =>
        renderFunctionConfiguration(call.ctx, fn, x, {
          arnQualifier: x.version,
          state: 'list',
          runtimes: call.core.runtimes,
        }),
      ),
      ...(page.nextMarker === undefined ? {} : { NextMarker: page.nextMarker }),
    },
  };
}

export const versionOperations = {
  PublishVersion: publishVersion,
  ListVersionsByFunction: listVersionsByFunction,
} satisfies OperationHandlers;

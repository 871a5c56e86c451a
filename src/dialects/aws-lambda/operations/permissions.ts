/**
 * AddPermission, RemovePermission, GetPolicy: resource-based policies of a function, a
 * version or an alias, stored by core (policy-service.ts) as IAM statements built here.
 *
 * Statement shape, order of members and conditions, principal forms and every message are
 * AWS's as recorded in LocalStack's AWS-validated snapshots (test_lambda_api.snapshot.json,
 * TestLambdaPermissions, recorded 2025-11): `Sid, Effect, Principal, Action, Resource,
 * Condition`; `StringEquals` (SourceAccount, FunctionUrlAuthType, PrincipalOrgID,
 * EventSourceToken) before `ArnLike` (SourceArn); the policy is
 * `{"Version":"2012-10-17","Id":"default","Statement":[...]}`. Statement and Policy travel
 * as JSON strings, as the model says.
 */
import type { PolicyStatement } from '../../../core/model.js';
import { functionArn } from '../arns.js';
import { Violations, wholePattern } from '../validation.js';
import { invalidParameter } from '../wire-error.js';
import { parseFunctionLabel, readQualifierParam, resolveRef } from './common.js';
import type { OperationCall, OperationHandlers, OperationResult } from './types.js';

const STATEMENT_ID = wholePattern('([a-zA-Z0-9-_]+)');
/** RemovePermission's StatementId also allows `.` (model). */
const STATEMENT_ID_REMOVE = wholePattern('([a-zA-Z0-9-_.]+)');
const ACTION = wholePattern('(lambda:[*]|lambda:[a-zA-Z]+|[*])');
const PRINCIPAL = wholePattern(String.raw`[^\s]+`);
const SOURCE_ARN = wholePattern(
  String.raw`arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)`,
);
const SOURCE_ACCOUNT = wholePattern(String.raw`\d{12}`);
const EVENT_SOURCE_TOKEN = wholePattern(String.raw`[a-zA-Z0-9._\-]+`);
const PRINCIPAL_ORG_ID = wholePattern('o-[a-z0-9]{10,32}');
const AUTH_TYPES = ['NONE', 'AWS_IAM'] as const;

/** `*`, a service (`s3.amazonaws.com`), an account id, or an IAM ARN; else AWS's refusal. */
function principalOf(principal: string): string | Record<string, string> {
  if (principal === '*') {
    return '*';
  }
  if (principal.endsWith('.amazonaws.com')) {
    return { Service: principal };
  }
  if (/^\d{12}$/.test(principal)) {
    return { AWS: `arn:aws:iam::${principal}:root` };
  }
  if (/^arn:aws[a-zA-Z-]*:iam::/.test(principal)) {
    return { AWS: principal };
  }
  throw invalidParameter('The provided principal was invalid. Please check the principal and try again.');
}

async function addPermission(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const b = call.body;
  const statementId = b.string('StatementId');
  const action = b.string('Action');
  const principal = b.string('Principal');
  const sourceArn = b.string('SourceArn');
  const sourceAccount = b.string('SourceAccount');
  const eventSourceToken = b.string('EventSourceToken');
  const revisionId = b.string('RevisionId');
  const principalOrgId = b.string('PrincipalOrgID');
  const authType = b.string('FunctionUrlAuthType');
  b.boolean('InvokedViaFunctionUrl');
  const qualifier = readQualifierParam(v, call);
  if (v.required('statementId', statementId)) {
    v.string('statementId', statementId, { min: 1, max: 100, pattern: STATEMENT_ID });
  }
  if (v.required('action', action)) {
    v.string('action', action, { pattern: ACTION });
  }
  if (v.required('principal', principal)) {
    v.string('principal', principal, { pattern: PRINCIPAL });
  }
  v.string('sourceArn', sourceArn, { pattern: SOURCE_ARN });
  v.string('sourceAccount', sourceAccount, { min: 0, max: 12, pattern: SOURCE_ACCOUNT });
  v.string('eventSourceToken', eventSourceToken, { min: 0, max: 256, pattern: EVENT_SOURCE_TOKEN });
  v.string('principalOrgID', principalOrgId, { min: 12, max: 34, pattern: PRINCIPAL_ORG_ID });
  v.enumValue('functionUrlAuthType', authType, AUTH_TYPES);
  const ref = resolveRef(v, call, parsed, qualifier);
  const stringEquals: Record<string, string> = {};
  if (sourceAccount !== undefined) {
    stringEquals['AWS:SourceAccount'] = sourceAccount;
  }
  if (authType !== undefined) {
    stringEquals['lambda:FunctionUrlAuthType'] = authType;
  }
  if (principalOrgId !== undefined) {
    stringEquals['aws:PrincipalOrgID'] = principalOrgId;
  }
  if (eventSourceToken !== undefined) {
    stringEquals['lambda:EventSourceToken'] = eventSourceToken;
  }
  const condition: Record<string, Record<string, string>> = {};
  if (Object.keys(stringEquals).length > 0) {
    condition.StringEquals = stringEquals;
  }
  if (sourceArn !== undefined) {
    condition.ArnLike = { 'AWS:SourceArn': sourceArn };
  }
  const sid = statementId ?? '';
  const document = {
    Sid: sid,
    Effect: 'Allow',
    Principal: principalOf(principal ?? ''),
    Action: action ?? '',
    Resource: functionArn(call.ctx, ref.key.name, ref.qualifier),
    ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
  };
  const statement: PolicyStatement = { sid, document };
  await call.core.policies.add(ref.key, ref.qualifier, statement, revisionId);
  return { status: 201, json: { Statement: JSON.stringify(document) } };
}

async function removePermission(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const statementId = call.labels.StatementId;
  v.string('statementId', statementId, { min: 1, max: 100, pattern: STATEMENT_ID_REMOVE });
  const qualifier = readQualifierParam(v, call);
  const revisionId = call.query.get('RevisionId') ?? undefined;
  const ref = resolveRef(v, call, parsed, qualifier);
  await call.core.policies.remove(ref.key, ref.qualifier, statementId ?? '', revisionId);
  return { status: 204 };
}

async function getPolicy(call: OperationCall): Promise<OperationResult> {
  const v = new Violations();
  const parsed = parseFunctionLabel(v, call, 'NamespacedFunctionName');
  const qualifier = readQualifierParam(v, call);
  const ref = resolveRef(v, call, parsed, qualifier);
  const policy = await call.core.policies.get(ref.key, ref.qualifier);
  return {
    status: 200,
    json: {
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Id: 'default',
        Statement: policy.statements.map((s) => s.document),
      }),
      RevisionId: policy.revisionId,
    },
  };
}

export const permissionOperations = {
  AddPermission: addPermission,
  RemovePermission: removePermission,
  GetPolicy: getPolicy,
} satisfies OperationHandlers;

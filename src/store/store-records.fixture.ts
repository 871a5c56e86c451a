/**
 * Records and keys for the store contract suites (store.contract.ts and the stores' own
 * tests): deterministic, and distinct per scope.
 */
import type {
  AliasRecord,
  FunctionKey,
  FunctionRecord,
  NamespaceRecord,
  ProvisionedConfigRecord,
  Scope,
  VersionRecord,
} from '../core/model.js';

const scopeA: Scope = { accountId: '111111111111', region: 'us-east-1' };
const scopeB: Scope = { accountId: '222222222222', region: 'us-east-1' };
const scopeC: Scope = { accountId: '111111111111', region: 'eu-west-1' };

export function fnKey(name: string, scope: Scope = scopeA, namespace = 'default'): FunctionKey {
  return { ...scope, namespace, name };
}

export function versionRecord(version: string, overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    version,
    config: {
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      role: 'arn:aws:iam::111111111111:role/r',
      description: `v${version}`,
      timeoutSec: 3,
      memoryMb: 128,
      environment: { STAGE: 'test' },
      architectures: ['x86_64'],
      ephemeralStorageMb: 512,
      tracingMode: 'PassThrough',
      logFormat: 'Text',
      codeSha256Hex: 'a'.repeat(64),
      codeSizeBytes: 123,
      extra: { Layers: [{ Arn: 'x' }] },
    },
    revisionId: `rev-${version}`,
    lastModifiedMs: 1_700_000_000_000,
    ...overrides,
  };
}

export function functionRecord(key: FunctionKey, overrides: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    key,
    createdMs: 1_700_000_000_000,
    latest: versionRecord('$LATEST'),
    lastPublishedVersion: 0,
    tags: { team: 'hearth' },
    ...overrides,
  };
}

export function aliasRecord(
  name: string,
  functionVersion = '1',
  overrides: Partial<AliasRecord> = {},
): AliasRecord {
  return {
    name,
    functionVersion,
    description: '',
    additionalVersionWeights: {},
    revisionId: `rev-${name}`,
    createdMs: 1,
    lastModifiedMs: 2,
    ...overrides,
  };
}

export function provisionedRecord(qualifier: string, requested = 2): ProvisionedConfigRecord {
  return {
    qualifier,
    requested,
    lastModifiedMs: 3,
    scaling: { requested, configuredAtMs: 3, scheduledActions: [] },
  };
}

export function namespaceRecord(name: string): NamespaceRecord {
  return { name, description: `ns ${name}`, createdMs: 4, lastModifiedMs: 5 };
}

/** The three scopes the suites use: two accounts in one region, one account in two. */
export const contractScopes = { scopeA, scopeB, scopeC } as const;

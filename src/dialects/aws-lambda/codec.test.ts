import { describe, expect, it } from 'vitest';
import type { FunctionRecord, VersionRecord } from '../../core/model.js';
import { functionConfigurationJson, renderFunctionConfiguration } from './codec.js';

const version: VersionRecord = {
  version: '$LATEST',
  revisionId: 'r1',
  lastModifiedMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  config: {
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    role: 'arn:aws:iam::123456789012:role/r',
    description: 'd',
    timeoutSec: 3,
    memoryMb: 128,
    environment: { STAGE: 'x' },
    architectures: ['x86_64'],
    ephemeralStorageMb: 512,
    tracingMode: 'PassThrough',
    logFormat: 'Text',
    codeSha256Hex: 'ab'.repeat(32),
    codeSizeBytes: 10,
  },
};
const fn: FunctionRecord = {
  key: { accountId: '123456789012', region: 'us-east-1', namespace: 'default', name: 'f' },
  createdMs: 0,
  latest: version,
  lastPublishedVersion: 0,
  tags: {},
};
const scope = { region: 'us-east-1', accountId: '123456789012' };
let digest = 'd1';
const runtimes = { versionOf: () => ({ digest }) };

describe('functionConfigurationJson', () => {
  it('is the JSON text of renderFunctionConfiguration, for every option', () => {
    for (const options of [
      { state: 'list' as const, runtimes },
      { state: 'current' as const, arnQualifier: '$LATEST', runtimes },
      { state: 'list' as const },
    ]) {
      expect(functionConfigurationJson(scope, fn, version, options)).toBe(
        JSON.stringify(renderFunctionConfiguration(scope, fn, version, options)),
      );
    }
  });

  it('follows a new record, another scope and a new runtime version: never stale text', () => {
    const before = functionConfigurationJson(scope, fn, version, { state: 'list', runtimes });
    expect(functionConfigurationJson(scope, fn, version, { state: 'list', runtimes })).toBe(before);
    const changed: VersionRecord = {
      ...version,
      revisionId: 'r2',
      config: { ...version.config, memoryMb: 256 },
    };
    expect(
      JSON.parse(functionConfigurationJson(scope, fn, changed, { state: 'list', runtimes })),
    ).toMatchObject({
      MemorySize: 256,
      RevisionId: 'r2',
    });
    const west = { region: 'eu-west-1', accountId: '123456789012' };
    expect(
      JSON.parse(functionConfigurationJson(west, fn, version, { state: 'list', runtimes })),
    ).toMatchObject({
      FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
    });
    digest = 'd2';
    expect(
      JSON.parse(functionConfigurationJson(scope, fn, version, { state: 'list', runtimes })),
    ).toMatchObject({
      RuntimeVersionConfig: { RuntimeVersionArn: 'arn:aws:lambda:us-east-1::runtime:d2' },
    });
  });
});

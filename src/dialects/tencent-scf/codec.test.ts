import { describe, expect, it } from 'vitest';
import type { FunctionConfig, FunctionRecord } from '../../core/model.js';
import { functionStatusCode, renderQueued, renderResult } from './actions/invoke.js';
import { DateTimeFormatter, functionId, renderAlias } from './codec.js';
import { coreRuntimeOf, scfRuntimeOf } from './runtimes.js';

const config = (over: Partial<FunctionConfig> = {}): FunctionConfig => ({
  runtime: 'nodejs18.x',
  handler: 'index.main_handler',
  role: '',
  description: '',
  timeoutSec: 3,
  memoryMb: 128,
  architectures: ['x86_64'],
  ephemeralStorageMb: 512,
  tracingMode: 'PassThrough',
  logFormat: 'Text',
  codeSha256Hex: 'ab',
  codeSizeBytes: 1,
  ...over,
});

describe('datetimes (spec §4 reading guide)', () => {
  it('formats YYYY-MM-DD HH:MM:SS in the zone, 24-hour clock', () => {
    const at = Date.UTC(2024, 11, 20, 7, 42, 30);
    expect(new DateTimeFormatter('Asia/Shanghai').format(at)).toBe('2024-12-20 15:42:30');
    expect(new DateTimeFormatter('UTC').format(Date.UTC(2024, 0, 1, 0, 0, 0))).toBe('2024-01-01 00:00:00');
  });
});

describe('runtimes', () => {
  it.each([
    ['Nodejs18.15', 'nodejs18.x'],
    ['Nodejs16.13', 'nodejs18.x'],
    ['Nodejs20.15', 'nodejs20.x'],
    ['Python3.9', 'python3.9'],
    ['Python2.7', undefined],
    ['Php7', undefined],
    ['CustomRuntime', undefined],
    ['nodejs18.x', undefined],
  ])('%s runs on %s', (scf, core) => {
    expect(coreRuntimeOf(scf)).toBe(core);
  });

  it('shows the caller’s SCF name, or one derived from core’s', () => {
    expect(scfRuntimeOf(config({ extra: { scfRuntime: 'Nodejs16.13' } }))).toBe('Nodejs16.13');
    expect(scfRuntimeOf(config({ runtime: 'nodejs20.x' }))).toBe('Nodejs20.15');
    expect(scfRuntimeOf(config({ runtime: 'provided.al2023' }))).toBe('CustomRuntime');
    // A stale SCF name (runtime changed through AWS) is not believed.
    expect(scfRuntimeOf(config({ runtime: 'nodejs20.x', extra: { scfRuntime: 'Nodejs16.13' } }))).toBe(
      'Nodejs20.15',
    );
  });
});

describe('identities and shapes', () => {
  it('gives each function a stable lam-xxxxxxxx id', () => {
    const fn = (name: string) =>
      ({ key: { accountId: '1', region: 'r', namespace: 'default', name } }) as unknown as FunctionRecord;
    expect(functionId(fn('a'))).toMatch(/^lam-[0-9a-f]{8}$/);
    expect(functionId(fn('a'))).toBe(functionId(fn('a')));
    expect(functionId(fn('a'))).not.toBe(functionId(fn('b')));
  });

  it('renders an Alias with Tencent’s member names, misspelling included', () => {
    const dates = new DateTimeFormatter('UTC');
    expect(
      renderAlias(
        {
          name: 'prod',
          functionVersion: '1',
          description: 'd',
          additionalVersionWeights: { '2': 0.3 },
          revisionId: 'r',
          createdMs: 0,
          lastModifiedMs: 1000,
        },
        dates,
      ),
    ).toEqual({
      FunctionVersion: '1',
      Name: 'prod',
      RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.3 }], AddtionVersionMatchs: [] },
      Description: 'd',
      AddTime: '1970-01-01 00:00:00',
      ModTime: '1970-01-01 00:00:01',
    });
  });
});

describe('Result (Appendix A)', () => {
  it('maps error types to function status codes [REC, DOC 583/35311]', () => {
    expect(functionStatusCode('Error')).toBe(430);
    expect(functionStatusCode('Runtime.ExitError')).toBe(430);
    expect(functionStatusCode('Sandbox.Timedout')).toBe(433);
    expect(functionStatusCode('Runtime.OutOfMemory')).toBe(434);
    expect(functionStatusCode('Function.ResponseSizeTooLarge')).toBe(407);
  });

  it('renders a success with whole-ms billing and bytes of memory', () => {
    expect(
      renderResult(
        {
          kind: 'success',
          requestId: 'id',
          executedVersion: '1',
          durationMs: 0.2,
          initializationType: 'provisioned-concurrency',
          maxMemoryUsedMb: 1.5,
          log: 'L',
          payload: Buffer.from('"ok"'),
          contentType: 'application/json',
        },
        false,
      ),
    ).toEqual({
      Log: '',
      RetMsg: '"ok"',
      ErrMsg: '',
      MemUsage: 1_572_864,
      Duration: 0.2,
      BillDuration: 1,
      FunctionRequestId: 'id',
      InvokeResult: 0,
    });
    expect(renderQueued('q')).toMatchObject({
      FunctionRequestId: 'q',
      RetMsg: null,
      Duration: null,
      InvokeResult: 0,
    });
  });
});

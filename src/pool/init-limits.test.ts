import { describe, expect, it } from 'vitest';
import { initLimitMs, retriedInsideInvoke } from './init-limits.js';

const aws = { timeoutSec: 3 };
const long = { timeoutSec: 600 };
const scf = { timeoutSec: 3, initTimeoutSec: 65 };

describe('initLimitMs (aws-lambda.md §3.8)', () => {
  it.each([
    ['on-demand: 10 s', aws, 'on-demand', 'init', {}, 10_000],
    ['on-demand retry inside the invoke: the function timeout', aws, 'on-demand', 'invoke', {}, 3_000],
    ['provisioned: 130 s floor', aws, 'provisioned-concurrency', 'init', {}, 130_000],
    ['provisioned: the function timeout when higher', long, 'provisioned-concurrency', 'init', {}, 600_000],
    ['settings scale the limits down', aws, 'on-demand', 'init', { onDemandInitTimeoutMs: 700 }, 700],
    ["SCF's InitTimeout, on-demand", scf, 'on-demand', 'init', {}, 65_000],
    ["SCF's InitTimeout, provisioned", scf, 'provisioned-concurrency', 'init', {}, 65_000],
  ] as const)('%s', (_name, spec, initType, phase, settings, want) => {
    expect(initLimitMs(spec, initType, phase, settings)).toBe(want);
  });
});

describe('retriedInsideInvoke', () => {
  const timeout = { kind: 'timeout', afterMs: 10_000 } as const;
  it.each([
    ['a first timed-out init', {}, 'init', timeout, true],
    ['the retry itself', {}, 'invoke', timeout, false],
    ['an init error', {}, 'init', { kind: 'exit', code: 1, signal: null }, false],
    ['a function with its own InitTimeout', { initTimeoutSec: 5 }, 'init', timeout, false],
  ] as const)('%s', (_name, spec, phase, failure, want) => {
    expect(retriedInsideInvoke(spec, phase, failure)).toBe(want);
  });
});

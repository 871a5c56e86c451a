/**
 * Application Auto Scaling against a real hearth on port 0, driven by boto3 (the official
 * AWS SDK for Python; @aws-sdk/client-application-autoscaling is not available from the
 * registry this project installs from) and @aws-sdk/client-lambda: a target-tracked config
 * scales out under load and back in after it stops, with real environments; a scheduled
 * action fires, also when it came due while hearth was down; everything survives a restart.
 * Timing is AWS's with a 200 ms datapoint (config awsScalingDatapointMs).
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PublishVersionCommand,
  type ProvisionedConcurrencyConfigListItem,
} from '@aws-sdk/client-lambda';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boto3, hasBoto3, type Boto3 } from '../helpers/boto3.js';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const SLEEPER = readFileSync(
  fileURLToPath(new URL('../fixtures/functions/sleeper/index.mjs', import.meta.url)),
  'utf8',
);
const NS = { ServiceNamespace: 'lambda', ScalableDimension: 'lambda:function:ProvisionedConcurrency' };
const SETTINGS = { awsScalingDatapointMs: 200, metricsSampleMs: 20 };

let p: TestPlatform;
let aas: Boto3;

async function createFunction(name: string) {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: await makeZip({ 'index.mjs': SLEEPER }) },
    }),
  );
  await p.client.send(new PublishVersionCommand({ FunctionName: name }));
  await p.client.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
}

/** Polls ListProvisionedConcurrencyConfigs (what a client does) until `done`, with a deadline. */
async function waitConfig(
  fn: string,
  done: (c: ProvisionedConcurrencyConfigListItem | undefined) => boolean,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await p.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: fn }));
    const c = list.ProvisionedConcurrencyConfigs?.[0];
    if (done(c)) {
      return c;
    }
    if (Date.now() > deadline) {
      throw new Error(`config of ${fn} is ${JSON.stringify(c)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  if (!hasBoto3) {
    return;
  }
  p = await startPlatform(SETTINGS);
  aas = boto3(p.url);
});

afterAll(async () => {
  aas?.close();
  await p?.dispose();
});

describe.skipIf(!hasBoto3)('Application Auto Scaling with boto3', () => {
  it('answers aws application-autoscaling describe-scalable-targets', async () => {
    expect(
      await aas.ok('application-autoscaling', 'DescribeScalableTargets', { ServiceNamespace: 'lambda' }),
    ).toEqual({
      ScalableTargets: [],
    });
    const bad = await aas.call('application-autoscaling', 'RegisterScalableTarget', {
      ...NS,
      ResourceId: 'function:missing:$LATEST',
      MinCapacity: 1,
      MaxCapacity: 2,
    });
    expect(bad).toEqual({
      error: {
        Code: 'ValidationException',
        Message: 'Unsupported service namespace, resource type or scalable dimension',
        Status: 400,
      },
    });
  });

  it('target tracking scales a config out under load and back in after it stops', async () => {
    await createFunction('tracked');
    const target = { ...NS, ResourceId: 'function:tracked:live' };
    await aas.ok('application-autoscaling', 'RegisterScalableTarget', {
      ...target,
      MinCapacity: 1,
      MaxCapacity: 6,
    });
    // Registering alone changes nothing.
    expect(
      (await p.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'tracked' })))
        .ProvisionedConcurrencyConfigs,
    ).toEqual([]);
    await aas.ok('application-autoscaling', 'PutScalingPolicy', {
      ...target,
      PolicyName: 'utilization',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 0.5,
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
      },
    });
    await waitConfig(
      'tracked',
      (c) => c?.Status === 'READY' && c.RequestedProvisionedConcurrentExecutions === 1,
    );

    // Load: 6 callers, each invoking a 300 ms sleep back to back, until the config is READY at 4 or more.
    let loading = true;
    const callers = Array.from({ length: 6 }, async () => {
      while (loading) {
        await p.client.send(
          new InvokeCommand({
            FunctionName: 'tracked',
            Qualifier: 'live',
            Payload: JSON.stringify({ ms: 300 }),
          }),
        );
      }
    });
    const scaled = await waitConfig(
      'tracked',
      (c) => c?.Status === 'READY' && (c.RequestedProvisionedConcurrentExecutions ?? 0) >= 4,
    );
    loading = false;
    await Promise.all(callers);
    expect(scaled?.AllocatedProvisionedConcurrentExecutions).toBe(
      scaled?.RequestedProvisionedConcurrentExecutions,
    );
    expect(scaled?.RequestedProvisionedConcurrentExecutions).toBeLessThanOrEqual(6);

    // Quiet: after 15 datapoints below target, back to the minimum, drained for real.
    await waitConfig(
      'tracked',
      (c) =>
        c?.Status === 'READY' &&
        c.RequestedProvisionedConcurrentExecutions === 1 &&
        c.AllocatedProvisionedConcurrentExecutions === 1,
    );

    const acts = (
      await aas.ok('application-autoscaling', 'DescribeScalingActivities', {
        ServiceNamespace: 'lambda',
        ResourceId: target.ResourceId,
      })
    ).ScalingActivities as Record<string, string>[];
    expect(acts.every((a) => a.StatusCode === 'Successful')).toBe(true);
    expect(
      acts.some((a) =>
        /^monitor alarm TargetTracking-function:tracked:live-AlarmHigh-.* in state ALARM triggered policy utilization$/.test(
          a.Cause ?? '',
        ),
      ),
    ).toBe(true);
    expect(
      acts.some(
        (a) => /AlarmLow/.test(a.Cause ?? '') && a.Description === 'Setting desired concurrency to 1.',
      ),
    ).toBe(true);

    // The metrics were measured: invocations on provisioned environments and spillovers.
    const key = { accountId: TEST_ACCOUNT, region: 'us-east-1', namespace: 'default', name: 'tracked' };
    const w = p.platform.core.metrics.window(p.platform.core.provisioned.poolKey(key, 'live'), 0, Date.now());
    expect(w.invocations).toBeGreaterThan(0);
    expect(w.maxUtilization).toBe(1);
    expect(w.maxConcurrentExecutions).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it('a scheduled action due while hearth was down fires on restart; targets survive restarts', async () => {
    await createFunction('scheduled');
    const target = { ...NS, ResourceId: 'function:scheduled:live' };
    await aas.ok('application-autoscaling', 'RegisterScalableTarget', {
      ...target,
      MinCapacity: 0,
      MaxCapacity: 1,
      Tags: { team: 'a' },
    });
    const fireAt = new Date(Date.now() + 1500);
    const at = fireAt.toISOString().slice(0, 19);
    await aas.ok('application-autoscaling', 'PutScheduledAction', {
      ...target,
      ScheduledActionName: 'warm-up',
      Schedule: `at(${at})`,
      ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 3 },
    });
    aas.close();
    p = await p.restart();
    aas = boto3(p.url);
    // The target came back before the action was due; wait for it (a wall-clock instant).
    await waitConfig(
      'scheduled',
      (c) => c?.Status === 'READY' && c.RequestedProvisionedConcurrentExecutions === 2,
    );
    const after = await aas.ok('application-autoscaling', 'DescribeScalableTargets', {
      ServiceNamespace: 'lambda',
      ResourceIds: [target.ResourceId],
    });
    expect(after.ScalableTargets).toEqual([expect.objectContaining({ MinCapacity: 2, MaxCapacity: 3 })]);
    // Down again across the fire instant of a second action: it fires on resume.
    await aas.ok('application-autoscaling', 'PutScheduledAction', {
      ...target,
      ScheduledActionName: 'more',
      Schedule: `at(${new Date(Date.now() + 1200).toISOString().slice(0, 19)})`,
      ScalableTargetAction: { MinCapacity: 3 },
    });
    aas.close();
    await p.close();
    // The second action's fire instant passes while hearth is down (a wall-clock instant).
    await new Promise((r) => setTimeout(r, 1300));
    p = await p.restart();
    aas = boto3(p.url);
    await waitConfig(
      'scheduled',
      (c) => c?.Status === 'READY' && c.RequestedProvisionedConcurrentExecutions === 3,
    );
    const arn = (
      await aas.ok('application-autoscaling', 'DescribeScalableTargets', {
        ServiceNamespace: 'lambda',
        ResourceIds: [target.ResourceId],
      })
    ).ScalableTargets as { ScalableTargetARN: string }[];
    expect(
      await aas.ok('application-autoscaling', 'ListTagsForResource', {
        ResourceARN: arn[0]?.ScalableTargetARN,
      }),
    ).toEqual({ Tags: { team: 'a' } });

    // The alias goes: its config goes with it (Lambda), the target stays registered (as on AWS).
    await p.client.send(new DeleteAliasCommand({ FunctionName: 'scheduled', Name: 'live' }));
    await waitConfig('scheduled', (c) => c === undefined);
    expect(
      (
        await aas.ok('application-autoscaling', 'DescribeScalableTargets', {
          ServiceNamespace: 'lambda',
          ResourceIds: [target.ResourceId],
        })
      ).ScalableTargets,
    ).toHaveLength(1);
  }, 150_000);
});

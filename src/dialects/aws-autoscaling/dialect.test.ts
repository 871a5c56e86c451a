/**
 * In-process tests of the Application Auto Scaling dialect: routing, error envelopes and
 * messages, validation, pagination and tags, over core's ScalableTargetService on
 * in-memory ports (no socket, no loop: `onChanged` is recorded).
 */
import { describe, expect, it } from 'vitest';
import { createCore } from '../../core/index.js';
import { ScalableTargetService } from '../../core/scaling/scalable-target-service.js';
import { fakeZip, memoryDeps } from '../../core/services/testing/in-memory-ports.js';
import { BodyTooLargeError, type WireRequest } from '../http.js';
import { createAwsAutoScalingDialect, isAutoScalingRequest } from './index.js';

const NS = { ServiceNamespace: 'lambda', ScalableDimension: 'lambda:function:ProvisionedConcurrency' };
const KEY = { accountId: '123456789012', region: 'us-east-1', namespace: 'default', name: 'fn' };

let counter = 0;
function request(operation: string, body: unknown, method = 'POST'): WireRequest {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    method,
    rawPath: '/',
    query: new URLSearchParams(),
    rawQuery: '',
    headers: { 'x-amz-target': `AnyScaleFrontendService.${operation}` },
    requestId: `req-${++counter}`,
    readBody: (limit) =>
      bytes.length > limit ? Promise.reject(new BodyTooLargeError(limit)) : Promise.resolve(bytes),
  };
}

async function setup() {
  const deps = memoryDeps();
  const core = createCore(deps);
  await core.functions.create(KEY, {
    config: { runtime: 'nodejs20.x', handler: 'index.handler', role: '' },
    zip: fakeZip(),
  });
  await core.versions.publish(KEY);
  await core.aliases.create(KEY, { name: 'live', functionVersion: '1', description: '' });
  await core.aliases.create(KEY, { name: 'head', functionVersion: '$LATEST', description: '' });
  const changed: string[] = [];
  const targets = new ScalableTargetService({
    store: deps.store,
    clock: deps.clock,
    locks: core.locks,
    onChanged: (key, q) => {
      changed.push(`${key.name}:${q}`);
      return Promise.resolve();
    },
  });
  const dialect = createAwsAutoScalingDialect(targets, {
    defaultRegion: 'us-east-1',
    accountId: '123456789012',
  });
  const send = async (operation: string, body: unknown, method?: string) => {
    const req = request(operation, body, method);
    const res = await dialect.handle(req);
    expect(res.headers?.['x-amzn-requestid']).toBe(req.requestId);
    expect(res.headers?.['content-type']).toBe('application/x-amz-json-1.1');
    return { status: res.status, json: JSON.parse(String(res.body)) as Record<string, unknown> };
  };
  const register = (resourceId: string, extra: object = {}) =>
    send('RegisterScalableTarget', {
      ...NS,
      ResourceId: resourceId,
      MinCapacity: 1,
      MaxCapacity: 5,
      ...extra,
    });
  return { send, register, changed, store: deps.store, core };
}

const error = (type: string, Message?: string) => ({
  status: 400,
  json: Message === undefined ? { __type: type } : { __type: type, Message },
});

describe('aws-autoscaling: routing', () => {
  it('matches POST / with its target prefix only', () => {
    expect(isAutoScalingRequest(request('DescribeScalableTargets', {}))).toBe(true);
    expect(
      isAutoScalingRequest({ ...request('X', {}), headers: { 'x-amz-target': 'Logs_20140328.X' } }),
    ).toBe(false);
  });

  it('answers an unknown operation, a GET and a bad body in the dialect format', async () => {
    const { send } = await setup();
    expect((await send('GetPredictiveScalingForecast', {})).json.__type).toBe('UnknownOperationException');
    expect(await send('DescribeScalableTargets', {}, 'GET')).toEqual(error('UnknownOperationException'));
    expect(await send('DescribeScalableTargets', '{nope')).toEqual(error('SerializationException'));
    expect(await send('DescribeScalableTargets', { ServiceNamespace: 7 })).toEqual(
      error('SerializationException'),
    );
  });
});

describe('aws-autoscaling: RegisterScalableTarget and friends', () => {
  it('registers, describes, updates and deregisters without touching the config', async () => {
    const { send, register, changed, core } = await setup();
    const r = await register('function:fn:live', { Tags: { team: 'a' } });
    expect(r.status).toBe(200);
    expect(r.json.ScalableTargetARN).toMatch(
      /^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/[0-9a-f]{36}$/,
    );
    const d = await send('DescribeScalableTargets', { ServiceNamespace: 'lambda' });
    expect(d.json.ScalableTargets).toEqual([
      expect.objectContaining({
        ResourceId: 'function:fn:live',
        MinCapacity: 1,
        MaxCapacity: 5,
        ScalableTargetARN: r.json.ScalableTargetARN,
        SuspendedState: {
          DynamicScalingInSuspended: false,
          DynamicScalingOutSuspended: false,
          ScheduledScalingSuspended: false,
        },
      }),
    ]);
    // An update: only what is named changes; the ARN stays.
    expect(
      (await send('RegisterScalableTarget', { ...NS, ResourceId: 'function:fn:live', MaxCapacity: 9 })).json,
    ).toEqual(r.json);
    expect(await core.provisioned.list(KEY)).toEqual([]);
    expect((await send('DeregisterScalableTarget', { ...NS, ResourceId: 'function:fn:live' })).status).toBe(
      200,
    );
    expect(
      (await send('DescribeScalableTargets', { ServiceNamespace: 'lambda' })).json.ScalableTargets,
    ).toEqual([]);
    expect(changed).toEqual(['fn:live', 'fn:live', 'fn:live']);
  });

  it('refuses bad input with AWS errors', async () => {
    const { send, register } = await setup();
    expect(await register('function:fn:live', { MinCapacity: 6 })).toEqual(
      error('ValidationException', 'Minimum capacity cannot be greater than maximum capacity'),
    );
    const unsupported = error(
      'ValidationException',
      'Unsupported service namespace, resource type or scalable dimension',
    );
    expect(await register('function:fn:$LATEST')).toEqual(unsupported);
    expect(await register('function:fn:head')).toEqual(unsupported);
    expect(await register('fn:live')).toEqual(unsupported);
    expect(
      await send('RegisterScalableTarget', { ...NS, ServiceNamespace: 'ecs', ResourceId: 'service/a/b' }),
    ).toEqual(unsupported);
    expect((await register('function:nope:live')).json.__type).toBe('ValidationException');
    expect((await register('function:fn:9')).json.__type).toBe('ValidationException');
    expect(
      await send('RegisterScalableTarget', { ...NS, ServiceNamespace: 'nope', ResourceId: 'x' }),
    ).toEqual(
      error(
        'ValidationException',
        "1 validation error detected: Value 'nope' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: [ecs, elasticmapreduce, ec2, appstream, dynamodb, rds, sagemaker, custom-resource, comprehend, lambda, cassandra, kafka, elasticache, neptune, workspaces]",
      ),
    );
    expect((await send('RegisterScalableTarget', { ServiceNamespace: 'lambda' })).json.Message).toMatch(
      /^2 validation errors detected: Value null at 'scalableDimension' .*; Value null at 'resourceId' failed to satisfy constraint: Member must not be null$/,
    );
    expect(await send('DeregisterScalableTarget', { ...NS, ResourceId: 'function:fn:live' })).toEqual(
      error(
        'ObjectNotFoundException',
        'No scalable target found for service namespace: lambda, resource ID: function:fn:live, scalable dimension: lambda:function:ProvisionedConcurrency',
      ),
    );
    expect(
      await send('RegisterScalableTarget', { ...NS, ResourceId: 'function:fn:live', MinCapacity: 1 }),
    ).toEqual(
      error(
        'ValidationException',
        'MinCapacity and MaxCapacity are required for registering a new scalable target',
      ),
    );
  });

  it('pages DescribeScalableTargets with MaxResults and NextToken', async () => {
    const { send, register, core } = await setup();
    for (let i = 0; i < 4; i++) {
      await core.versions.publish(KEY).catch(() => undefined);
    }
    await register('function:fn:live');
    await register('function:fn:1');
    const seen: string[] = [];
    let token: unknown;
    do {
      const page = await send('DescribeScalableTargets', {
        ServiceNamespace: 'lambda',
        MaxResults: 1,
        NextToken: token,
      });
      seen.push(...(page.json.ScalableTargets as { ResourceId: string }[]).map((t) => t.ResourceId));
      token = page.json.NextToken;
    } while (token !== undefined);
    expect(seen).toEqual(['function:fn:1', 'function:fn:live']);
    expect(await send('DescribeScalableTargets', { ServiceNamespace: 'lambda', NextToken: 'bogus' })).toEqual(
      error('InvalidNextTokenException', 'Invalid NextToken'),
    );
    expect(
      (await send('DescribeScalableTargets', { ServiceNamespace: 'lambda', MaxResults: 51 })).json.Message,
    ).toBe(
      "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50",
    );
    expect((await send('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).json).toEqual({
      ScalableTargets: [],
    });
  });

  it('tags a target by ARN', async () => {
    const { send, register } = await setup();
    const arn = (await register('function:fn:live', { Tags: { a: '1' } })).json.ScalableTargetARN;
    await send('TagResource', { ResourceARN: arn, Tags: { b: '2' } });
    await send('UntagResource', { ResourceARN: arn, TagKeys: ['a'] });
    expect((await send('ListTagsForResource', { ResourceARN: arn })).json).toEqual({ Tags: { b: '2' } });
    const other = 'arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0000';
    expect((await send('ListTagsForResource', { ResourceARN: other })).json.__type).toBe(
      'ResourceNotFoundException',
    );
    expect((await send('ListTagsForResource', { ResourceARN: 'arn:x' })).json.__type).toBe(
      'ValidationException',
    );
  });
});

describe('aws-autoscaling: scheduled actions and policies', () => {
  it('stores, lists and deletes scheduled actions; refuses malformed schedules', async () => {
    const { send, register } = await setup();
    const base = { ...NS, ResourceId: 'function:fn:live' };
    expect(
      await send('PutScheduledAction', {
        ...base,
        ScheduledActionName: 'a',
        Schedule: 'rate(1 hour)',
        ScalableTargetAction: { MinCapacity: 2 },
      }),
    ).toEqual(
      error(
        'ObjectNotFoundException',
        'No scalable target registered for service namespace: lambda, resource ID: function:fn:live, scalable dimension: lambda:function:ProvisionedConcurrency',
      ),
    );
    await register('function:fn:live');
    for (const bad of [
      'cron(0 8 * * * *)',
      'cron(0 8 * *)',
      'rate(0 minutes)',
      'rate(1 minutes)',
      'at(2026-02-30T00:00:00)',
      'every day',
    ]) {
      const r = await send('PutScheduledAction', {
        ...base,
        ScheduledActionName: 'a',
        Schedule: bad,
        ScalableTargetAction: { MinCapacity: 2 },
      });
      expect(r.json.__type).toBe('ValidationException');
      expect(r.json.Message).toMatch(/^Invalid schedule expression: /);
    }
    expect(
      (
        await send('PutScheduledAction', {
          ...base,
          ScheduledActionName: 'a',
          Schedule: 'rate(1 hour)',
          Timezone: 'Mars/Base',
          ScalableTargetAction: { MinCapacity: 2 },
        })
      ).json.__type,
    ).toBe('ValidationException');
    expect(
      (
        await send('PutScheduledAction', {
          ...base,
          ScheduledActionName: 'a',
          Schedule: 'rate(1 hour)',
          ScalableTargetAction: { MinCapacity: 3, MaxCapacity: 2 },
        })
      ).json.Message,
    ).toBe('Minimum capacity cannot be greater than maximum capacity');
    const ok = await send('PutScheduledAction', {
      ...base,
      ScheduledActionName: 'morning',
      Schedule: 'cron(0 8 ? * MON-FRI *)',
      Timezone: 'Europe/Paris',
      StartTime: 1_800_000_000,
      ScalableTargetAction: { MinCapacity: 3, MaxCapacity: 5 },
    });
    expect(ok).toEqual({ status: 200, json: {} });
    const list = await send('DescribeScheduledActions', { ServiceNamespace: 'lambda' });
    expect(list.json.ScheduledActions).toEqual([
      expect.objectContaining({
        ScheduledActionName: 'morning',
        Schedule: 'cron(0 8 ? * MON-FRI *)',
        Timezone: 'Europe/Paris',
        StartTime: 1_800_000_000,
        ScalableTargetAction: { MinCapacity: 3, MaxCapacity: 5 },
        ScheduledActionARN: expect.stringMatching(
          /^arn:aws:autoscaling:us-east-1:123456789012:scheduledAction:[0-9a-f-]{36}:resource\/lambda\/function:fn:live:scheduledActionName\/morning$/,
        ) as unknown,
      }),
    ]);
    await send('DeleteScheduledAction', { ...base, ScheduledActionName: 'morning' });
    expect((await send('DeleteScheduledAction', { ...base, ScheduledActionName: 'morning' })).json).toEqual({
      __type: 'ObjectNotFoundException',
      Message:
        'No scheduled action found for service namespace: lambda, resource ID: function:fn:live, scalable dimension: lambda:function:ProvisionedConcurrency, scheduled action name: morning',
    });
  });

  it('stores target-tracking policies with their alarms; refuses what Lambda does not support', async () => {
    const { send, register } = await setup();
    await register('function:fn:live');
    const base = { ...NS, ResourceId: 'function:fn:live', PolicyName: 'p' };
    const tt = (cfg: object) => ({
      ...base,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: cfg,
    });
    const metric = {
      PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
    };
    expect((await send('PutScalingPolicy', base)).json.Message).toBe(
      'Unsupported policy type StepScaling for service namespace lambda',
    );
    expect((await send('PutScalingPolicy', tt({ TargetValue: 0.95, ...metric }))).json.Message).toBe(
      'The target value for LambdaProvisionedConcurrencyUtilization must be between 0.1 and 0.9',
    );
    expect(
      (
        await send(
          'PutScalingPolicy',
          tt({
            TargetValue: 0.5,
            PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          }),
        )
      ).json.Message,
    ).toBe('Unsupported metric type ECSServiceAverageCPUUtilization for service namespace lambda');
    expect(
      (
        await send(
          'PutScalingPolicy',
          tt({ TargetValue: 0.5, PredefinedMetricSpecification: { PredefinedMetricType: 'Nope' } }),
        )
      ).json.Message,
    ).toMatch(
      /^1 validation error detected: Value 'Nope' at 'targetTrackingScalingPolicyConfiguration\.predefinedMetricSpecification\.predefinedMetricType' failed to satisfy constraint: Member must satisfy enum value set: \[/,
    );
    const put = await send('PutScalingPolicy', tt({ TargetValue: 0.7, ScaleInCooldown: 60, ...metric }));
    expect(put.json.PolicyARN).toMatch(
      /^arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:[0-9a-f-]{36}:resource\/lambda\/function:fn:live:policyName\/p$/,
    );
    expect((put.json.Alarms as { AlarmName: string }[]).map((a) => a.AlarmName)).toEqual([
      expect.stringMatching(/^TargetTracking-function:fn:live-AlarmHigh-[0-9a-f-]{36}$/) as unknown,
      expect.stringMatching(/^TargetTracking-function:fn:live-AlarmLow-[0-9a-f-]{36}$/) as unknown,
    ]);
    const list = await send('DescribeScalingPolicies', {
      ServiceNamespace: 'lambda',
      ResourceId: 'function:fn:live',
    });
    expect(list.json.ScalingPolicies).toEqual([
      expect.objectContaining({
        PolicyName: 'p',
        PolicyType: 'TargetTrackingScaling',
        Alarms: put.json.Alarms,
        TargetTrackingScalingPolicyConfiguration: expect.objectContaining({
          TargetValue: 0.7,
          ScaleInCooldown: 60,
        }) as unknown,
      }),
    ]);
    await send('DeleteScalingPolicy', base);
    expect((await send('DeleteScalingPolicy', base)).json).toEqual({
      __type: 'ObjectNotFoundException',
      Message:
        'No scaling policy found for service namespace: lambda, resource ID: function:fn:live, scalable dimension: lambda:function:ProvisionedConcurrency, policy name: p',
    });
  });
});

/**
 * Moving an alias that carries provisioned concurrency (issue 16 item 8; aws-lambda.md §3.6,
 * the evidence is in the aws-lambda ledger): until the new version's environments are READY
 * the alias keeps being served by the version it left, which AWS shows as a transient
 * routing weight of 1 on that version, counts as Available and refuses a provisioned Put on
 * (a weighted alias); then the weight goes and the new version serves.
 *
 * The new version's init waits for a gate file that the test creates, so the move's middle
 * is observed without racing a timer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetAliasCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvalidParameterValueException,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
// Init waits for $GATE when the version has one (the second version does).
const SOURCE = `import { existsSync } from 'node:fs';
const gate = process.env.GATE;
while (gate !== undefined && !existsSync(gate)) {
  await new Promise((r) => setTimeout(r, 5));
}
export const handler = async () => ({ type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, pid: process.pid });`;

let p: TestPlatform;
let gateDir: string;

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await read();
    if (done(v)) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${JSON.stringify(v)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const getConfig = (client: LambdaClient) =>
  client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'mover', Qualifier: 'LIVE' }));

async function invoke(qualifier: string) {
  const out = await p.client.send(new InvokeCommand({ FunctionName: 'mover', Qualifier: qualifier }));
  const body = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { type: string; pid: number };
  return { version: out.ExecutedVersion, ...body };
}

beforeAll(async () => {
  p = await startPlatform();
  gateDir = mkdtempSync(path.join(tmpdir(), 'hearth-gate-'));
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: 'mover',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: await makeZip({ 'index.mjs': SOURCE }) },
      Publish: true,
    }),
  );
  await p.client.send(new CreateAliasCommand({ FunctionName: 'mover', Name: 'LIVE', FunctionVersion: '1' }));
});

afterAll(async () => {
  await p.dispose();
  rmSync(gateDir, { recursive: true, force: true });
});

describe('moving an alias with provisioned concurrency (§3.6)', () => {
  it('keeps the old version serving, counted as Available, until the new one is READY', async () => {
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'mover',
        Qualifier: 'LIVE',
        ProvisionedConcurrentExecutions: 1,
      }),
    );
    await waitFor(
      'READY on version 1',
      () => getConfig(p.client),
      (c) => c.Status === 'READY',
    );
    const before = await invoke('LIVE');
    expect(before).toMatchObject({ version: '1', type: 'provisioned-concurrency' });

    const gate = path.join(gateDir, 'open');
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'mover',
        Environment: { Variables: { GATE: gate } },
      }),
    );
    await p.client.send(new PublishVersionCommand({ FunctionName: 'mover' }));
    const moved = await p.client.send(
      new UpdateAliasCommand({ FunctionName: 'mover', Name: 'LIVE', FunctionVersion: '2' }),
    );
    // AWS adds the version left as an additional version of weight 1 while it shifts.
    expect(moved.FunctionVersion).toBe('2');
    expect(moved.RoutingConfig?.AdditionalVersionWeights).toEqual({ '1': 1 });

    // The recording: IN_PROGRESS, Allocated 1, Available 1 right after the move.
    const during = await getConfig(p.client);
    expect(during).toMatchObject({
      Status: 'IN_PROGRESS',
      RequestedProvisionedConcurrentExecutions: 1,
      AllocatedProvisionedConcurrentExecutions: 1,
      AvailableProvisionedConcurrentExecutions: 1,
    });
    const alias = await p.client.send(new GetAliasCommand({ FunctionName: 'mover', Name: 'LIVE' }));
    expect(alias.RoutingConfig?.AdditionalVersionWeights).toEqual({ '1': 1 });
    // The old version's environment serves the alias meanwhile: no cold start.
    expect(await invoke('LIVE')).toEqual({ version: '1', type: 'provisioned-concurrency', pid: before.pid });
    // A weighted alias takes no provisioned Put (what Terraform meets mid-move).
    const refused = await p.client
      .send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: 'mover',
          Qualifier: 'LIVE',
          ProvisionedConcurrentExecutions: 2,
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidParameterValueException);
    expect((refused as Error).message).toBe(
      'Alias with weights can not be used with Provisioned Concurrency',
    );

    writeFileSync(gate, '');
    const ready = await waitFor(
      'READY on version 2',
      () => getConfig(p.client),
      (c) => c.Status === 'READY',
    );
    expect(ready).toMatchObject({
      AllocatedProvisionedConcurrentExecutions: 1,
      AvailableProvisionedConcurrentExecutions: 1,
    });
    // READY means the move is over: the weight is gone and version 2 serves the alias.
    const after = await p.client.send(new GetAliasCommand({ FunctionName: 'mover', Name: 'LIVE' }));
    expect(after.FunctionVersion).toBe('2');
    expect(after.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    expect(after.RevisionId).not.toBe(moved.RevisionId);
    const served = await invoke('LIVE');
    expect(served).toMatchObject({ version: '2', type: 'provisioned-concurrency' });
    expect(served.pid).not.toBe(before.pid);
    // Version 1 runs on demand again.
    expect(await invoke('1')).toMatchObject({ version: '1', type: 'on-demand' });
  });

  it('a move back before the new version is READY ends the move at once', async () => {
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'mover',
        Environment: { Variables: { GATE: path.join(gateDir, 'never') } },
      }),
    );
    await p.client.send(new PublishVersionCommand({ FunctionName: 'mover' }));
    const moved = await p.client.send(
      new UpdateAliasCommand({ FunctionName: 'mover', Name: 'LIVE', FunctionVersion: '3' }),
    );
    expect(moved.RoutingConfig?.AdditionalVersionWeights).toEqual({ '2': 1 });
    expect(await getConfig(p.client)).toMatchObject({
      Status: 'IN_PROGRESS',
      AvailableProvisionedConcurrentExecutions: 1,
    });

    const back = await p.client.send(
      new UpdateAliasCommand({ FunctionName: 'mover', Name: 'LIVE', FunctionVersion: '2' }),
    );
    expect(back.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    const ready = await waitFor(
      'READY on version 2 again',
      () => getConfig(p.client),
      (c) => c.Status === 'READY',
    );
    expect(ready.AvailableProvisionedConcurrentExecutions).toBe(1);
    expect(await invoke('LIVE')).toMatchObject({ version: '2', type: 'provisioned-concurrency' });
  });

  it('a move survives a restart and ends when the new version is READY', async () => {
    const gate = path.join(gateDir, 'after-restart');
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'mover',
        Environment: { Variables: { GATE: gate } },
      }),
    );
    await p.client.send(new PublishVersionCommand({ FunctionName: 'mover' }));
    await p.client.send(
      new UpdateAliasCommand({ FunctionName: 'mover', Name: 'LIVE', FunctionVersion: '4' }),
    );
    p = await p.restart();
    const alias = await p.client.send(new GetAliasCommand({ FunctionName: 'mover', Name: 'LIVE' }));
    expect(alias.RoutingConfig?.AdditionalVersionWeights).toEqual({ '2': 1 });
    // The version left had no environment after the restart: it runs on demand meanwhile.
    expect(await getConfig(p.client)).toMatchObject({
      Status: 'IN_PROGRESS',
      AvailableProvisionedConcurrentExecutions: 0,
    });
    expect(await invoke('LIVE')).toMatchObject({ version: '2', type: 'on-demand' });
    writeFileSync(gate, '');
    await waitFor(
      'READY on version 4',
      () => getConfig(p.client),
      (c) => c.Status === 'READY',
    );
    const after = await p.client.send(new GetAliasCommand({ FunctionName: 'mover', Name: 'LIVE' }));
    expect(after.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    expect(await invoke('LIVE')).toMatchObject({ version: '4', type: 'provisioned-concurrency' });
  });
});

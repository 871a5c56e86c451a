/**
 * Nothing left behind (issue 13): environments in a long init when `hearth serve` is
 * killed with SIGKILL end by themselves (setpriv's parent-death signal), and where the
 * machine offers no setpriv a restart on the same data dir sweeps them (their
 * `_HEARTH_OWNER` mark). Memory cgroups are off, as when hearth is not root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, expect, it } from 'vitest';
import { TEST_ACCOUNT, lambdaClient } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
const scratch = mkdtempSync(path.join(tmpdir(), 'hearth-orphans-'));
const children: ChildProcess[] = [];
const started = new Set<number>();
const ENVIRONMENTS = 4;

async function serve(
  dataDir: string,
  pathList: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'silent',
      '--memory-cgroups',
      'false',
    ],
    // Unsandboxed: the function writes its pid (the host's) into a host folder; a sandboxed
    // environment dies with hearth through bwrap's --die-with-parent instead.
    { env: { PATH: pathList, HEARTH_SANDBOX: 'off', ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /hearth listening on (http:\/\/\S+)\n/.exec(out);
      if (m?.[1] !== undefined) {
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`hearth exited ${code}`)));
  });
  return { child, url };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the environments whose init began (each writes a file named by its pid). */
function initPids(dir: string): number[] {
  return readdirSync(dir).map(Number);
}

afterAll(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
    }
  }
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** A server with a provisioned config whose environments stay in init; returns their pids. */
async function longInits(name: string, pathList: string, env: Record<string, string> = {}) {
  const dataDir = path.join(scratch, name);
  const pids = path.join(scratch, `${name}-pids`);
  mkdirSync(pids);
  const server = await serve(dataDir, pathList, env);
  const client = lambdaClient(server.url);
  await client.send(
    new CreateFunctionCommand({
      FunctionName: 'slow',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: {
        ZipFile: await makeZip({
          'index.mjs': `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.PIDS + '/' + process.pid, '');
await new Promise((r) => setTimeout(r, 600_000));
export const handler = async () => 1;`,
        }),
      },
      Environment: { Variables: { PIDS: pids } },
    }),
  );
  await client.send(new PublishVersionCommand({ FunctionName: 'slow' }));
  await client.send(new CreateAliasCommand({ FunctionName: 'slow', Name: 'live', FunctionVersion: '1' }));
  await client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'slow',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: ENVIRONMENTS,
    }),
  );
  client.destroy();
  await expect.poll(() => initPids(pids).length, { timeout: 30_000, interval: 50 }).toBe(ENVIRONMENTS);
  for (const pid of initPids(pids)) {
    started.add(pid);
  }
  return { server, dataDir, pids: initPids(pids), pidDir: pids };
}

it('environments in a long init die with a SIGKILLed hearth (parent-death signal)', async () => {
  const { server, pids } = await longInits('pdeathsig', process.env.PATH ?? '');
  server.child.kill('SIGKILL');
  await once(server.child, 'exit');
  await expect.poll(() => pids.filter(alive), { timeout: 10_000, interval: 50 }).toEqual([]);
}, 60_000);

it('without setpriv, a restart on the same data dir sweeps what the killed hearth left', async () => {
  // A PATH with node only: no setpriv (nor chrt).
  const bin = path.join(scratch, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, path.join(bin, 'node'));
  // Forked by hearth itself: a spawner would end them once it saw its channel close.
  const direct = { HEARTH_SPAWNER: 'false' };
  const { server, dataDir, pids, pidDir } = await longInits('sweep', bin, direct);
  server.child.kill('SIGKILL');
  await once(server.child, 'exit');
  // Nothing ends them now (their init does not read the channel)...
  expect(pids.filter(alive)).toEqual(pids);
  for (const pid of pids) {
    // ...they are orphans: re-parented away from the killed hearth.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).not.toBe(server.child.pid);
  }
  // ...until the next start on the same data dir, which sweeps them before it provisions.
  const second = await serve(dataDir, bin, direct);
  await expect.poll(() => pids.filter(alive), { timeout: 10_000, interval: 50 }).toEqual([]);
  // Its own environments (the re-provisioned config) are left alone.
  await expect
    .poll(() => initPids(pidDir).filter((p) => !pids.includes(p)).length, { timeout: 30_000, interval: 50 })
    .toBe(ENVIRONMENTS);
  const fresh = initPids(pidDir).filter((p) => !pids.includes(p));
  fresh.forEach((p) => started.add(p));
  expect(fresh.filter(alive)).toEqual(fresh);
  second.child.kill('SIGTERM');
  expect((await once(second.child, 'exit'))[0]).toBe(0);
  await expect.poll(() => fresh.filter(alive), { timeout: 10_000, interval: 50 }).toEqual([]);
}, 90_000);

it('without setpriv, the spawner ends what it started once it sees a SIGKILLed hearth gone', async () => {
  const bin = path.join(scratch, 'bin-spawner');
  mkdirSync(bin);
  symlinkSync(process.execPath, path.join(bin, 'node'));
  const { server, pids } = await longInits('spawner', bin);
  server.child.kill('SIGKILL');
  await once(server.child, 'exit');
  // Its channel to hearth closes with hearth's files; the spawner kills every group it started.
  await expect.poll(() => pids.filter(alive), { timeout: 10_000, interval: 50 }).toEqual([]);
}, 60_000);

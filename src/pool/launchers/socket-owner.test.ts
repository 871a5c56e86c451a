import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectionInode, processTree, SandboxSocketOwner, sandboxOwnsConnection } from './socket-owner.js';

describe('connectionInode', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1',
    '   1: 0100007F:D431 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 200007        0 1002 1',
    '   2: 0100007F:9C40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1003 1',
  ].join('\n');

  it("is the inode of the client's end", () => {
    expect(connectionInode(table, 0x9c40, 0xd431)).toBe(1002);
    expect(connectionInode(table, 0x9c40, 0x1234)).toBeUndefined();
  });
});

describe('sandboxOwnsConnection (real processes, real sockets)', () => {
  const children: ChildProcess[] = [];
  const server = net.createServer();
  afterAll(() => {
    // Each tree has its own process group: the grandchild goes with its shell.
    for (const c of children) {
      try {
        process.kill(-(c.pid ?? 0), 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
    server.close();
  });

  /** `sh` that starts a node child (a grandchild of ours) holding a connection to `port`. */
  const connectingTree = (port: number): ChildProcess => {
    const c = spawn(
      '/bin/sh',
      [
        '-c',
        `${process.execPath} -e "require('net').connect(${port}, '127.0.0.1'); setInterval(() => {}, 1000)"; exit 0`,
      ],
      { stdio: 'ignore', detached: true },
    );
    children.push(c);
    return c;
  };

  it("admits the connection of a process in the tree, not another tree's", async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const owner = connectingTree(port);
    const [socket] = (await once(server, 'connection')) as [net.Socket];
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
      detached: true,
    });
    children.push(bystander);
    const clientPort = socket.remotePort ?? 0;
    // The connection is held by a grandchild of the tree's root: found through /proc.
    expect((await processTree(owner.pid ?? 0)).size).toBeGreaterThanOrEqual(2);
    expect(await sandboxOwnsConnection(owner.pid ?? 0, port, clientPort)).toBe(true);
    expect(await sandboxOwnsConnection(bystander.pid ?? 0, port, clientPort)).toBe(false);
    expect(await sandboxOwnsConnection(owner.pid ?? 0, port, 1)).toBe(false);
    socket.destroy();
  });
});

describe('SandboxSocketOwner (a /proc of files)', () => {
  // Server port 0x9C40; the client ends 0xD431 (inode 1002) and 0xD432 (inode 1004).
  const SERVER = 0x9c40;
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:D431 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 1002 1',
    '   1: 0100007F:D432 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 1004 1',
  ].join('\n');
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) {
      rmSync(d, { recursive: true, force: true });
    }
  });

  /** A /proc with `net/tcp` above; `proc(pid, ppid, start, children, inodes)` adds a process. */
  const fakeProc = (): {
    root: string;
    proc: (pid: number, ppid: number, start: number, children: number[], inodes: number[]) => void;
    unlist: (pid: number) => void;
  } => {
    const root = mkdtempSync(path.join(tmpdir(), 'hearth-proc-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'net'));
    writeFileSync(path.join(root, 'net/tcp'), tcp);
    return {
      root,
      proc: (pid, ppid, start, children, inodes) => {
        const dir = path.join(root, String(pid));
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(path.join(dir, `task/${pid}`), { recursive: true });
        mkdirSync(path.join(dir, 'fd'));
        // Fields 3… after `pid (comm)`: state ppid, then 17 more, then starttime (field 22).
        const rest = ['S', String(ppid), ...Array<string>(17).fill('0'), String(start), '0'];
        writeFileSync(path.join(dir, 'stat'), `${pid} (node (x) y) ${rest.join(' ')}\n`);
        writeFileSync(path.join(dir, `task/${pid}/children`), children.map((c) => `${c} `).join(''));
        inodes.forEach((inode, i) => symlinkSync(`socket:[${inode}]`, path.join(dir, `fd/${i + 3}`)));
      },
      unlist: (pid) => unlinkSync(path.join(root, `${pid}/task/${pid}/children`)),
    };
  };

  it('walks the tree once, then asks the processes it found', async () => {
    const p = fakeProc();
    p.proc(10, 1, 500, [11], []);
    p.proc(11, 10, 501, [], [1002, 1004]);
    const owner = new SandboxSocketOwner(10, p.root);
    expect(await owner.owns(SERVER, 0xd431)).toBe(true);
    // The tree is not read again: a later connection of the runtime is found in the cache.
    p.unlist(10);
    expect(await owner.owns(SERVER, 0xd432)).toBe(true);
    expect(owner.walks).toBe(1);
    // A connection nobody holds, or one that is not to the server, is refused.
    expect(await owner.owns(SERVER, 0x1234)).toBe(false);
    expect(await owner.owns(0x1111, 0xd431)).toBe(false);
  });

  it('walks again on a miss, and admits a process the runtime started since', async () => {
    const p = fakeProc();
    p.proc(10, 1, 500, [11], []);
    p.proc(11, 10, 501, [], [1002]);
    const owner = new SandboxSocketOwner(10, p.root);
    expect(await owner.owns(SERVER, 0xd431)).toBe(true);
    p.proc(11, 10, 501, [12], [1002]);
    p.proc(12, 11, 502, [], [1004]);
    expect(await owner.owns(SERVER, 0xd432)).toBe(true);
    expect(owner.walks).toBe(2);
  });

  it('refuses a socket held outside the tree, even by a pid the tree once had', async () => {
    const p = fakeProc();
    p.proc(10, 1, 500, [11, 12], []);
    p.proc(11, 10, 501, [], [1002]);
    p.proc(12, 10, 502, [], []);
    const owner = new SandboxSocketOwner(10, p.root);
    expect(await owner.owns(SERVER, 0xd431)).toBe(true);
    // 12 ends; its pid goes to a process of another tree (a later start), holding 1004.
    p.proc(10, 1, 500, [11], []);
    p.proc(12, 99, 900, [], [1004]);
    expect(await owner.owns(SERVER, 0xd432)).toBe(false);
    // A child listed under 10 whose stat names another parent is not 10's (a reused pid).
    p.proc(10, 1, 500, [11, 12], []);
    expect(await owner.owns(SERVER, 0xd432)).toBe(false);
    expect([...(await processTree(10, p.root)).keys()].sort()).toEqual([10, 11]);
  });

  it('refuses everything once the root is gone', async () => {
    const p = fakeProc();
    expect(await sandboxOwnsConnection(10, SERVER, 0xd431, p.root)).toBe(false);
  });
});

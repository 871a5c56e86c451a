import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionInode, processTree, sandboxOwnsConnection } from './socket-owner.js';

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
    expect(processTree(owner.pid ?? 0).length).toBeGreaterThanOrEqual(2);
    expect(await sandboxOwnsConnection(owner.pid ?? 0, port, clientPort)).toBe(true);
    expect(await sandboxOwnsConnection(bystander.pid ?? 0, port, clientPort)).toBe(false);
    expect(await sandboxOwnsConnection(owner.pid ?? 0, port, 1)).toBe(false);
    socket.destroy();
  });
});

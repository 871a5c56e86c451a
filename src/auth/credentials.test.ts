import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/helpers/temp-dirs.js';
import { openCredentialSource, readCredentialsFile } from './credentials-file.js';
import { buildKeyRing, CredentialsError, parseCredentialEntries } from './credentials.js';
import { concurrencyLimitsOf } from './account-settings.js';

const AWS = { accessKeyId: 'AKIAONE', secretAccessKey: 's1', accountId: '111111111111' };
const TC = { secretId: 'AKIDONE', secretKey: 's2', appId: '1250000000', accountId: '111111111111' };
const silent = { info: () => undefined, error: () => undefined };

const tempDir = tempDirs('hearth-cred-');

function tempFile(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

describe('the credentials document', () => {
  it('reads the JSON of the issue: an AWS key and a Tencent key sharing an account', () => {
    const ring = buildKeyRing(parseCredentialEntries({ credentials: [AWS, TC] }, 'f'), 'f');
    expect(ring.find('aws', 'AKIAONE')).toMatchObject({ accountId: '111111111111', secret: 's1' });
    expect(ring.find('tencent', 'AKIDONE')).toMatchObject({ accountId: '111111111111', appId: '1250000000' });
    // Vendors are separate: an AWS key id is not a SecretId.
    expect(ring.find('tencent', 'AKIAONE')).toBeUndefined();
  });

  it('a Tencent key naming only its AppId joins the account that AppId is linked to, else its own', () => {
    const ring = buildKeyRing(
      parseCredentialEntries(
        {
          credentials: [
            TC,
            { secretId: 'AKIDTWO', secretKey: 'x', appId: '1250000000' },
            { secretId: 'AKIDTHREE', secretKey: 'y', appId: '1300000000' },
          ],
        },
        'f',
      ),
      'f',
    );
    expect(ring.find('tencent', 'AKIDTWO')?.accountId).toBe('111111111111');
    expect(ring.find('tencent', 'AKIDTHREE')?.accountId).toBe('1300000000');
  });

  it.each([
    [{ credentials: [{ secretId: 'AKIDX', secretKey: 'k' }] }, /credentials\[0\].*exactly one account/s],
    [{ credentials: [{ ...AWS, accountId: '12' }] }, /credentials\[0\]/],
    [{ credentials: [AWS, AWS] }, /AKIAONE is listed twice/],
    [{ keys: [] }, /keys/],
    [
      { credentials: [{ accessKeyId: 'A', secretAccessKey: '', accountId: '111111111111' }] },
      /credentials\[0\]/,
    ],
  ])('refuses %j, naming where', (doc, message) => {
    expect(() => buildKeyRing(parseCredentialEntries(doc, 'f'), 'f')).toThrow(message);
  });
});

describe('the credentials file', () => {
  it('reads YAML and JSON alike', () => {
    const yaml = tempFile(
      'c.yaml',
      'credentials:\n  - accessKeyId: AKIAONE\n    secretAccessKey: s1\n    accountId: "111111111111"\n',
    );
    expect(readCredentialsFile(yaml)).toEqual([AWS]);
    expect(readCredentialsFile(tempFile('c.json', JSON.stringify({ credentials: [AWS] })))).toEqual([AWS]);
  });

  it('a file that does not parse names the line and column', () => {
    const json = tempFile('c.json', '{\n  "credentials": [\n    { "accessKeyId": "A" ,, }\n  ]\n}\n');
    expect(() => readCredentialsFile(json)).toThrow(CredentialsError);
    expect(() => readCredentialsFile(json)).toThrow(/c\.json:3:\d+: not valid JSON/);
    const yaml = tempFile('c.yaml', 'credentials:\n  - accessKeyId: A\n   bad: [\n');
    expect(() => readCredentialsFile(yaml)).toThrow(/c\.yaml:\d+:\d+: not valid YAML/);
    expect(() => readCredentialsFile('/nonexistent/c.yaml')).toThrow(
      /cannot read the credentials file \(ENOENT\)/,
    );
  });

  it('reloads on change; a bad edit keeps the previous keys', async () => {
    const file = tempFile('c.json', JSON.stringify({ credentials: [AWS] }));
    const reloads: Array<{ ok: boolean }> = [];
    let wake: () => void = () => undefined;
    const source = openCredentialSource({
      file,
      mode: 'verify',
      defaultAccountId: '123456789012',
      log: silent,
      onReload: (o) => {
        reloads.push(o);
        wake();
      },
    });
    source.watch();
    try {
      const next = (pred: () => boolean) =>
        new Promise<void>((resolve) => {
          wake = () => pred() && resolve();
          wake();
        });
      const replace = (text: string) => {
        writeFileSync(`${file}.tmp`, text);
        renameSync(`${file}.tmp`, file);
      };
      expect(source.find('aws', 'AKIAONE')).toBeDefined();
      replace(JSON.stringify({ credentials: [{ ...AWS, accessKeyId: 'AKIATWO' }] }));
      await next(() => source.find('aws', 'AKIATWO') !== undefined);
      expect(source.find('aws', 'AKIAONE')).toBeUndefined();
      replace('{ not json');
      await next(() => reloads.some((r) => !r.ok));
      expect(source.find('aws', 'AKIATWO')).toBeDefined();
    } finally {
      source.close();
    }
  });
});

describe('per-account limits (the `accounts` section)', () => {
  it('reads them beside the keys; an account without settings has none', () => {
    const file = tempFile(
      'c.yaml',
      [
        'credentials:',
        "  - { accessKeyId: AKIAONE, secretAccessKey: s1, accountId: '111111111111' }",
        'accounts:',
        "  - { accountId: '111111111111', concurrentExecutions: 50, minUnreservedConcurrency: 10, namespacesCount: 2 }",
      ].join('\n'),
    );
    const source = openCredentialSource({
      file,
      mode: 'verify',
      defaultAccountId: '123456789012',
      log: silent,
    });
    expect(source.accountSettings?.('111111111111')).toEqual({
      concurrentExecutions: 50,
      minUnreservedConcurrency: 10,
      namespacesCount: 2,
    });
    expect(source.accountSettings?.('222222222222')).toBeUndefined();
    // What core reads: only the concurrency figures, named as core names them.
    const limits = concurrencyLimitsOf(source);
    expect(limits('111111111111')).toEqual({ accountConcurrency: 50, minUnreservedConcurrency: 10 });
    expect(limits('222222222222')).toBeUndefined();
  });

  it.each([
    [{ accountId: '111111111111', concurrentExecutions: 0 }, /accounts\[0\]\.concurrentExecutions/],
    [{ accountId: '111111111111', concurrentExecutions: 1.5 }, /accounts\[0\]\.concurrentExecutions/],
    [{ accountId: 'abc' }, /accounts\[0\]\.accountId: must be decimal digits/],
    [{ accountId: '111111111111', concurrentExecutions: 5, minUnreservedConcurrency: 6 }, /may not exceed/],
    [{ accountId: '111111111111', burst: 3 }, /accounts\[0\]/],
  ])('refuses %j, naming the field', (account, message) => {
    const file = tempFile('c.json', JSON.stringify({ credentials: [AWS], accounts: [account] }));
    expect(() =>
      openCredentialSource({ file, mode: 'verify', defaultAccountId: '123456789012', log: silent }),
    ).toThrow(message);
  });

  it('refuses an account listed twice', () => {
    const dup = { accountId: '111111111111', concurrentExecutions: 5 };
    const file = tempFile('c.json', JSON.stringify({ credentials: [AWS], accounts: [dup, dup] }));
    expect(() =>
      openCredentialSource({ file, mode: 'verify', defaultAccountId: '123456789012', log: silent }),
    ).toThrow(/accounts\[1\]: account 111111111111 is listed twice/);
  });

  it('a reload applies new limits', async () => {
    const doc = (n: number) =>
      JSON.stringify({
        credentials: [AWS],
        accounts: [{ accountId: '111111111111', concurrentExecutions: n }],
      });
    const file = tempFile('c.json', doc(5));
    let wake: () => void = () => undefined;
    const source = openCredentialSource({
      file,
      mode: 'verify',
      defaultAccountId: '123456789012',
      log: silent,
      onReload: () => wake(),
    });
    source.watch();
    try {
      const reloaded = new Promise<void>((resolve) => {
        wake = () => source.accountSettings?.('111111111111')?.concurrentExecutions === 7 && resolve();
      });
      writeFileSync(`${file}.tmp`, doc(7));
      renameSync(`${file}.tmp`, file);
      await reloaded;
      expect(source.accountSettings?.('111111111111')).toEqual({ concurrentExecutions: 7 });
    } finally {
      source.close();
    }
  });
});

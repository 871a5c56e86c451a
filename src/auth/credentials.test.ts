import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCredentialSource, readCredentialsFile } from './credentials-file.js';
import { buildKeyRing, CredentialsError, parseCredentialEntries } from './credentials.js';

const AWS = { accessKeyId: 'AKIAONE', secretAccessKey: 's1', accountId: '111111111111' };
const TC = { secretId: 'AKIDONE', secretKey: 's2', appId: '1250000000', accountId: '111111111111' };
const silent = { info: () => undefined, error: () => undefined };

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'hearth-cred-')), name);
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

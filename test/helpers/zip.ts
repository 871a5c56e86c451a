/**
 * Builds zips in memory for tests, including the hostile ones a validator must refuse.
 *
 *   await makeZip({ 'index.mjs': 'export const handler = ...' })
 *   await makeZip({ bootstrap: { data: '#!/bin/sh\n...', mode: 0o755 } })
 *   await makeZip({ 'link': { symlink: '../../etc/passwd' } })
 *   await makeZip({ '../evil.txt': 'x', 'a\\b': 'y', '/abs': 'z' })
 *
 * yazl refuses (or rewrites) absolute names, `..` segments and backslashes, so such
 * names are written under a same-length placeholder and patched into the finished
 * archive's bytes (the name is not covered by any checksum).
 */
import { randomBytes } from 'node:crypto';
import yazl from 'yazl';

export type ZipEntryInput =
  | string
  | Buffer
  | { readonly data: string | Buffer; readonly mode?: number; readonly compress?: boolean }
  | { readonly symlink: string }
  | { readonly directory: true; readonly mode?: number };

/** Unix file type bits for a symlink (S_IFLNK). */
const S_IFLNK = 0o120000;

export async function makeZip(files: Record<string, ZipEntryInput>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const patches: { placeholder: Buffer; real: Buffer }[] = [];
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const [name, input] of Object.entries(files)) {
    const metadataPath = yazlSafeName(name, patches);
    if (typeof input === 'string' || Buffer.isBuffer(input)) {
      zip.addBuffer(Buffer.from(input), metadataPath, { mtime, mode: 0o100644 });
    } else if ('symlink' in input) {
      zip.addBuffer(Buffer.from(input.symlink), metadataPath, {
        mtime,
        mode: S_IFLNK | 0o777,
        compress: false,
      });
    } else if ('directory' in input) {
      zip.addEmptyDirectory(metadataPath, { mtime, mode: input.mode ?? 0o40755 });
    } else {
      const mode = input.mode ?? 0o644;
      zip.addBuffer(Buffer.from(input.data), metadataPath, {
        mtime,
        // A bare permission mode (0o755) is completed into a regular file's mode.
        mode: (mode & 0o170000) === 0 ? 0o100000 | mode : mode,
        compress: input.compress ?? true,
      });
    }
  }
  zip.end();
  const bytes = await collect(zip.outputStream);
  for (const { placeholder, real } of patches) {
    let at = bytes.indexOf(placeholder);
    if (at < 0) {
      throw new Error('makeZip: placeholder not found in the archive');
    }
    while (at >= 0) {
      real.copy(bytes, at);
      at = bytes.indexOf(placeholder, at + real.length);
    }
  }
  return bytes;
}

/** A name yazl accepts unchanged: the real one, or a random placeholder of equal byte length. */
function yazlSafeName(name: string, patches: { placeholder: Buffer; real: Buffer }[]): string {
  const acceptable =
    name !== '' &&
    !name.includes('\\') &&
    !name.startsWith('/') &&
    !/^[A-Za-z]:/.test(name) &&
    !name.split('/').includes('..');
  if (acceptable) {
    return name;
  }
  const real = Buffer.from(name, 'utf8');
  // Hex digits only: no '/', so yazl treats it as a plain file name.
  const placeholder = Buffer.from(
    randomBytes(real.length).toString('hex').slice(0, real.length).replace(/^./, 'p'),
    'utf8',
  );
  if (name.endsWith('/')) {
    // A directory name keeps its trailing slash so yazl sees the same shape.
    placeholder[placeholder.length - 1] = 0x2f;
  }
  patches.push({ placeholder, real });
  return placeholder.toString('utf8');
}

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * Reads and validates a code package (a zip held in memory) with yauzl.
 *
 * One routine serves both `put` (validate, discard the bytes) and `unpacked` (validate
 * again while writing the bytes out), so what was accepted is exactly what gets extracted.
 * Checks, cheapest first:
 *   1. zipped size against the limit, before parsing anything;
 *   2. the central directory: format, entry names (entry-paths.ts), duplicate or
 *      overlapping paths, encryption, compression method, and the sum of declared sizes;
 *   3. symlink targets (read from the entries' data) must resolve inside the root;
 *   4. every file is inflated: actual bytes are counted against the unzipped limit (never
 *      trusting the headers) and checked against the entry's CRC-32, which yauzl does not
 *      verify itself.
 */
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { PlatformError, isPlatformError } from '../../core/errors.js';
import { S_IFDIR, S_IFLNK, S_IFMT, entrySegments, symlinkEscapes } from './entry-paths.js';

/** AWS Lambda's limits for a zip uploaded directly (bytes). */
export const ZIPPED_LIMIT_BYTES = 52_428_800;
export const UNZIPPED_LIMIT_BYTES = 262_144_000;

/** Longest symlink target we read (Linux PATH_MAX). */
const MAX_SYMLINK_TARGET_BYTES = 4096;

export interface PackageEntry {
  /** Normalised path under the root, `/`-separated, never empty. */
  readonly path: string;
  /** The name as stored in the zip, for error details. */
  readonly name: string;
  readonly kind: 'file' | 'directory' | 'symlink';
  /** True when any execute bit is set in the entry's Unix mode. */
  readonly executable: boolean;
  /** Symlinks only. */
  readonly target?: string;
}

export interface ZipLimits {
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
}

export interface ReadPackageOptions {
  readonly limits?: ZipLimits;
  /** Where each regular file's bytes go; without it they are inflated and discarded. */
  readonly openFile?: (entry: PackageEntry) => Promise<Writable>;
}

export interface PackageContents {
  readonly entries: readonly PackageEntry[];
  /** Actual inflated bytes of every entry (files and symlink targets). */
  readonly unzippedSizeBytes: number;
}

interface ScannedEntry extends PackageEntry {
  readonly zipEntry: yauzl.Entry;
}

/** yauzl functions missing from @types/yauzl (which describes yauzl 2). */
const lowLevel = yauzl as unknown as {
  getFileNameLowLevel(
    generalPurposeBitFlag: number,
    fileNameBuffer: Buffer,
    extraFields: readonly { id: number; data: Buffer }[],
    strictFileNames: boolean,
  ): string;
};

const invalid = (reason: string, cause?: unknown): PlatformError<'CODE_INVALID_ZIP'> =>
  new PlatformError('CODE_INVALID_ZIP', { reason }, cause === undefined ? undefined : { cause });
const unsafe = (entry: string): PlatformError<'CODE_UNSAFE_ENTRY'> =>
  new PlatformError('CODE_UNSAFE_ENTRY', { entry });

export async function readPackage(zip: Buffer, options: ReadPackageOptions = {}): Promise<PackageContents> {
  const limits = options.limits ?? { zippedBytes: ZIPPED_LIMIT_BYTES, unzippedBytes: UNZIPPED_LIMIT_BYTES };
  if (zip.length > limits.zippedBytes) {
    throw new PlatformError('CODE_ZIPPED_TOO_LARGE', { limitBytes: limits.zippedBytes });
  }
  const zipfile = await openZip(zip);
  try {
    const entries = await scan(zipfile, limits);
    const meter = { totalBytes: 0, limitBytes: limits.unzippedBytes };
    await checkSymlinks(zipfile, entries, meter);
    for (const entry of entries) {
      if (entry.kind === 'file') {
        const sink = options.openFile === undefined ? discard() : await options.openFile(entry);
        await inflate(zipfile, entry, sink, meter);
      }
    }
    return { entries: entries.map(({ zipEntry: _, ...rest }) => rest), unzippedSizeBytes: meter.totalBytes };
  } finally {
    zipfile.close();
  }
}

function openZip(zip: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings:false so that yauzl neither rewrites backslashes nor rejects unsafe
    // names with an untyped error: we decode names ourselves and report the entry.
    yauzl.fromBuffer(
      zip,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true },
      (err, zf) => {
        if (err !== null) {
          reject(invalid(err.message, err));
        } else {
          resolve(zf);
        }
      },
    );
  });
}

function readCentralDirectory(zipfile: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zipfile.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zipfile.readEntry();
    });
    zipfile.on('end', () => resolve(entries));
    zipfile.on('error', (err: Error) => reject(invalid(err.message, err)));
    zipfile.readEntry();
  });
}

function entryName(entry: yauzl.Entry): string {
  const raw: unknown = (entry as unknown as { fileNameRaw?: unknown }).fileNameRaw ?? entry.fileName;
  if (!Buffer.isBuffer(raw)) {
    throw new PlatformError('INTERNAL', { reason: 'yauzl returned a decoded file name' });
  }
  // strictFileNames=true keeps backslashes, so entrySegments can refuse them.
  return lowLevel.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
}

async function scan(zipfile: yauzl.ZipFile, limits: ZipLimits): Promise<ScannedEntry[]> {
  const raw = await readCentralDirectory(zipfile);
  const entries: ScannedEntry[] = [];
  let declaredBytes = 0;
  for (const zipEntry of raw) {
    const name = entryName(zipEntry);
    const segments = entrySegments(name);
    if (segments === undefined) {
      throw unsafe(name);
    }
    // Unix mode sits in the high 16 bits of the external attributes (Info-ZIP, yazl,
    // 7-Zip's Unix extension); zero when the archiver recorded none.
    const mode = (zipEntry.externalFileAttributes >>> 16) & 0xffff;
    const type = mode & S_IFMT;
    const kind = type === S_IFLNK ? 'symlink' : name.endsWith('/') || type === S_IFDIR ? 'directory' : 'file';
    if (segments.length === 0) {
      if (kind === 'directory') {
        continue; // `./`: the root itself
      }
      throw unsafe(name);
    }
    if (zipEntry.isEncrypted()) {
      throw invalid(`encrypted entry ${name} is not supported`);
    }
    if (zipEntry.compressionMethod !== 0 && zipEntry.compressionMethod !== 8) {
      throw invalid(`entry ${name} uses unsupported compression method ${zipEntry.compressionMethod}`);
    }
    // Declared sizes only give an early, cheap refusal; inflate() counts the real bytes.
    declaredBytes += zipEntry.uncompressedSize;
    if (declaredBytes > limits.unzippedBytes) {
      throw new PlatformError('CODE_UNZIPPED_TOO_LARGE', { limitBytes: limits.unzippedBytes });
    }
    entries.push({ path: segments.join('/'), name, kind, executable: (mode & 0o111) !== 0, zipEntry });
  }
  checkLayout(entries);
  return entries;
}

/**
 * Every path names one thing. Duplicates could let a validated entry be replaced by an
 * unvalidated one, and a file or symlink that is also a parent of another entry would
 * make extraction write through it (the classic `link -> /etc` then `link/passwd`).
 */
function checkLayout(entries: readonly ScannedEntry[]): void {
  const directories = new Set<string>();
  const others = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      directories.add(entry.path); // repeated directory entries are harmless
    } else if (others.has(entry.path)) {
      throw unsafe(entry.name);
    } else {
      others.add(entry.path);
    }
    // Every ancestor, each built from the one before (linear in the path's length).
    for (let slash = entry.path.indexOf('/'); slash !== -1; slash = entry.path.indexOf('/', slash + 1)) {
      directories.add(entry.path.slice(0, slash));
    }
  }
  for (const entry of entries) {
    if (entry.kind !== 'directory' && directories.has(entry.path)) {
      throw unsafe(entry.name);
    }
  }
}

interface Meter {
  totalBytes: number;
  readonly limitBytes: number;
}

async function checkSymlinks(zipfile: yauzl.ZipFile, entries: ScannedEntry[], meter: Meter): Promise<void> {
  const links = new Map<string, string>();
  for (const [i, entry] of entries.entries()) {
    if (entry.kind !== 'symlink') {
      continue;
    }
    if (entry.zipEntry.uncompressedSize > MAX_SYMLINK_TARGET_BYTES) {
      throw unsafe(entry.name);
    }
    const chunks: Buffer[] = [];
    await inflate(
      zipfile,
      entry,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
      meter,
    );
    const target = Buffer.concat(chunks).toString('utf8');
    if (target === '') {
      throw unsafe(entry.name);
    }
    links.set(entry.path, target);
    entries[i] = { ...entry, target };
  }
  for (const entry of entries) {
    if (entry.target !== undefined && symlinkEscapes(entry.path, entry.target, links)) {
      throw unsafe(entry.name);
    }
  }
}

function openReadStream(zipfile: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zipfile.openReadStream(entry, (err, stream) => {
      if (err !== null) {
        reject(invalid(err.message, err));
      } else {
        resolve(stream);
      }
    });
  });
}

/** Streams one entry's inflated bytes into `sink`, counting them and checking its CRC. */
async function inflate(
  zipfile: yauzl.ZipFile,
  entry: ScannedEntry,
  sink: Writable,
  meter: Meter,
): Promise<void> {
  const source = await openReadStream(zipfile, entry.zipEntry);
  let crc = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      meter.totalBytes += chunk.length;
      if (meter.totalBytes > meter.limitBytes) {
        done(new PlatformError('CODE_UNZIPPED_TOO_LARGE', { limitBytes: meter.limitBytes }));
        return;
      }
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(crc === entry.zipEntry.crc32 ? null : invalid(`CRC-32 mismatch in entry ${entry.name}`));
    },
  });
  try {
    await pipeline(source, check, sink);
  } catch (e) {
    if (isPlatformError(e)) {
      throw e;
    }
    // File-system errors come from the sink (disk full, permissions): they are ours, not
    // the zip's, so they pass through unchanged for the caller to report as internal.
    if (typeof e === 'object' && e !== null && 'syscall' in e) {
      throw e;
    }
    throw invalid(e instanceof Error ? e.message : String(e), e);
  }
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}

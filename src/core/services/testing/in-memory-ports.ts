/**
 * In-memory fakes of core's ports for core's unit tests: a Store that keeps records in
 * maps, a PackageStore that accepts anything starting with the zip signature, a Pool that
 * records drains, and a settable clock. Not used in production.
 */
import { createHash } from 'node:crypto';
import { PlatformError } from '../../errors.js';
import type { CoreDeps, CoreLimits } from '../../index.js';
import type {
  AliasRecord,
  FunctionKey,
  FunctionRecord,
  NamespaceRecord,
  ProvisionedConfigRecord,
  Scope,
  VersionRecord,
} from '../../model.js';
import { functionKeyString } from '../../model.js';
import type { Clock, PackageInfo, PackageStore, Pool, Store } from '../../ports.js';

interface FunctionEntry {
  fn: FunctionRecord;
  versions: Map<string, VersionRecord>;
  aliases: Map<string, AliasRecord>;
  configs: Map<string, ProvisionedConfigRecord>;
}

export class MemoryStore implements Store {
  private readonly functions = new Map<string, FunctionEntry>();
  private readonly namespaces = new Map<string, NamespaceRecord[]>();
  private readonly settings = new Map<string, Readonly<Record<string, unknown>>>();
  /** Count of write calls, to assert that a failed precondition wrote nothing. */
  writes = 0;

  private entry(key: FunctionKey): FunctionEntry | undefined {
    return this.functions.get(functionKeyString(key));
  }

  getFunction(key: FunctionKey) {
    return Promise.resolve(this.entry(key)?.fn);
  }
  listFunctions(scope: Scope, namespace?: string) {
    return Promise.resolve(
      [...this.functions.values()]
        .map((e) => e.fn)
        .filter(
          (f) =>
            f.key.accountId === scope.accountId &&
            f.key.region === scope.region &&
            (namespace === undefined || f.key.namespace === namespace),
        )
        .sort((a, b) => (a.key.name < b.key.name ? -1 : a.key.name > b.key.name ? 1 : 0)),
    );
  }
  listAllFunctions() {
    return Promise.resolve([...this.functions.values()].map((e) => e.fn));
  }
  createFunction(fn: FunctionRecord, published?: VersionRecord) {
    this.writes++;
    if (this.entry(fn.key) !== undefined) {
      return Promise.reject(new PlatformError('FUNCTION_ALREADY_EXISTS', { functionName: fn.key.name }));
    }
    const versions = new Map<string, VersionRecord>();
    if (published !== undefined) {
      versions.set(published.version, published);
    }
    this.functions.set(functionKeyString(fn.key), { fn, versions, aliases: new Map(), configs: new Map() });
    return Promise.resolve();
  }
  updateFunction(fn: FunctionRecord) {
    this.writes++;
    const e = this.entry(fn.key);
    if (e !== undefined) {
      e.fn = fn;
    }
    return Promise.resolve();
  }
  deleteFunction(key: FunctionKey) {
    this.writes++;
    this.functions.delete(functionKeyString(key));
    return Promise.resolve();
  }
  getVersion(key: FunctionKey, version: string) {
    return Promise.resolve(this.entry(key)?.versions.get(version));
  }
  listVersions(key: FunctionKey) {
    const versions = [...(this.entry(key)?.versions.values() ?? [])];
    return Promise.resolve(versions.sort((a, b) => Number(a.version) - Number(b.version)));
  }
  publishVersion(fn: FunctionRecord, version: VersionRecord) {
    this.writes++;
    const e = this.entry(fn.key);
    if (e !== undefined) {
      e.fn = fn;
      e.versions.set(version.version, version);
    }
    return Promise.resolve();
  }
  deleteVersion(key: FunctionKey, version: string) {
    this.writes++;
    const e = this.entry(key);
    e?.versions.delete(version);
    e?.configs.delete(version);
    return Promise.resolve();
  }
  getAlias(key: FunctionKey, name: string) {
    return Promise.resolve(this.entry(key)?.aliases.get(name));
  }
  listAliases(key: FunctionKey) {
    const aliases = [...(this.entry(key)?.aliases.values() ?? [])];
    return Promise.resolve(aliases.sort((a, b) => (a.name < b.name ? -1 : 1)));
  }
  putAlias(key: FunctionKey, alias: AliasRecord, replace: boolean) {
    this.writes++;
    const e = this.entry(key);
    if (e === undefined) {
      return Promise.resolve();
    }
    if (!replace && e.aliases.has(alias.name)) {
      return Promise.reject(
        new PlatformError('ALIAS_ALREADY_EXISTS', { functionName: key.name, alias: alias.name }),
      );
    }
    e.aliases.set(alias.name, alias);
    return Promise.resolve();
  }
  deleteAlias(key: FunctionKey, name: string) {
    this.writes++;
    const e = this.entry(key);
    e?.aliases.delete(name);
    e?.configs.delete(name);
    return Promise.resolve();
  }
  getProvisionedConfig(key: FunctionKey, qualifier: string) {
    return Promise.resolve(this.entry(key)?.configs.get(qualifier));
  }
  listProvisionedConfigs(key: FunctionKey) {
    const configs = [...(this.entry(key)?.configs.values() ?? [])];
    return Promise.resolve(configs.sort((a, b) => (a.qualifier < b.qualifier ? -1 : 1)));
  }
  listAllProvisionedConfigs() {
    const out: { key: FunctionKey; config: ProvisionedConfigRecord }[] = [];
    for (const e of this.functions.values()) {
      for (const config of e.configs.values()) {
        out.push({ key: e.fn.key, config });
      }
    }
    return Promise.resolve(out);
  }
  putProvisionedConfig(key: FunctionKey, config: ProvisionedConfigRecord) {
    this.writes++;
    this.entry(key)?.configs.set(config.qualifier, config);
    return Promise.resolve();
  }
  deleteProvisionedConfig(key: FunctionKey, qualifier: string) {
    this.writes++;
    this.entry(key)?.configs.delete(qualifier);
    return Promise.resolve();
  }
  listNamespaces(scope: Scope) {
    return Promise.resolve(this.namespaces.get(`${scope.accountId}/${scope.region}`) ?? []);
  }
  createNamespace(scope: Scope, ns: NamespaceRecord) {
    const k = `${scope.accountId}/${scope.region}`;
    this.namespaces.set(k, [...(this.namespaces.get(k) ?? []), ns]);
    return Promise.resolve();
  }
  deleteNamespace(scope: Scope, name: string) {
    const k = `${scope.accountId}/${scope.region}`;
    this.namespaces.set(
      k,
      (this.namespaces.get(k) ?? []).filter((n) => n.name !== name),
    );
    return Promise.resolve();
  }
  getSettings(scope: Scope) {
    return Promise.resolve(this.settings.get(`${scope.accountId}/${scope.region}`) ?? {});
  }
  putSettings(scope: Scope, settings: Readonly<Record<string, unknown>>) {
    this.settings.set(`${scope.accountId}/${scope.region}`, settings);
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
}

/** The local file header signature every zip starts with. */
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

export class MemoryPackageStore implements PackageStore {
  readonly packages = new Map<string, Buffer>();

  put(zip: Buffer): Promise<PackageInfo> {
    const looksLikeZip = zip.subarray(0, 4).equals(ZIP_MAGIC) || zip.equals(EMPTY_ZIP);
    if (!looksLikeZip) {
      return Promise.reject(new PlatformError('CODE_INVALID_ZIP', { reason: 'not a zip archive' }));
    }
    const sha256Hex = createHash('sha256').update(zip).digest('hex');
    this.packages.set(sha256Hex, zip);
    return Promise.resolve({ sha256Hex, sizeBytes: zip.length, unzippedSizeBytes: zip.length });
  }
  read(sha256Hex: string) {
    const bytes = this.packages.get(sha256Hex);
    return bytes === undefined
      ? Promise.reject(new Error(`no package ${sha256Hex}`))
      : Promise.resolve(bytes);
  }
  has(sha256Hex: string) {
    return Promise.resolve(this.packages.has(sha256Hex));
  }
  unpacked(sha256Hex: string) {
    return Promise.resolve(`/memory/${sha256Hex}`);
  }
}

export class RecordingPool implements Pool {
  readonly drained: string[] = [];
  invoke(): never {
    throw new Error('RecordingPool does not invoke');
  }
  setProvisioned() {
    return undefined;
  }
  provisionedStatus() {
    return { allocated: 0, available: 0, status: 'IN_PROGRESS' as const };
  }
  provisionedUtilization() {
    return 0;
  }
  drain(prefix: string) {
    this.drained.push(prefix);
    return Promise.resolve();
  }
  start() {
    return Promise.resolve();
  }
  dispose() {
    return Promise.resolve();
  }
}

export class ManualClock implements Clock {
  constructor(public nowMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678)) {}
  now() {
    return this.nowMs;
  }
  advance(ms: number) {
    this.nowMs += ms;
  }
}

export interface MemoryDeps extends CoreDeps {
  readonly store: MemoryStore;
  readonly packages: MemoryPackageStore;
  readonly pool: RecordingPool;
  readonly clock: ManualClock;
}

export function memoryDeps(limits: Partial<CoreLimits> = {}): MemoryDeps {
  return {
    store: new MemoryStore(),
    packages: new MemoryPackageStore(),
    pool: new RecordingPool(),
    clock: new ManualClock(),
    limits: { accountConcurrency: 1000, minUnreservedConcurrency: 100, ...limits },
  };
}

/** A tiny byte string that MemoryPackageStore accepts as a zip; `tag` makes it unique. */
export function fakeZip(tag = 'code'): Buffer {
  return Buffer.concat([ZIP_MAGIC, Buffer.from(tag)]);
}

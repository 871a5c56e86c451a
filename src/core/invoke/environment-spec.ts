/**
 * Builds the immutable EnvironmentSpec the pool starts environments from, for one version
 * of a function. Specs are cached per (function, version, what the configuration runs):
 * an update of `$LATEST` that changes code or settings gets a new key, so a stale spec is
 * never reused (the digest covers the layers' package digests too, so a layer change yields
 * new environments), while a change that runs the same thing (PublishVersion gives `$LATEST` a
 * new RevisionId) keeps its warm environments.
 */
import {
  INIT_TIMEOUT_EXTRA,
  functionKeyString,
  type FunctionConfig,
  type FunctionKey,
  type VersionRecord,
} from '../model.js';
import { deploymentDigest } from '../services/function-config.js';
import type { EnvironmentSpec, PackageStore } from '../ports.js';

/** Prefix shared by every spec key of a function (for Pool.drain). */
export function specPrefixOfFunction(key: FunctionKey): string {
  return `${functionKeyString(key)}/`;
}

/** Prefix shared by every spec key of one version of a function (for Pool.drain). */
export function specPrefixOfVersion(key: FunctionKey, version: string): string {
  return `${functionKeyString(key)}/${version}@`;
}

export class SpecCache {
  readonly #packages: PackageStore;
  readonly #cache = new Map<string, Promise<EnvironmentSpec>>();
  /** The specs of #cache already built, by the same keys (what `now` answers). */
  readonly #built = new Map<string, EnvironmentSpec>();

  constructor(packages: PackageStore) {
    this.#packages = packages;
  }

  /** The spec for `version` of `key`, unpacking its code once. */
  get(key: FunctionKey, version: VersionRecord): Promise<EnvironmentSpec> {
    const specKey = specKeyOf(key, version);
    let spec = this.#cache.get(specKey);
    if (spec === undefined) {
      spec = this.#build(specKey, key, version);
      this.#cache.set(specKey, spec);
      const mine = spec;
      mine.then(
        (built) => {
          if (this.#cache.get(specKey) === mine) {
            this.#built.set(specKey, built);
          }
        },
        () => {
          // A failed unpack must not be remembered (unless a newer attempt replaced it).
          if (this.#cache.get(specKey) === mine) {
            this.#cache.delete(specKey);
          }
        },
      );
    }
    return spec;
  }

  /** The spec `get` answers, if it is built already (the invoke path's read). */
  now(key: FunctionKey, version: VersionRecord): EnvironmentSpec | undefined {
    return this.#built.get(specKeyOf(key, version));
  }

  /**
   * Forgets the cached specs of one version except the one for `keep` (its current
   * configuration), returning their keys so the pool can drain exactly those environments
   * ($LATEST was updated).
   */
  forgetVersion(key: FunctionKey, version: string, keep?: FunctionConfig): string[] {
    const keepRevision = keep === undefined ? undefined : deploymentDigest(keep);
    const prefix = specPrefixOfVersion(key, version);
    const gone: string[] = [];
    for (const k of this.#cache.keys()) {
      if (k.startsWith(prefix) && k !== `${prefix}${keepRevision ?? ''}`) {
        this.#cache.delete(k);
        this.#built.delete(k);
        gone.push(k);
      }
    }
    return gone;
  }

  /** Forgets every cached spec of a function (deleted, or its $LATEST replaced). */
  forget(key: FunctionKey): void {
    const prefix = specPrefixOfFunction(key);
    for (const k of this.#cache.keys()) {
      if (k.startsWith(prefix)) {
        this.#cache.delete(k);
        this.#built.delete(k);
      }
    }
  }

  async #build(specKey: string, key: FunctionKey, v: VersionRecord): Promise<EnvironmentSpec> {
    const c = v.config;
    const codeDir = await this.#packages.unpacked(c.codeSha256Hex);
    // Layers by digest, so a deleted layer version still unpacks (content-addressed store).
    const layerDirs =
      c.layers === undefined
        ? undefined
        : await Promise.all(c.layers.map((l) => this.#packages.unpacked(l.codeSha256Hex)));
    return Object.freeze({
      key: specKey,
      accountId: key.accountId,
      region: key.region,
      namespace: key.namespace,
      functionName: key.name,
      version: v.version,
      runtime: c.runtime,
      handler: c.handler,
      memoryMb: c.memoryMb,
      timeoutSec: c.timeoutSec,
      environment: c.environment ?? {},
      codeDir,
      ...(layerDirs === undefined ? {} : { layerDirs }),
      ephemeralStorageMb: c.ephemeralStorageMb,
      logGroup: c.logGroup ?? `/aws/lambda/${key.name}`,
      ...initTimeoutOf(c),
    });
  }
}

/** Spec keys by version record (records are immutable), with the function they were made for. */
const specKeys = new WeakMap<VersionRecord, { readonly fk: string; readonly specKey: string }>();

/** The spec key of a version, made once per version record (read on every invocation). */
function specKeyOf(key: FunctionKey, version: VersionRecord): string {
  const fk = functionKeyString(key);
  const known = specKeys.get(version);
  if (known !== undefined && known.fk === fk) {
    return known.specKey;
  }
  const specKey = `${specPrefixOfVersion(key, version.version)}${deploymentDigest(version.config)}`;
  specKeys.set(version, { fk, specKey });
  return specKey;
}

/** A function's own init limit, when it has one (SCF's InitTimeout, kept in `extra`). */
function initTimeoutOf(c: FunctionConfig): { initTimeoutSec?: number } {
  const v = c.extra?.[INIT_TIMEOUT_EXTRA];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? { initTimeoutSec: v } : {};
}

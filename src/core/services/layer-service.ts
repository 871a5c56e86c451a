/**
 * Layers: publish, read, list and delete layer versions of a scope, and resolve the layer
 * versions a function configuration names (both dialects share one layer store: an SCF
 * layer is the AWS layer of the same account and region).
 *
 * Rules taken from AWS (LocalStack's AWS-validated snapshots, test_lambda_api.snapshot.json,
 * TestLambdaLayer, recorded 2025-11 and 2026-01):
 *   - version numbers start at 1 and are never reused, even after every version was deleted;
 *   - deleting a version that does not exist is not an error;
 *   - a function names at most 5 layers, never two versions of one layer (nor one twice),
 *     all in the function's region; a deleted or unknown version is refused;
 *   - a function keeps working with a layer version deleted after it was configured: its
 *     configuration holds the package digest, and packages are content-addressed.
 */
import { PlatformError } from '../errors.js';
import type { FunctionLayer, LayerKey, LayerVersionKey, LayerVersionRecord, Scope } from '../model.js';
import type { ServiceContext } from './service-context.js';

/** AWS: "Cannot reference more than 5 layers." (recorded). */
export const MAX_FUNCTION_LAYERS = 5;

export interface PublishLayerInput {
  /** The layer archive; validated and stored by the PackageStore (CODE_* errors). */
  readonly zip: Buffer;
  readonly description?: string;
  /** Undefined: not given (kept apart from `[]`, as AWS echoes them differently). */
  readonly compatibleRuntimes?: readonly string[];
  readonly compatibleArchitectures?: readonly string[];
  readonly licenseInfo?: string;
}

/** Only versions compatible with these (each absent: no filter). */
export interface LayerFilter {
  readonly runtime?: string;
  readonly architecture?: string;
}

export interface LayerService {
  publish(key: LayerKey, input: PublishLayerInput): Promise<LayerVersionRecord>;
  /** LAYER_VERSION_NOT_FOUND when it does not exist. */
  get(key: LayerVersionKey): Promise<LayerVersionRecord>;
  /** Versions of a layer matching `filter`, ascending; `[]` for a layer that has none. */
  listVersions(key: LayerKey, filter?: LayerFilter): Promise<LayerVersionRecord[]>;
  /** For each layer of the scope, its newest version matching `filter`, by layer name. */
  listLatest(scope: Scope, filter?: LayerFilter): Promise<LayerVersionRecord[]>;
  /** Deletes one version; a no-op when it does not exist. */
  delete(key: LayerVersionKey): Promise<void>;
  /**
   * The layers a function of scope `fn` may run with, in the given order, with their
   * package digests (FUNCTION_LAYER* errors otherwise).
   */
  resolve(fn: Scope, layers: readonly LayerVersionKey[]): Promise<FunctionLayer[]>;
}

function layerLockKey(key: LayerKey): string {
  return `layer:${key.accountId}/${key.region}/${key.layerName}`;
}

function matches(v: LayerVersionRecord, filter: LayerFilter): boolean {
  return (
    (filter.runtime === undefined || (v.compatibleRuntimes ?? []).includes(filter.runtime)) &&
    (filter.architecture === undefined || (v.compatibleArchitectures ?? []).includes(filter.architecture))
  );
}

function assertVersionNumber(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new PlatformError('INVALID_PARAMETER', {
      field: 'layerVersion',
      reason: 'Layer Version Cannot be less than 1',
    });
  }
}

const sameLayer = (a: LayerKey, b: LayerKey): boolean =>
  a.accountId === b.accountId && a.region === b.region && a.layerName === b.layerName;

/** Builds the layer service over the shared context. */
export function createLayerService(ctx: ServiceContext): LayerService {
  const { store, packages, clock } = ctx.deps;

  return {
    async publish(key, input) {
      // Content-addressed and idempotent, so storing before taking the lock is safe.
      const pkg = await packages.put(input.zip);
      return ctx.locks.run(layerLockKey(key), async () => {
        const record: LayerVersionRecord = {
          layerName: key.layerName,
          version: (await store.lastLayerVersion(key)) + 1,
          description: input.description ?? '',
          createdMs: clock.now(),
          codeSha256Hex: pkg.sha256Hex,
          codeSizeBytes: pkg.sizeBytes,
          ...(input.compatibleRuntimes === undefined
            ? {}
            : { compatibleRuntimes: [...input.compatibleRuntimes] }),
          ...(input.compatibleArchitectures === undefined
            ? {}
            : { compatibleArchitectures: [...input.compatibleArchitectures] }),
          ...(input.licenseInfo === undefined ? {} : { licenseInfo: input.licenseInfo }),
        };
        await store.putLayerVersion(key, record);
        return record;
      });
    },

    async get(key) {
      assertVersionNumber(key.version);
      const found = await store.getLayerVersion(key);
      if (found === undefined) {
        throw new PlatformError('LAYER_VERSION_NOT_FOUND', {
          layerName: key.layerName,
          version: key.version,
        });
      }
      return found;
    },

    async listVersions(key, filter = {}) {
      return (await store.listLayerVersions(key)).filter((v) => matches(v, filter));
    },

    async listLatest(scope, filter = {}) {
      const latest = new Map<string, LayerVersionRecord>();
      for (const v of await store.listScopeLayerVersions(scope)) {
        if (matches(v, filter)) {
          latest.set(v.layerName, v); // ascending versions: the last one wins
        }
      }
      return [...latest.values()];
    },

    async delete(key) {
      assertVersionNumber(key.version);
      await ctx.locks.run(layerLockKey(key), () => store.deleteLayerVersion(key));
    },

    async resolve(fn, layers) {
      if (layers.length > MAX_FUNCTION_LAYERS) {
        throw new PlatformError('FUNCTION_LAYERS_TOO_MANY', { limit: MAX_FUNCTION_LAYERS });
      }
      layers.forEach((second, i) => {
        const first = layers.slice(0, i).find((l) => sameLayer(l, second));
        if (first !== undefined) {
          throw new PlatformError('FUNCTION_LAYER_DUPLICATE', { first, second });
        }
      });
      const elsewhere = layers.find((l) => l.region !== fn.region);
      if (elsewhere !== undefined) {
        throw new PlatformError('FUNCTION_LAYER_WRONG_REGION', { region: fn.region, layer: elsewhere });
      }
      const resolved: FunctionLayer[] = [];
      for (const layer of layers) {
        if (layer.accountId !== fn.accountId) {
          // hearth keeps no layer permissions (AddLayerVersionPermission): another
          // account's layer is never shared, whether or not it exists.
          throw new PlatformError('FUNCTION_LAYER_ACCESS_DENIED', { accountId: fn.accountId, layer });
        }
        const found =
          Number.isSafeInteger(layer.version) && layer.version >= 1
            ? await store.getLayerVersion(layer)
            : undefined;
        if (found === undefined) {
          throw new PlatformError('FUNCTION_LAYER_NOT_FOUND', { layer });
        }
        resolved.push({
          accountId: layer.accountId,
          region: layer.region,
          layerName: layer.layerName,
          version: layer.version,
          codeSha256Hex: found.codeSha256Hex,
          codeSizeBytes: found.codeSizeBytes,
        });
      }
      return resolved;
    },
  };
}

/**
 * Asynchronous invocation configs per function and qualifier (AWS EventInvokeConfig, SCF
 * AsyncTriggerConfig): retries, maximum event age and destinations, kept in the
 * AsyncEventStore and cached here, since the queue reads its event's config per attempt.
 *
 * Rules (AWS, as LocalStack records them; aws-lambda README ledger):
 *   - the unqualified function and `$LATEST` are one config (`$LATEST`);
 *   - Put replaces the config, Update merges into an existing one (else not found),
 *     upsert (SCF's UpdateFunctionEventInvokeConfig) merges into whatever is there;
 *   - a put that sets nothing is refused; the qualifier must exist;
 *   - a destination must be another function of the same account and region that exists.
 */
import { PlatformError, notFound } from '../errors.js';
import { LATEST, functionKeyString, type FunctionKey } from '../model.js';
import type {
  AsyncEventRecord,
  AsyncEventStore,
  Clock,
  DestinationRef,
  EventInvokeConfigRecord,
  Store,
} from '../ports.js';
import type { EventPolicy } from './event-queue.js';

/** A Lambda function ARN, as AWS writes them (a DeadLetterConfig TargetArn). */
const FUNCTION_ARN =
  /^arn:aws[a-zA-Z0-9-]*:lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:(?<name>[a-zA-Z0-9-_]{1,64})(:(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$/;

export interface EventConfigInput {
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeSec?: number;
  /** `null`: remove the destination (Update); absent: keep it (Update) or none (Put). */
  readonly onSuccess?: DestinationRef | null;
  readonly onFailure?: DestinationRef | null;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export class EventConfigService {
  readonly #store: Store;
  readonly #events: AsyncEventStore;
  readonly #clock: Clock;
  readonly #defaults: EventPolicy;
  /** functionKeyString → qualifier → config (null: known to have none). */
  readonly #cache = new Map<string, Map<string, EventInvokeConfigRecord | null>>();

  constructor(d: { store: Store; events: AsyncEventStore; clock: Clock; defaults: EventPolicy }) {
    this.#store = d.store;
    this.#events = d.events;
    this.#clock = d.clock;
    this.#defaults = d.defaults;
  }

  async put(
    key: FunctionKey,
    qualifier: string | undefined,
    input: EventConfigInput,
    mode: 'put' | 'update' | 'upsert',
  ): Promise<EventInvokeConfigRecord> {
    const q = qualifier ?? LATEST;
    if (
      input.maximumRetryAttempts === undefined &&
      input.maximumEventAgeSec === undefined &&
      input.onSuccess === undefined &&
      input.onFailure === undefined
    ) {
      throw new PlatformError('EVENT_INVOKE_CONFIG_EMPTY', {});
    }
    await this.#requireQualifier(key, q);
    const base =
      mode === 'update'
        ? await this.get(key, q)
        : mode === 'upsert'
          ? await this.configOf(key, q)
          : undefined;
    for (const dest of [input.onSuccess, input.onFailure]) {
      if (dest !== undefined && dest !== null) {
        await this.#checkDestination(key, dest);
      }
    }
    const pick = <T>(v: T | null | undefined, old: T | undefined): T | undefined =>
      v === null ? undefined : (v ?? old);
    const onSuccess = pick(input.onSuccess, base?.onSuccess);
    const onFailure = pick(input.onFailure, base?.onFailure);
    const retries = input.maximumRetryAttempts ?? base?.maximumRetryAttempts;
    const age = input.maximumEventAgeSec ?? base?.maximumEventAgeSec;
    const extra = input.extra ?? base?.extra;
    const record: EventInvokeConfigRecord = {
      qualifier: q,
      ...(retries === undefined ? {} : { maximumRetryAttempts: retries }),
      ...(age === undefined ? {} : { maximumEventAgeSec: age }),
      ...(onSuccess === undefined ? {} : { onSuccess }),
      ...(onFailure === undefined ? {} : { onFailure }),
      lastModifiedMs: this.#clock.now(),
      ...(extra === undefined ? {} : { extra }),
    };
    await this.#events.putConfig(key, record);
    this.#cached(key).set(q, record);
    return record;
  }

  async get(key: FunctionKey, qualifier: string | undefined): Promise<EventInvokeConfigRecord> {
    const q = qualifier ?? LATEST;
    const config = await this.configOf(key, q);
    if (config === undefined) {
      throw new PlatformError('EVENT_INVOKE_CONFIG_NOT_FOUND', { functionName: key.name, qualifier: q });
    }
    return config;
  }

  async list(key: FunctionKey): Promise<EventInvokeConfigRecord[]> {
    if ((await this.#store.getFunction(key)) === undefined) {
      throw notFound.fn(key.name);
    }
    return this.#events.listConfigs(key);
  }

  async delete(key: FunctionKey, qualifier: string | undefined): Promise<void> {
    await this.get(key, qualifier);
    await this.forget(key, qualifier ?? LATEST);
  }

  /** Drops one qualifier's config, or every config of a deleted function. */
  async forget(key: FunctionKey, qualifier?: string): Promise<void> {
    await this.#events.deleteConfigs(key, qualifier);
    if (qualifier === undefined) {
      this.#cache.delete(functionKeyString(key));
    } else {
      this.#cached(key).delete(qualifier);
    }
  }

  /** The config an event follows: its qualifier's (unqualified means `$LATEST`). */
  async configOf(key: FunctionKey, qualifier: string): Promise<EventInvokeConfigRecord | undefined> {
    const cached = this.#cached(key);
    let config = cached.get(qualifier);
    if (config === undefined) {
      config = (await this.#events.getConfig(key, qualifier)) ?? null;
      cached.set(qualifier, config);
    }
    return config ?? undefined;
  }

  /**
   * The function's DeadLetterConfig when it names a hearth function (a Lambda function ARN
   * of the same account and region, not the function itself): where a failed event goes
   * when its config has no OnFailure destination. Another target (SQS, SNS) is only echoed.
   * It is part of the executed version's configuration, as on AWS.
   */
  async deadLetterOf(key: FunctionKey, version: string): Promise<DestinationRef | undefined> {
    const record =
      version === LATEST
        ? (await this.#store.getFunction(key))?.latest
        : await this.#store.getVersion(key, version);
    const dlq = record?.config.extra?.DeadLetterConfig as { TargetArn?: unknown } | undefined;
    const arn = typeof dlq?.TargetArn === 'string' ? dlq.TargetArn : undefined;
    const m = arn === undefined ? null : FUNCTION_ARN.exec(arn);
    if (arn === undefined || m?.groups?.name === undefined) {
      return undefined;
    }
    const target: FunctionKey = { ...key, name: m.groups.name };
    if (
      m.groups.account !== key.accountId ||
      m.groups.region !== key.region ||
      functionKeyString(target) === functionKeyString(key)
    ) {
      return undefined;
    }
    return {
      arn,
      key: target,
      ...(m.groups.qualifier === undefined ? {} : { qualifier: m.groups.qualifier }),
    };
  }

  async policyOf(ev: AsyncEventRecord): Promise<EventPolicy> {
    const config = await this.configOf(ev.key, ev.qualifier ?? LATEST);
    return {
      maximumRetryAttempts: config?.maximumRetryAttempts ?? this.#defaults.maximumRetryAttempts,
      maxEventAgeMs:
        config?.maximumEventAgeSec === undefined
          ? this.#defaults.maxEventAgeMs
          : config.maximumEventAgeSec * 1000,
    };
  }

  #cached(key: FunctionKey): Map<string, EventInvokeConfigRecord | null> {
    const id = functionKeyString(key);
    let m = this.#cache.get(id);
    if (m === undefined) {
      m = new Map();
      this.#cache.set(id, m);
    }
    return m;
  }

  async #requireQualifier(key: FunctionKey, q: string): Promise<void> {
    const fn = await this.#store.getFunction(key);
    const exists =
      fn !== undefined &&
      (q === LATEST ||
        (/^\d+$/.test(q)
          ? (await this.#store.getVersion(key, q)) !== undefined
          : (await this.#store.getAlias(key, q)) !== undefined));
    if (!exists) {
      throw notFound.fn(key.name, q === LATEST ? undefined : q);
    }
  }

  async #checkDestination(source: FunctionKey, dest: DestinationRef): Promise<void> {
    if (functionKeyString(dest.key) === functionKeyString(source)) {
      throw new PlatformError('DESTINATION_INVALID', { arn: dest.arn, reason: 'self' });
    }
    // [DESIGN] AWS checks the execution role's permissions; hearth has no IAM, so the
    // destination must exist in the caller's account and region when the config is put.
    const sameScope = dest.key.accountId === source.accountId && dest.key.region === source.region;
    if (!sameScope || (await this.#store.getFunction(dest.key)) === undefined) {
      throw new PlatformError('DESTINATION_INVALID', { arn: dest.arn, reason: 'missing' });
    }
  }
}

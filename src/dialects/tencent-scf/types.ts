/**
 * What an action handler receives and returns. Handlers validate their parameters (spec
 * §2.6: MissingParameter, InvalidParameter, then InvalidParameterValue.<Field>), call core
 * and return the response members; `RequestId` and the envelope are added by the pipeline.
 * Errors are thrown (ScfWireError or PlatformError) and rendered by index.ts.
 */
import type { CredentialSource } from '../../auth/credentials.js';
import type { Core } from '../../core/index.js';
import type { InvokeService } from '../../core/invoke/invoke-service.js';
import type { FunctionKey, Scope } from '../../core/model.js';
import type { ProvisionedService, ProvisionedView } from '../../core/provisioned/provisioned-service.js';
import type { ScalingPolicy } from '../../core/scaling/scaling-policy.js';
import type { KeyedMutex } from '../../core/services/keyed-mutex.js';
import type { NamespaceService } from '../../core/services/namespace-service.js';
import type { ScopeSettingsService } from '../../core/services/scope-settings.js';
import type { LogStore } from '../../core/logs/log-port.js';
import type { DialectLogger } from '../http.js';
import type { ScfActionName } from './action-names.js';
import type { AccountQuotaCache } from './account-view.js';
import type { DateTimeFormatter } from './codec.js';
import type { Params } from './params.js';

/** Core with the provisioned-concurrency and invoke services this dialect drives. */
export type ScfCore = Core & {
  readonly provisioned: Pick<ProvisionedService, 'put' | 'get' | 'delete' | 'list' | 'poolKey'>;
  readonly invoke: Pick<InvokeService, 'invoke'>;
};

/** Writes of provisioned configs that carry a scaling policy (core/scaling ScalingService). */
export interface ScfScaling {
  configure(
    key: FunctionKey,
    qualifier: string,
    policy: ScalingPolicy,
    extra?: Record<string, unknown>,
  ): Promise<ProvisionedView>;
  remove(key: FunctionKey, qualifier: string): Promise<void>;
}

export interface ScfDialectOptions {
  /** Region when the request has no X-TC-Region. */
  readonly defaultRegion: string;
  /** The account of every request in open mode, and of credentials without their own. */
  readonly accountId: string;
  /** Who may call (src/auth); default: open mode as `accountId`. */
  readonly credentials?: CredentialSource;
  /** Requests per second per (account, action) (spec §2.7: 20). */
  readonly rateLimitPerSecond?: number;
  /** Zone of TriggerCronConfig and of the datetimes in responses (default Asia/Shanghai, spec §3.3). */
  readonly timeZone?: string;
  /** Scheduled actions per version (LimitExceeded.ProvisionTriggerAction, spec §3.3 [REC] 20). */
  readonly maxTriggerActions?: number;
  /** Shortest interval between two fires of one TriggerCronConfig, s (0 disables the check). */
  readonly minTriggerIntervalSec?: number;
  /** Default TotalConcurrencyMem of an account, MB (spec §3.1: 128000). */
  readonly totalConcurrencyMem?: number;
  /** Highest TotalConcurrencyMem PutTotalConcurrencyConfig accepts, MB. */
  readonly totalConcurrencyMemLimit?: number;
  /** Namespaces per region besides `default` counted (spec §3.5: 5). */
  readonly maxNamespaces?: number;
  /** Functions per namespace (spec §3.5: 50). */
  readonly maxFunctionsPerNamespace?: number;
  /** Executes TriggerActions and utilisation tracking; without it policies are stored but static. */
  readonly scaling?: ScfScaling;
  readonly logger?: DialectLogger;
  /** Function logs for GetFunctionLogs (without it the action finds none). */
  readonly logs?: LogStore;
  /** Epoch ms; injectable for signature-expiry and rate-limit tests. */
  readonly now?: () => number;
  /** hearth's base URL, for download locations (GetLayerVersion's Location). */
  readonly publicUrl?: () => string;
  /** A presigned download URL of a package for an account (src/auth code-urls.ts). */
  readonly codeLocation?: (accountId: string, region: string, codeSha256Hex: string) => Promise<string>;
}

export interface ResolvedScfOptions {
  readonly defaultRegion: string;
  readonly accountId: string;
  readonly credentials: CredentialSource;
  readonly rateLimitPerSecond: number;
  readonly timeZone: string;
  readonly maxTriggerActions: number;
  readonly minTriggerIntervalSec: number;
  readonly totalConcurrencyMem: number;
  readonly totalConcurrencyMemLimit: number;
  readonly maxNamespaces: number;
  readonly maxFunctionsPerNamespace: number;
  readonly scaling?: ScfScaling;
  readonly logger?: DialectLogger;
  readonly logs?: LogStore;
  readonly now: () => number;
  readonly publicUrl?: () => string;
  readonly codeLocation?: (accountId: string, region: string, codeSha256Hex: string) => Promise<string>;
}

/** Per-dialect state shared by the handlers. */
export interface ScfServices {
  readonly namespaces: NamespaceService;
  readonly settings: ScopeSettingsService;
  /** Serialises the MB-quota read–check–write sequences of one scope (quotas.ts). */
  readonly quotaLock: KeyedMutex;
  readonly accounts: AccountQuotaCache;
  readonly dates: DateTimeFormatter;
  /** When the dialect started: the creation time shown for the implicit `default` namespace. */
  readonly startedAtMs: number;
}

export interface ActionCall {
  readonly core: ScfCore;
  readonly opts: ResolvedScfOptions;
  readonly services: ScfServices;
  readonly scope: Scope;
  readonly action: ScfActionName;
  readonly params: Params;
  readonly requestId: string;
}

/** The response members, without `RequestId`. */
export type ActionResult = Record<string, unknown>;

export type ActionHandler = (call: ActionCall) => Promise<ActionResult>;

export interface ActionDef {
  /** Largest request body accepted, bytes (RequestSizeLimitExceeded beyond, spec §2.6). */
  readonly bodyLimitBytes: number;
  readonly handler: ActionHandler;
}

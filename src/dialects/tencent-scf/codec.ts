/**
 * Neutral records → SCF wire shapes (spec §4 responses, Appendix A). Field names, string
 * flags (`"TRUE"`/`"FALSE"`) and the `YYYY-MM-DD HH:MM:SS` datetime format are Tencent's;
 * members hearth has no notion of (VPC, CLS, layers, CFS...) are rendered with their empty
 * values so typed clients find every field they expect.
 */
import { createHash } from 'node:crypto';
import type {
  AliasRecord,
  FunctionConfig,
  FunctionRecord,
  NamespaceRecord,
  VersionRecord,
} from '../../core/model.js';
import { INIT_TIMEOUT_EXTRA, functionKeyString } from '../../core/model.js';
import { scfRuntimeOf } from './runtimes.js';

/** Key in `FunctionConfig.extra` for InitTimeout (seconds): the pool's init limit (core's INIT_TIMEOUT_EXTRA). */
export const SCF_INIT_TIMEOUT_EXTRA = INIT_TIMEOUT_EXTRA;
/** SCF's default InitTimeout, s [REC: the console's default]. */
export const DEFAULT_INIT_TIMEOUT_SEC = 65;

/** Formats epoch ms as `YYYY-MM-DD HH:MM:SS` in an IANA zone (spec §4 reading guide). */
export class DateTimeFormatter {
  readonly #parts: Intl.DateTimeFormat;

  constructor(timeZone: string) {
    this.#parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }

  format(ms: number): string {
    const p: Record<string, string> = {};
    for (const part of this.#parts.formatToParts(new Date(ms))) {
      p[part.type] = part.value;
    }
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  }
}

/** A stable `lam-xxxxxxxx` id per function (Tencent's FunctionId shape). */
export function functionId(fn: FunctionRecord): string {
  return `lam-${createHash('sha256').update(functionKeyString(fn.key)).digest('hex').slice(0, 8)}`;
}

export function renderVariables(config: FunctionConfig): { Key: string; Value: string }[] {
  return Object.entries(config.environment ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

export function renderTags(fn: FunctionRecord): { Key: string; Value: string }[] {
  return Object.entries(fn.tags).map(([Key, Value]) => ({ Key, Value }));
}

export function initTimeoutOf(config: FunctionConfig): number {
  const v = config.extra?.[SCF_INIT_TIMEOUT_EXTRA];
  return typeof v === 'number' ? v : DEFAULT_INIT_TIMEOUT_SEC;
}

export interface FunctionQuotaFigures {
  /** Σ requested instances × memory over the function's provisioned configs, MB. */
  readonly totalProvisionedMb: number;
  /** Effective reserved quota, MB; undefined when none. */
  readonly reservedMb?: number;
}

/** A `Function` list item (Appendix A Function). */
export function renderFunctionItem(
  fn: FunctionRecord,
  quota: FunctionQuotaFigures,
  dates: DateTimeFormatter,
): Record<string, unknown> {
  const c = fn.latest.config;
  return {
    ModTime: dates.format(fn.latest.lastModifiedMs),
    AddTime: dates.format(fn.createdMs),
    Runtime: scfRuntimeOf(c),
    FunctionName: fn.key.name,
    FunctionId: functionId(fn),
    Namespace: fn.key.namespace,
    Status: 'Active',
    StatusDesc: '',
    Description: c.description,
    Tags: renderTags(fn),
    Type: 'Event',
    StatusReasons: [],
    TotalProvisionedConcurrencyMem: quota.totalProvisionedMb,
    ReservedConcurrencyMem: quota.reservedMb ?? 0,
    AsyncRunEnable: 'FALSE',
    TraceEnable: 'FALSE',
  };
}

/** GetFunctionResponse (spec §4 GetFunction), for `version` seen through `qualifier`. */
export function renderGetFunction(
  fn: FunctionRecord,
  version: VersionRecord,
  qualifier: string,
  dates: DateTimeFormatter,
  layers: readonly Record<string, unknown>[] = [],
): Record<string, unknown> {
  const c = version.config;
  return {
    ModTime: dates.format(version.lastModifiedMs),
    CodeInfo: '',
    Description: c.description,
    Triggers: [],
    Handler: c.handler,
    CodeSize: c.codeSizeBytes,
    Timeout: c.timeoutSec,
    FunctionVersion: version.version,
    MemorySize: c.memoryMb,
    Runtime: scfRuntimeOf(c),
    FunctionName: fn.key.name,
    VpcConfig: { VpcId: '', SubnetId: '' },
    UseGpu: 'FALSE',
    Environment: { Variables: renderVariables(c) },
    CodeResult: 'success',
    CodeError: '',
    ErrNo: 0,
    Namespace: fn.key.namespace,
    Role: c.role,
    InstallDependency: 'FALSE',
    Status: 'Active',
    StatusDesc: '',
    ClsLogsetId: '',
    ClsTopicId: '',
    FunctionId: functionId(fn),
    Tags: renderTags(fn),
    EipConfig: { EipFixed: 'FALSE', Eips: [] },
    AccessInfo: { Host: '', Vip: '' },
    Type: 'Event',
    L5Enable: 'FALSE',
    Layers: [...layers],
    DeadLetterConfig: { Type: '', Name: '', FilterType: '' },
    AddTime: dates.format(fn.createdMs),
    PublicNetConfig: { PublicNetStatus: 'ENABLE', EipConfig: { EipStatus: 'DISABLE', EipAddress: [] } },
    OnsEnable: 'FALSE',
    CfsConfig: { CfsInsList: [] },
    AvailableStatus: 'Available',
    Qualifier: qualifier,
    InitTimeout: initTimeoutOf(c),
    StatusReasons: [],
    AsyncRunEnable: 'FALSE',
    TraceEnable: 'FALSE',
    ImageConfig: null,
    ProtocolType: null,
    ProtocolParams: null,
    InstanceConcurrencyConfig: null,
    DnsCache: 'FALSE',
    IntranetConfig: { IpFixed: 'DISABLE', IpAddress: [] },
  };
}

/** A `FunctionVersion` item (Appendix A). */
export function renderVersionItem(version: VersionRecord, dates: DateTimeFormatter): Record<string, unknown> {
  return {
    Version: version.version,
    Description: version.config.description,
    AddTime: dates.format(version.lastModifiedMs),
    ModTime: dates.format(version.lastModifiedMs),
    Status: 'Active',
  };
}

/** An `Alias` (Appendix A), also the body of GetAlias. */
export function renderAlias(alias: AliasRecord, dates: DateTimeFormatter): Record<string, unknown> {
  return {
    FunctionVersion: alias.functionVersion,
    Name: alias.name,
    RoutingConfig: {
      AdditionalVersionWeights: Object.entries(alias.additionalVersionWeights).map(([Version, Weight]) => ({
        Version,
        Weight,
      })),
      AddtionVersionMatchs: [],
    },
    Description: alias.description,
    AddTime: dates.format(alias.createdMs),
    ModTime: dates.format(alias.lastModifiedMs),
  };
}

/** A `Namespace` (Appendix A). Note Tencent's descriptions of ModTime/AddTime are swapped; we send what the names say. */
export function renderNamespace(ns: NamespaceRecord, dates: DateTimeFormatter): Record<string, unknown> {
  return {
    ModTime: dates.format(ns.lastModifiedMs),
    AddTime: dates.format(ns.createdMs),
    Description: ns.description,
    Name: ns.name,
    Type: 'default',
  };
}

/**
 * What the SCF dialect keeps in the per-scope settings document (core scope-settings), under
 * its own key `scf`:
 *   - `totalConcurrencyMem`: the account quota set by PutTotalConcurrencyConfig, MB;
 *   - `reservedMem`: the MB given to PutReservedConcurrencyConfig, by `<namespace>/<name>`.
 *
 * The MB figure is only an annotation of core's reserved count (quotas.ts): it is believed
 * while it still maps to the function's current count, so a reservation changed or removed
 * through another dialect (or a function deleted and re-created) reads back as count × MB.
 */
import type { FunctionRecord } from '../../core/model.js';
import type { ScopeSettings } from '../../core/services/scope-settings.js';
import { reservedInstances } from './quotas.js';

export const SCF_SETTINGS_KEY = 'scf';

export interface ScfScopeSettings {
  readonly totalConcurrencyMem?: number;
  readonly reservedMem: Readonly<Record<string, number>>;
}

export function reservedMemKey(fn: Pick<FunctionRecord, 'key'>): string {
  return `${fn.key.namespace}/${fn.key.name}`;
}

export function readScfSettings(settings: ScopeSettings): ScfScopeSettings {
  const raw = settings[SCF_SETTINGS_KEY];
  if (typeof raw !== 'object' || raw === null) {
    return { reservedMem: {} };
  }
  const r = raw as Record<string, unknown>;
  const reservedMem: Record<string, number> = {};
  if (typeof r.reservedMem === 'object' && r.reservedMem !== null) {
    for (const [k, v] of Object.entries(r.reservedMem as Record<string, unknown>)) {
      if (typeof v === 'number') {
        reservedMem[k] = v;
      }
    }
  }
  return typeof r.totalConcurrencyMem === 'number'
    ? { totalConcurrencyMem: r.totalConcurrencyMem, reservedMem }
    : { reservedMem };
}

export function writeScfSettings(settings: ScopeSettings, scf: ScfScopeSettings): ScopeSettings {
  return { ...settings, [SCF_SETTINGS_KEY]: scf };
}

/** The function's reserved quota in MB, or undefined when it has none (see the header). */
export function effectiveReservedMb(fn: FunctionRecord, scf: ScfScopeSettings): number | undefined {
  if (fn.reservedConcurrency === undefined) {
    return undefined;
  }
  const memoryMb = fn.latest.config.memoryMb;
  const mb = scf.reservedMem[reservedMemKey(fn)];
  if (mb !== undefined && reservedInstances(mb, memoryMb) === fn.reservedConcurrency) {
    return mb;
  }
  return fn.reservedConcurrency * memoryMb;
}

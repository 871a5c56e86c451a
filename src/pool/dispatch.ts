/**
 * Where an invocation runs (placement.ts decides from counts; this acts):
 *
 *   1. gather the counts of the invoke's provisioned config, the leases and the spec's
 *      on-demand group, and ask placement;
 *   2. throttle, run on a free provisioned environment (no lease), or wait for one that
 *      is finishing;
 *   3. otherwise take an on-demand lease, run on a warm environment or wait for one (a
 *      start is requested when no supply is on its way), and release the lease on every
 *      path out;
 *   0. before all of it, a memory budget (when the request carries one) is taken for the
 *      whole invocation, or the invocation is throttled.
 */
import { PlatformError } from '../core/errors.js';
import type { InvocationOutcome, InvokeRequest } from '../core/ports.js';
import type { Leases } from './admission/leases.js';
import type { OnDemandShell } from './on-demand/on-demand-shell.js';
import { place, type Placement } from './placement.js';
import type { ProvisionedShell } from './provisioned/provisioned-shell.js';
import type { PoolStats } from './stats.js';

export class Dispatcher {
  constructor(
    private readonly provisioned: ProvisionedShell,
    private readonly onDemand: OnDemandShell,
    private readonly leases: Leases,
    private readonly stats: PoolStats,
  ) {}

  invoke(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    const budget = req.admission.memoryBudget;
    return budget === undefined ? this.route(req, impatient) : this.#withBudget(req, impatient, budget);
  }

  /** Step 0: the memory budget, held for the whole invocation wherever it runs. */
  async #withBudget(
    req: InvokeRequest,
    impatient: boolean,
    budget: { readonly limitMb: number; readonly memoryMb: number },
  ): Promise<InvocationOutcome> {
    const release = this.leases.takeMemory(req.admission.scopeKey, budget.memoryMb, budget.limitMb);
    if (release === undefined) {
      this.stats.throttled(req.spec, 'memory');
      throw new PlatformError('THROTTLED_ACCOUNT', {});
    }
    try {
      return await this.route(req, impatient);
    } finally {
      release();
    }
  }

  /**
   * Steps 1–3, without the memory budget: also what the shells call to send a waiting
   * invocation back through placement (its budget is already held by its first pass).
   * Not an async function: a provisioned invocation's promise is the environment's own, so
   * its answer reaches the caller without a turn of the microtask queue per layer. Every
   * failure is a rejected promise, never a throw.
   */
  route(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    try {
      const decision = this.#decide(req, impatient);
      switch (decision.kind) {
        case 'throttle':
          this.stats.throttled(req.spec, decision.code === 'THROTTLED_RESERVED' ? 'reserved' : 'account');
          throw decision.code === 'THROTTLED_RESERVED'
            ? new PlatformError('THROTTLED_RESERVED', { functionName: req.spec.functionName })
            : new PlatformError('THROTTLED_ACCOUNT', {});
        case 'provisioned':
          return this.provisioned.invokeOnIdle(req.provisionedKey ?? '', req);
        case 'provisioned-wait':
          return this.provisioned.waitForFinishing(req.provisionedKey ?? '', req);
        case 'warm':
        case 'wait':
        case 'start':
          return this.#onDemand(req, impatient, decision);
      }
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Step 1: the counts, and placement's decision. */
  #decide(req: InvokeRequest, impatient: boolean): Placement {
    const a = req.admission;
    const provisioned =
      req.provisionedKey === undefined
        ? undefined
        : this.provisioned.placement(req.provisionedKey, req.spec.key, impatient);
    const group = this.onDemand.counts(req.spec.key);
    return place({
      ...(a.reserved === undefined ? {} : { reserved: a.reserved }),
      provisionedTotal: a.provisionedTotal,
      unreservedCapacity: a.unreservedCapacity,
      busyFunction: this.leases.busyFunction(a),
      busyScope: this.leases.busyScope(a),
      ...(provisioned === undefined ? {} : { provisioned }),
      onDemand: {
        idle: group?.idle ?? 0,
        starting: (group?.starting ?? 0) + (group?.queued ?? 0) + (impatient ? 0 : (group?.finishing ?? 0)),
        waiters: group?.waiters ?? 0,
      },
    });
  }

  /** Step 3: an on-demand lease, held until the invocation is over on every path out. */
  async #onDemand(
    req: InvokeRequest,
    impatient: boolean,
    decision: Extract<Placement, { kind: 'warm' | 'wait' | 'start' }>,
  ): Promise<InvocationOutcome> {
    const release = this.leases.take(decision.lease, req.admission);
    try {
      if (decision.kind === 'warm') {
        const env = this.onDemand.takeIdle(req.spec.key);
        if (env !== undefined) {
          return await env.invoke(req);
        }
      }
      return await this.onDemand.waitForEnvironment(req, impatient);
    } finally {
      release();
    }
  }
}

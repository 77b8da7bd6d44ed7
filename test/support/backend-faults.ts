/**
 * Backend failures injected into the real adapters, for the fail-closed matrix (reads that fail or
 * hang; crashes after side effects are the crash-and-retry suite's own): a wrapping fake of each
 * port (registry, release store, document store, scan source) that hands every call to the plans a
 * test armed, and otherwise calls the real adapter. A plan may throw an error (as the adapter would
 * on an outage), answer with a value instead of the adapter, or never answer (a hung backend, for
 * the ASL's Task timeouts).
 */
import type { GatePorts } from '../../cli/local/gate.js';

/** One call a handler made through a port. */
export interface PortCall {
  readonly port: keyof GatePorts;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** What a plan does with a call; `undefined` lets the real adapter answer. */
export type FaultAction = { readonly throws: Error } | { readonly answers: unknown } | 'hang' | undefined;

export type BackendFaultPlan = (call: PortCall) => FaultAction;

export class BackendFaults {
  private readonly plans = new Set<BackendFaultPlan>();

  /** Arms a plan until the returned function disarms it. */
  public arm(plan: BackendFaultPlan): () => void {
    this.plans.add(plan);
    return () => this.plans.delete(plan);
  }

  /** For `LocalWorldOptions.decoratePorts`. */
  public readonly decorate = (ports: GatePorts): GatePorts => ({
    registry: this.wrap('registry', ports.registry),
    store: this.wrap('store', ports.store),
    documents: this.wrap('documents', ports.documents),
    scans: this.wrap('scans', ports.scans),
  });

  private wrap<T extends object>(port: keyof GatePorts, target: T): T {
    return new Proxy(target, {
      get: (t, key) => {
        const value: unknown = Reflect.get(t, key, t);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          const action = this.actionFor({ port, method: String(key), args });
          if (action === 'hang') return new Promise(() => undefined);
          if (action !== undefined && 'throws' in action) return Promise.reject(action.throws);
          if (action !== undefined) return Promise.resolve(action.answers);
          return Reflect.apply(value, t, args);
        };
      },
    });
  }

  private actionFor(call: PortCall): FaultAction {
    for (const plan of this.plans) {
      const action = plan(call);
      if (action !== undefined) return action;
    }
    return undefined;
  }
}

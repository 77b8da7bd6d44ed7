/**
 * Crash injection for the crash-and-retry suite: wraps the real adapters behind the ports of
 * lambdas/domain/ports.ts in a proxy that counts every side-effect call (a write to DynamoDB, S3
 * or the registry, a publish, a task-token answer, a StartExecution) and, at a chosen call, lets
 * the call land and then throws: a Lambda whose write succeeded but which died before it could go
 * on (or whose response was lost), as Step Functions sees it.
 *
 * Which methods are side effects is derived from their names (reads are `get…`, `list…`, `find…`,
 * `has…`, `last…`, `is…`), so a write added to a port is counted, and crashed after, without
 * editing the suite.
 */
import { NotificationError, RegistryError, StoreError } from '../../lambdas/domain/errors.js';

const READ = /^(get|list|find|has|last|is)([A-Z]|$)|^(location|host)$/;

/** One side-effect call, in the order the workflow made it. */
export interface SideEffect {
  readonly port: string;
  readonly method: string;
}

export const sideEffectLabel = (s: SideEffect): string => `${s.port}.${s.method}`;

/** The error each port's adapter raises when a call fails in transit: the kind the ASL retries. */
const TRANSIT_ERRORS: Readonly<Record<string, (message: string) => Error>> = {
  store: (m) => new StoreError(m),
  documents: (m) => new StoreError(m),
  registry: (m) => new RegistryError(m),
  notifier: (m) => new NotificationError(m),
  outcomes: (m) => new NotificationError(m),
};

/** A Lambda that died (Step Functions reports `Lambda.Unknown`), for ports without a transit error. */
const crashed = (message: string): Error => Object.assign(new Error(message), { name: 'Lambda.Unknown' });

/** Thrown after the injected call landed. `injected` tells it apart from a real failure. */
export function injectedCrash(s: SideEffect, n: number): Error & { injected: true } {
  const message = `injected crash after side effect ${n} (${sideEffectLabel(s)}): the call landed`;
  return Object.assign((TRANSIT_ERRORS[s.port] ?? crashed)(message), { injected: true as const });
}

export function isInjectedCrash(err: unknown): boolean {
  return err instanceof Error && 'injected' in err && err.injected === true;
}

/** Records side effects and crashes once, after call number `crashAfter` (1-based). */
export class FaultPlan {
  public readonly calls: SideEffect[] = [];
  public crashed: SideEffect | undefined;

  public constructor(private readonly crashAfter?: number) {}

  /** Wraps `target` so that its side-effect methods are recorded under `port`. */
  public wrap<T extends object>(port: string, target: T): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (typeof prop !== 'string' || typeof value !== 'function' || READ.test(prop)) {
          return typeof value === 'function' ? value.bind(obj) : value;
        }
        return async (...args: unknown[]) => {
          const result: unknown = await value.apply(obj, args);
          this.landed({ port, method: prop });
          return result;
        };
      },
    });
  }

  private landed(s: SideEffect): void {
    this.calls.push(s);
    if (this.calls.length === this.crashAfter) {
      this.crashed = s;
      throw injectedCrash(s, this.calls.length);
    }
  }
}

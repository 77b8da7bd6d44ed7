import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Forces a full garbage collection (a no-op when the runtime refuses to expose `gc`). */
export type ForceGc = () => void;

/**
 * `gc()` without `node --expose-gc` (the bench runs under `tsx`): set the V8 flag at run time and
 * fetch the function from a fresh context, where V8 installs it.
 */
export function exposeGc(): { gc: ForceGc; available: boolean } {
  const existing: unknown = Reflect.get(globalThis, 'gc');
  if (typeof existing === 'function') return { gc: () => existing(), available: true };
  setFlagsFromString('--expose-gc');
  const fn: unknown = runInNewContext('gc');
  if (typeof fn === 'function') return { gc: () => fn(), available: true };
  return { gc: () => undefined, available: false };
}

/** Two GCs: the second collects what finalisers of the first released. */
export function settle(gc: ForceGc): void {
  gc();
  gc();
}

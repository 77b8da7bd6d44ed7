/**
 * zod, as every file under lambdas/ imports it: `import * as z from '<relative>/zod.js'`.
 *
 * This is `zod/mini`, the tree-shakeable functional API (`z.optional(s)`, `s.check(z.minLength(1))`):
 * one import of classic `zod` anywhere in a handler's graph bundles its whole method-chaining API
 * (~90 kB minified), and every Lambda bundle must stay under 1 MB (issue 12). Classic `zod` sets
 * English messages and its memoizer (cycle support for recursive schemas) when its first schema is
 * built; mini leaves both to the caller, so they are set here, before any schema in lambdas/ exists
 * (ES modules evaluate their imports first). Messages are then the same as classic zod's.
 */
import { en } from 'zod/locales';
import { config, memoizer } from 'zod/mini';

config(en());
config({ memoizer: memoizer() });

export * from 'zod/mini';
// For `instanceof`: reaching it as `z.core.$ZodError` would bundle every export of zod's core (and its locales).
export { $ZodError } from 'zod/v4/core';

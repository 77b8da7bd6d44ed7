// The V8 heap sizing of the process that runs the embedded stack (`npm start`, `release-gate gate`,
// `release-gate demo`): every handler in one Node process, sized as Lambda sizes one function.
//
// Lambda's Node.js runtime starts node with flags computed from the function's memory M (MiB):
// `--max-semi-space-size=M/10/2 --max-old-space-size=M-M/10` (its /var/runtime/bootstrap). Plain
// node instead sizes the heap from the machine's RAM (4 GiB here), so V8 lets garbage grow to
// several times the live data before a full collection: the one process peaked ~550 MiB at the
// component limit where each Lambda stays under 450. The embedded stack gets Lambda's flags for a
// 512 MiB function, the gate's memory budget for a release at the limits. The live heap of that
// release is under 150 MiB (it completes with --max-old-space-size=150), so the cap only makes V8
// collect sooner. Plain JavaScript: cli/node22.mjs and cli/bin.mjs run before anything is compiled.

/** The memory (MiB) of the one Lambda function the embedded stack's process is sized as. */
export const LOCAL_FUNCTION_MEMORY_MIB = 512;

/** The flags Lambda's Node.js runtime gives a function of `memoryMiB`. */
export function lambdaHeapFlags(memoryMiB = LOCAL_FUNCTION_MEMORY_MIB) {
  const newSpace = Math.floor(memoryMiB / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMiB - newSpace}`];
}

/** Whether node flags (`execArgv`, or NODE_OPTIONS split on spaces) already size the heap: theirs win. */
export function sizesHeap(flags) {
  return flags.some((f) => /^--max[-_](old[-_]space|semi[-_]space|heap)[-_]size\b/.test(f));
}

/** NODE_OPTIONS with Lambda's heap flags added, unless it sizes the heap itself. */
export function withLambdaHeap(nodeOptions = '') {
  const own = nodeOptions.split(/\s+/).filter((f) => f !== '');
  return sizesHeap(own) ? nodeOptions : [...own, ...lambdaHeapFlags()].join(' ');
}

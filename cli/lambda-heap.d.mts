/** The memory (MiB) of the one Lambda function the embedded stack's process is sized as (cli/lambda-heap.mjs). */
export declare const LOCAL_FUNCTION_MEMORY_MIB: number;
/** The flags Lambda's Node.js runtime gives a function of `memoryMiB`. */
export declare function lambdaHeapFlags(memoryMiB?: number): string[];
/** Whether node flags already size the heap. */
export declare function sizesHeap(flags: readonly string[]): boolean;
/** NODE_OPTIONS with Lambda's heap flags added, unless it sizes the heap itself. */
export declare function withLambdaHeap(nodeOptions?: string): string;

import { readFileSync } from 'node:fs';

/**
 * This process's peak resident set, bytes: `VmHWM` of /proc/self/status (proc(5)), the high-water
 * mark of the process's own address space. Not getrusage's `ru_maxrss`: Linux carries the parent's
 * resident set at fork into the child's `ru_maxrss` across exec, so a small child of a large bench
 * process reports the bench's size, not its own. Falls back to `ru_maxrss` where there is no /proc.
 */
export function peakRssBytes(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hwm !== undefined) return Number(hwm) * 1024;
  } catch {
    // No procfs (not Linux): below.
  }
  // maxRSS is in KiB (getrusage(2) ru_maxrss on Linux).
  return process.resourceUsage().maxRSS * 1024;
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PEAK_RSS = new URL('../../bench/peak-rss.ts', import.meta.url).pathname;

describe('Function: peakRssBytes (bench/peak-rss.ts)', () => {
  describe('when a small child process of a large one reports its peak', () => {
    it.runIf(process.platform === 'linux')('reports its own, not the resident set it was forked from', async () => {
      // Prepare: 256 MiB written, so resident, in this (parent) process while the child starts.
      const ballast = Buffer.alloc(256 * 1024 * 1024, 1);

      // Act
      const { stdout } = await run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { peakRssBytes } = await import(${JSON.stringify(PEAK_RSS)});
         console.log(JSON.stringify({ peak: peakRssBytes(), maxRss: process.resourceUsage().maxRSS * 1024 }));`,
      ]);

      // Assess
      const { peak, maxRss } = JSON.parse(stdout) as { peak: number; maxRss: number };
      expect(maxRss).toBeGreaterThan(ballast.byteLength);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThan(ballast.byteLength / 2);
    });
  });
});

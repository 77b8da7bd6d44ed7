import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Notifier, OutcomeEmitter } from '../../lambdas/domain/ports.js';

/**
 * The outcome events and notifications of the CLI's incident commands against the local stack,
 * which run outside the gate's process: each is appended as one JSON line to
 * `<work dir>/outcomes.jsonl` (what EventBridge and SNS carry on AWS) and reported to `log`.
 */
export function localOutcomeLog(
  workDir: string,
  log: (line: string) => void,
): { readonly outcomes: OutcomeEmitter; readonly notifier: Notifier } {
  const path = join(workDir, 'outcomes.jsonl');
  const append = async (entry: Record<string, unknown>) => {
    await appendFile(path, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
  };
  return {
    outcomes: {
      emit: async (type, detail) => {
        await append({ event: type, detail });
        log(`event: ${type}`);
      },
    },
    notifier: {
      publish: async (subject, message) => {
        await append({ notification: subject, message });
        log(`notified: ${subject}`);
      },
    },
  };
}

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What a running local gate publishes for the CLI in other terminals (`approve`, `status`). */
export const LocalStateSchema = z.object({
  pid: z.number().int(),
  approvalBaseUrl: z.string().url(),
  dynamoEndpoint: z.string().url(),
  s3Endpoint: z.string().url(),
  tableName: z.string(),
  bucket: z.string(),
  registryRoot: z.string(),
  policyPath: z.string(),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

export const DEFAULT_WORK_DIR = '.release-gate';

export async function writeLocalState(workDir: string, state: LocalState): Promise<void> {
  await writeFile(join(workDir, 'local.json'), `${JSON.stringify(state, null, 2)}\n`);
}

export async function readLocalState(workDir: string): Promise<LocalState | null> {
  let text: string;
  try {
    text = await readFile(join(workDir, 'local.json'), 'utf8');
  } catch {
    return null;
  }
  const parsed = LocalStateSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

/** True when the process that wrote the state is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

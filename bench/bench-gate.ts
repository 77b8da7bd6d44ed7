/**
 * The embedded stack as the bench sections run it: LocalGate on the demo policy of fresh fixture
 * keys, the fixture advisories, an OCI layout in a temporary directory, and every approval request
 * answered "approve" by its first approver through their signed link (as the demo does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type FixtureKeys, generateFixtureKeys } from '../cli/fixtures/keys.js';
import { demoPolicy } from '../cli/fixtures/scenarios.js';
import { LocalGate } from '../cli/local/gate.js';
import { answerLink } from '../cli/local/links.js';
import { OciLayoutRegistry } from '../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../lambdas/adapters/scan/advisories-folder.js';
import type { OsvRecord } from '../lambdas/domain/osv/schema.js';
import { loadPolicy } from '../lambdas/domain/policy/load.js';

const ADVISORIES_DIR = new URL('../cli/fixtures/advisories/', import.meta.url).pathname;

export interface BenchGate {
  readonly gate: LocalGate;
  readonly keys: FixtureKeys;
  readonly registry: OciLayoutRegistry;
  readonly advisories: readonly OsvRecord[];
  readonly startMs: number;
  /** Auto-approvals that failed. */
  readonly approvalErrors: readonly string[];
  readonly stop: () => Promise<void>;
}

export async function startBenchGate(): Promise<BenchGate> {
  const work = await mkdtemp(join(tmpdir(), 'release-gate-bench-'));
  const keys = await generateFixtureKeys();
  const policy = loadPolicy(new TextEncoder().encode(stringify(demoPolicy(keys))));
  const advisories = await loadAdvisories(ADVISORIES_DIR);
  const registry = new OciLayoutRegistry({ root: join(work, 'registry') });
  const startT0 = performance.now();
  const gate = await LocalGate.start({ policy, advisories, registry, scanTimeoutSeconds: 120 });
  const startMs = performance.now() - startT0;
  const approvalErrors: string[] = [];
  gate.onOutcome((e) => {
    if (e.type !== 'Approval Requested') return;
    // RequestApproval mails before it emits this event: answer as the first approver, through
    // their signed link (a typed name is refused on the link route).
    const link = gate.mailer.sent.find((m) => m.approvalId === String(e.detail.approvalId))?.link;
    void approve(link).catch((err: unknown) => approvalErrors.push(String(err)));
  });
  return {
    gate,
    keys,
    registry,
    advisories,
    startMs,
    approvalErrors,
    stop: async () => {
      await gate.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}

async function approve(link: string | undefined): Promise<void> {
  if (link === undefined) throw new Error('no approval link was mailed');
  const res = await answerLink(link, 'approve');
  if (!res.ok) throw new Error(`approval POST answered ${res.status}`);
}

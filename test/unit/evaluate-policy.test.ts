import { describe, expect, it } from 'vitest';
import { PolicyInvalidError } from '../../lambdas/domain/errors.js';
import { evaluatePolicy } from '../../lambdas/domain/policy/evaluate.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';
import { DEFAULT_STAGES, RepositoryPolicySchema, SIGNATURE_KINDS } from '../../lambdas/domain/policy/schema.js';
import type { EvidenceKind, EvidenceStatus } from '../../lambdas/domain/types.js';

/**
 * The gate's decision as a table: every rule of `evaluatePolicy` and every schema default it reads.
 * The stage contents are written out here rather than read from DEFAULT_STAGES, so a change to the
 * defaults fails a row instead of moving the table with it.
 */

const PRODUCTION = ['lockfile', 'dependency-diff', 'sbom', 'provenance', 'signature', 'scan', 'eval'] as const;
const STAGING = ['sbom', 'provenance', 'dependency-diff'] as const;
/** Every kind, in the order the decision's evidence list shows them: production's, then approval. */
const ALL_KINDS = [...PRODUCTION, 'approval'] as const satisfies readonly EvidenceKind[];

const policyWith = (fields: Record<string, unknown> = {}) =>
  RepositoryPolicySchema.parse({ repositories: ['app/**'], ...fields });
const defaults = policyWith();
const ev = (kind: EvidenceKind, status: EvidenceStatus = 'PASS', reasons: string[] = []) => ({ kind, status, reasons });
const passing = (kinds: readonly EvidenceKind[]) => kinds.map((k) => ev(k));
const without = (kinds: readonly EvidenceKind[], kind: EvidenceKind) => passing(kinds.filter((k) => k !== kind));
const rowOf = (d: ReturnType<typeof evaluatePolicy>, kind: EvidenceKind) => d.evidence.find((e) => e.kind === kind);

/** How a required kind can fail to pass: not recorded at all, or recorded with a non-PASS status. */
const NOT_PASSING = ['absent', 'FAIL', 'ERROR', 'MISSING'] as const;
type NotPassing = (typeof NOT_PASSING)[number];

function blockingCase(stage: 'staging' | 'production', kinds: readonly EvidenceKind[], kind: EvidenceKind) {
  return NOT_PASSING.map((outcome) => [stage, kind, outcome, kinds] as const);
}

const expectedBlocker = (kind: EvidenceKind, outcome: NotPassing): string =>
  outcome === 'absent' ? `${kind}: MISSING: no evidence was recorded` : `${kind}: ${outcome}: ${kind} reason`;

describe('Function: evaluatePolicy', () => {
  describe('when every required kind passed', () => {
    it.each(
      [
        {
          stage: 'production',
          policy: defaults,
          evidence: passing(PRODUCTION),
          required: [...PRODUCTION, 'approval'],
          reasons: [
            'all required evidence passed for stage production: lockfile, dependency-diff, sbom, provenance, signature, scan, eval',
            'awaiting human approval',
          ],
          approvalRequired: true,
        },
        {
          stage: 'staging',
          policy: defaults,
          evidence: passing(STAGING),
          required: [...STAGING],
          reasons: ['all required evidence passed for stage staging: sbom, provenance, dependency-diff'],
          approvalRequired: false,
        },
        {
          stage: 'canary',
          policy: policyWith({ stages: { canary: { require: ['scan', 'signature'] } } }),
          evidence: passing(['signature', 'scan']),
          required: ['scan', 'signature'],
          reasons: ['all required evidence passed for stage canary: scan, signature'],
          approvalRequired: false,
        },
        {
          stage: 'hold',
          policy: policyWith({ stages: { hold: { require: ['approval'] } } }),
          evidence: [],
          required: ['approval'],
          reasons: ['all required evidence passed for stage hold: ', 'awaiting human approval'],
          approvalRequired: true,
        },
        {
          stage: 'repeated',
          policy: policyWith({ stages: { repeated: { require: ['sbom', 'provenance', 'sbom'] } } }),
          evidence: passing(['sbom', 'provenance']),
          required: ['sbom', 'provenance'],
          reasons: ['all required evidence passed for stage repeated: sbom, provenance'],
          approvalRequired: false,
        },
      ].map((row) => [row.stage, row] as const),
    )('passes stage %s, naming the required kinds in the order the stage lists them', (_stage, row) => {
      // Act
      const d = evaluatePolicy(row.policy, row.stage, row.evidence);

      // Assess
      expect(d).toMatchObject({
        decision: 'PASS',
        reasons: row.reasons,
        required: row.required,
        approvalRequired: row.approvalRequired,
      });
    });
  });

  describe('when a required kind did not pass', () => {
    it.each([
      ...PRODUCTION.flatMap((kind) => blockingCase('production', PRODUCTION, kind)),
      ...STAGING.flatMap((kind) => blockingCase('staging', STAGING, kind)),
    ])('blocks %s when %s is %s, with that kind’s own reason', (stage, kind, outcome, kinds) => {
      // Prepare
      const evidence = [
        ...without(kinds, kind),
        ...(outcome === 'absent' ? [] : [ev(kind, outcome, [`${kind} reason`])]),
      ];

      // Act
      const d = evaluatePolicy(defaults, stage, evidence);

      // Assess
      expect(d.decision).toBe('BLOCK');
      expect(d.reasons).toEqual([expectedBlocker(kind, outcome)]);
      expect(d.approvalRequired).toBe(stage === 'production');
      expect(rowOf(d, kind)).toEqual({
        kind,
        status: outcome === 'absent' ? 'MISSING' : outcome,
        required: true,
        reasons: [outcome === 'absent' ? 'no evidence was recorded' : `${kind} reason`],
      });
    });
  });

  describe('when the blocking reasons are written', () => {
    it.each(
      [
        {
          label: 'a failing kind without reasons says so',
          evidence: [ev('sbom', 'FAIL'), ev('provenance')],
          reasons: ['sbom: FAIL: no reason given'],
        },
        {
          label: 'several reasons of one kind are joined with "; "',
          evidence: [ev('sbom', 'ERROR', ['registry timed out', 'retries exhausted']), ev('provenance')],
          reasons: ['sbom: ERROR: registry timed out; retries exhausted'],
        },
        {
          label: 'several blocking kinds follow the evidence-kind order, not the stage’s order',
          evidence: [ev('provenance', 'FAIL', ['untrusted builder']), ev('sbom', 'MISSING', ['no SBOM'])],
          reasons: ['sbom: MISSING: no SBOM', 'provenance: FAIL: untrusted builder'],
        },
        {
          label: 'an absent kind and a failing kind are both listed',
          evidence: [ev('provenance', 'FAIL', ['untrusted builder'])],
          reasons: ['sbom: MISSING: no evidence was recorded', 'provenance: FAIL: untrusted builder'],
        },
        {
          label: 'a passing kind adds nothing, whatever its reasons',
          evidence: [ev('sbom', 'PASS', ['CycloneDX 1.6']), ev('provenance', 'FAIL', ['untrusted builder'])],
          reasons: ['provenance: FAIL: untrusted builder'],
        },
      ].map((row) => [row.label, row] as const),
    )('blocks: %s', (_label, { evidence, reasons }) => {
      // Prepare
      const policy = policyWith({ stages: { gate: { require: ['provenance', 'sbom'] } } });

      // Act
      const d = evaluatePolicy(policy, 'gate', evidence);

      // Assess
      expect(d.decision).toBe('BLOCK');
      expect(d.reasons).toEqual(reasons);
    });
  });

  describe('when a kind the stage does not require did not pass', () => {
    it.each(NOT_PASSING)(
      'passes staging when signature is %s, and still reports signature as not required',
      (outcome) => {
        // Prepare
        const evidence = [
          ...passing(STAGING),
          ...(outcome === 'absent' ? [] : [ev('signature', outcome, ['unsigned'])]),
        ];

        // Act
        const d = evaluatePolicy(defaults, 'staging', evidence);

        // Assess
        expect(d.decision).toBe('PASS');
        expect(d.approvalRequired).toBe(false);
        expect(d.reasons).toEqual([
          'all required evidence passed for stage staging: sbom, provenance, dependency-diff',
        ]);
        expect(rowOf(d, 'signature')).toEqual({
          kind: 'signature',
          status: outcome === 'absent' ? 'MISSING' : outcome,
          required: false,
          reasons: [outcome === 'absent' ? 'no evidence was recorded' : 'unsigned'],
        });
      },
    );
  });

  describe('when the stage requires a human approval', () => {
    it.each(['absent', 'PASS', 'FAIL', 'ERROR', 'MISSING'] as const)(
      'passes to the approval step when approval evidence is %s (Promote re-checks it)',
      (outcome) => {
        // Prepare
        const approval = outcome === 'absent' ? [] : [ev('approval', outcome, ['by alice'])];

        // Act
        const d = evaluatePolicy(defaults, 'production', [...passing(PRODUCTION), ...approval]);

        // Assess
        expect(d.decision).toBe('PASS');
        expect(d.approvalRequired).toBe(true);
        expect(d.reasons.at(-1)).toBe('awaiting human approval');
        expect(rowOf(d, 'approval')).toEqual({
          kind: 'approval',
          status: outcome === 'absent' ? 'MISSING' : outcome,
          required: true,
          reasons: outcome === 'absent' ? [] : ['by alice'],
        });
      },
    );

    it('still says an approval is required when it blocks', () => {
      // Act
      const d = evaluatePolicy(defaults, 'production', without(PRODUCTION, 'scan'));

      // Assess
      expect(d).toMatchObject({
        decision: 'BLOCK',
        approvalRequired: true,
        reasons: [expectedBlocker('scan', 'absent')],
      });
    });
  });

  describe('when the stage does not require an approval', () => {
    it('does not ask for one and reports the approval evidence as not required', () => {
      // Act
      const d = evaluatePolicy(defaults, 'staging', [...passing(STAGING), ev('approval', 'PASS', ['by alice'])]);

      // Assess
      expect(d.approvalRequired).toBe(false);
      expect(d.reasons).not.toContain('awaiting human approval');
      expect(rowOf(d, 'approval')).toEqual({
        kind: 'approval',
        status: 'PASS',
        required: false,
        reasons: ['by alice'],
      });
    });
  });

  describe('when the decision carries the approval timeout', () => {
    it.each([
      ['the default 24 hours', defaults, 86_400],
      ['approval.timeoutSeconds', policyWith({ approval: { timeoutSeconds: 600 } }), 600],
    ] as const)('takes %s on every path', (_label, policy, seconds) => {
      // Act
      const decisions = [
        evaluatePolicy(policy, 'production', passing(PRODUCTION)),
        evaluatePolicy(policy, 'production', []),
        evaluatePolicy(policy, 'canary', passing(PRODUCTION)),
      ];

      // Assess
      expect(decisions.map((d) => d.decision)).toEqual(['PASS', 'BLOCK', 'BLOCK']);
      expect(decisions.map((d) => d.approvalTimeoutSeconds)).toEqual([seconds, seconds, seconds]);
    });
  });

  describe('when the stage is not defined', () => {
    it.each([
      ['an unknown name', defaults, 'canary', 'staging, production'],
      ['a name that differs only in case', defaults, 'Production', 'staging, production'],
      [
        'a default stage the policy replaced',
        policyWith({ stages: { canary: { require: ['scan'] }, ga: { require: ['signature'] } } }),
        'production',
        'canary, ga',
      ],
    ] as const)(
      'blocks %s, listing the defined stages (an ungated stage never passes)',
      (_label, policy, stage, defined) => {
        // Act
        const d = evaluatePolicy(policy, stage, [...passing(PRODUCTION), ev('approval')]);

        // Assess
        expect(d).toMatchObject({
          decision: 'BLOCK',
          reasons: [`stage "${stage}" is not defined in the policy (defined: ${defined})`],
          required: [],
          approvalRequired: false,
        });
        expect(d.evidence.every((e) => !e.required)).toBe(true);
      },
    );

    it('reports every kind as recorded, without inventing reasons for the absent ones', () => {
      // Act
      const d = evaluatePolicy(defaults, 'canary', [ev('scan', 'FAIL', ['1 CRITICAL']), ev('sbom')]);

      // Assess
      expect(d.evidence).toEqual(
        ALL_KINDS.map((kind) => ({
          kind,
          status: kind === 'scan' ? 'FAIL' : kind === 'sbom' ? 'PASS' : 'MISSING',
          required: false,
          reasons: kind === 'scan' ? ['1 CRITICAL'] : [],
        })),
      );
    });
  });

  describe('when it lists the evidence', () => {
    it('shows every kind once, in the evidence-kind order, whatever order it was recorded in', () => {
      // Prepare
      const recorded = [
        ev('eval', 'FAIL', ['accuracy']),
        ev('approval'),
        ...without([...PRODUCTION].reverse(), 'eval'),
      ];

      // Act
      const d = evaluatePolicy(defaults, 'staging', recorded);

      // Assess
      expect(d.evidence.map((e) => e.kind)).toEqual(ALL_KINDS);
      expect(d.evidence.filter((e) => e.required).map((e) => e.kind)).toEqual([
        'dependency-diff',
        'sbom',
        'provenance',
      ]);
      expect(rowOf(d, 'eval')).toEqual({ kind: 'eval', status: 'FAIL', required: false, reasons: ['accuracy'] });
    });

    it('marks an unrecorded collected kind MISSING with "no evidence was recorded"', () => {
      // Act
      const d = evaluatePolicy(defaults, 'staging', passing(STAGING));

      // Assess
      expect(d.evidence.filter((e) => e.status === 'MISSING' && e.kind !== 'approval')).toEqual(
        (['lockfile', 'signature', 'scan', 'eval'] as const).map((kind) => ({
          kind,
          status: 'MISSING',
          required: false,
          reasons: ['no evidence was recorded'],
        })),
      );
      expect(rowOf(d, 'approval')).toEqual({ kind: 'approval', status: 'MISSING', required: false, reasons: [] });
    });
  });
});

describe('Schema: RepositoryPolicySchema', () => {
  describe('when a rule names only its repositories', () => {
    it.each([
      ['stages.staging.require', [...STAGING]],
      ['stages.production.require', [...PRODUCTION, 'approval']],
      ['signature.keys', []],
      ['signature.minSigners', 1],
      ['signature.allowedReferencePrefixes', []],
      ['signature.accept', ['cosign', 'sigstore-bundle', 'notation']],
      ['signature.sigstore', { identities: [] }],
      ['signature.notation', { trustAnchors: [], trustedIdentities: [], awsSignerProfiles: [] }],
      ['attestations', { keys: [], sigstore: { identities: [] } }],
      ['provenance', { builders: [], sourceRepositories: [], acceptBuildkit: false }],
      ['sbom.requireSigned', true],
      ['lockfile.requirePinnedBase', true],
      ['scan.maxFindings', { CRITICAL: 0, HIGH: 0, UNDEFINED: 0 }],
      ['scan.ignore', []],
      ['scan.vex', { maxAgeDays: 90, trustedAuthors: [], exceptions: [] }],
      ['eval', { metrics: [], maxRegression: 0.02, requiredMetrics: [] }],
      ['approval.approvers', []],
      ['approval.timeoutSeconds', 86_400],
      ['promotion.targetRepository', 'prod/{repository}'],
    ] as const)('defaults %s', (path, expected) => {
      // Act
      const parsed: unknown = policyWith();

      // Assess
      expect(parsed).toHaveProperty(path.split('.'), expected);
    });

    it.each([
      ['signature', { keys: [] }, { minSigners: 1, accept: [...SIGNATURE_KINDS], allowedReferencePrefixes: [] }],
      ['approval', { approvers: ['alice@example.com'] }, { timeoutSeconds: 86_400 }],
      [
        'eval',
        {
          metrics: [{ name: 'accuracy', threshold: 0.8, direction: 'higher-is-better' }],
          requiredMetrics: ['accuracy'],
        },
        { maxRegression: 0.02 },
      ],
      ['scan', { ignore: [] }, { maxFindings: { CRITICAL: 0, HIGH: 0, UNDEFINED: 0 } }],
    ] as const)('fills the defaults of a partly written %s section', (section, written, filled) => {
      // Act
      const parsed = policyWith({ [section]: written });

      // Assess
      expect(parsed[section]).toMatchObject({ ...written, ...filled });
    });

    it('gives every parse its own copy of the default stages', () => {
      // Prepare
      const first = policyWith();
      first.stages.production?.require.pop();

      // Act
      const second = policyWith();

      // Assess
      expect(second.stages.production?.require).toEqual([...PRODUCTION, 'approval']);
      expect(DEFAULT_STAGES.production.require).toHaveLength(8);
    });
  });

  describe('when a rule defines its own stages', () => {
    it('replaces the default stages instead of merging with them', () => {
      // Act
      const parsed = policyWith({ stages: { canary: { require: ['scan'] } } });

      // Assess
      expect(Object.keys(parsed.stages)).toEqual(['canary']);
    });
  });

  describe('when a field the decision reads is invalid', () => {
    it.each([
      ['a stage requires nothing', { stages: { canary: { require: [] } } }],
      ['a stage requires an unknown kind', { stages: { canary: { require: ['vibes'] } } }],
      ['a stage has an empty name', { stages: { '': { require: ['scan'] } } }],
      ['the approval timeout is zero', { approval: { timeoutSeconds: 0 } }],
      ['the approval timeout is above 7 days', { approval: { timeoutSeconds: 7 * 24 * 3600 + 1 } }],
      ['the approval timeout is not whole seconds', { approval: { timeoutSeconds: 1.5 } }],
    ])('refuses the rule when %s', (_label, fields) => {
      // Act
      const parsed = RepositoryPolicySchema.safeParse({ repositories: ['app/**'], ...fields });

      // Assess
      expect(parsed.success).toBe(false);
    });

    it('accepts an approval timeout of exactly 7 days', () => {
      // Act
      const parsed = policyWith({ approval: { timeoutSeconds: 7 * 24 * 3600 } });

      // Assess
      expect(parsed.approval.timeoutSeconds).toBe(604_800);
    });
  });
});

describe('Function: loadPolicy', () => {
  const documentOf = (rules: unknown[]) =>
    new TextEncoder().encode(JSON.stringify({ apiVersion: 'release-gate.dev/v1', kind: 'Policy', rules }));

  describe('when a stage requires dependency-diff without sbom', () => {
    it('throws POLICY_INVALID naming the rule and stage', () => {
      // Prepare
      const bytes = documentOf([{ repositories: ['**'], stages: { canary: { require: ['dependency-diff'] } } }]);

      // Act
      const act = () => loadPolicy(bytes);

      // Assess
      expect(act).toThrowWithCode(PolicyInvalidError, 'POLICY_INVALID');
      expect(act).toThrow('rules.0.stages.canary: dependency-diff requires sbom');
    });
  });

  describe('when a rule takes the default stages', () => {
    it('loads them (both default stages that diff also require sbom)', () => {
      // Act
      const loaded = loadPolicy(documentOf([{ repositories: ['**'] }]));

      // Assess
      expect(Object.keys(loaded.document.rules[0]?.stages ?? {})).toEqual(['staging', 'production']);
    });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MIN_ACKNOWLEDGMENT_REASON_LENGTH } from '../../infra/constructs/nag-acknowledgments.js';
import type { ReleaseGateProps } from '../../infra/release-gate.js';
import { ReleaseGateStack } from '../../infra/release-gate-stack.js';
import { DEFAULT_GATE, offlineApp } from '../support/cdk-app.js';

/** A finding the rules raised on one resource, acknowledged or not. */
interface Raised {
  readonly id: string;
  readonly path: string;
}

/**
 * The AwsSolutions pack of `infra/app.ts`, also recording every finding before acknowledgments are
 * applied, so that an acknowledgment matching no finding can be told apart from one that works.
 * A rule that throws is recorded under its bare rule id, as cdk-nag reports it.
 */
class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  public readonly raised: Raised[] = [];

  protected override applyRule(params: IApplyRule): void {
    const ruleId = `${this.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    const path = params.node.node.path;
    try {
      const result = params.rule(params.node);
      if (result === NagRuleCompliance.NON_COMPLIANT) this.raised.push({ id: ruleId, path });
      if (Array.isArray(result)) for (const finding of result) this.raised.push({ id: `${ruleId}[${finding}]`, path });
    } catch {
      this.raised.push({ id: ruleId, path });
    }
    super.applyRule(params);
  }
}

interface Acknowledgment {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
}

interface Checked {
  /** Unacknowledged findings, one line each: severity, rule, construct path, description. */
  readonly unacknowledged: readonly { readonly severity: string; readonly line: string }[];
  readonly raised: readonly Raised[];
  readonly acknowledgments: readonly Acknowledgment[];
  /** `cdk_nag.rules_to_suppress` of each resource in the template, by logical id. */
  readonly templateSuppressions: Readonly<Record<string, readonly { id: string; reason: string }[]>>;
}

const SuppressionsSchema = z.object({
  cdk_nag: z.object({ rules_to_suppress: z.array(z.object({ id: z.string(), reason: z.string() })) }),
});
const TemplateSchema = z.object({
  Resources: z.record(z.string(), z.object({ Metadata: z.record(z.string(), z.unknown()).optional() })),
});

/** Every acknowledgment recorded in the construct tree, with the path it was made at. */
function acknowledgmentsIn(app: App): Acknowledgment[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(z.record(z.string(), z.string()).parse(entry.data)))
      // CDK stores a rule id without a namespace as `Annotation::<id>`; cdk-nag strips the prefix.
      .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), path: construct.node.path, reason })),
  );
}

/**
 * Synthesizes the gate as the other infra tests do, then runs the AwsSolutions pack over the
 * synthesized tree, as `cdk synth` does through `Validations.of(app).addPlugins(...)`.
 * `extend` adds constructs before synthesis.
 */
function check(gate: ReleaseGateProps, extend: (stack: Stack) => void = () => {}): Checked {
  const app = offlineApp();
  const pack = new RecordingAwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  const stack = new ReleaseGateStack(app, 'Test', { gate });
  extend(stack);
  const template = TemplateSchema.parse(app.synth().getStackByName(stack.stackName).template);
  const report = pack.validateScope(app);
  return {
    unacknowledged: report.violations.flatMap((v) =>
      v.violatingResources.map((r) => ({
        severity: v.severity ?? 'unknown',
        line: `${v.severity ?? 'unknown'} ${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId ?? '?'}: ${v.description}`,
      })),
    ),
    raised: pack.raised,
    acknowledgments: acknowledgmentsIn(app),
    templateSuppressions: Object.fromEntries(
      Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
        const parsed = SuppressionsSchema.safeParse(resource.Metadata ?? {});
        return parsed.success ? [[logicalId, parsed.data.cdk_nag.rules_to_suppress]] : [];
      }),
    ),
  };
}

/** A policy whose rule accepts Inspector SBOM exports (the infra grants them only then). */
function inspectorPolicyFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'release-gate-policy-')), 'policy.yaml');
  writeFileSync(
    file,
    "apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ['**']\n    sbom: { requireSigned: false, acceptInspectorExport: true }\n",
  );
  return file;
}

const GATES: readonly { readonly mode: string; readonly gate: ReleaseGateProps }[] = [
  { mode: 'named repositories', gate: DEFAULT_GATE },
  { mode: 'a repository prefix', gate: { gatedRepositoryPrefix: 'team', approverEmails: ['ops@example.com'] } },
  { mode: 'approval mails sent through SES', gate: { ...DEFAULT_GATE, approvalEmailSender: 'approvals@example.com' } },
  {
    mode: 'an OIDC authorizer on the approval links',
    gate: {
      ...DEFAULT_GATE,
      approvalLinkAuthorizer: { issuer: 'https://issuer.example.com', audience: ['approvals-client'] },
    },
  },
  {
    mode: 'a policy that accepts Amazon Inspector SBOM exports',
    gate: { ...DEFAULT_GATE, policyFile: inspectorPolicyFile() },
  },
];

describe('Stack: ReleaseGateStack', () => {
  describe.each(GATES)('when cdk-nag AwsSolutions checks the gate for $mode', ({ gate }) => {
    let checked: Checked;
    beforeAll(() => {
      checked = check(gate);
    });

    it('reports no unacknowledged error', () => {
      // Act
      const errors = checked.unacknowledged.filter((f) => f.severity === 'error').map((f) => f.line);

      // Assess
      expect(errors, `unacknowledged cdk-nag errors:\n${errors.join('\n')}`).toEqual([]);
    });

    it('reports no unacknowledged warning, nor a finding of any other severity', () => {
      // Act
      const others = checked.unacknowledged.filter((f) => f.severity !== 'error').map((f) => f.line);

      // Assess
      expect(others, `unacknowledged cdk-nag findings:\n${others.join('\n')}`).toEqual([]);
    });

    it('writes every acknowledgment into the template with a reason, and IAM5 ones per wildcard', () => {
      // Act
      const suppressions = Object.entries(checked.templateSuppressions).flatMap(([logicalId, rules]) =>
        rules.map((rule) => ({ logicalId, ...rule })),
      );
      const shortReasons = suppressions.filter((s) => s.reason.trim().length < MIN_ACKNOWLEDGMENT_REASON_LENGTH);
      const unscopedIam5 = suppressions.filter(
        (s) => s.id.startsWith('AwsSolutions-IAM5') && !/^AwsSolutions-IAM5\[(Resource|Action)::.+\]$/.test(s.id),
      );

      // Assess
      expect(suppressions).toHaveLength(checked.acknowledgments.length);
      expect(suppressions.length).toBeGreaterThan(0);
      expect(shortReasons).toEqual([]);
      expect(unscopedIam5).toEqual([]);
    });

    it('acknowledges each finding on its own resource, and nothing the rules did not raise', () => {
      // Act
      const mismatched = checked.acknowledgments
        .map((ack) => ({
          ack: `${ack.id} at ${ack.path}`,
          covers: checked.raised.filter((f) => f.id === ack.id && f.path === ack.path).length,
        }))
        .filter((m) => m.covers !== 1);

      // Assess
      expect(mismatched, 'each acknowledgment must cover exactly one raised finding').toEqual([]);
    });
  });

  describe('when a resource has a finding nobody acknowledged', () => {
    it('reports it as an error', () => {
      // Prepare
      const addQueue = (stack: Stack): void => {
        new sqs.Queue(stack, 'Unacknowledged', { enforceSSL: true });
      };

      // Act
      const checked = check(DEFAULT_GATE, addQueue);

      // Assess
      expect(checked.unacknowledged.map((f) => f.line)).toEqual([
        expect.stringMatching(/^error AwsSolutions-SQS3 at Test\/Unacknowledged\/Resource: /),
      ]);
    });
  });
});

import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ReleaseGate, type ReleaseGateProps } from '../../infra/release-gate.js';
import { offlineApp } from '../support/cdk-app.js';

/** One stack, `before` adds what the user already has, `gates` the ReleaseGates over it. */
function synthesize(gates: (stack: Stack) => void, before: (stack: Stack) => void = () => {}): Template {
  const app = offlineApp();
  const stack = new Stack(app, 'Platform');
  before(stack);
  gates(stack);
  return Template.fromStack(stack);
}

const existing = (stack: Stack, name: string): ecr.IRepository =>
  ecr.Repository.fromRepositoryName(stack, `Existing-${name.replaceAll('/', '-')}`, name);

describe('Construct: ReleaseGate over repositories the user already has', () => {
  describe('when given existing repositories (IRepository)', () => {
    it('creates none of them and watches them by name', () => {
      // Act
      const template = synthesize((stack) => {
        new ReleaseGate(stack, 'Gate', { gatedRepositories: [existing(stack, 'web'), existing(stack, 'team/api')] });
      });

      // Assess
      template.resourceCountIs('AWS::ECR::Repository', 0);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { detail: { 'action-type': ['PUSH'], 'repository-name': ['web', 'team/api'] } },
      });
    });

    it('creates only the named ones when names and existing repositories are mixed', () => {
      // Act
      const template = synthesize((stack) => {
        new ReleaseGate(stack, 'Gate', { gatedRepositories: ['new-app', existing(stack, 'web')] });
      });

      // Assess
      template.resourceCountIs('AWS::ECR::Repository', 1);
      template.hasResourceProperties('AWS::ECR::Repository', { RepositoryName: 'new-app' });
    });

    it('throws, naming the fix, for a repository whose name is only known at deploy time', () => {
      // Act
      const act = () =>
        synthesize((stack) => {
          const unnamed = new ecr.Repository(stack, 'Unnamed');
          new ReleaseGate(stack, 'Gate', { gatedRepositories: [unnamed] });
        });

      // Assess
      expect(act).toThrow(/Platform\/Unnamed has no literal name.*fromRepositoryName/);
    });

    it('throws for a repository listed twice', () => {
      // Act
      const act = () =>
        synthesize((stack) => {
          new ReleaseGate(stack, 'Gate', { gatedRepositories: ['web', existing(stack, 'web')] });
        });

      // Assess
      expect(act).toThrow(/"web" is listed twice/);
    });
  });

  describe('when creation templates already exist', () => {
    it('creates none with repositoryCreationTemplates: false', () => {
      // Act
      const template = synthesize((stack) => {
        new ReleaseGate(stack, 'Gate', { gatedRepositoryPrefix: 'team', repositoryCreationTemplates: false });
      });

      // Assess
      template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
    });

    it('uses the template for the production prefix the stack already defines', () => {
      // Act
      const template = synthesize(
        (stack) => {
          new ReleaseGate(stack, 'Gate', { gatedRepositories: [existing(stack, 'web')] });
        },
        (stack) => {
          new ecr.CfnRepositoryCreationTemplate(stack, 'Mine', { prefix: 'prod', appliedFor: ['CREATE_ON_PUSH'] });
        },
      );

      // Assess
      template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
    });
  });

  describe('when two gates share a stack', () => {
    it('names their state machines and event buses apart, and creates one production template', () => {
      // Prepare
      const props = (stack: Stack, name: string): ReleaseGateProps => ({ gatedRepositories: [existing(stack, name)] });

      // Act
      const template = synthesize((stack) => {
        new ReleaseGate(stack, 'Storefront', props(stack, 'web'));
        new ReleaseGate(stack, 'Payments', props(stack, 'ledger'));
      });
      const names = (type: string, key: string) =>
        Object.values(template.findResources(type)).map(
          (r) => z.object({ Properties: z.record(z.string(), z.unknown()) }).parse(r).Properties[key],
        );

      // Assess
      expect(new Set(names('AWS::StepFunctions::StateMachine', 'StateMachineName')).size).toBe(2);
      expect(new Set(names('AWS::Events::EventBus', 'Name')).size).toBe(2);
      template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 1);
    });

    it('gives one of them the outputs `--stack` reads, and refuses them to the second', () => {
      // Prepare
      const props = (stack: Stack, name: string): ReleaseGateProps => ({ gatedRepositories: [existing(stack, name)] });
      let second: (() => void) | undefined;

      // Act
      const template = synthesize((stack) => {
        new ReleaseGate(stack, 'Storefront', props(stack, 'web')).addCliOutputs();
        const payments = new ReleaseGate(stack, 'Payments', props(stack, 'ledger'));
        second = () => payments.addCliOutputs();
      });

      // Assess
      expect(Object.keys(template.findOutputs('*'))).toEqual(
        expect.arrayContaining(['ApprovalApiUrl', 'OpsApiRoutes']),
      );
      expect(JSON.stringify(template.findOutputs('ApprovalApiUrl'))).toContain('StorefrontApprovalApi');
      expect(second).toThrow(/already has the output ApprovalApiUrl, OpsApiRoutes: .* --api-url/);
    });
  });
});

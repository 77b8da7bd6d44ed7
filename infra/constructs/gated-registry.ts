import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { RepositoryNameSchema } from '../../lambdas/domain/types.js';
import { acknowledgeWildcardResource, defaultPolicyOf } from './nag-acknowledgments.js';

/**
 * Which source repositories the gate watches: a fixed list, or every repository under a prefix. In
 * the list, a name is a repository the gate creates; an `IRepository` is one that already exists
 * (`ecr.Repository.fromRepositoryName`, or one defined elsewhere in the app), gated as it is.
 */
export type GatedRepositories =
  | { readonly kind: 'list'; readonly repositories: readonly (string | ecr.IRepository)[] }
  | { readonly kind: 'prefix'; readonly prefix: string };

export interface GatedRegistryProps {
  readonly repositories: GatedRepositories;
  /** Key for repository encryption. Source and production must share it so that blob mounts work. */
  readonly key: kms.IKey;
  /**
   * First path segment of the production repositories (`<prefix>/<repository>`).
   * @default 'prod'
   */
  readonly promotionPrefix?: string;
  /**
   * The channel tags of the production repositories (the policy's `promotion.channelTag`): the one
   * kind of tag that moves (Promote moves it forward, `rollback` back). The production repositories
   * are `IMMUTABLE_WITH_EXCLUSION` with exactly these tags excluded; every other tag stays immutable.
   * @default ['live']
   */
  readonly channelTags?: readonly string[];
  /**
   * Create the ECR repository creation templates (`<promotionPrefix>/`, and the gated prefix in
   * prefix mode). A template for the same prefix already defined in this stack, such as another
   * ReleaseGate's promoting to the same prefix, is used instead of a second one (ECR allows one
   * template per prefix). Turn it off when the account already has templates for these prefixes.
   * @default true
   */
  readonly repositoryCreationTemplates?: boolean;
  /**
   * What happens to the source repositories when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The gated source repositories (immutable tags, scan on push, KMS) and the production side: a
 * repository creation template for `<promotionPrefix>/` applied on CREATE_ON_PUSH, so `prod/<repo>`
 * is created with the same settings by the first promotion. Source and production use the same
 * encryption key because ECR mounts blobs only between repositories with identical encryption
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/blob-mounting.html).
 */
export class GatedRegistry extends Construct {
  /** The gated repositories of the list: those created here and the existing ones (empty in prefix mode). */
  public readonly repositories: readonly ecr.IRepository[];
  /** The repositories this construct created (the names of the list); existing ones are not among them. */
  public readonly createdRepositories: readonly ecr.IRepository[];
  /** IAM resource ARNs of the gated source repositories (exact ARNs, or `repository/<prefix>/*`). */
  public readonly sourceRepositoryArns: readonly string[];
  /** IAM resource ARN pattern of the production repositories: `repository/<promotionPrefix>/*`. */
  public readonly productionRepositoryArnPattern: string;
  public readonly promotionPrefix: string;
  /** The mutable channel tags of the production repositories. */
  public readonly channelTags: readonly string[];
  /** Exact names (names mode) for event patterns and policy checks. */
  public readonly repositoryNames: readonly string[] | undefined;
  /** Prefix with a trailing `/` (prefix mode) for event patterns. */
  public readonly repositoryPrefix: string | undefined;
  private readonly templates: boolean;

  public constructor(scope: Construct, id: string, props: GatedRegistryProps) {
    super(scope, id);
    const promotionPrefix = props.promotionPrefix ?? 'prod';
    assertPathSegment('promotionPrefix', promotionPrefix);
    const stack = Stack.of(this);
    const repositoryArn = (name: string): string =>
      stack.formatArn({
        service: 'ecr',
        resource: 'repository',
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });

    const isProduction = (name: string): boolean => name === promotionPrefix || name.startsWith(`${promotionPrefix}/`);
    this.templates = props.repositoryCreationTemplates ?? true;
    const repositories: ecr.IRepository[] = [];
    const created: ecr.IRepository[] = [];
    if (props.repositories.kind === 'list') {
      if (props.repositories.repositories.length === 0) throw new Error('gated repositories: give at least one');
      const names: string[] = [];
      for (const entry of props.repositories.repositories) {
        const name = typeof entry === 'string' ? entry : entry.repositoryName;
        if (Token.isUnresolved(name)) {
          throw new Error(
            `gated repository ${typeof entry === 'string' ? name : entry.node.path} has no literal name (the event rules and the policy check match names): import it with ecr.Repository.fromRepositoryName(scope, id, 'name') or give it a repositoryName`,
          );
        }
        const parsed = RepositoryNameSchema.safeParse(name);
        if (!parsed.success) throw new Error(`gated repository "${name}" is not a valid ECR repository name`);
        if (isProduction(name)) {
          throw new Error(`gated repository "${name}" is under the production prefix "${promotionPrefix}/"`);
        }
        if (names.includes(name)) throw new Error(`gated repository "${name}" is listed twice`);
        names.push(name);
        if (typeof entry !== 'string') {
          // The user's repository: gated as it is, nothing created or changed.
          repositories.push(entry);
          continue;
        }
        const repository = new ecr.Repository(this, `Repository-${name.replaceAll('/', '-')}`, {
          repositoryName: name,
          imageTagMutability: ecr.TagMutability.IMMUTABLE,
          imageScanOnPush: true,
          encryption: ecr.RepositoryEncryption.KMS,
          encryptionKey: props.key,
          removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        });
        repositories.push(repository);
        created.push(repository);
      }
      this.repositoryNames = names;
      this.repositoryPrefix = undefined;
      this.sourceRepositoryArns = repositories.map((r) => r.repositoryArn);
    } else {
      const prefix = props.repositories.prefix.replace(/\/+$/, '');
      assertPathSegment('gatedRepositoryPrefix', prefix);
      if (isProduction(prefix)) throw new Error(`gated prefix "${prefix}" overlaps the production prefix`);
      // Repositories under the prefix are created on first push with the same settings. Scan on
      // push is a registry-level setting for these (PutRegistryScanningConfiguration), not a template one.
      this.creationTemplate(`SourceTemplate`, prefix, props.key, 'Gated source repositories (release-gate)');
      this.repositoryNames = undefined;
      this.repositoryPrefix = `${prefix}/`;
      this.sourceRepositoryArns = [repositoryArn(`${prefix}/*`)];
    }
    this.repositories = repositories;
    this.createdRepositories = created;

    const channelTags = props.channelTags ?? ['live'];
    for (const tag of channelTags) {
      // A wildcard would exempt more than the one tag (`*` is ECR's only wildcard).
      if (!/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/.test(tag)) throw new Error(`channel tag "${tag}" is not a tag name`);
    }
    this.creationTemplate(
      'ProductionTemplate',
      promotionPrefix,
      props.key,
      'Production repositories (release-gate promotions)',
      channelTags,
    );
    this.channelTags = channelTags;
    this.promotionPrefix = promotionPrefix;
    this.productionRepositoryArnPattern = repositoryArn(`${promotionPrefix}/*`);
  }

  private creationTemplate(
    id: string,
    prefix: string,
    key: kms.IKey,
    description: string,
    mutableTags: readonly string[] = [],
  ): void {
    const stack = Stack.of(this);
    if (!this.templates || templateInStack(stack, prefix)) return;
    const repositoryPattern = stack.formatArn({
      service: 'ecr',
      resource: 'repository',
      resourceName: `${prefix}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    // A template with a customer-managed key needs a role ECR assumes to create the repository
    // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create-iam.html).
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('ecr.amazonaws.com'),
      description: `ECR repository creation role for ${prefix}/*`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['ecr:CreateRepository', 'ecr:TagResource'], resources: [repositoryPattern] }),
    );
    key.grant(role, 'kms:CreateGrant', 'kms:RetireGrant', 'kms:DescribeKey');
    acknowledgeWildcardResource(
      defaultPolicyOf(role),
      repositoryPattern,
      'ECR assumes this role to create repositories under the creation template prefix on first push; their names are unknown at deploy time.',
    );
    const template = new ecr.CfnRepositoryCreationTemplate(this, id, {
      prefix,
      description,
      appliedFor: ['CREATE_ON_PUSH'],
      // https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html: every tag
      // immutable except those the exclusion filters name.
      ...(mutableTags.length === 0
        ? { imageTagMutability: 'IMMUTABLE' }
        : {
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
            imageTagMutabilityExclusionFilters: mutableTags.map((tag) => ({
              imageTagMutabilityExclusionFilterType: 'WILDCARD',
              imageTagMutabilityExclusionFilterValue: tag,
            })),
          }),
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: key.keyArn },
      customRoleArn: role.roleArn,
    });
    template.node.addDependency(role);
  }
}

/** Whether the stack already defines a creation template for `prefix` (another gate's, or the user's). */
function templateInStack(stack: Stack, prefix: string): boolean {
  return stack.node
    .findAll()
    .some(
      (c) => c instanceof ecr.CfnRepositoryCreationTemplate && !Token.isUnresolved(c.prefix) && c.prefix === prefix,
    );
}

function assertPathSegment(what: string, value: string): void {
  if (!RepositoryNameSchema.safeParse(value).success) {
    throw new Error(`${what} "${value}" is not a valid ECR repository path`);
  }
}

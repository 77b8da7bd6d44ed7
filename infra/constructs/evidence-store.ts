import { Duration, FeatureFlags, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { TABLE_GSIS, TABLE_KEYS, TIME_TO_LIVE_ATTRIBUTE } from '../../lambdas/adapters/store/table-schema.js';

export interface EvidenceStoreProps {
  /**
   * Days a stored evidence object version is protected by S3 Object Lock (GOVERNANCE mode): it can
   * be neither overwritten nor deleted before then, except by a principal with
   * `s3:BypassGovernanceRetention`.
   * @default - 365 days
   */
  readonly objectLockRetentionDays?: number;

  /**
   * Bucket that receives the evidence bucket's S3 server access logs (under `release-gate-evidence/`).
   * @default - a dedicated access-log bucket: SSE-S3, TLS only, public access blocked, logs expire
   * after the Object Lock retention
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * The table's TTL attribute (epoch seconds): `TIME_TO_LIVE_ATTRIBUTE` (`expiresAt`), the one the
   * gate writes, and only on items that stopped mattering (table-schema.ts: a scan rendezvous
   * holding only a task token, an unconfirmed break-glass request; 90 days after). Any other name is
   * refused: the gate would never write it, and DynamoDB cannot move an enabled TTL in place.
   * @default - TTL disabled
   */
  readonly timeToLiveAttribute?: string;

  /**
   * What happens to the table, bucket and key when the stack is deleted. They hold the audit trail.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The evidence store: a DynamoDB single table (index, records, task-token rendezvous) and an S3
 * bucket for raw, content-addressed evidence documents, both encrypted with one customer-managed key.
 * The key schema comes from `lambdas/adapters/store/table-schema.ts`, shared with the adapter and the
 * local stand-ins.
 */
export class EvidenceStore extends Construct {
  public readonly key: kms.IKey;
  public readonly table: dynamodb.ITable;
  public readonly bucket: s3.IBucket;
  /** Where the evidence bucket's server access logs go: the given bucket, or the one created here. */
  public readonly serverAccessLogsBucket: s3.IBucket;

  public constructor(scope: Construct, id: string, props: EvidenceStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retentionDays = props.objectLockRetentionDays ?? 365;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`objectLockRetentionDays must be a positive integer, got ${retentionDays}`);
    }

    const key = new kms.Key(this, 'Key', {
      description: 'release-gate: evidence table, evidence bucket, notifications and registries',
      enableKeyRotation: true,
      removalPolicy,
    });

    const ttl = props.timeToLiveAttribute;
    if (ttl !== undefined && ttl !== TIME_TO_LIVE_ATTRIBUTE) {
      throw new Error(
        `timeToLiveAttribute must be '${TIME_TO_LIVE_ATTRIBUTE}' (the attribute the gate writes) or unset, got '${ttl}'`,
      );
    }

    const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(TABLE_KEYS.partitionKey),
      sortKey: attribute(TABLE_KEYS.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      timeToLiveAttribute: props.timeToLiveAttribute,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    for (const gsi of TABLE_GSIS) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: attribute(gsi.partitionKey),
        sortKey: attribute(gsi.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    const serverAccessLogsBucket =
      props.serverAccessLogsBucket ??
      accessLogBucket(this, 'AccessLogsBucket', Duration.days(retentionDays), removalPolicy);

    const bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      // Object Lock keeps the audit trail tamper-evident; GOVERNANCE so an operator with
      // s3:BypassGovernanceRetention can still remove personal data on request.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(retentionDays)),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket,
      serverAccessLogsPrefix: 'release-gate-evidence/',
      removalPolicy,
    });

    this.key = key;
    this.table = table;
    this.bucket = bucket;
    this.serverAccessLogsBucket = serverAccessLogsBucket;
  }
}

/**
 * The target of the evidence bucket's server access logs. Server access logging delivers only to
 * a target encrypted with SSE-S3, not SSE-KMS, and without an Object Lock default retention
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html); S3
 * writes through the bucket policy CDK adds (`@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`).
 * It does not log its own access; cdk-nag's AwsSolutions-S1 recognises a bucket that receives
 * another bucket's access logs and raises no finding for it.
 */
function accessLogBucket(scope: Construct, id: string, expiration: Duration, removalPolicy: RemovalPolicy): s3.Bucket {
  if (!FeatureFlags.of(scope).isEnabled(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY)) {
    throw new Error(
      `${scope.node.path}: the access-log bucket disables ACLs, so S3 must deliver logs through its bucket policy; ` +
        `set the feature flag ${cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY} to true (cdk.json) or pass serverAccessLogsBucket`,
    );
  }
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // Kept as long as the evidence they describe is locked.
    lifecycleRules: [{ id: 'ExpireAccessLogs', expiration }],
    removalPolicy,
  });
}

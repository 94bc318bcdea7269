import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../shared/db/table.ts';
import { AuditDigestBucket } from '../constructs/audit-digest-bucket.ts';
import { ExportsBucket } from '../constructs/exports-bucket.ts';
import { createStageKey } from '../constructs/stage-key.ts';
import type { StageConfig } from '../stage.ts';

export interface DataStackProps extends StackProps {
  readonly stage: StageConfig;
}

const stringAttribute = (name: string): Attribute => ({ name, type: AttributeType.STRING });

/** The one DynamoDB table, built from the shared `tableDefinition`. */
export class DataStack extends Stack {
  readonly table: TableV2;
  /** The daily audit digests, under Object Lock (shared/audit/digest-archive.ts). */
  readonly auditDigests: AuditDigestBucket;
  /** The data exports' archives (shared/exports/), expired after the stage's export retention. */
  readonly exports: ExportsBucket;
  /**
   * The key erasure pseudonyms are made with (shared/erasure/pseudonym.ts, `ERASURE_PSEUDONYM_KEY`):
   * generated once per stage and kept apart from the table, so whoever holds user ids and the table
   * cannot compute a pseudonym back to its user.
   */
  readonly erasurePseudonymKey: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { stage } = props;
    // Encrypts this stack's queues, buckets and log groups in prod (lib/constructs/stage-key.ts).
    createStageKey(this, stage);
    // Functions get the key's use with their table access (lib/constructs/app-function.ts), stream
    // consumers with their event source.
    const encryption =
      stage.tableKey === 'customer-managed'
        ? TableEncryptionV2.customerManagedKey(
            new Key(this, 'TableKey', {
              description: `Plinth ${stage.name}: encrypts the table and its stream`,
              enableKeyRotation: true,
              removalPolicy: stage.removalPolicy,
            }),
          )
        : TableEncryptionV2.dynamoOwnedKey();

    this.table = new TableV2(this, 'Table', {
      partitionKey: stringAttribute(tableDefinition.partitionKey),
      sortKey: stringAttribute(tableDefinition.sortKey),
      globalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringAttribute(index.partitionKey),
        sortKey: stringAttribute(index.sortKey),
        // Generic overloaded indexes serve several entities; queries on them read whole items.
        projectionType: ProjectionType.ALL,
      })),
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      dynamoStream: StreamViewType[tableDefinition.stream],
      billing: Billing.onDemand(),
      encryption,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: stage.deletionProtection,
      removalPolicy: stage.removalPolicy,
    });

    this.auditDigests = new AuditDigestBucket(this, 'AuditDigests', { stage });
    this.exports = new ExportsBucket(this, 'Exports', { stage });
    this.erasurePseudonymKey = new Secret(this, 'ErasurePseudonymKey', {
      description: `Plinth ${stage.name}: the key of erasure pseudonyms (never rotate: pseudonyms must stay stable)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Losing it would give an erased person a second pseudonym: kept whatever the stage.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.erasurePseudonymKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The erasure pseudonym key must never change: a rotated key would give an already erased person a second pseudonym, breaking the "stable pseudonym" the erasure report and audit log promise.',
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AuditDigestBucketName', { value: this.auditDigests.bucket.bucketName });
    new CfnOutput(this, 'ExportsBucketName', { value: this.exports.bucket.bucketName });
  }
}

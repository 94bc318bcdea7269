import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
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

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AuditDigestBucketName', { value: this.auditDigests.bucket.bucketName });
    new CfnOutput(this, 'ExportsBucketName', { value: this.exports.bucket.bucketName });
  }
}

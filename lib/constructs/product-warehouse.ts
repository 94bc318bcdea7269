import { ArnFormat, Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IGrantable, type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, LogStream } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  warehouseColumns,
  warehouseDelivery,
  warehouseLayout,
} from '../../shared/analytics/product/warehouse.ts';
import type { StageConfig } from '../stage.ts';
import { bucketEncryption, logGroupEncryption } from './stage-key.ts';

/** The Glue database of a stage (names: lower case, digits, underscores). */
export const warehouseDatabaseNameFor = (stageName: string) => `plinth_${stageName.replace(/\W/g, '_')}`;
/** The Glue table over the raw events. */
export const WAREHOUSE_TABLE_NAME = 'product_events';

export interface ProductWarehouseProps {
  readonly stage: StageConfig;
}

/**
 * The raw product events' warehouse: an encrypted, private, SSL-only bucket; the Amazon Data
 * Firehose stream (direct put, encrypted) that writes gzipped JSON Lines to it under
 * `events/dt=<arrival day>/`; and a Glue database and table over those objects whose `dt` partitions come
 * from partition projection, so Athena queries the full history without a crawler or
 * `MSCK REPAIR`. Layout and columns: shared/analytics/product/warehouse.ts.
 */
export class ProductWarehouse extends Construct {
  readonly bucket: Bucket;
  readonly deliveryStream: CfnDeliveryStream;
  /** The role Firehose assumes to write the bucket and its error log. */
  readonly deliveryRole: Role;
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly deliveryLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProductWarehouseProps) {
    super(scope, id);
    const { stage } = props;

    this.bucket = new Bucket(this, 'Bucket', {
      ...bucketEncryption(this),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // The full event history lives only here (the table's copies expire): kept in every stage.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        {
          // Queries mostly read recent months; older objects move to cheaper tiers by themselves.
          id: 'events-to-intelligent-tiering',
          prefix: warehouseLayout.dataRoot,
          transitions: [
            { storageClass: StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) },
          ],
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the Firehose delivery role writes this bucket and only analysts read it through Athena; CloudTrail records those API calls, so per-request server access logs would add a second log bucket for no new information.',
    });

    this.deliveryLogGroup = new LogGroup(this, 'DeliveryLogs', {
      ...logGroupEncryption(this),
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });
    const logStream = new LogStream(this, 'DeliveryLogStream', {
      logGroup: this.deliveryLogGroup,
      logStreamName: 'S3Delivery',
      removalPolicy: stage.removalPolicy,
    });

    this.deliveryRole = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `Plinth ${stage.name}: Firehose writes raw product events to the warehouse bucket`,
    });
    // What an S3 destination needs (Firehose developer guide), on this bucket only.
    this.deliveryRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    this.deliveryRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    this.deliveryRole.addToPolicy(
      new PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${this.deliveryLogGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.deliveryRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/*]`,
      reason:
        'Firehose names each object at delivery time (prefix, day, hour, random suffix), so the role may put objects anywhere in its own bucket, and nowhere else.',
    });

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        prefix: warehouseLayout.dataPrefix,
        errorOutputPrefix: warehouseLayout.errorPrefix,
        bufferingHints: {
          intervalInSeconds: warehouseDelivery.bufferingIntervalSeconds,
          sizeInMBs: warehouseDelivery.bufferingSizeMiB,
        },
        compressionFormat: warehouseDelivery.compression,
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.deliveryLogGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // Firehose checks its access when the stream is created: the policy must exist first.
    const policy = this.deliveryRole.node.tryFindChild('DefaultPolicy');
    if (policy) this.deliveryStream.node.addDependency(policy);

    const databaseName = warehouseDatabaseNameFor(stage.name);
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: databaseName,
        description: `Plinth ${stage.name}: raw product events (Athena)`,
      },
    });
    const location = `s3://${this.bucket.bucketName}/${warehouseLayout.dataRoot}`;
    const { partitionKey: dt } = warehouseLayout;
    this.table = new CfnTable(this, 'EventsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: WAREHOUSE_TABLE_NAME,
        description: 'Every raw product event (tracked and server-side), one JSON line each, by arrival day.',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: dt, type: 'string', comment: 'UTC day the event reached Firehose, yyyy-MM-dd' },
        ],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          [`projection.${dt}.type`]: 'date',
          [`projection.${dt}.format`]: warehouseLayout.partitionFormat,
          [`projection.${dt}.range`]: `${warehouseLayout.partitionRangeStart},NOW`,
          [`projection.${dt}.interval`]: '1',
          [`projection.${dt}.interval.unit`]: 'DAYS',
          // `${dt}` is Athena's placeholder here, not a template literal.
          'storage.location.template': Fn.join('', [location, dt, '=${', dt, '}/']),
        },
        storageDescriptor: {
          location,
          columns: warehouseColumns.map(({ name, type, comment }) => ({ name, type, comment })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
        },
      },
    });
    this.table.addDependency(this.database);
  }

  /**
   * Lets an erasure worker rewrite the objects holding an erased user's or tenant's lines
   * (shared/erasure/warehouse-redaction.ts): list the data root, get and put its objects (no delete,
   * nothing outside `events/`), and use the bucket's key (prod) for exactly that.
   */
  grantRedaction(role: IRole): void {
    const { dataRoot } = warehouseLayout;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${dataRoot}*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects(`${dataRoot}*`)],
      }),
    );
    // SSE-KMS with a bucket key: reading decrypts, writing makes a data key.
    this.bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/${dataRoot}*]`,
      reason:
        'Firehose names each object at delivery (day, hour, random suffix), so an erasure must be able to read and rewrite any object under the data root, and only there: no delete, no other prefix, no other bucket.',
    });
  }

  /** Lets a function put records on the delivery stream, and nothing else. */
  grantPutRecords(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.deliveryStream.attrArn],
      }),
    );
  }
}

import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { WAREHOUSE_TABLE_NAME, warehouseDatabaseNameFor } from '../../lib/constructs/product-warehouse.ts';
import {
  warehouseColumns,
  warehouseDelivery,
  warehouseLayout,
} from '../../shared/analytics/product/warehouse.ts';
import { productMetricNames } from '../../shared/observability/metric-names.ts';
import { type BuiltPlinth, buildPlinth } from './plinth-app.ts';
import {
  actionsOf,
  arnOf,
  logicalId,
  type Resource,
  resourcesOf,
  type Statement,
  statementsOf,
} from './template.ts';

describe('product event warehouse', () => {
  let plinth: BuiltPlinth;
  let template: Template;

  beforeAll(() => {
    plinth = buildPlinth({ stage: 'prod' });
    template = Template.fromStack(plinth.events);
  });

  const streamId = () => plinth.events.getLogicalId(plinth.events.warehouse.deliveryStream);
  const streamRef = () => ({ Ref: streamId() });
  const bucketArn = () => arnOf(plinth.events, plinth.events.warehouse.bucket);
  const deliveryStream = () =>
    Object.values(resourcesOf(template, 'AWS::KinesisFirehose::DeliveryStream'))[0] as Resource;
  const glueTable = () => Object.values(resourcesOf(template, 'AWS::Glue::Table'))[0] as Resource;
  const tableInput = () =>
    glueTable().Properties.TableInput as {
      Name: string;
      PartitionKeys: { Name: string; Type: string }[];
      Parameters: Record<string, unknown>;
      StorageDescriptor: {
        Columns: { Name: string; Type: string }[];
        SerdeInfo: { SerializationLibrary: string };
        InputFormat: string;
      };
    };

  describe('bucket', () => {
    it('is encrypted, blocks every kind of public access and is kept when the stack goes', () => {
      template.hasResource('AWS::S3::Bucket', {
        Properties: Match.objectLike({
          BucketEncryption: {
            // prod: the stack's customer managed key (lib/constructs/stage-key.ts).
            ServerSideEncryptionConfiguration: [
              {
                BucketKeyEnabled: true,
                ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
              },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        }),
        DeletionPolicy: 'Retain',
      });
    });

    it('refuses every request that is not over TLS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(plinth.events, plinth.events.warehouse.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('moves events older than 30 days to Intelligent-Tiering and aborts stale uploads, deleting nothing', () => {
      const bucket = Object.values(resourcesOf(template, 'AWS::S3::Bucket'))[0] as Resource;
      const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

      expect(rules).toEqual([
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        expect.objectContaining({
          Prefix: 'events/',
          Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 30 }],
        }),
      ]);
      expect(rules.some((rule) => 'ExpirationInDays' in rule)).toBe(false);
    });
  });

  describe('delivery stream', () => {
    it('takes direct puts, encrypted with an AWS-owned key', () => {
      expect(deliveryStream().Properties).toMatchObject({
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      });
    });

    it('writes gzipped objects to the bucket under the events prefix, buffered up to 15 minutes or 128 MiB', () => {
      expect(deliveryStream().Properties.ExtendedS3DestinationConfiguration).toMatchObject({
        BucketARN: bucketArn(),
        RoleARN: arnOf(plinth.events, plinth.events.warehouse.deliveryRole),
        Prefix: 'events/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 900, SizeInMBs: 128 },
        CloudWatchLoggingOptions: expect.objectContaining({ Enabled: true }),
      });
    });

    it('names the arrival day in the data prefix Hive style, in the format the dt projection reads', () => {
      expect(warehouseLayout.dataPrefix).toBe(
        `${warehouseLayout.dataRoot}${warehouseLayout.partitionKey}=!{timestamp:${warehouseLayout.partitionFormat}}/`,
      );
    });

    it('is created after its role’s policy, which Firehose checks at creation', () => {
      const policy = plinth.events.warehouse.deliveryRole.node.findChild('DefaultPolicy');
      expect(
        (
          template.toJSON().Resources[streamId()] as {
            DependsOn: string[];
          }
        ).DependsOn,
      ).toContain(plinth.events.getLogicalId(policy.node.defaultChild as never));
    });
  });

  describe('delivery role', () => {
    it('can be assumed by Firehose of this account only', () => {
      const role = resourcesOf(template, 'AWS::IAM::Role')[
        logicalId(plinth.events, plinth.events.warehouse.deliveryRole)
      ];

      expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      });
    });

    it('may list and write its own bucket and its own log stream, nothing else', () => {
      const statements = statementsOf(template, plinth.events, plinth.events.warehouse.deliveryRole);
      const logGroup = plinth.events.warehouse.deliveryLogGroup;
      const logStream = plinth.events.warehouse.node.findChild('DeliveryLogStream');

      expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
        {
          Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
          Resource: bucketArn(),
        },
        {
          Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          Resource: { 'Fn::Join': ['', [bucketArn(), '/*']] },
        },
        {
          Action: 'logs:PutLogEvents',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:aws:logs:eu-west-1:123456789012:log-group:',
                { Ref: plinth.events.getLogicalId(logGroup.node.defaultChild as never) },
                ':log-stream:',
                { Ref: plinth.events.getLogicalId(logStream.node.defaultChild as never) },
              ],
            ],
          },
        },
      ]);
    });
  });

  describe('product-activity consumer', () => {
    it('knows the delivery stream by name', () => {
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[
        logicalId(plinth.events, plinth.events.productActivity.fn.function)
      ];
      expect((fn?.Properties.Environment as { Variables: object } | undefined)?.Variables).toMatchObject({
        PRODUCT_WAREHOUSE_STREAM: streamRef(),
      });
    });

    it('may put records on that stream only', () => {
      const statements = statementsOf(template, plinth.events, plinth.events.productActivity.fn.role);
      const firehose = statements.filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('firehose:')),
      );

      expect(firehose).toEqual([
        {
          Effect: 'Allow',
          Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          Resource: { 'Fn::GetAtt': [streamId(), 'Arn'] },
        },
      ]);
    });

    it('is the only function of any stack allowed to use Firehose', () => {
      const putters = [plinth.events, plinth.api].flatMap((stack) =>
        Object.values(resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy')).filter((policy) =>
          actionsOf((policy.Properties.PolicyDocument as { Statement: never[] }).Statement).some((action) =>
            action.startsWith('firehose:'),
          ),
        ),
      );

      expect(putters.map((policy) => policy.Properties.Roles)).toEqual([
        [{ Ref: logicalId(plinth.events, plinth.events.productActivity.fn.role) }],
      ]);
    });
  });

  describe('erasure workers', () => {
    const erasers = () => [plinth.events.workers['erasure-run'], plinth.events.workers['tenant-purge']];
    /** The statements of a worker that name the warehouse bucket or the stack's key. */
    const warehouseStatements = (worker: (typeof plinth.events.workers)[string] | undefined) =>
      statementsOf(template, plinth.events, worker?.role as never).filter((statement) => {
        const text = JSON.stringify(statement.Resource);
        return (
          text.includes(logicalId(plinth.events, plinth.events.warehouse.bucket)) || text.includes('StageKey')
        );
      });

    it('know the warehouse bucket by name and wait buffer + 15 minutes for late deliveries', () => {
      for (const worker of erasers()) {
        const fn = resourcesOf(template, 'AWS::Lambda::Function')[
          logicalId(plinth.events, worker?.function as never)
        ];
        expect((fn?.Properties.Environment as { Variables: object } | undefined)?.Variables).toMatchObject({
          WAREHOUSE_BUCKET_NAME: { Ref: logicalId(plinth.events, plinth.events.warehouse.bucket) },
          WAREHOUSE_SETTLE_SECONDS: String(warehouseDelivery.bufferingIntervalSeconds + 15 * 60),
        });
      }
    });

    it('may list the data root, get and put its objects, and use the bucket key for that, nothing more', () => {
      for (const worker of erasers()) {
        expect(warehouseStatements(worker)).toEqual([
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: bucketArn(),
            Condition: { StringLike: { 's3:prefix': ['events/*'] } },
          },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: { 'Fn::Join': ['', [bucketArn(), '/events/*']] },
          },
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StageKey/), 'Arn'] },
          },
        ]);
      }
    });

    it('are the only functions besides Firehose allowed to write the bucket, and none may delete from it', () => {
      const writers = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((policy) =>
        (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some(
          (statement) =>
            JSON.stringify(statement.Resource).includes(
              logicalId(plinth.events, plinth.events.warehouse.bucket),
            ) &&
            actionsOf([statement]).some(
              (action) => action === 's3:PutObject' || action === 's3:DeleteObject',
            ),
        ),
      );

      expect(writers.flatMap((policy) => policy.Properties.Roles as unknown[])).toEqual(
        expect.arrayContaining([
          { Ref: logicalId(plinth.events, plinth.events.warehouse.deliveryRole) },
          ...erasers().map((worker) => ({ Ref: logicalId(plinth.events, worker?.role as never) })),
        ]),
      );
      expect(writers).toHaveLength(3);
      expect(JSON.stringify(writers)).not.toContain('s3:DeleteObject');
    });
  });

  describe('Glue table', () => {
    it('lives in the stage’s database', () => {
      template.hasResourceProperties('AWS::Glue::Database', {
        DatabaseInput: Match.objectLike({ Name: warehouseDatabaseNameFor('prod') }),
      });
      expect(glueTable().Properties.DatabaseName).toBe('plinth_prod');
      expect(tableInput().Name).toBe(WAREHOUSE_TABLE_NAME);
    });

    it('has the columns of a warehouse line, read with the Hive JSON SerDe', () => {
      const { StorageDescriptor } = tableInput();

      expect(StorageDescriptor.Columns.map(({ Name, Type }) => `${Name} ${Type}`)).toEqual([
        'tenant_id string',
        'user_id string',
        'event_id string',
        'name string',
        'source string',
        'occurred_at string',
        'received_at string',
        'properties map<string,string>',
      ]);
      expect(StorageDescriptor.Columns.map(({ Name }) => Name)).toEqual(warehouseColumns.map((c) => c.name));
      expect(StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hive.hcatalog.data.JsonSerDe',
      );
      expect(StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    });

    it('projects one dt partition per day onto the events/dt=yyyy-MM-dd folders, so no crawler is needed', () => {
      const { PartitionKeys, Parameters } = tableInput();
      const bucketRef = { Ref: logicalId(plinth.events, plinth.events.warehouse.bucket) };

      expect(PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
      expect(Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2025-01-01,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder, not a template literal
        'storage.location.template': { 'Fn::Join': ['', ['s3://', bucketRef, '/events/dt=${dt}/']] },
      });
    });
  });

  describe('alarms', () => {
    it('alarms on raw events the consumer could not deliver, counted in EMF', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ MetricName: productMetricNames.warehouseDeliveryFailures }),
            }),
          }),
        ]),
      });
    });

    it('alarms when records wait in Firehose an hour past its buffer', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.DataFreshness',
        Dimensions: [{ Name: 'DeliveryStreamName', Value: streamRef() }],
        Threshold: 900 + 3600,
      });
    });
  });
});

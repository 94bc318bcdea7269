import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../shared/db/table.ts';
import { buildPlinth } from './plinth-app.ts';

const TABLE = 'AWS::DynamoDB::GlobalTable';

interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

interface TableProperties {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  GlobalSecondaryIndexes: { IndexName: string; KeySchema: KeySchemaElement[] }[];
  TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
  StreamSpecification: { StreamViewType: string };
}

function onlyTable(template: Template): { properties: TableProperties; resource: Record<string, unknown> } {
  const tables = Object.values(template.findResources(TABLE));
  expect(tables).toHaveLength(1);
  const resource = tables[0] as { Properties: TableProperties };
  return { properties: resource.Properties, resource };
}

const keyNames = (schema: KeySchemaElement[]) => ({
  partitionKey: schema.find((key) => key.KeyType === 'HASH')?.AttributeName,
  sortKey: schema.find((key) => key.KeyType === 'RANGE')?.AttributeName,
});

describe('data stack', () => {
  let dev: Template;
  let prod: Template;

  beforeAll(() => {
    dev = Template.fromStack(buildPlinth({ stage: 'dev' }).data);
    prod = Template.fromStack(buildPlinth({ stage: 'prod' }).data);
  });

  it('holds exactly one table', () => {
    dev.resourceCountIs(TABLE, 1);
    prod.resourceCountIs(TABLE, 1);
  });

  it('agrees with the shared tableDefinition (keys, indexes, TTL, stream)', () => {
    const { properties } = onlyTable(dev);

    const table = {
      ...keyNames(properties.KeySchema),
      globalSecondaryIndexes: properties.GlobalSecondaryIndexes.map((index) => ({
        indexName: index.IndexName,
        ...keyNames(index.KeySchema),
      })),
      timeToLiveAttribute: properties.TimeToLiveSpecification.AttributeName,
      stream: properties.StreamSpecification.StreamViewType,
    };

    expect(table).toEqual(tableDefinition);
  });

  it('declares every key attribute as a string', () => {
    const { properties } = onlyTable(dev);
    const keyAttributes = [
      tableDefinition.partitionKey,
      tableDefinition.sortKey,
      ...tableDefinition.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ];

    expect(properties.AttributeDefinitions).toEqual(
      keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    );
  });

  it('projects all attributes into each index, enables TTL and bills per request', () => {
    dev.hasResourceProperties(TABLE, {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'gsi1', Projection: { ProjectionType: 'ALL' } }),
      ]),
    });
  });

  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])('enables point-in-time recovery in %s', (_stage, template) => {
    template().hasResourceProperties(TABLE, {
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('protects and retains the prod table', () => {
    prod.hasResource(TABLE, {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
      }),
    });
  });

  it('lets the dev table be destroyed with its stack', () => {
    dev.hasResource(TABLE, {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
      }),
    });
  });

  it('encrypts the prod table with a rotated customer managed key', () => {
    prod.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    prod.hasResourceProperties(TABLE, {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: Match.anyValue() } })],
    });
  });

  it('leaves the dev table on the AWS owned key', () => {
    dev.resourceCountIs('AWS::KMS::Key', 0);
    dev.hasResourceProperties(TABLE, { SSESpecification: { SSEEnabled: false } });
  });
});

describe('audit digest bucket', () => {
  const bucketOf = (stage: 'dev' | 'prod') => {
    const template = Template.fromStack(buildPlinth({ stage }).data);
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as {
      Properties: Record<string, unknown>;
      DeletionPolicy?: string;
    }[];
    const digests = buckets.filter((bucket) =>
      JSON.stringify(bucket.Properties.BucketName).includes('audit-digests'),
    );
    expect(digests).toHaveLength(1);
    return { template, bucket: digests[0] };
  };

  it('locks every digest in compliance mode for the stage’s retention', () => {
    expect(bucketOf('prod').bucket?.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(bucketOf('dev').bucket?.Properties).toMatchObject({
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } } },
    });
  });

  it('encrypts, blocks public access and is kept when the stack goes away', () => {
    const { bucket } = bucketOf('dev');
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket?.DeletionPolicy).toBe('Retain');
  });

  it('refuses plain-HTTP access', () => {
    bucketOf('prod').template.hasResourceProperties('AWS::S3::BucketPolicy', {
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
});

describe('exports bucket', () => {
  const exportsBucketOf = (stage: 'dev' | 'prod') => {
    const template = Template.fromStack(buildPlinth({ stage }).data);
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as {
      Properties: Record<string, unknown>;
      DeletionPolicy?: string;
    }[];
    const found = buckets.filter((bucket) =>
      JSON.stringify(bucket.Properties.BucketName).includes('-exports-'),
    );
    expect(found).toHaveLength(1);
    return { template, bucket: found[0] };
  };

  it('expires every archive after the stage’s export retention and aborts stale uploads', () => {
    expect(exportsBucketOf('prod').bucket?.Properties).toMatchObject({
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-exports',
            Status: 'Enabled',
            ExpirationInDays: 7,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
  });

  it('is private, encrypted with the stage key in prod, and unversioned (an expired archive leaves no old version)', () => {
    const { bucket } = exportsBucketOf('prod');
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
  });

  it('refuses plain-HTTP access', () => {
    const { template, bucket } = exportsBucketOf('dev');
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] }; Bucket: unknown };
    }[];
    const ref = Object.entries(template.findResources('AWS::S3::Bucket')).find(([, b]) => b === bucket)?.[0];
    const policy = policies.find((p) => JSON.stringify(p.Properties.Bucket).includes(String(ref)));
    expect(policy?.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    );
  });
});

describe('erasure pseudonym key', () => {
  it('is a generated secret, kept when the stack goes, in every stage', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const template = Template.fromStack(buildPlinth({ stage }).data);
      const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret')) as {
        Properties: { GenerateSecretString?: { PasswordLength?: number } };
        DeletionPolicy?: string;
      }[];
      expect(secrets).toHaveLength(1);
      expect(secrets[0]?.Properties.GenerateSecretString?.PasswordLength).toBe(64);
      expect(secrets[0]?.DeletionPolicy).toBe('Retain');
    }
  });
});

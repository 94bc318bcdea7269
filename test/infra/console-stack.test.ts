import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CachePolicy, OriginRequestPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { addPlinthStacks } from '../../lib/plinth.ts';
import { consoleApiPathPatterns, spaRoutingSource } from '../../lib/stacks/console-stack.ts';
import { type BuiltPlinth, buildPlinth, consoleFixture } from './plinth-app.ts';
import { logicalId, type Resource, resourcesOf } from './template.ts';

interface Behavior {
  PathPattern?: string;
  TargetOriginId: string;
  ViewerProtocolPolicy: string;
  AllowedMethods: string[];
  CachePolicyId: string;
  OriginRequestPolicyId?: string;
  ResponseHeadersPolicyId: unknown;
  FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
}

interface Origin {
  Id: string;
  DomainName: unknown;
  OriginAccessControlId?: unknown;
  S3OriginConfig?: { OriginAccessIdentity: string };
  CustomOriginConfig?: { OriginProtocolPolicy: string; OriginSSLProtocols: string[] };
}

interface DistributionConfig {
  DefaultRootObject: string;
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: Origin[];
  CustomErrorResponses?: unknown[];
  Aliases?: string[];
  ViewerCertificate?: Record<string, unknown>;
  Logging?: unknown;
}

/** The CloudFront Function's handler, run in a fresh V8 context as CloudFront would run the file. */
function loadSpaRouting(): (event: { request: { uri: string } }) => { uri: string } {
  const source = readFileSync(spaRoutingSource, 'utf8');
  return runInNewContext(`${source}\nhandler;`, {}) as never;
}

const viewerRequest = (uri: string) => ({ request: { method: 'GET', uri, headers: {}, querystring: {} } });

describe('the SPA routing function', () => {
  const handler = loadSpaRouting();

  it('serves /index.html for a client-side route', () => {
    expect(handler(viewerRequest('/tenants/123')).uri).toBe('/index.html');
  });

  it('serves /index.html for the root and for a trailing slash', () => {
    expect(handler(viewerRequest('/')).uri).toBe('/index.html');
    expect(handler(viewerRequest('/tenants/')).uri).toBe('/index.html');
  });

  it('leaves a hashed asset unchanged', () => {
    expect(handler(viewerRequest('/assets/x.js')).uri).toBe('/assets/x.js');
  });

  it('leaves config.json unchanged', () => {
    expect(handler(viewerRequest('/config.json')).uri).toBe('/config.json');
  });

  it('leaves every API path unchanged, extensionless or not', () => {
    for (const uri of ['/v1/x', '/v1/tenants/123/projects', '/admin/tenants', '/admin/health']) {
      expect(handler(viewerRequest(uri)).uri).toBe(uri);
    }
  });
});

describe('console stack', () => {
  let plinth: BuiltPlinth;
  let template: Template;
  let auth: Template;
  let config: DistributionConfig;

  beforeAll(() => {
    plinth = buildPlinth({ stage: 'dev' });
    template = Template.fromStack(plinth.console);
    auth = Template.fromStack(plinth.auth);
    const [distribution] = Object.values(resourcesOf(template, 'AWS::CloudFront::Distribution'));
    config = distribution?.Properties.DistributionConfig as DistributionConfig;
  });

  const bucketId = () => logicalId(plinth.console, plinth.console.bucket);
  const originOf = (behavior: Behavior) =>
    config.Origins.find((origin) => origin.Id === behavior.TargetOriginId);
  const behaviorFor = (pattern: string) => config.CacheBehaviors.find((b) => b.PathPattern === pattern);
  /** An auth stack output's value, behind the weak cross-stack reference the console stack holds. */
  const authOutput = (reference: unknown) => {
    const outputName = (reference as { 'Fn::GetStackOutput': { StackName: string; OutputName: string } })[
      'Fn::GetStackOutput'
    ];
    expect(outputName.StackName).toBe(plinth.auth.stackName);
    return (auth.toJSON().Outputs as Record<string, { Value: unknown }>)[outputName.OutputName]?.Value;
  };

  it('serves the bucket through an origin access control, not an identity', () => {
    const s3Origin = originOf(config.DefaultCacheBehavior);
    const [oacId] = Object.keys(resourcesOf(template, 'AWS::CloudFront::OriginAccessControl'));

    expect(s3Origin?.DomainName).toEqual({ 'Fn::GetAtt': [bucketId(), 'RegionalDomainName'] });
    expect(s3Origin?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    expect(s3Origin?.S3OriginConfig?.OriginAccessIdentity).toBe('');
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
  });

  it('lets only this distribution read the bucket', () => {
    const [policy] = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).filter(
      (resource) => JSON.stringify(resource.Properties.Bucket) === JSON.stringify({ Ref: bucketId() }),
    );
    const statements = (
      (policy as Resource).Properties.PolicyDocument as { Statement: Record<string, unknown>[] }
    ).Statement;
    const allows = statements.filter((statement) => statement.Effect === 'Allow');

    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
    });
    expect(JSON.stringify(allows[0]?.Condition)).toContain(
      logicalId(plinth.console, plinth.console.distribution),
    );
  });

  it('keeps the bucket private, encrypted and SSL-only', () => {
    const bucket = resourcesOf(template, 'AWS::S3::Bucket')[bucketId()] as Resource;

    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(JSON.stringify(bucket.Properties.BucketEncryption)).toContain('AES256');
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: [
          { Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          {},
        ],
      },
    });
  });

  it('redirects plain http to https for the console', () => {
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('refuses plain http on the API paths instead of redirecting them', () => {
    for (const pattern of consoleApiPathPatterns) {
      expect(behaviorFor(pattern)?.ViewerProtocolPolicy).toBe('https-only');
    }
  });

  it('serves index.html at the root', () => {
    expect(config.DefaultRootObject).toBe('index.html');
  });

  it('maps no error responses, so API 403s and 404s reach the caller as they are', () => {
    expect(config.CustomErrorResponses).toBeUndefined();
  });

  it('adds HSTS, a CSP for its own origin and Cognito, nosniff, frame DENY and no-referrer to every behaviour', () => {
    const [policyId] = Object.keys(resourcesOf(template, 'AWS::CloudFront::ResponseHeadersPolicy'));
    const { SecurityHeadersConfig: headers } = (
      resourcesOf(template, 'AWS::CloudFront::ResponseHeadersPolicy')[policyId ?? ''] as Resource
    ).Properties.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Record<string, unknown>>;
    };
    const csp = plinth.console.resolve(headers.ContentSecurityPolicy?.ContentSecurityPolicy) as unknown;
    const cspText = JSON.stringify(csp);

    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63_072_000,
      Override: true,
    });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(cspText).toContain("default-src 'self'; script-src 'self'");
    expect(cspText).toContain("connect-src 'self' https://cognito-idp.eu-west-1.");
    expect(cspText).toContain("frame-ancestors 'none'");
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    }
  });

  it('runs the SPA routing function on viewer requests of the console behaviour only', () => {
    const [functionId] = Object.keys(resourcesOf(template, 'AWS::CloudFront::Function'));
    const [fn] = Object.values(resourcesOf(template, 'AWS::CloudFront::Function'));

    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
    ]);
    expect(fn?.Properties.FunctionCode).toBe(readFileSync(spaRoutingSource, 'utf8'));
    for (const behavior of config.CacheBehaviors) expect(behavior.FunctionAssociations).toBeUndefined();
  });

  it('sends /v1/* and /admin/* to the HTTP API with caching disabled, every method, every viewer header but Host', () => {
    const apiStackOutputs = Template.fromStack(plinth.api).toJSON().Outputs as Record<
      string,
      { Value: unknown }
    >;
    for (const pattern of ['/v1/*', '/admin/*']) {
      const behavior = behaviorFor(pattern);
      const origin = behavior && originOf(behavior);
      const [apiId, domainRest] = ((origin as Origin).DomainName as { 'Fn::Join': [string, unknown[]] })[
        'Fn::Join'
      ][1];
      const apiIdOutput = (apiId as { 'Fn::GetStackOutput': { StackName: string; OutputName: string } })[
        'Fn::GetStackOutput'
      ];

      expect(apiIdOutput.StackName).toBe(plinth.api.stackName);
      expect(apiStackOutputs[apiIdOutput.OutputName]?.Value).toEqual({
        Ref: logicalId(plinth.api, plinth.api.httpApi),
      });
      expect(domainRest).toBe('.execute-api.eu-west-1.');
      expect(origin?.CustomOriginConfig).toEqual({
        OriginProtocolPolicy: 'https-only',
        OriginSSLProtocols: ['TLSv1.2'],
      });
      expect(behavior?.CachePolicyId).toBe(CachePolicy.CACHING_DISABLED.cachePolicyId);
      // The managed AllViewerExceptHostHeader policy: Authorization, If-Match and the impersonation
      // header reach the API; Host stays the API's own.
      expect(behavior?.OriginRequestPolicyId).toBe(
        OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
      );
      expect(behavior?.AllowedMethods).toEqual(
        expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
      );
    }
  });

  it('caches the console files as their own Cache-Control says', () => {
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe(CachePolicy.CACHING_OPTIMIZED.cachePolicyId);
    expect(config.DefaultCacheBehavior.OriginRequestPolicyId).toBeUndefined();
  });

  it('logs the distribution and the bucket to the log bucket, kept as long as the stage keeps its logs', () => {
    const logBucket = logicalId(plinth.console, plinth.console.logBucket);
    const bucket = resourcesOf(template, 'AWS::S3::Bucket')[bucketId()] as Resource;

    expect(config.Logging).toMatchObject({ Bucket: { 'Fn::GetAtt': [logBucket, 'RegionalDomainName'] } });
    expect(bucket.Properties.LoggingConfiguration).toMatchObject({
      DestinationBucketName: { Ref: logBucket },
    });
    expect(
      (resourcesOf(template, 'AWS::S3::Bucket')[logBucket] as Resource).Properties.LifecycleConfiguration,
    ).toEqual({ Rules: [{ Id: 'expire-logs', ExpirationInDays: 7, Status: 'Enabled' }] });
  });

  describe('deployment of the files', () => {
    const deployments = () =>
      Object.entries(resourcesOf(template, 'Custom::CDKBucketDeployment')).map(([id, resource]) => ({
        id,
        dependsOn: (resource as { DependsOn?: string[] }).DependsOn ?? [],
        ...(resource.Properties as {
          Include?: string[];
          Exclude?: string[];
          Prune?: boolean;
          SystemMetadata?: Record<string, string>;
          DistributionId?: unknown;
          DistributionPaths?: string[];
          SourceObjectKeys: string[];
          SourceMarkers?: Record<string, unknown>[];
        }),
      }));
    const assetsDeployment = () => deployments().find((d) => d.Include?.includes('assets/*'));
    const shellDeployment = () => deployments().find((d) => d.Exclude?.includes('assets/*'));

    it('uploads the hashed assets with a year of immutable caching, keeping older ones', () => {
      expect(assetsDeployment()).toMatchObject({
        Exclude: ['*'],
        Include: ['assets/*'],
        Prune: false,
        SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
      });
    });

    it('uploads index.html, config.json and the other files after the assets, revalidated on every load', () => {
      const shell = shellDeployment();

      expect(shell?.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
      expect(shell?.Include).toBeUndefined();
      expect(shell?.dependsOn).toContain(assetsDeployment()?.id);
    });

    it('invalidates the distribution when the files change', () => {
      expect(shellDeployment()).toMatchObject({
        DistributionId: { Ref: logicalId(plinth.console, plinth.console.distribution) },
        DistributionPaths: ['/*'],
      });
    });

    it("logs the deployments like the stage's functions (its retention, removed with a dev stack)", () => {
      const [providerId, provider] = Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))[0] ?? [];
      const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');
      const [logGroupId] = Object.keys(logGroups);

      expect(providerId).toMatch(/^CustomCDKBucketDeployment/);
      expect(Object.keys(logGroups)).toHaveLength(1);
      expect(provider?.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      expect(logGroups[logGroupId ?? '']).toMatchObject({
        Properties: { RetentionInDays: 7 },
        DeletionPolicy: 'Delete',
      });
    });

    it('writes config.json with the region, the user pool and app client ids and the Cognito endpoint', () => {
      const shell = shellDeployment();
      // The jsonData source is the one with markers: deploy-time values the provider substitutes.
      const index = shell?.SourceMarkers?.findIndex((markers) => Object.keys(markers).length > 0) ?? -1;
      const markers = shell?.SourceMarkers?.[index] ?? {};
      const hash = shell?.SourceObjectKeys[index]?.replace(/\.zip$/, '');
      const outdir = plinth.app.synth().directory;
      const written = JSON.parse(
        readFileSync(join(outdir, `asset.${hash}`, 'config.json'), 'utf8'),
      ) as Record<string, string>;
      const deployed = (field: string) => markers[written[field] ?? ''];
      const [, suffixMarker] = /^https:\/\/cognito-idp\.eu-west-1\.(<<marker:[^>]+>>)\/$/.exec(
        written.cognitoEndpoint ?? '',
      ) ?? [undefined, ''];

      expect(Object.keys(written).sort()).toEqual(['clientId', 'cognitoEndpoint', 'region', 'userPoolId']);
      expect(written.region).toBe('eu-west-1');
      expect(authOutput(deployed('userPoolId'))).toEqual({
        Ref: logicalId(plinth.auth, plinth.auth.userPool),
      });
      expect(authOutput(deployed('clientId'))).toEqual({
        Ref: logicalId(plinth.auth, plinth.auth.userPoolClient),
      });
      expect(markers[suffixMarker]).toEqual({ Ref: 'AWS::URLSuffix' });
    });

    it('writes config.json beside the build, in the same deployment as index.html', () => {
      const shell = shellDeployment();
      const sources = shell?.SourceObjectKeys ?? [];

      expect(sources).toHaveLength(2);
      expect(sources).toContain(assetsDeployment()?.SourceObjectKeys[0]);
    });
  });

  it('outputs the console URL', () => {
    template.hasOutput('ConsoleUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { 'Fn::GetAtt': [logicalId(plinth.console, plinth.console.distribution), 'DomainName'] },
          ],
        ],
      },
    });
  });

  it('depends on the API and auth stacks, which never depend on it', () => {
    const dependencies = (stack: { dependencies: { stackName: string }[] }) =>
      stack.dependencies.map((dependency) => dependency.stackName);

    expect(dependencies(plinth.console)).toEqual(
      expect.arrayContaining([plinth.api.stackName, plinth.auth.stackName]),
    );
    expect(dependencies(plinth.api)).not.toContain(plinth.console.stackName);
    expect(dependencies(plinth.auth)).not.toContain(plinth.console.stackName);
  });
});

describe('console stack on a custom domain', () => {
  const certificateArn =
    'arn:aws:acm:us-east-1:123456789012:certificate/5a1b2c3d-0000-4000-8000-00000000c0de';
  let plinth: BuiltPlinth;
  let config: DistributionConfig;

  beforeAll(() => {
    plinth = buildPlinth({
      stage: 'dev',
      context: { consoleDomain: { dev: { domainName: 'console.acme.test', certificateArn } } },
    });
    const [distribution] = Object.values(
      resourcesOf(Template.fromStack(plinth.console), 'AWS::CloudFront::Distribution'),
    );
    config = distribution?.Properties.DistributionConfig as DistributionConfig;
  });

  it('serves the console on that name with its certificate and TLS 1.2 at least', () => {
    expect(config.Aliases).toEqual(['console.acme.test']);
    expect(config.ViewerCertificate).toEqual({
      AcmCertificateArn: certificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
  });

  it('outputs the custom URL and the distribution name to point the DNS record at', () => {
    const template = Template.fromStack(plinth.console);

    template.hasOutput('ConsoleUrl', { Value: 'https://console.acme.test' });
    template.hasOutput('ConsoleDistributionDomain', {
      Value: { 'Fn::GetAtt': [logicalId(plinth.console, plinth.console.distribution), 'DomainName'] },
    });
  });

  it('passes cdk-nag without acknowledging the viewer TLS policy', () => {
    const findings = new AwsSolutionsChecks()
      .validateScope(plinth.console)
      .violations.map((violation) => violation.ruleName);
    const acknowledged = JSON.stringify(plinth.console.distribution.node.metadata);

    expect(findings).toEqual([]);
    expect(acknowledged).not.toContain('AwsSolutions-CFR4');
  });
});

describe('a console that is not built', () => {
  it('fails synth saying to run npm run console:build', () => {
    const empty = mkdtempSync(join(tmpdir(), 'plinth-console-'));
    try {
      expect(() => buildPlinth({ stage: 'dev', consoleAssetPath: empty })).toThrow(
        /The admin console is not built: .*index\.html is missing\. Run npm run console:build/,
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});

describe('console stack in an app without a fixed environment', () => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };

  it.each([
    ['neither account nor region', undefined],
    ['only the region', { region: 'us-east-1' }],
    ['only the account', { account: '111111111111' }],
  ])('passes cdk-nag when the CLI knows %s', (_what, env) => {
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    const { console: stack } = addPlinthStacks(app, { env, consoleAssetPath: consoleFixture });

    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CfnElement,
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { cognitoOriginFor, consoleContentSecurityPolicy } from '../console/security-headers.ts';
import type { ConsoleDomain, StageConfig } from '../stage.ts';

/** The CloudFront Function that serves the app shell for client-side routes (plain JS, run as is). */
export const spaRoutingSource = fileURLToPath(new URL('../console/spa-routing.js', import.meta.url));

/**
 * The API's paths, served by the HTTP API through the console's distribution: the console calls its
 * own origin, so there is no CORS to keep in step and no reference from the API to the console.
 */
export const consoleApiPathPatterns = ['/v1/*', '/admin/*', '/openapi.json'] as const;

/** Where Vite puts content-hashed files: cached for a year, never revalidated. */
const HASHED_ASSETS = 'assets/*';
const IMMUTABLE = [
  CacheControl.setPublic(),
  CacheControl.maxAge(Duration.days(365)),
  CacheControl.immutable(),
];
/** index.html, config.json and any other unhashed file: revalidated on every load (ETag, 304). */
const REVALIDATE = [CacheControl.noCache()];

/**
 * `config.json` beside `index.html`: what the console needs to sign in, written at deploy time so one
 * build serves every stage (the console's `loadConfig` reads it). No `apiUrl`: the API is on the
 * console's own origin.
 */
export interface ConsoleRuntimeConfig {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Cognito's JSON API, where the console signs in and refreshes its tokens. */
  readonly cognitoEndpoint: string;
}

export interface ConsoleStackProps extends StackProps {
  readonly stage: StageConfig;
  /**
   * The built console: `index.html`, content-hashed files under `assets/`, anything else at the root
   * (`console/dist` after `npm run console:build`).
   */
  readonly assetPath: string;
  /** The API the distribution serves under `/v1/*`, `/admin/*` and `/openapi.json`. */
  readonly httpApi: IHttpApi;
  /** The pool operators sign in to (`config.json`, and the CSP's `connect-src`). */
  readonly userPool: IUserPool;
  readonly userPoolClient: IUserPoolClient;
  /**
   * A custom domain with its ACM certificate (us-east-1); the viewer security policy is then
   * TLSv1.2_2021.
   * @default - the distribution's own `*.cloudfront.net` name
   */
  readonly domain?: ConsoleDomain;
}

/**
 * The admin console: its static files in a private S3 bucket behind a CloudFront distribution
 * (origin access control, HTTPS only, security headers, SPA routing by a CloudFront Function), the
 * API behind the same distribution, and `config.json` written at deploy time with the stage's
 * Cognito ids. Depends on the API and auth stacks; neither knows about it.
 */
export class ConsoleStack extends Stack {
  readonly bucket: Bucket;
  /** CloudFront's standard logs and the bucket's server access logs. */
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly spaRouting: CloudFrontFunction;
  readonly securityHeaders: ResponseHeadersPolicy;
  /** The console's address (`https://<domain>`). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const assetPath = resolve(props.assetPath);
    if (!existsSync(join(assetPath, 'index.html'))) {
      throw new Error(
        `The admin console is not built: ${join(assetPath, 'index.html')} is missing. Run npm run console:build before cdk synth or cdk deploy.`,
      );
    }

    // Logs are evidence, and a bucket holding objects cannot be deleted by CloudFormation anyway.
    this.logBucket = new Bucket(this, 'LogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront's standard logs are written with an ACL.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      // As long as the stage keeps its function logs.
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(stage.logRetention) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the console distribution and bucket access logs; logging its own access would write logs about writing logs.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'bucket/',
      // Rebuilt from the console's build at every deploy; kept so a stack deletion never fails on a
      // non-empty bucket.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const region = Stack.of(props.userPool).region;
    const cognitoOrigin = cognitoOriginFor(region, Stack.of(props.userPool).urlSuffix);

    this.securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Plinth ${stage.name} console: security headers`,
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleContentSecurityPolicy({ cognitoOrigin }),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        // Console URLs name tenants and users: they never leave in a Referer header.
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          {
            header: 'Permissions-Policy',
            value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
            override: true,
          },
        ],
      },
    });

    this.spaRouting = new CloudFrontFunction(this, 'SpaRouting', {
      comment: `Plinth ${stage.name} console: client-side routes get /index.html`,
      code: FunctionCode.fromFile({ filePath: spaRoutingSource }),
      runtime: FunctionRuntime.JS_2_0,
    });

    const apiOrigin = new HttpOrigin(`${props.httpApi.apiId}.execute-api.${this.region}.${this.urlSuffix}`, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });
    const apiBehavior: BehaviorOptions = {
      origin: apiOrigin,
      // A plain-http API call is refused rather than redirected: a redirect turns a POST into a GET
      // in many clients. The console itself only ever calls its https origin.
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // Every viewer header (Authorization, If-Match, Plinth-Impersonation), query string and cookie;
      // not Host, which must be the API's own for API Gateway to route the request. CloudFront refuses
      // Authorization in a custom origin request policy; the managed AllViewer policies forward it
      // when caching is disabled, as it is here.
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: this.securityHeaders,
      compress: true,
    };

    const certificate = props.domain
      ? Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn)
      : undefined;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Plinth ${stage.name} admin console and API`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Honours the files' own Cache-Control: immutable hashed assets, revalidated shell and config.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.securityHeaders,
        functionAssociations: [{ function: this.spaRouting, eventType: FunctionEventType.VIEWER_REQUEST }],
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(
        consoleApiPathPatterns.map((pattern) => [pattern, apiBehavior]),
      ),
      // No error-response mapping on purpose: it would turn the API's 403s and 404s into index.html.
      httpVersion: HttpVersion.HTTP2_AND_3,
      // Operators sit in North America and Europe; other edges add cost, not reach.
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'distribution/',
      ...(props.domain && certificate
        ? {
            domainNames: [props.domain.domainName],
            certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'Operators may work from any country; every console action goes through the API, which requires a Cognito token of the platform-admin group (and MFA).',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'The distribution serves static files and forwards to the HTTP API, which authenticates every admin route with the Cognito JWT authorizer and is throttled per stage and per plan; a web ACL would add a fixed monthly cost without guarding anything those do not.',
    });
    if (!props.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          "Without a custom domain the distribution uses CloudFront's default *.cloudfront.net certificate, whose security policy cannot be chosen; configure consoleDomain for the stage (lib/stage.ts) to get TLSv1.2_2021.",
      });
    }

    // The deployments' provider function logs like the stage's own functions.
    const deployLogs = new LogGroup(this, 'DeployLogs', {
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });
    const site = Source.asset(assetPath);
    const config: ConsoleRuntimeConfig = {
      region,
      userPoolId: props.userPool.userPoolId,
      clientId: props.userPoolClient.userPoolClientId,
      cognitoEndpoint: `${cognitoOrigin}/`,
    };
    // Hashed assets first, kept from earlier deploys (prune off): a console open during a deploy
    // still loads the chunks of the build it started with.
    const assets = new BucketDeployment(this, 'DeployAssets', {
      sources: [site],
      destinationBucket: this.bucket,
      exclude: ['*'],
      include: [HASHED_ASSETS],
      prune: false,
      cacheControl: IMMUTABLE,
      logGroup: deployLogs,
    });
    // Then the shell, config.json and the other unhashed files, and an invalidation, so a deploy is
    // live at once.
    const shell = new BucketDeployment(this, 'DeployShell', {
      sources: [site, Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      exclude: [HASHED_ASSETS],
      cacheControl: REVALIDATE,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      logGroup: deployLogs,
    });
    shell.node.addDependency(assets);
    acknowledgeDeploymentProvider(this, this.bucket);

    this.url = `https://${props.domain?.domainName ?? this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.url,
      description: 'The admin console (the API is served on the same origin under /v1 and /admin).',
    });
    if (props.domain) {
      new CfnOutput(this, 'ConsoleDistributionDomain', {
        value: this.distribution.distributionDomainName,
        description: `Point ${props.domain.domainName} here (CNAME, or an alias record in Route 53).`,
      });
    }
  }
}

/**
 * The BucketDeployments' provider is CDK's own function (a Lambda with the AWS CLI layer, one per
 * stack): its managed policy and its S3 and CloudFront grants are CDK's, sized for copying a whole
 * build, and cannot be narrowed from here. Each finding is acknowledged by its exact id, so a new
 * wildcard on this role still fails the synth.
 */
function acknowledgeDeploymentProvider(stack: Stack, bucket: Bucket): void {
  const provider = stack.node.tryFindChild('Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C');
  if (!provider) throw new Error('The BucketDeployment provider was not found under its known id.');
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's BucketDeployment provider writes its own logs with AWSLambdaBasicExecutionRole, nothing else.",
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      "CDK's BucketDeployment provider pins its own Python runtime to match the AWS CLI layer it ships; it is updated with aws-cdk-lib.",
  });
  const copies = ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'];
  for (const action of copies) {
    Validations.of(provider).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: `CDK's BucketDeployment grant (${action}) to read the build from the CDK asset bucket and sync it into the console bucket, on those two buckets only.`,
    });
  }
  for (const objects of [
    assetBucketObjects(stack),
    `<${stack.getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>/*`,
  ]) {
    Validations.of(provider).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${objects}]`,
      reason:
        "CDK's BucketDeployment reads every object of the build's asset and writes every file of the console; the file names are the build's.",
    });
  }
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "CDK's BucketDeployment invalidates the console distribution after a deploy; cloudfront:CreateInvalidation and GetInvalidation take no resource-level scope in CDK's grant.",
  });
}

/**
 * The CDK asset bucket's objects as cdk-nag names them: the account, region and partition literal
 * where the stack's environment gives them, CloudFormation's pseudo parameters where it does not.
 */
function assetBucketObjects(stack: Stack): string {
  const qualifier =
    (stack.synthesizer instanceof DefaultStackSynthesizer
      ? stack.synthesizer.bootstrapQualifier
      : undefined) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const known = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  const partition = Token.isUnresolved(stack.region) ? '<AWS::Partition>' : stack.partition;
  const account = known(stack.account, 'AWS::AccountId');
  const region = known(stack.region, 'AWS::Region');
  return `arn:${partition}:s3:::cdk-${qualifier}-assets-${account}-${region}/*`;
}

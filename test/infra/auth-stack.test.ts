import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MagicLinkTriggers } from '../../lib/constructs/magic-link-triggers.ts';
import { userPoolDefinition } from '../../shared/auth/user-pool.ts';
import { type BuiltPlinth, buildPlinth } from './plinth-app.ts';
import { actionsOf, arnOf, logicalId, type Resource, statementsOf } from './template.ts';

const POOL = 'AWS::Cognito::UserPool';
const CLIENT = 'AWS::Cognito::UserPoolClient';
const GROUP = 'AWS::Cognito::UserPoolGroup';

describe('auth stack', () => {
  let dev: Template;
  let prod: Template;
  let devApp: BuiltPlinth;
  let prodApp: BuiltPlinth;

  beforeAll(() => {
    devApp = buildPlinth({ stage: 'dev' });
    prodApp = buildPlinth({ stage: 'prod' });
    dev = Template.fromStack(devApp.auth);
    prod = Template.fromStack(prodApp.auth);
  });

  it('enforces the password policy of the shared definition', () => {
    const policy = userPoolDefinition.passwordPolicy;

    dev.hasResourceProperties(POOL, {
      Policies: {
        PasswordPolicy: {
          MinimumLength: policy.minLength,
          RequireLowercase: policy.requireLowercase,
          RequireUppercase: policy.requireUppercase,
          RequireNumbers: policy.requireDigits,
          RequireSymbols: policy.requireSymbols,
          TemporaryPasswordValidityDays: policy.temporaryPasswordValidityDays,
        },
      },
    });
  });

  it('signs people in with an auto-verified email, case-insensitively', () => {
    dev.hasResourceProperties(POOL, {
      UsernameAttributes: [...userPoolDefinition.usernameAttributes],
      AutoVerifiedAttributes: [...userPoolDefinition.autoVerifiedAttributes],
      UsernameConfiguration: { CaseSensitive: false },
    });
  });

  it('offers optional TOTP MFA and recovers accounts by email only', () => {
    dev.hasResourceProperties(POOL, {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  it('offers passwords, mailed one-time codes and passkeys as first factors (choice-based sign-in)', () => {
    dev.hasResourceProperties(POOL, {
      Policies: Match.objectLike({
        SignInPolicy: { AllowedFirstAuthFactors: Match.arrayEquals(['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN']) },
      }),
      WebAuthnUserVerification: 'preferred',
    });
    dev.hasResourceProperties(CLIENT, { ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_AUTH']) });
  });

  it("makes the app's host the passkeys' relying party", () => {
    const app = buildPlinth({ stage: 'prod', context: { appUrl: 'https://app.acme.test/welcome' } });
    Template.fromStack(app.auth).hasResourceProperties(POOL, { WebAuthnRelyingPartyID: 'app.acme.test' });
  });

  it('enforces threat protection on the Plus plan in prod', () => {
    prod.hasResourceProperties(POOL, {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('stays on the Essentials plan in dev', () => {
    dev.hasResourceProperties(POOL, { UserPoolTier: 'ESSENTIALS', UserPoolAddOns: Match.absent() });
  });

  it('protects and retains the prod pool', () => {
    prod.hasResource(POOL, {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
  });

  it('lets the dev pool be destroyed with its stack', () => {
    dev.hasResource(POOL, {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
  });

  it('has one public web app client with the definition’s flows and token lifetimes, beside the SSO client', () => {
    const client = userPoolDefinition.appClient;
    dev.resourceCountIs(CLIENT, 2);

    dev.hasResourceProperties(CLIENT, {
      ClientName: client.name,
      GenerateSecret: false,
      ExplicitAuthFlows: [
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_CUSTOM_AUTH',
        'ALLOW_USER_SRP_AUTH',
        'ALLOW_USER_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      ],
      AccessTokenValidity: client.accessTokenValidityMinutes,
      IdTokenValidity: client.idTokenValidityMinutes,
      RefreshTokenValidity: client.refreshTokenValidityDays * 24 * 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  it('does not allow admin password sign-in, which the definition turns off', () => {
    expect(userPoolDefinition.appClient.authFlows.adminUserPassword).toBe(false);
    dev.hasResourceProperties(CLIENT, {
      ClientName: userPoolDefinition.appClient.name,
      ExplicitAuthFlows: Match.not(Match.arrayWith(['ALLOW_ADMIN_USER_PASSWORD_AUTH'])),
    });
  });

  describe('enterprise SSO', () => {
    const ssoClientName = `${userPoolDefinition.appClient.name}-sso`;
    const ssoClient = () => {
      const clients = Object.values(dev.findResources(CLIENT, { Properties: { ClientName: ssoClientName } }));
      expect(clients).toHaveLength(1);
      return (clients[0] as { Properties: Record<string, unknown> }).Properties;
    };

    it('has an SSO app client that leaves its identity providers to run time, so a deploy keeps them', () => {
      expect(ssoClient().SupportedIdentityProviders).toBeUndefined();
    });

    it('lets the SSO client sign in only through the OAuth code grant, never with a password', () => {
      expect(ssoClient()).toMatchObject({
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['openid', 'email', 'profile'],
        CallbackURLs: ['https://app.example.com/sso/callback'],
        GenerateSecret: false,
      });
    });

    it('gives the pool a Cognito domain for the hosted UI', () => {
      dev.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
      dev.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
        Domain: { 'Fn::Join': ['', ['plinth-dev-', { Ref: 'AWS::AccountId' }]] },
      });
    });

    it('runs the PreSignUp and PreTokenGeneration triggers of SSO', () => {
      const pool = Object.values(dev.findResources(POOL))[0] as { Properties: Record<string, unknown> };
      const config = pool.Properties.LambdaConfig as Record<string, unknown>;
      // Other triggers (custom auth) may sit beside them; these two are SSO's.
      expect(Object.keys(config)).toEqual(expect.arrayContaining(['PreSignUp', 'PreTokenGeneration']));
      expect(JSON.stringify(config.PreSignUp)).toContain('SsoTriggersPreSignUp');
      expect(JSON.stringify(config.PreTokenGeneration)).toContain('SsoTriggersPreTokenGeneration');
    });

    it('lets only the PreSignUp trigger list users and link identities, on this pool', () => {
      const policies = Object.entries(dev.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
        JSON.stringify(policy).includes('cognito-idp:AdminLinkProviderForUser'),
      );
      expect(policies).toHaveLength(1);
      const [, policy] = policies[0] as [string, { Properties: Record<string, unknown> }];
      expect(JSON.stringify(policy.Properties.Roles)).toContain('SsoTriggersPreSignUp');
      expect(policy.Properties.PolicyDocument).toMatchObject({
        Statement: [
          {
            Action: ['cognito-idp:AdminLinkProviderForUser', 'cognito-idp:ListUsers'],
            Effect: 'Allow',
            Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }),
          },
        ],
      });
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain(':userpool/');
    });
  });

  it('creates every group of the definition', () => {
    dev.resourceCountIs(GROUP, userPoolDefinition.groups.length);
    for (const group of userPoolDefinition.groups) {
      dev.hasResourceProperties(GROUP, { GroupName: group.name, Description: group.description });
    }
  });

  describe('mail', () => {
    const configurationSetRef = () => {
      const [id] = Object.keys(dev.findResources('AWS::SES::ConfigurationSet'));
      return { Ref: id };
    };

    it('sends Cognito’s own mail through SES from the stage’s sender and configuration set', () => {
      dev.hasResourceProperties(POOL, {
        EmailConfiguration: {
          EmailSendingAccount: 'DEVELOPER',
          From: 'Plinth <no-reply@example.com>',
          ConfigurationSet: configurationSetRef(),
          SourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/no-reply@example.com',
        },
      });
      prod.hasResourceProperties(POOL, {
        EmailConfiguration: Match.objectLike({
          From: 'Plinth <no-reply@acme.test>',
          SourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/no-reply@acme.test',
        }),
      });
    });

    it('keeps SES’s account suppression list on for bounces and complaints', () => {
      dev.hasResourceProperties('AWS::SES::ConfigurationSet', {
        Name: 'plinth-dev-mail',
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
    });

    it('publishes bounces and complaints, and nothing else, to an encrypted SNS topic', () => {
      const topics = dev.findResources('AWS::SNS::Topic');
      const [topicId] = Object.keys(topics);
      expect(Object.keys(topics)).toHaveLength(1);
      expect(topics[topicId ?? '']?.Properties.KmsMasterKeyId).toBeDefined();
      dev.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        ConfigurationSetName: configurationSetRef(),
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['bounce', 'complaint'],
          SnsDestination: { TopicARN: { Ref: topicId } },
        },
      });
    });

    it('lets only SES publish to the topic, and only from the stage’s configuration set', () => {
      dev.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sns:Publish',
              Effect: 'Allow',
              Principal: { Service: 'ses.amazonaws.com' },
              Condition: {
                StringEquals: Match.objectLike({
                  'AWS:SourceArn': {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':ses:eu-west-1:123456789012:configuration-set/',
                        configurationSetRef(),
                      ],
                    ],
                  },
                }),
              },
            }),
          ]),
        },
      });
    });
  });

  describe('magic link triggers', () => {
    const triggers = (app: BuiltPlinth) => {
      const found = app.auth.node.tryFindChild('MagicLinkTriggers') as MagicLinkTriggers | undefined;
      if (!found) throw new Error('no MagicLinkTriggers in the auth stack');
      return found;
    };

    it('runs the custom auth challenge with its three trigger functions', () => {
      const { define, create, verify } = triggers(devApp);
      dev.hasResourceProperties(POOL, {
        LambdaConfig: Match.objectLike({
          DefineAuthChallenge: arnOf(devApp.auth, define.function),
          CreateAuthChallenge: arnOf(devApp.auth, create.function),
          VerifyAuthChallengeResponse: arnOf(devApp.auth, verify.function),
        }),
      });
    });

    it('lets the app client use the custom auth flow', () => {
      expect(userPoolDefinition.appClient.authFlows.custom).toBe(true);
      dev.hasResourceProperties(CLIENT, { ExplicitAuthFlows: Match.arrayWith(['ALLOW_CUSTOM_AUTH']) });
    });

    it('answers within the 5 seconds Cognito waits for a trigger', () => {
      const functions = dev.findResources('AWS::Lambda::Function') as Record<string, Resource>;
      const { define, create, verify } = triggers(devApp);
      for (const fn of [define, create, verify]) {
        expect(functions[logicalId(devApp.auth, fn.function)]?.Properties.Timeout).toBe(5);
      }
    });

    it('gives define and create nothing beyond their logs and traces', () => {
      const { define, create } = triggers(devApp);
      for (const fn of [define, create]) {
        const actions = actionsOf(statementsOf(dev, devApp.auth, fn.role));
        expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual([]);
      }
    });

    it("lets verify only delete items of users' partitions in the table", () => {
      const statements = statementsOf(dev, devApp.auth, triggers(devApp).verify.role).filter(
        (statement) => !actionsOf([statement]).every((a) => a.startsWith('logs:') || a.startsWith('xray:')),
      );
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({
        Action: 'dynamodb:DeleteItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USER#*'] } },
      });
      // The data stack's table, by its ARN (a cross-stack reference to the table's Arn attribute).
      expect(JSON.stringify(statements[0]?.Resource)).toMatch(/plinth-dev-data.*FnGetAttTable\w*Arn/);
    });

    it("lets verify decrypt with the prod table's customer managed key, and nothing more of it", () => {
      const kms = statementsOf(prod, prodApp.auth, triggers(prodApp).verify.role).filter((statement) =>
        actionsOf([statement]).some((a) => a.startsWith('kms:')),
      );
      expect(actionsOf(kms).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    });
  });
});

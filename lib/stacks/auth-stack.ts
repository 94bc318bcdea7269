import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  PasskeyUserVerification,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolEmail,
} from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { issuerFor, userPoolDefinition } from '../../shared/auth/user-pool.ts';
import { MagicLinkTriggers } from '../constructs/magic-link-triggers.ts';
import { SsoAppClient } from '../constructs/sso-app-client.ts';
import { SsoTriggers } from '../constructs/sso-triggers.ts';
import { createStageKey } from '../constructs/stage-key.ts';
import type { StageConfig } from '../stage.ts';

export interface AuthStackProps extends StackProps {
  readonly stage: StageConfig;
  /**
   * The stage's SES-verified sender: Cognito's own mail (verification codes, password resets) goes
   * out through SES from it, not through Cognito's built-in sender (50 emails a day).
   */
  readonly mailFrom: string;
  /**
   * Where the product's client runs: its host is the passkeys' relying party, so passkeys made
   * there work only there (WebAuthn binds a passkey to the site that made it).
   */
  readonly appUrl: string;
  /**
   * The table the user pool's triggers read and write: the magic-link verify trigger consumes links
   * there; the SSO triggers read domain claims and add just-in-time members.
   */
  readonly table: ITableV2;
  /** @default defaultFunctionEntry (functions/<name>/handler.ts) */
  readonly functionEntry?: (name: string) => string;
}

/** The SES configuration set every Plinth email of a stage is sent through. */
export const mailConfigurationSetNameFor = (stage: string) => `plinth-${stage}-mail`;

/**
 * The Cognito user pool, its app client and its groups, built from `userPoolDefinition`; and the
 * stage's mail identity: the SES configuration set all mail goes through (Cognito's and the
 * functions'), whose bounces and complaints go to an SNS topic that the events stack's
 * `mail-feedback` consumer drains.
 */
export class AuthStack extends Stack {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly mailConfigurationSet: ConfigurationSet;
  /** SES publishes bounce and complaint reports here (encrypted, TLS only). */
  readonly mailFeedbackTopic: Topic;
  /** Enterprise SSO's app client and hosted UI domain (lib/constructs/sso-app-client.ts). */
  readonly sso: SsoAppClient;
  readonly ssoTriggers: SsoTriggers;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, props);
    const { stage } = props;
    // Encrypts this stack's queues, buckets and log groups in prod (lib/constructs/stage-key.ts).
    createStageKey(this, stage);
    const definition = userPoolDefinition;
    const usernameAttributes: readonly string[] = definition.usernameAttributes;
    const autoVerified: readonly string[] = definition.autoVerifiedAttributes;
    const { passwordPolicy, appClient } = definition;
    const plus = stage.userPoolFeaturePlan === FeaturePlan.PLUS;

    this.mailConfigurationSet = new ConfigurationSet(this, 'MailConfigurationSet', {
      configurationSetName: mailConfigurationSetNameFor(stage.name),
      // SES's own list as a backstop; Plinth keeps its own (shared/mail/suppression.ts) to show and test.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const feedbackKey = new Key(this, 'MailFeedbackKey', {
      description: `Plinth ${stage.name}: encrypts SES bounce and complaint reports on their SNS topic`,
      enableKeyRotation: true,
      removalPolicy: stage.removalPolicy,
    });
    // SES publishes to the encrypted topic, so it must be able to use the key.
    feedbackKey.grant(new ServicePrincipal('ses.amazonaws.com'), 'kms:GenerateDataKey*', 'kms:Decrypt');
    this.mailFeedbackTopic = new Topic(this, 'MailFeedbackTopic', {
      displayName: `Plinth ${stage.name}: SES bounces and complaints`,
      masterKey: feedbackKey,
      enforceSSL: true,
    });
    this.mailConfigurationSet.addEventDestination('Feedback', {
      destination: EventDestination.snsTopic(this.mailFeedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });

    this.userPool = new UserPool(this, 'UserPool', {
      // Through SES with the stage's sender and configuration set: no daily cap of 50, and Cognito's
      // bounces suppress addresses like every other Plinth email.
      email: UserPoolEmail.withSES({
        fromEmail: props.mailFrom,
        fromName: 'Plinth',
        sesRegion: this.region,
        configurationSetName: this.mailConfigurationSet.configurationSetName,
      }),
      selfSignUpEnabled: true,
      signInAliases: {
        username: false,
        email: usernameAttributes.includes('email'),
        phone: usernameAttributes.includes('phone_number'),
      },
      signInCaseSensitive: false,
      autoVerify: { email: autoVerified.includes('email'), phone: autoVerified.includes('phone_number') },
      // A changed email stays the sign-in address until the new one is verified.
      keepOriginal: { email: autoVerified.includes('email') },
      passwordPolicy: {
        minLength: passwordPolicy.minLength,
        requireLowercase: passwordPolicy.requireLowercase,
        requireUppercase: passwordPolicy.requireUppercase,
        requireDigits: passwordPolicy.requireDigits,
        requireSymbols: passwordPolicy.requireSymbols,
        tempPasswordValidity: Duration.days(passwordPolicy.temporaryPasswordValidityDays),
      },
      // Passwords, mailed one-time codes and passkeys as first factors (choice-based USER_AUTH);
      // the Essentials plan (dev) and Plus (prod) both offer them.
      signInPolicy: { allowedFirstAuthFactors: { ...definition.firstAuthFactors } },
      passkeyRelyingPartyId: new URL(props.appUrl).hostname,
      passkeyUserVerification: PasskeyUserVerification.PREFERRED,
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: stage.userPoolFeaturePlan,
      ...(plus ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: stage.deletionProtection,
      removalPolicy: stage.removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional by product design: every user may enrol a TOTP authenticator, but sign-up must not require one. Prod adds adaptive authentication through threat protection (Plus plan).',
    });
    if (!plus) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: `The ${stage.name} stage uses the Essentials feature plan to avoid Plus per-MAU pricing for a non-production pool; prod uses Plus with threat protection enforced.`,
      });
    }

    this.userPoolClient = this.userPool.addClient('WebClient', {
      userPoolClientName: appClient.name,
      generateSecret: false,
      authFlows: {
        userPassword: appClient.authFlows.userPassword,
        userSrp: appClient.authFlows.userSrp,
        user: appClient.authFlows.user,
        adminUserPassword: appClient.authFlows.adminUserPassword,
        custom: appClient.authFlows.custom,
      },
      // Sign-in goes through the Cognito API, not the hosted UI: no OAuth flows, no callback URLs.
      disableOAuth: true,
      accessTokenValidity: Duration.minutes(appClient.accessTokenValidityMinutes),
      idTokenValidity: Duration.minutes(appClient.idTokenValidityMinutes),
      refreshTokenValidity: Duration.days(appClient.refreshTokenValidityDays),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    new MagicLinkTriggers(this, 'MagicLinkTriggers', { ...props, userPool: this.userPool });

    for (const group of definition.groups) {
      new CfnUserPoolGroup(this, `Group-${group.name}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group.name,
        description: group.description,
      });
    }

    this.sso = new SsoAppClient(this, 'Sso', { userPool: this.userPool, stage, appUrl: props.appUrl });
    this.ssoTriggers = new SsoTriggers(this, 'SsoTriggers', {
      userPool: this.userPool,
      table: props.table,
      stage,
      ...(props.functionEntry ? { functionEntry: props.functionEntry } : {}),
    });

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'SsoClientId', { value: this.sso.client.userPoolClientId });
    new CfnOutput(this, 'SsoHostedUiUrl', { value: this.sso.hostedUiUrl });
    new CfnOutput(this, 'Issuer', { value: issuerFor(this.region, this.userPool.userPoolId) });
  }
}

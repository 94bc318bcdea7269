import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { issuerFor, userPoolDefinition } from '../../shared/auth/user-pool.ts';
import type { StageConfig } from '../stage.ts';

export interface AuthStackProps extends StackProps {
  readonly stage: StageConfig;
}

/** The Cognito user pool, its app client and its groups, built from `userPoolDefinition`. */
export class AuthStack extends Stack {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const definition = userPoolDefinition;
    const usernameAttributes: readonly string[] = definition.usernameAttributes;
    const autoVerified: readonly string[] = definition.autoVerifiedAttributes;
    const { passwordPolicy, appClient } = definition;
    const plus = stage.userPoolFeaturePlan === FeaturePlan.PLUS;

    this.userPool = new UserPool(this, 'UserPool', {
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
        adminUserPassword: appClient.authFlows.adminUserPassword,
      },
      // Sign-in goes through the Cognito API, not the hosted UI: no OAuth flows, no callback URLs.
      disableOAuth: true,
      accessTokenValidity: Duration.minutes(appClient.accessTokenValidityMinutes),
      idTokenValidity: Duration.minutes(appClient.idTokenValidityMinutes),
      refreshTokenValidity: Duration.days(appClient.refreshTokenValidityDays),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    for (const group of definition.groups) {
      new CfnUserPoolGroup(this, `Group-${group.name}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group.name,
        description: group.description,
      });
    }

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'Issuer', { value: issuerFor(this.region, this.userPool.userPoolId) });
  }
}

import { Stack } from 'aws-cdk-lib';
import { type UserPool, UserPoolOperation } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { StageConfig } from '../stage.ts';
import { AppFunction, defaultFunctionEntry } from './app-function.ts';

export interface SsoTriggersProps {
  readonly userPool: UserPool;
  readonly table: ITableV2;
  readonly stage: StageConfig;
  /** @default defaultFunctionEntry (functions/<name>/handler.ts) */
  readonly functionEntry?: (name: string) => string;
}

/**
 * The user pool's SSO triggers (shared/sso/sso-triggers.ts): PreSignUp links a first federated
 * sign-in to the password user of the same email; PreTokenGeneration adds the user to the tenant
 * whose provider they came through (just in time). They read the pool's id from each event: the
 * pool names the functions, so the functions cannot name the pool in their environment, and their
 * pool permissions are a separate policy the functions do not wait for (no dependency cycle).
 */
export class SsoTriggers extends Construct {
  readonly preSignUp: AppFunction;
  readonly preTokenGeneration: AppFunction;

  constructor(scope: Construct, id: string, props: SsoTriggersProps) {
    super(scope, id);
    const { stage, table, userPool } = props;
    const entry = props.functionEntry ?? defaultFunctionEntry;
    const common = {
      stage,
      environment: { TABLE_NAME: table.tableName },
      tableAccess: { table, indexNames: [], mode: 'readWrite' as const },
    };
    this.preSignUp = new AppFunction(this, 'PreSignUp', {
      ...common,
      entry: entry('sso-pre-sign-up'),
      description: `Plinth ${stage.name}: PreSignUp trigger, links federated sign-ins to password users`,
    });
    this.preTokenGeneration = new AppFunction(this, 'PreTokenGeneration', {
      ...common,
      entry: entry('sso-pre-token'),
      description: `Plinth ${stage.name}: PreTokenGeneration trigger, just-in-time SSO membership`,
    });
    // The pool's ARN built from its id's stack, not `userPool.userPoolArn` through a grant on the
    // role's default policy, which the function depends on: the pool depends on the function.
    new Policy(this, 'LinkPolicy', {
      roles: [this.preSignUp.role],
      statements: [
        new PolicyStatement({
          actions: ['cognito-idp:ListUsers', 'cognito-idp:AdminLinkProviderForUser'],
          resources: [
            Stack.of(this).formatArn({
              service: 'cognito-idp',
              resource: 'userpool',
              resourceName: userPool.userPoolId,
            }),
          ],
        }),
      ],
    });
    userPool.addTrigger(UserPoolOperation.PRE_SIGN_UP, this.preSignUp.function);
    userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION, this.preTokenGeneration.function);
  }
}

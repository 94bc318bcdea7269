import { Duration } from 'aws-cdk-lib';
import { type UserPool, UserPoolOperation } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { keys } from '../../shared/db/keys.ts';
import type { StageConfig } from '../stage.ts';
import { AppFunction, defaultFunctionEntry } from './app-function.ts';

export interface MagicLinkTriggersProps {
  readonly stage: StageConfig;
  /** The pool whose custom auth flow the triggers run. */
  readonly userPool: UserPool;
  /** Where the pending links are (`keys.magicLink`): the verify trigger consumes them. */
  readonly table: ITableV2;
  /** @default defaultFunctionEntry (functions/<name>/handler.ts) */
  readonly functionEntry?: (name: string) => string;
}

/** The partition prefix of every magic-link item: the verify trigger may touch nothing else. */
const magicLinkPartitionPrefix = keys.magicLink('').pk;

/**
 * The magic link's custom auth challenge (shared/auth/magic-link/auth-challenge.ts): Cognito's
 * DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse triggers on the pool.
 * Define and Create touch nothing; Verify may only DeleteItem (conditionally, the one use of a link)
 * in the users' partitions of the table. Cognito waits 5 seconds for a trigger, so none runs longer.
 */
export class MagicLinkTriggers extends Construct {
  readonly define: AppFunction;
  readonly create: AppFunction;
  readonly verify: AppFunction;

  constructor(scope: Construct, id: string, props: MagicLinkTriggersProps) {
    super(scope, id);
    const { stage, table } = props;
    const entry = props.functionEntry ?? defaultFunctionEntry;
    const trigger = (name: string, what: string, environment: Record<string, string> = {}) =>
      new AppFunction(this, name, {
        entry: entry(`auth-challenge-${name.toLowerCase()}`),
        stage,
        description: `Plinth ${stage.name}: magic link sign-in, Cognito ${what} trigger`,
        memorySize: 256,
        timeout: Duration.seconds(5),
        environment,
      });

    this.define = trigger('Define', 'DefineAuthChallenge');
    this.create = trigger('Create', 'CreateAuthChallenge');
    this.verify = trigger('Verify', 'VerifyAuthChallengeResponse', { TABLE_NAME: table.tableName });

    this.verify.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${magicLinkPartitionPrefix}*`] },
        },
      }),
    );
    // A conditional delete reads the item: on a table with a customer managed key (prod), decrypt.
    table.encryptionKey?.grant(this.verify.role, 'kms:Decrypt', 'kms:DescribeKey');

    props.userPool.addTrigger(UserPoolOperation.DEFINE_AUTH_CHALLENGE, this.define.function);
    props.userPool.addTrigger(UserPoolOperation.CREATE_AUTH_CHALLENGE, this.create.function);
    props.userPool.addTrigger(UserPoolOperation.VERIFY_AUTH_CHALLENGE_RESPONSE, this.verify.function);
  }
}

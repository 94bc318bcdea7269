import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../stage.ts';

export interface AlertsStackProps extends StackProps {
  readonly stage: StageConfig;
  /** The operators' address (context `opsEmail`): subscribed to the topic by email. */
  readonly opsEmail: string;
}

/**
 * The stage's alarm topic: every alarm of the app notifies it when it goes into alarm and when it
 * is OK again ({@link notifyOperators}), and it mails the operators (AWS first sends a confirmation
 * email the address must accept). Encrypted with a key of its own that CloudWatch may use to
 * publish; publishing over plain HTTP is refused. Deployed before the stacks whose alarms use it.
 */
export class AlertsStack extends Stack {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlertsStackProps) {
    super(scope, id, props);
    const { stage } = props;
    this.key = new Key(this, 'AlarmTopicKey', {
      description: `Plinth ${stage.name}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: stage.removalPolicy,
    });
    // CloudWatch publishes alarm state changes to the encrypted topic: it needs the data key.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Plinth ${stage.name} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addSubscription(new EmailSubscription(props.opsEmail));
  }

  /** Makes every alarm notify the operators when it fires and when it is OK again. */
  notifyOperators(alarms: readonly Alarm[]): void {
    const action = new SnsAction(this.topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}

import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScheduleDefinition } from '../../shared/events/bus.ts';
import type { StageConfig } from '../stage.ts';
import { queueEncryption } from './stage-key.ts';

export interface ScheduledFunctionProps {
  readonly stage: StageConfig;
  /** The schedule as declared in `busDefinition.schedules`. */
  readonly definition: ScheduleDefinition;
  /** The function named by `definition.target`. */
  readonly target: IFunction;
}

/**
 * An EventBridge Scheduler schedule that invokes its target every `everyMinutes` with
 * `{ "time": "<scheduled time>" }`, the event the local runner's `triggerSchedule` sends. An
 * invocation that still fails after the retries goes to a dead-letter queue; the next run is
 * independent of it.
 */
export class ScheduledFunction extends Construct {
  readonly schedule: Schedule;
  readonly deadLetterQueue: Queue;
  /** The role the scheduler assumes to invoke the target. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    const { definition } = props;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...queueEncryption(this),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.stage.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue of the ${definition.name} schedule: invocations that failed every retry land here.`,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Lets EventBridge Scheduler run ${definition.name}`,
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: definition.description,
      schedule: ScheduleExpression.rate(Duration.minutes(definition.everyMinutes)),
      target: new LambdaInvoke(props.target, {
        role: this.role,
        input: ScheduleTargetInput.fromObject({ time: ContextAttribute.scheduledTime }),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });

    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.target.node.defaultChild as never)}.Arn>:*]`,
      reason: `lambda:InvokeFunction as granted by CDK also names "<function ARN>:*", the versions and aliases of the one target function (${definition.target}).`,
    });
  }
}

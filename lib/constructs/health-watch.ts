import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { busDefinition } from '../../shared/events/bus.ts';
import type { EventsStack } from '../stacks/events-stack.ts';
import type { AppFunction } from './app-function.ts';

/** A queue the health check reads: a consumer's queue with its dead-letter queue, or a DLQ alone. */
export interface WatchedQueue {
  readonly name: string;
  readonly queue?: IQueue;
  readonly deadLetterQueue: IQueue;
}

/** What the health function watches (shared/health/health.config.ts reads it from the environment). */
export interface HealthWatch {
  /** Function label → function: errors and throttles (AWS/Lambda) of each. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly queues: readonly WatchedQueue[];
  /** The Stripe webhook's function: its Function URL's 5xx count. */
  readonly webhook: IFunction;
}

/** The events stack's functions and queues: rule consumers, schedule targets, publisher, product activity. */
export function eventsWatchOf(events: EventsStack): Pick<HealthWatch, 'functions' | 'queues'> {
  const functions: Record<string, IFunction> = {
    'outbox-publisher': events.publisher.fn.function,
    'product-activity': events.productActivity.fn.function,
  };
  for (const [name, worker] of Object.entries(events.workers)) functions[name] = worker.function;
  const queues: WatchedQueue[] = [
    ...events.rules.map((rule, index) => ({
      name: busDefinition.rules[index]?.name ?? rule.node.id,
      queue: rule.queue,
      deadLetterQueue: rule.deadLetterQueue,
    })),
    ...events.schedules.map((schedule, index) => ({
      name: `schedule ${busDefinition.schedules[index]?.name ?? schedule.node.id}`,
      deadLetterQueue: schedule.deadLetterQueue,
    })),
    { name: 'outbox-publisher', deadLetterQueue: events.publisher.deadLetterQueue },
    { name: 'product-activity', deadLetterQueue: events.productActivity.deadLetterQueue },
  ];
  return { functions, queues };
}

/**
 * Points the health function at what it watches (`HEALTH_FUNCTIONS`, `HEALTH_QUEUES`,
 * `HEALTH_WEBHOOK_FUNCTION`) and grants exactly the reads it needs: `sqs:GetQueueAttributes` on
 * those queues, and `cloudwatch:GetMetricData`, which has no resource-level permissions.
 */
export function watchHealth(fn: AppFunction, watch: HealthWatch): void {
  const stack = Stack.of(fn);
  const functionNames = Object.fromEntries(
    Object.entries(watch.functions).map(([label, f]) => [label, f.functionName]),
  );
  fn.function.addEnvironment('HEALTH_FUNCTIONS', stack.toJsonString(functionNames));
  fn.function.addEnvironment(
    'HEALTH_QUEUES',
    stack.toJsonString(
      watch.queues.map((q) => ({
        name: q.name,
        ...(q.queue ? { url: q.queue.queueUrl } : {}),
        deadLetterUrl: q.deadLetterQueue.queueUrl,
      })),
    ),
  );
  fn.function.addEnvironment('HEALTH_WEBHOOK_FUNCTION', watch.webhook.functionName);
  const queueArns = watch.queues.flatMap((q) => [
    ...(q.queue ? [q.queue.queueArn] : []),
    q.deadLetterQueue.queueArn,
  ]);
  if (queueArns.length > 0) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: queueArns }),
    );
  }
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
  );
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Resource "*" only for actions without resource-level permissions: cloudwatch:GetMetricData (the health check reads Lambda, DynamoDB and the stage\'s EMF metrics) and the X-Ray statement of active tracing.',
  });
}

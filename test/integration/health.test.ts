import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookMetricNames } from '#shared/billing/webhooks/webhook.deps.ts';
import { keys } from '#shared/db/keys.ts';
import { createCloudWatchMetricReader, createSqsQueueReader } from '#shared/health/health.aws.ts';
import { readHealthConfig } from '#shared/health/health.config.ts';
import { createHealthService } from '#shared/health/health.service.ts';
import { eventMetricNames } from '#shared/observability/metric-names.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { type HandlerModule, loadFunctionHandler } from '../../scripts/local/server.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';

/**
 * The health check against the emulators: real queue depths, outbox items in the table, and
 * metrics that reached moto's CloudWatch the local way (EMF lines captured from the handlers, and
 * the errors the local server counts as Lambda would).
 */

let stack: TestStack;
let server: LocalServer & { readonly metrics: { flush(): Promise<void> } };

/** The projects function crashes on every call: the local server counts its Lambda `Errors`. */
const crashingProjects: HandlerModule = {
  handler: async () => {
    throw new Error('projects crashed');
  },
};

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack, {
    loadHandler: (area) =>
      area === 'projects' ? Promise.resolve(crashingProjects) : loadFunctionHandler(area),
    onError: () => undefined,
  });
});
afterAll(() => server.close());

function healthService(now = () => new Date()) {
  const config = localClientConfig(stack);
  return createHealthService({
    db: { client: stack.db, tableName: stack.tableName },
    config: readHealthConfig(stack.env),
    metrics: createCloudWatchMetricReader(new CloudWatchClient(config)),
    queues: createSqsQueueReader(new SQSClient(config)),
    clock: now,
    appMetrics: {
      outboxPublishFailures: eventMetricNames.outboxPublishFailures,
      webhookFailed: webhookMetricNames.failed,
      webhookDeferred: webhookMetricNames.deferred,
    },
    metricsService: 'plinth',
  });
}

describe('health figures from the emulators', () => {
  it('reports a fresh stack ok in every dependency', async () => {
    const report = await healthService().check();

    expect(report.status).toBe('ok');
    expect(report.attention).toEqual([]);
    expect(report.dependencies.queues.queues?.map((q) => q.name)).toEqual(stack.rules.map((r) => r.ruleName));
  });

  describe('once things have gone wrong', () => {
    let report: Awaited<ReturnType<ReturnType<typeof healthService>['check']>>;
    const rule = () => {
      const first = stack.rules[0];
      if (!first) throw new Error('the stack has no rule');
      return first;
    };

    beforeAll(async () => {
      // A message every retry failed, in a rule's dead-letter queue.
      await new SQSClient(localClientConfig(stack)).send(
        new SendMessageCommand({ QueueUrl: rule().deadLetterQueueUrl, MessageBody: '{"failed":true}' }),
      );
      // An outbox item the publisher never published, written 20 minutes ago.
      const writtenAt = new Date(Date.now() - 20 * 60_000).toISOString();
      await stack.db.send(
        new PutCommand({
          TableName: stack.tableName,
          Item: {
            pk: 'OUTBOX#health-test',
            sk: 'EVENT#1',
            type: 'outbox',
            ...keys.outboxUnpublished(writtenAt, 'evt-health-1'),
          },
        }),
      );
      // A Stripe event that failed: the webhook's EMF line, through the local server's capture.
      const { metrics } = await import('#shared/observability/metrics.ts');
      metrics.addMetric(webhookMetricNames.failed, 'Count', 1);
      metrics.publishStoredMetrics();
      // Two crashes of the projects function, counted by the local server as Lambda would.
      const owner = await signUpUser(stack);
      for (let i = 0; i < 2; i++) {
        expect((await api(server, owner.accessToken).get('/v1/tenants/t-1/projects')).status).toBe(500);
      }
      await server.metrics.flush();

      report = await healthService().check();
    });

    it("counts the dead-lettered message in its rule's queue and fails the queues", () => {
      const queue = report.dependencies.queues.queues?.find((q) => q.name === rule().ruleName);

      expect(queue?.deadLetters).toBe(1);
      expect(report.dependencies.queues.status).toBe('failing');
    });

    it('counts the unpublished outbox item and its age, and fails the bus', () => {
      expect(report.dependencies.bus.unpublishedOutboxItems).toBe(1);
      expect(report.dependencies.bus.oldestUnpublishedAgeSeconds).toBeGreaterThanOrEqual(20 * 60);
      expect(report.dependencies.bus.status).toBe('failing');
    });

    it('reads the failed Stripe event that an EMF line reported through the local path', () => {
      expect(report.dependencies.webhook.failures).toEqual({ last24Hours: 1, lastHour: 1 });
      expect(report.dependencies.webhook.status).toBe('failing');
    });

    it("reads the crashing function's errors from the local server's Lambda metrics", () => {
      const projects = report.dependencies.functions.functions?.find((f) => f.name === 'projects');
      const members = report.dependencies.functions.functions?.find((f) => f.name === 'members');

      expect(projects?.errors).toEqual({ last24Hours: 2, lastHour: 2 });
      expect(members?.errors).toEqual({ last24Hours: 0, lastHour: 0 });
      expect(report.dependencies.functions.status).toBe('failing');
    });

    it('lists what needs attention, the failing dependencies in order, the table still ok', () => {
      expect(report.status).toBe('failing');
      expect(report.dependencies.table.status).toBe('ok');
      expect(report.attention.map((f) => `${f.status} ${f.dependency}`)).toEqual([
        'failing bus',
        'failing queues',
        'failing webhook',
        'failing functions',
      ]);
    });
  });
});

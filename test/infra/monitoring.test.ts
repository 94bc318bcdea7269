import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboardWidgetTitles } from '../../lib/stacks/dashboard-stack.ts';
import { busDefinition } from '../../shared/events/bus.ts';
import { functionAreas } from '../../shared/http/route.ts';
import { type BuiltPlinth, buildPlinth } from './plinth-app.ts';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

const resourcesOf = (stack: Stack, type: string) =>
  Object.values(Template.fromStack(stack).findResources(type)) as Resource[];

describe('monitoring (dev)', () => {
  let plinth: BuiltPlinth;
  let stacks: Stack[];

  beforeAll(() => {
    plinth = buildPlinth({ stage: 'dev' });
    stacks = [plinth.data, plinth.auth, plinth.events, plinth.api, plinth.alerts, plinth.dashboard];
  });

  describe('alarm topic', () => {
    it("subscribes the stage's opsEmail to the alarm topic by email", () => {
      const subscriptions = resourcesOf(plinth.alerts, 'AWS::SNS::Subscription');

      expect(subscriptions).toEqual([
        expect.objectContaining({
          Properties: expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
        }),
      ]);
    });

    it('encrypts the topic with a rotated key of its own that CloudWatch may use', () => {
      const [topic] = resourcesOf(plinth.alerts, 'AWS::SNS::Topic');
      const [key] = resourcesOf(plinth.alerts, 'AWS::KMS::Key');

      expect(topic?.Properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [logicalId(plinth.alerts, plinth.alerts.key), 'Arn'],
      });
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      expect(JSON.stringify(key?.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    });

    it('refuses publishing over plain HTTP', () => {
      const [policy] = resourcesOf(plinth.alerts, 'AWS::SNS::TopicPolicy');

      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    });

    it('gives every alarm of every stack the topic as its alarm and OK action', () => {
      const alarms = stacks.flatMap((stack) => resourcesOf(stack, 'AWS::CloudWatch::Alarm'));
      const topicArn = (value: unknown) =>
        JSON.stringify(value).includes(plinth.alerts.stackName) ||
        JSON.stringify(value).includes(logicalId(plinth.alerts, plinth.alerts.topic));

      expect(alarms.length).toBeGreaterThanOrEqual(10);
      for (const alarm of alarms) {
        const { AlarmActions, OKActions } = alarm.Properties as {
          AlarmActions?: unknown[];
          OKActions?: unknown[];
        };
        expect(AlarmActions, JSON.stringify(alarm.Properties.AlarmDescription)).toHaveLength(1);
        expect(topicArn(AlarmActions?.[0])).toBe(true);
        expect(OKActions).toEqual(AlarmActions);
      }
    });

    it('mails prod alarms to the prod address', () => {
      const prod = buildPlinth({ stage: 'prod' });

      expect(resourcesOf(prod.alerts, 'AWS::SNS::Subscription')).toEqual([
        expect.objectContaining({ Properties: expect.objectContaining({ Endpoint: 'ops@plinth.test' }) }),
      ]);
    });
  });

  describe('dashboard', () => {
    let body: string;
    beforeAll(() => {
      const [dashboard] = resourcesOf(plinth.dashboard, 'AWS::CloudWatch::Dashboard');
      expect(dashboard?.Properties.DashboardName).toBe('plinth-dev');
      body = JSON.stringify(dashboard?.Properties.DashboardBody);
    });

    it.each(Object.values(dashboardWidgetTitles))('has the widget "%s"', (title) => {
      expect(body).toContain(JSON.stringify(title).slice(1, -1).replaceAll('"', '\\"'));
    });

    it('graphs latency percentiles and requests per route from the access logs', () => {
      expect(body).toContain('pct(latency, 99)');
      expect(body).toContain('by routeKey');
    });

    it('graphs the MRR the rollup emits and each rule queue', () => {
      expect(body).toContain('\\"Mrr\\"');
      for (const rule of busDefinition.rules) expect(body).toContain(rule.name);
    });
  });

  describe('health function', () => {
    const variablesOfHealth = () => {
      const fn = plinth.api.functions.health;
      const resource = Template.fromStack(plinth.api).toJSON().Resources[
        logicalId(plinth.api, fn.function)
      ] as Resource;
      return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    };

    it('names every other API function, the webhook and every event-path function to watch', () => {
      const functions = JSON.stringify(variablesOfHealth().HEALTH_FUNCTIONS);

      for (const area of functionAreas.filter((a) => a !== 'health'))
        expect(functions).toContain(`\\"${area}\\":`);
      for (const name of [
        'stripe-webhook',
        'outbox-publisher',
        'product-activity',
        'notifications',
        'metrics-rollup',
      ])
        expect(functions).toContain(`\\"${name}\\":`);
    });

    it("lists every rule's queue and every dead-letter queue", () => {
      const queues = JSON.stringify(variablesOfHealth().HEALTH_QUEUES);

      for (const rule of busDefinition.rules) expect(queues).toContain(`\\"name\\":\\"${rule.name}\\"`);
      for (const schedule of busDefinition.schedules) expect(queues).toContain(`schedule ${schedule.name}`);
      expect(queues).toContain('\\"name\\":\\"outbox-publisher\\"');
    });

    it('may read queue attributes and metric data, and nothing else of SQS or CloudWatch', () => {
      const roleId = logicalId(plinth.api, plinth.api.functions.health.role);
      const statements = resourcesOf(plinth.api, 'AWS::IAM::Policy')
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
        .flatMap(
          (p) =>
            (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
              .Statement,
        );
      const asList = (value: unknown) => (Array.isArray(value) ? value : [value]) as string[];
      const monitoringActions = statements
        .flatMap((s) => asList(s.Action))
        .filter((action) => /^(sqs|cloudwatch):/.test(action));
      const sqs = statements.find((s) => asList(s.Action).includes('sqs:GetQueueAttributes'));
      const metricData = statements.find((s) => asList(s.Action).includes('cloudwatch:GetMetricData'));

      expect(monitoringActions.sort()).toEqual(['cloudwatch:GetMetricData', 'sqs:GetQueueAttributes']);
      expect(metricData?.Resource).toBe('*');
      expect(JSON.stringify(sqs?.Resource)).not.toContain('"*"');
    });

    it('is the only API function that may read SQS or CloudWatch', () => {
      const readers = functionAreas.filter((area) => {
        const roleId = logicalId(plinth.api, plinth.api.functions[area].role);
        return resourcesOf(plinth.api, 'AWS::IAM::Policy').some(
          (p) =>
            JSON.stringify(p.Properties.Roles).includes(roleId) &&
            /"(sqs|cloudwatch):/.test(JSON.stringify(p.Properties.PolicyDocument)),
        );
      });

      expect(readers).toEqual(['health']);
    });
  });
});

import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stageConfigFor } from '../../lib/stage.ts';
import { retentionEnvSchema } from '../../shared/config/retention.ts';
import { buildPlinth } from './plinth-app.ts';
import type { Resource } from './template.ts';

describe.each(['dev', 'prod'] as const)('retention (%s)', (stage) => {
  const config = stageConfigFor(stage);

  it('gives every function of every stack the stage’s retention days', () => {
    const plinth = buildPlinth({ stage });
    const stacks = [plinth.api, plinth.events, plinth.auth, plinth.data];
    const functions = stacks.flatMap((stack) =>
      Object.values(
        Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<string, Resource>,
      ),
    );
    const ours = functions.filter(
      (fn) => (fn.Properties.Environment as { Variables?: object } | undefined)?.Variables,
    );

    expect(ours.length).toBeGreaterThan(20);
    for (const fn of ours) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        AUDIT_RETENTION_DAYS: String(config.retention.auditEntryDays),
        OUTBOX_RETENTION_DAYS: String(config.retention.outboxDays),
        COMMUNICATION_RETENTION_DAYS: String(config.retention.communicationDays),
        EXPORT_RETENTION_DAYS: String(config.retention.exportDays),
      });
    }
  });

  it('holds days the functions accept', () => {
    const parsed = retentionEnvSchema().safeParse({
      AUDIT_RETENTION_DAYS: String(config.retention.auditEntryDays),
      OUTBOX_RETENTION_DAYS: String(config.retention.outboxDays),
      COMMUNICATION_RETENTION_DAYS: String(config.retention.communicationDays),
      EXPORT_RETENTION_DAYS: String(config.retention.exportDays),
    });
    expect(parsed.success).toBe(true);
  });
});

describe('retention defaults', () => {
  it('keeps exports 7 days in every stage', () => {
    expect([stageConfigFor('dev').retention.exportDays, stageConfigFor('prod').retention.exportDays]).toEqual(
      [7, 7],
    );
  });

  it('keeps prod audit entries about seven years', () => {
    expect(stageConfigFor('prod').retention.auditEntryDays).toBeGreaterThanOrEqual(7 * 365);
  });
});

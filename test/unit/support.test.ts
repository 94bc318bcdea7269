import { describe, expect, it } from 'vitest';
import { plans } from '#shared/billing/plans.ts';
import { excerptOf } from '#shared/mail/communications.ts';
import { communicationTag, parseCommunicationTag } from '#shared/mail/mail-sender.ts';
import { sesFeedbackSchema } from '#shared/mail/ses-feedback.ts';
import type { StoredMessage } from '#shared/support/support.repository.ts';
import { customerMessages } from '#shared/support/support.service.ts';
import {
  prioritySupportTargetHours,
  STANDARD_TARGET_HOURS,
  ticketTerms,
} from '#shared/support/support-policy.ts';
import { bounceReport, complaintReport } from '../support/ses-notifications.ts';

const openedAt = new Date('2026-12-02T10:00:00.000Z');
const hoursAfter = (hours: number) => new Date(openedAt.getTime() + hours * 3_600_000).toISOString();

describe('ticket terms by plan', () => {
  it('gives Business tickets the requested priority and its response target', () => {
    for (const priority of ['urgent', 'high', 'normal', 'low'] as const) {
      expect(ticketTerms(plans.business.entitlements, priority, openedAt)).toEqual({
        priority,
        prioritySupport: true,
        firstResponseDueAt: hoursAfter(prioritySupportTargetHours[priority]),
      });
    }
  });

  it('gives Business tickets normal priority when none is asked', () => {
    expect(ticketTerms(plans.business.entitlements, undefined, openedAt).priority).toBe('normal');
  });

  it('gives Free and Team tickets normal priority and the standard target whatever they ask', () => {
    for (const plan of [plans.free, plans.team]) {
      expect(ticketTerms(plan.entitlements, 'urgent', openedAt)).toEqual({
        priority: 'normal',
        prioritySupport: false,
        firstResponseDueAt: hoursAfter(STANDARD_TARGET_HOURS),
      });
    }
  });

  it('answers faster with priority support than without, for every priority', () => {
    for (const hours of Object.values(prioritySupportTargetHours))
      expect(hours).toBeLessThan(STANDARD_TARGET_HOURS);
  });
});

describe('customer view of messages', () => {
  const message = (seq: number, internal: boolean, kind: 'customer' | 'operator'): StoredMessage => ({
    tenantId: 't',
    ticketId: 'x',
    messageId: `m${seq}`,
    seq,
    author: { kind, userId: kind === 'operator' ? 'operator-id' : 'customer-id', email: 'a@example.com' },
    body: internal ? 'internal text' : `message ${seq}`,
    internal,
    at: '2026-12-02T10:00:00.000Z',
  });

  it('drops internal notes', () => {
    const shown = customerMessages([message(1, false, 'customer'), message(2, true, 'operator')]);
    expect(shown.map((m) => m.body)).toEqual(['message 1']);
  });

  it('shows an operator’s reply as from support, without their identity', () => {
    const [shown] = customerMessages([message(1, false, 'operator')]);
    expect(shown?.author).toEqual({ kind: 'support' });
  });
});

describe('SES reports', () => {
  it('parses a bounce published by a configuration set', () => {
    const parsed = sesFeedbackSchema().parse(bounceReport({ to: 'a@example.com' }));
    expect(parsed.type).toBe('Bounce');
  });

  it('parses a bounce sent as an identity notification', () => {
    const parsed = sesFeedbackSchema().parse(
      bounceReport({ to: 'a@example.com', identityNotification: true }),
    );
    expect(parsed.type).toBe('Bounce');
  });

  it('parses a complaint without a feedback type', () => {
    const parsed = sesFeedbackSchema().parse(complaintReport({ to: 'a@example.com' }));
    expect(parsed.type).toBe('Complaint');
  });

  it('refuses a bounce without recipients', () => {
    const report = bounceReport({ to: 'a@example.com' });
    report.bounce.bouncedRecipients = [];
    expect(sesFeedbackSchema().safeParse(report).success).toBe(false);
  });
});

describe('history tags', () => {
  it('round-trips the history entry an email names', () => {
    const at = '2026-12-02T10:00:00.123Z';
    const id = '01jf0000000000000000000001';
    expect(parseCommunicationTag(communicationTag(at, id))).toEqual({ at, communicationId: id });
  });

  it('uses only the characters SES allows in tag values', () => {
    expect(communicationTag('2026-12-02T10:00:00.123Z', '01jf0000000000000000000001')).toMatch(
      /^[A-Za-z0-9_-]+$/,
    );
  });

  it('ignores a malformed tag', () => {
    expect(parseCommunicationTag('2026-12-02T10:00:00Z#abc')).toBeUndefined();
  });
});

describe('excerpts', () => {
  it('keeps a short text on one line', () => {
    expect(excerptOf('Hello\n\n  there')).toBe('Hello there');
  });

  it('cuts a long text with an ellipsis', () => {
    const excerpt = excerptOf('x'.repeat(500));
    expect(excerpt).toHaveLength(200);
    expect(excerpt.endsWith('…')).toBe(true);
  });
});

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SNSEventRecord } from 'aws-lambda';
import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { mailTagNames, parseCommunicationTag } from './mail-sender.ts';
import { type SuppressionReport, suppressAddress } from './suppression.ts';

/**
 * SES's bounce and complaint reports, as the configuration set's event destination publishes them
 * to SNS (`eventType`), or as identity notifications do (`notificationType`): the fields Plinth
 * reads, per https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html.
 */
const recipientSchema = /* @__PURE__ */ lazyValue(() => z.object({ emailAddress: z.string().min(3) }));

const mailSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    messageId: z.string(),
    timestamp: z.string(),
    destination: z.array(z.string()).optional(),
    /** Tag name → values; ours carry the tenant and the history entry of the email. */
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
);

export const bounceNotificationSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    type: z.literal('Bounce'),
    bounce: z.object({
      bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
      bounceSubType: z.string(),
      bouncedRecipients: z
        .array(
          recipientSchema().extend({ diagnosticCode: z.string().optional(), status: z.string().optional() }),
        )
        .min(1),
      timestamp: z.iso.datetime({ offset: true }),
      feedbackId: z.string().min(1),
    }),
    mail: mailSchema(),
  }),
);

export const complaintNotificationSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    type: z.literal('Complaint'),
    complaint: z.object({
      complainedRecipients: z.array(recipientSchema()).min(1),
      timestamp: z.iso.datetime({ offset: true }),
      feedbackId: z.string().min(1),
      /** `abuse`, `fraud`, `not-spam`, … (absent when the provider sends no feedback report). */
      complaintFeedbackType: z.string().optional(),
    }),
    mail: mailSchema(),
  }),
);

export const sesFeedbackSchema = /* @__PURE__ */ lazyValue(() =>
  z.preprocess(
    // Event publishing names the kind `eventType`; identity notifications name it `notificationType`.
    (value) =>
      typeof value === 'object' && value !== null
        ? {
            ...value,
            type:
              (value as Record<string, unknown>).eventType ??
              (value as Record<string, unknown>).notificationType,
          }
        : value,
    z.discriminatedUnion('type', [bounceNotificationSchema(), complaintNotificationSchema()]),
  ),
);
export type SesFeedback = z.infer<ReturnType<typeof sesFeedbackSchema>>;

/** What one report did: addresses suppressed, and whether it was recognised at all. */
export interface FeedbackOutcome {
  readonly kind: 'bounce' | 'complaint' | 'ignored';
  readonly suppressed: readonly string[];
}

/** The kinds of SES notification this consumer acts on; others (deliveries, sends) are acknowledged. */
const handledTypes = new Set(['Bounce', 'Complaint']);

const normalise = (email: string) => email.trim().toLowerCase();

/**
 * Applies one SES report. A permanent bounce or a complaint (other than `not-spam`) suppresses each
 * address it names; transient and undetermined bounces suppress nothing (the mailbox may be full
 * today and fine tomorrow). Either way the email's entry in its tenant's communication history
 * (found from the message tags the sender set) records the report, and a permanent bounce or a
 * complaint marks it `bounced` / `complained`. Redelivered reports change nothing more.
 */
export async function applySesFeedback(db: Db, raw: unknown): Promise<FeedbackOutcome> {
  const type =
    typeof raw === 'object' && raw !== null
      ? ((raw as Record<string, unknown>).eventType ?? (raw as Record<string, unknown>).notificationType)
      : undefined;
  if (typeof type !== 'string' || !handledTypes.has(type)) return { kind: 'ignored', suppressed: [] };
  const feedback = sesFeedbackSchema().parse(raw);

  const reports: SuppressionReport[] = [];
  let recipients: string[];
  let at: string;
  let feedbackId: string;
  let final: boolean;
  if (feedback.type === 'Bounce') {
    const { bounce } = feedback;
    at = new Date(bounce.timestamp).toISOString();
    feedbackId = bounce.feedbackId;
    recipients = bounce.bouncedRecipients.map((r) => normalise(r.emailAddress));
    final = bounce.bounceType === 'Permanent';
    if (final) {
      for (const recipient of bounce.bouncedRecipients) {
        reports.push({
          email: normalise(recipient.emailAddress),
          reason: 'bounce',
          detail: `${bounce.bounceType}/${bounce.bounceSubType}`,
          diagnostic: recipient.diagnosticCode,
          feedbackId,
          at,
        });
      }
    }
  } else {
    const { complaint } = feedback;
    at = new Date(complaint.timestamp).toISOString();
    feedbackId = complaint.feedbackId;
    recipients = complaint.complainedRecipients.map((r) => normalise(r.emailAddress));
    // A recipient who marked the mail "not spam" asks for more of it, not less.
    final = complaint.complaintFeedbackType !== 'not-spam';
    if (final) {
      for (const email of recipients) {
        reports.push({
          email,
          reason: 'complaint',
          detail: complaint.complaintFeedbackType ?? 'complaint',
          feedbackId,
          at,
        });
      }
    }
  }

  const suppressed: string[] = [];
  for (const report of reports) {
    await suppressAddress(db, report);
    suppressed.push(report.email);
  }
  const kind = feedback.type === 'Bounce' ? 'bounce' : 'complaint';
  await markHistory(db, feedback, { kind, recipients, at, feedbackId, final });
  return { kind, suppressed };
}

/** Records the report on the email's history entry, once per feedback id; no entry, no change. */
async function markHistory(
  db: Db,
  feedback: SesFeedback,
  report: {
    kind: 'bounce' | 'complaint';
    recipients: string[];
    at: string;
    feedbackId: string;
    final: boolean;
  },
): Promise<void> {
  const tenantId = feedback.mail.tags?.[mailTagNames.tenant]?.[0];
  const tag = feedback.mail.tags?.[mailTagNames.communication]?.[0];
  const entry = tag ? parseCommunicationTag(tag) : undefined;
  if (!tenantId || !entry) return;
  const status = report.kind === 'bounce' ? 'bounced' : 'complained';
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.communication(tenantId, entry.at, entry.communicationId),
        UpdateExpression: `SET feedback = list_append(if_not_exists(feedback, :none), :reports)${report.final ? ', #status = :status' : ''} ADD feedbackIds :ids`,
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(feedbackIds, :id)',
        ExpressionAttributeValues: {
          ':none': [],
          ':reports': report.recipients.map((email) => ({ email, type: report.kind, at: report.at })),
          ':ids': new Set([report.feedbackId]),
          ':id': report.feedbackId,
          ...(report.final ? { ':status': status } : {}),
        },
        ...(report.final ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
      }),
    );
  } catch (error) {
    // Already recorded (a redelivery), or the entry is gone: nothing to add.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** The SES report an SNS record carries (its `Message` is the report's JSON). */
export function feedbackOfRecord(record: Pick<SNSEventRecord, 'Sns'>): unknown {
  return JSON.parse(record.Sns.Message) as unknown;
}

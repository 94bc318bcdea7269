import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';

/**
 * The suppression list: addresses SES reported as hard-bouncing or complaining. Every mailer reads
 * it before sending (one GetItem for one recipient, one BatchGetItem for several) and leaves those
 * addresses out; the admin API shows it (`emailDeliveryStatus`).
 *
 * Why our own list as well as SES's account-level one (which the CDK configuration set also
 * enables): SES silently drops mail to an address on its list and still answers "sent", so our
 * history would say "sent" for mail nobody received; SES's list is shared by every stage in the
 * account; and operators need to see the reason and date next to the user and tenant. Our list is
 * per stage, visible, testable locally, and the mailers record "suppressed" instead of "sent".
 */

export const suppressionReasonSchema = /* @__PURE__ */ lazyValue(() => z.enum(['bounce', 'complaint']));
export type SuppressionReason = z.infer<ReturnType<typeof suppressionReasonSchema>>;

/** The delivery status of an address, as the admin API shows it. */
export const emailDeliveryStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    email: z.string(),
    /** `suppressed`: Plinth sends it nothing more (until an operator lifts the suppression). */
    status: z.enum(['deliverable', 'suppressed']),
    reason: suppressionReasonSchema().optional(),
    /** SES's words: `Permanent/General`, `Permanent/NoEmail`, `abuse`, … */
    detail: z.string().optional(),
    /** The bouncing server's answer, when SES passed one on. */
    diagnostic: z.string().optional(),
    /** When it was first suppressed, and the latest report. */
    since: z.iso.datetime().optional(),
    lastReportAt: z.iso.datetime().optional(),
  }),
);
export type EmailDeliveryStatus = z.infer<ReturnType<typeof emailDeliveryStatusSchema>>;

/** A report that suppresses an address, as the feedback consumer hands it over. */
export interface SuppressionReport {
  readonly email: string;
  readonly reason: SuppressionReason;
  readonly detail: string;
  readonly diagnostic?: string | undefined;
  /** SES's feedback id: a redelivered report changes nothing. */
  readonly feedbackId: string;
  readonly at: string;
}

const normalise = (email: string) => email.trim().toLowerCase();

/** DynamoDB's BatchGetItem reads at most 100 keys. */
const BATCH_GET_LIMIT = 100;

async function readSuppressions(
  db: Db,
  emails: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const unique = [...new Set(emails.map(normalise))];
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
    let request: Record<string, { pk: string; sk: string }[]> | undefined = {
      [db.tableName]: unique.slice(i, i + BATCH_GET_LIMIT).map((email) => keys.emailSuppression(email)),
    };
    // Retries what DynamoDB left unprocessed (throttling), as the BatchGetItem contract asks.
    for (let attempt = 0; request && attempt < 5; attempt++) {
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: Object.fromEntries(
            Object.entries(request).map(([table, ks]) => [table, { Keys: ks, ConsistentRead: true }]),
          ),
        }),
      );
      for (const item of result.Responses?.[db.tableName] ?? []) {
        if (typeof item.email === 'string') found.set(item.email, item);
      }
      const left = result.UnprocessedKeys?.[db.tableName]?.Keys as { pk: string; sk: string }[] | undefined;
      request = left && left.length > 0 ? { [db.tableName]: left } : undefined;
    }
    if (request) throw new Error('DynamoDB left suppression keys unprocessed; the send can be retried.');
  }
  return found;
}

/** The addresses among `emails` (lower-cased) that are suppressed. */
export async function suppressedAmong(db: Db, emails: readonly string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  return new Set((await readSuppressions(db, emails)).keys());
}

/**
 * The delivery status of each address, in the order given (lower-cased, each once): for the admin
 * user and tenant detail, e.g. `emailDeliveryStatus(db, [user.email])` or the members' emails. One
 * BatchGetItem per 100 addresses.
 */
export async function emailDeliveryStatus(db: Db, emails: readonly string[]): Promise<EmailDeliveryStatus[]> {
  const unique = [...new Set(emails.map(normalise))];
  const found = unique.length === 0 ? new Map() : await readSuppressions(db, unique);
  return unique.map((email) => {
    const item = found.get(email);
    if (!item) return { email, status: 'deliverable' as const };
    return emailDeliveryStatusSchema().parse({
      email,
      status: 'suppressed',
      reason: item.reason,
      detail: item.detail,
      ...(typeof item.diagnostic === 'string' ? { diagnostic: item.diagnostic } : {}),
      since: item.since,
      lastReportAt: item.lastReportAt,
    });
  });
}

/**
 * Suppresses an address (one conditional UpdateItem): keeps the first `since`, counts the reports,
 * and ignores a report whose feedback id it already applied (SNS delivers at least once). Returns
 * false for such a duplicate.
 */
export async function suppressAddress(db: Db, report: SuppressionReport): Promise<boolean> {
  const email = normalise(report.email);
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.emailSuppression(email),
        UpdateExpression:
          'SET #type = :type, email = :email, reason = :reason, detail = :detail, diagnostic = :diagnostic, ' +
          'since = if_not_exists(since, :at), lastReportAt = :at, lastFeedbackId = :feedbackId ADD reports :one',
        ConditionExpression: 'attribute_not_exists(lastFeedbackId) OR lastFeedbackId <> :feedbackId',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'email-suppression',
          ':email': email,
          ':reason': report.reason,
          ':detail': report.detail,
          ':diagnostic': report.diagnostic ?? null,
          ':at': report.at,
          ':feedbackId': report.feedbackId,
          ':one': 1,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The address's suppression item, or undefined (strongly consistent). */
export async function readSuppression(db: Db, email: string): Promise<Record<string, unknown> | undefined> {
  return (await readSuppressions(db, [email])).get(normalise(email));
}

/**
 * The step that lifts a suppression (an operator's decision, written with its audit entry): fails
 * with `onMissing` when the address is not suppressed (any more).
 */
export function liftSuppressionStep(db: Db, email: string, onMissing: () => Error): TransactStep {
  return {
    item: {
      Delete: {
        TableName: db.tableName,
        Key: keys.emailSuppression(normalise(email)),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: onMissing,
  };
}

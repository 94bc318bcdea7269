import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { readRetention, ttlAfterDays } from '../config/retention.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import type { Clock, IdGenerator } from '../ids.ts';

/**
 * A tenant's communication history: one item per message Plinth exchanged with the tenant (ticket
 * messages both ways, every email sent to its people, every announcement delivered to it), under
 * the tenant's partition and sorted by time, so `GET /admin/tenants/{id}/communications` is one
 * Query, newest first. Internal notes of support tickets are not communication and are never here.
 */

/**
 * What kind of email it was (what the communications route shows and filters by). `sign-in`: a magic
 * sign-in link, mailed to one user for no tenant, so never in a tenant's history.
 */
export const emailKinds = [
  'invitation',
  'billing',
  'dunning',
  'support-reply',
  'announcement',
  'sign-in',
  'export',
] as const;
// The schemas are `lazyValue`s marked `@__PURE__` (built on first use; esbuild drops the unused): most importers of this
// module write history items and never parse one.
export const emailKindSchema = /* @__PURE__ */ lazyValue(() => z.enum(emailKinds));
export type EmailKind = z.infer<ReturnType<typeof emailKindSchema>>;

export const communicationKindSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['ticket-message', 'email', 'announcement']),
);

/**
 * `received`: a customer's ticket message; `sent`: handed to SES (or an operator's ticket reply);
 * `delivered`: an announcement shown to the tenant; `suppressed`: not sent, every recipient is on
 * the suppression list; `failed`: SES refused it; `bounced` / `complained`: SES reported it back.
 */
export const communicationStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['received', 'sent', 'delivered', 'suppressed', 'failed', 'bounced', 'complained']),
);
export type CommunicationStatus = z.infer<ReturnType<typeof communicationStatusSchema>>;

/** One entry of the history as stored (without keys) and as the admin route shows it. */
export const communicationSchema = /* @__PURE__ */ lazyValue(() =>
  (() =>
    z.object({
      communicationId: z.string(),
      tenantId: z.string(),
      at: z.iso.datetime(),
      kind: communicationKindSchema(),
      /** `inbound`: from the tenant's people to Plinth; `outbound`: from Plinth to them. */
      direction: z.enum(['inbound', 'outbound']),
      subject: z.string(),
      status: communicationStatusSchema(),
      /** The first characters of the message, for ticket messages and announcements. */
      excerpt: z.string().optional(),
      emailKind: emailKindSchema().optional(),
      /** Who the email was sent to (after suppression) and who was left out because suppressed. */
      to: z.array(z.string()).optional(),
      suppressed: z.array(z.string()).optional(),
      /** Addresses SES reported bouncing or complaining about this email. */
      feedback: z
        .array(z.object({ email: z.string(), type: z.enum(['bounce', 'complaint']), at: z.iso.datetime() }))
        .optional(),
      ticketId: z.string().optional(),
      announcementId: z.string().optional(),
      /** Who wrote a ticket message: the customer's user id, or `support`. */
      author: z.string().optional(),
    }))(),
);
export type Communication = z.infer<ReturnType<typeof communicationSchema>>;

/** What a writer gives; the id, time and tenant are filled in. */
export type CommunicationEntry = Omit<Communication, 'communicationId' | 'tenantId' | 'at'>;

/** Characters of a message body the history keeps. */
export const EXCERPT_LENGTH = 200;

/** The first characters of a text, on one line. */
export function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= EXCERPT_LENGTH ? flat : `${flat.slice(0, EXCERPT_LENGTH - 1)}…`;
}

/** The stored item of one entry. */
export function communicationItem(
  tenantId: string,
  entry: CommunicationEntry,
  at: string,
  communicationId: string,
): Record<string, unknown> {
  return {
    ...keys.communication(tenantId, at, communicationId),
    type: 'communication',
    communicationId,
    tenantId,
    at,
    ...entry,
    // The history is kept for the stage's COMMUNICATION_RETENTION_DAYS, counted from the entry's time.
    ttl: ttlAfterDays(new Date(at), readRetention().COMMUNICATION_RETENTION_DAYS),
  };
}

/** An entry as a transaction step, for writers that record it with the message itself. */
export function communicationStep(
  db: Db,
  tenantId: string,
  entry: CommunicationEntry,
  at: string,
  communicationId: string,
): TransactStep {
  return {
    item: {
      Put: {
        TableName: db.tableName,
        Item: communicationItem(tenantId, entry, at, communicationId),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

/**
 * Records one communication with a tenant (one Put). For announcements: call it once per tenant an
 * announcement is delivered to, e.g.
 * `recordCommunication(db, tenantId, { kind: 'announcement', direction: 'outbound', subject: title,
 * excerpt: excerptOf(body), status: 'delivered', announcementId }, { clock, newId })`.
 * Returns the entry's id.
 */
export async function recordCommunication(
  db: Db,
  tenantId: string,
  entry: CommunicationEntry,
  deps: { readonly clock: Clock; readonly newId: IdGenerator },
): Promise<{ communicationId: string; at: string }> {
  const at = deps.clock().toISOString();
  const communicationId = deps.newId();
  await db.client.send(
    new PutCommand({
      TableName: db.tableName,
      Item: communicationItem(tenantId, entry, at, communicationId),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return { communicationId, at };
}

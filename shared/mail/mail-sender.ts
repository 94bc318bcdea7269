import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import { type CommunicationStatus, communicationItem, type EmailKind } from './communications.ts';
import { suppressedAmong } from './suppression.ts';

/** One email, to one or more recipients. */
export interface OutgoingEmail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Whom an email concerns: recorded in the tenant's communication history when `tenantId` is set. */
export interface EmailContext {
  readonly kind: EmailKind;
  /** Absent for mail to the operators (their dispute copies): it is not part of a tenant's history. */
  readonly tenantId?: string | undefined;
  readonly ticketId?: string | undefined;
  readonly announcementId?: string | undefined;
}

export interface EmailOutcome {
  readonly status: Extract<CommunicationStatus, 'sent' | 'suppressed'>;
  /** The recipients it was sent to, and those left out because suppressed. */
  readonly sent: string[];
  readonly suppressed: string[];
}

/**
 * Sends Plinth's email: every mailer goes through it, so none sends to a suppressed address and
 * every email to a tenant's people is in that tenant's communication history.
 */
export interface MailSender {
  send(mail: OutgoingEmail, context: EmailContext): Promise<EmailOutcome>;
}

/** What the sender needs besides SES: the table (suppression list and history), clock and ids. */
export interface MailTracking {
  readonly db: Db;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /**
   * The SES configuration set whose event destination sends bounces and complaints to the
   * feedback topic (`MAIL_CONFIGURATION_SET`, set by CDK); absent locally.
   */
  readonly configurationSetName?: string | undefined;
}

/** SES caps the recipients of one message at 50. */
const MAX_RECIPIENTS = 50;

/**
 * Message tags SES hands back with bounces and complaints (`mail.tags`), so the feedback consumer
 * finds the history entry of the email. Tag values allow letters, digits, `_` and `-` only: the
 * entry's time travels as epoch milliseconds.
 */
export const mailTagNames = { tenant: 'plinth_tenant', communication: 'plinth_comm' } as const;

export function communicationTag(at: string, communicationId: string): string {
  return `${Date.parse(at)}-${communicationId}`;
}

/** The history entry a `plinth_comm` tag names, or undefined for a malformed one. */
export function parseCommunicationTag(tag: string): { at: string; communicationId: string } | undefined {
  const match = /^(\d{1,15})-([0-9a-z]{26})$/.exec(tag);
  if (!match?.[1] || !match[2]) return undefined;
  const ms = Number(match[1]);
  return { at: new Date(ms).toISOString(), communicationId: match[2] };
}

/**
 * The SES v2 sender (`from` must be a verified identity). Per email: one read of the suppression
 * list for its recipients; the send (in chunks of 50 recipients); one write to the tenant's history
 * with the outcome (`sent`, `suppressed`, or `failed` before the SES error is rethrown).
 */
export function createSesMailSender(client: SESv2Client, from: string, tracking: MailTracking): MailSender {
  const { db, clock, newId } = tracking;

  async function record(
    context: EmailContext,
    mail: OutgoingEmail,
    status: CommunicationStatus,
    to: readonly string[],
    suppressed: readonly string[],
    at: string,
    communicationId: string,
  ): Promise<void> {
    if (!context.tenantId) return;
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: communicationItem(
          context.tenantId,
          {
            kind: 'email',
            direction: 'outbound',
            subject: mail.subject,
            status,
            emailKind: context.kind,
            to: [...to],
            suppressed: [...suppressed],
            ...(context.ticketId ? { ticketId: context.ticketId } : {}),
            ...(context.announcementId ? { announcementId: context.announcementId } : {}),
          },
          at,
          communicationId,
        ),
      }),
    );
  }

  return {
    async send(mail, context) {
      const recipients = [...new Set(mail.to.map((address) => address.trim().toLowerCase()))];
      const blocked = await suppressedAmong(db, recipients);
      const to = recipients.filter((address) => !blocked.has(address));
      const suppressed = recipients.filter((address) => blocked.has(address));
      const at = clock().toISOString();
      const communicationId = newId();
      if (to.length === 0) {
        await record(context, mail, 'suppressed', [], suppressed, at, communicationId);
        return { status: 'suppressed', sent: [], suppressed };
      }
      const tags = context.tenantId
        ? [
            { Name: mailTagNames.tenant, Value: context.tenantId },
            { Name: mailTagNames.communication, Value: communicationTag(at, communicationId) },
          ]
        : [];
      try {
        for (let i = 0; i < to.length; i += MAX_RECIPIENTS) {
          await client.send(
            new SendEmailCommand({
              FromEmailAddress: from,
              Destination: { ToAddresses: to.slice(i, i + MAX_RECIPIENTS) },
              Content: {
                Simple: {
                  Subject: { Data: mail.subject, Charset: 'UTF-8' },
                  Body: {
                    Text: { Data: mail.text, Charset: 'UTF-8' },
                    Html: { Data: mail.html, Charset: 'UTF-8' },
                  },
                },
              },
              ...(tags.length > 0 ? { EmailTags: tags } : {}),
              ...(tracking.configurationSetName
                ? { ConfigurationSetName: tracking.configurationSetName }
                : {}),
            }),
          );
        }
      } catch (error) {
        // The history says it failed; the caller's own retry policy decides what happens next.
        await record(context, mail, 'failed', to, suppressed, at, communicationId).catch((recordError) =>
          logger.error('could not record a failed email', { error: recordError }),
        );
        throw error;
      }
      await record(context, mail, 'sent', to, suppressed, at, communicationId);
      return { status: 'sent', sent: to, suppressed };
    },
  };
}

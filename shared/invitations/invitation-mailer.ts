import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Role } from '../tenancy/permissions.ts';

/** Everything the invitation email says. */
export interface InvitationMail {
  readonly to: string;
  readonly tenantName: string;
  readonly role: Role;
  readonly acceptUrl: string;
  readonly expiresAt: string;
  /** The inviter's email, when known. */
  readonly invitedBy?: string | undefined;
}

/** Sends invitation emails; the service depends on this, so tests and other providers can stand in. */
export interface InvitationMailer {
  sendInvitation(mail: InvitationMail): Promise<void>;
}

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** The most characters of a tenant name an email shows (names may be 120 long). */
export const MAX_MAILED_NAME_LENGTH = 60;

/**
 * A tenant name as an email shows it: control characters and runs of white space become one
 * space (no line breaks smuggled into a subject or a text body), and a name longer than
 * {@link MAX_MAILED_NAME_LENGTH} is cut at a character boundary and ends with "…". Bidirectional
 * controls are dropped, so a name cannot reorder the text around it. The name is chosen by
 * whoever created the tenant, so the HTML part escapes it as well.
 */
export function mailedName(name: string): string {
  const flat = name
    .replace(BIDI_CONTROLS, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
  const chars = [...flat];
  if (chars.length <= MAX_MAILED_NAME_LENGTH) return flat;
  return `${chars
    .slice(0, MAX_MAILED_NAME_LENGTH - 1)
    .join('')
    .trimEnd()}…`;
}

/** Subject, text and HTML of an invitation email. */
export function renderInvitationMail(mail: InvitationMail): { subject: string; text: string; html: string } {
  const who = mail.invitedBy ? `${mail.invitedBy} has invited you` : 'You have been invited';
  const article = mail.role === 'owner' || mail.role === 'admin' ? 'an' : 'a';
  const tenant = mailedName(mail.tenantName);
  const lead = `${who} to join ${tenant} as ${article} ${mail.role}.`;
  const expiry = `The invitation expires at ${mail.expiresAt}.`;
  return {
    subject: `Join ${tenant} on Plinth`,
    text: `${lead}\n\nAccept the invitation: ${mail.acceptUrl}\n\n${expiry}\n`,
    html: [
      `<p>${escapeHtml(lead)}</p>`,
      `<p><a href="${escapeHtml(mail.acceptUrl)}">Accept the invitation</a></p>`,
      `<p>${escapeHtml(expiry)}</p>`,
    ].join('\n'),
  };
}

/** SES v2 implementation; `from` must be a verified SES identity. */
export function createSesInvitationMailer(client: SESv2Client, from: string): InvitationMailer {
  return {
    async sendInvitation(mail) {
      const { subject, text, html } = renderInvitationMail(mail);
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [mail.to] },
          Content: {
            Simple: {
              Subject: { Data: subject, Charset: 'UTF-8' },
              Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    },
  };
}

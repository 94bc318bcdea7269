import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { escapeHtml, mailedName } from '../mail/mail-text.ts';
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

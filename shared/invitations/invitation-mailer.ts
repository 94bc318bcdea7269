import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createSesMailSender, type MailTracking } from '../mail/mail-sender.ts';
import { escapeHtml, mailedName } from '../mail/mail-text.ts';
import type { Role } from '../tenancy/permissions.ts';

/** Everything the invitation email says. */
export interface InvitationMail {
  /** The inviting tenant: the email goes into its communication history. */
  readonly tenantId: string;
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

/**
 * SES v2 implementation; `from` must be a verified SES identity. Through the shared sender, so an
 * address on the suppression list is not mailed and the email is recorded in the tenant's history.
 */
export function createSesInvitationMailer(
  client: SESv2Client,
  from: string,
  tracking: MailTracking,
): InvitationMailer {
  const sender = createSesMailSender(client, from, tracking);
  return {
    async sendInvitation(mail) {
      await sender.send(
        { to: [mail.to], ...renderInvitationMail(mail) },
        { kind: 'invitation', tenantId: mail.tenantId },
      );
    },
  };
}

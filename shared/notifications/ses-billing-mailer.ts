import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createSesMailSender, type MailTracking } from '../mail/mail-sender.ts';
import type { BillingMailer } from './billing-mailer.ts';

// Apart from the mail's content (billing-mailer.ts), so the notifications consumer can import the
// SES client (~75 KB with its REST protocol code) on its first mail instead of at cold start.

/**
 * SES v2 implementation; `from` must be a verified SES identity. Through the shared sender, so
 * suppressed addresses are left out and each email is recorded in its tenant's history.
 */
export function createSesBillingMailer(
  client: SESv2Client,
  from: string,
  tracking: MailTracking,
): BillingMailer {
  const sender = createSesMailSender(client, from, tracking);
  return {
    async send(mail) {
      await sender.send(mail, { kind: mail.kind ?? 'billing', tenantId: mail.tenantId });
    },
  };
}

import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { BillingMailer } from './billing-mailer.ts';

// Apart from the mail's content (billing-mailer.ts), so the notifications consumer can import the
// SES client (~75 KB with its REST protocol code) on its first mail instead of at cold start.

/** SES caps the recipients of one message at 50. */
const MAX_RECIPIENTS = 50;

/** SES v2 implementation; `from` must be a verified SES identity. */
export function createSesBillingMailer(client: SESv2Client, from: string): BillingMailer {
  return {
    async send(mail) {
      for (let i = 0; i < mail.to.length; i += MAX_RECIPIENTS) {
        await client.send(
          new SendEmailCommand({
            FromEmailAddress: from,
            Destination: { ToAddresses: mail.to.slice(i, i + MAX_RECIPIENTS) },
            Content: {
              Simple: {
                Subject: { Data: mail.subject, Charset: 'UTF-8' },
                Body: {
                  Text: { Data: mail.text, Charset: 'UTF-8' },
                  Html: { Data: mail.html, Charset: 'UTF-8' },
                },
              },
            },
          }),
        );
      }
    },
  };
}

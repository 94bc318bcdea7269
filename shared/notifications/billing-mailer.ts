import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Money } from '../billing/billing.schema.ts';
import { type PlanId, plans } from '../billing/plans.ts';

/** One billing email, to all of a tenant's billing contacts at once. */
export interface BillingMail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Sends billing emails; the notification service depends on this, so tests and other providers can stand in. */
export interface BillingMailer {
  send(mail: BillingMail): Promise<void>;
}

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

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `$29.00`, `¥2,900`: minor units in the currency's own number of decimals. */
export function formatMoney(money: Money): string {
  const currency = money.currency.toUpperCase();
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amount / 10 ** digits);
}

/** `2026-03-08 14:00 UTC`. */
export const formatTime = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** `2026-03-08`. */
export const formatDate = (iso: string): string => iso.slice(0, 10);

const planName = (plan: PlanId): string => plans[plan].name;

function mail(
  to: readonly string[],
  subject: string,
  paragraphs: readonly string[],
  link: { readonly url: string; readonly label: string },
): BillingMail {
  return {
    to,
    subject,
    text: `${paragraphs.join('\n\n')}\n\n${link.label}: ${link.url}\n`,
    html: [
      ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
      `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`,
    ].join('\n'),
  };
}

/** Where a billing email sends the reader: the app's billing page. */
export const billingPageUrl = (appUrl: string): string => `${appUrl.replace(/\/+$/, '')}/billing`;

export function renderPaymentFailedMail(input: {
  readonly to: readonly string[];
  readonly tenantName: string;
  readonly plan: PlanId;
  readonly invoiceAmount: Money;
  readonly attemptCount: number;
  /** When full access ends unless the payment succeeds; null when not (yet) past due. */
  readonly graceEndsAt: string | null;
  readonly appUrl: string;
}): BillingMail {
  const attempt = input.attemptCount > 1 ? ` (attempt ${input.attemptCount})` : '';
  return mail(
    input.to,
    `Payment failed for ${input.tenantName} on Plinth`,
    [
      `We could not charge ${formatMoney(input.invoiceAmount)} for the ${planName(input.plan)} plan of ${input.tenantName}${attempt}.`,
      input.graceEndsAt
        ? `Full access continues until ${formatTime(input.graceEndsAt)}. After that, data can still be read, but changes are blocked until a payment succeeds.`
        : 'Please check the payment method so the subscription stays active.',
      'Update the payment method in the billing portal; Stripe retries the payment automatically.',
    ],
    { url: billingPageUrl(input.appUrl), label: 'Open billing' },
  );
}

export function renderRestrictedMail(input: {
  readonly to: readonly string[];
  readonly tenantName: string;
  readonly plan: PlanId;
  readonly appUrl: string;
}): BillingMail {
  return mail(
    input.to,
    `${input.tenantName} is restricted until payment on Plinth`,
    [
      `The grace period after a failed payment for the ${planName(input.plan)} plan of ${input.tenantName} has ended.`,
      'Your data is safe and can still be read, but changes are blocked until a payment succeeds. Everything is restored as soon as it does.',
    ],
    { url: billingPageUrl(input.appUrl), label: 'Pay now' },
  );
}

export function renderRenewalMail(input: {
  readonly to: readonly string[];
  readonly tenantName: string;
  readonly plan: PlanId;
  readonly renewsAt: string;
  readonly invoiceAmount: Money;
  readonly appUrl: string;
}): BillingMail {
  return mail(
    input.to,
    `${input.tenantName}'s annual Plinth plan renews on ${formatDate(input.renewsAt)}`,
    [
      `The annual ${planName(input.plan)} plan of ${input.tenantName} renews on ${formatDate(input.renewsAt)} for ${formatMoney(input.invoiceAmount)}.`,
      'Nothing to do if that is what you want. To change the plan, the interval or the payment method, or to cancel, open billing before then.',
    ],
    { url: billingPageUrl(input.appUrl), label: 'Open billing' },
  );
}

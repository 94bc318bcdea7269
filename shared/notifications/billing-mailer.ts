import type { Money } from '../billing/billing.schema.ts';
import { type PlanId, plans } from '../billing/plans.ts';
import type { EmailKind } from '../mail/communications.ts';
import { escapeHtml } from '../mail/mail-text.ts';

/** One billing email, to all of a tenant's billing contacts at once. */
export interface BillingMail {
  readonly to: readonly string[];
  /** The tenant it concerns: its communication history records the email (absent for operators' copies). */
  readonly tenantId?: string | undefined;
  /** `dunning` for failed payments and restriction, `billing` otherwise. */
  readonly kind?: Extract<EmailKind, 'billing' | 'dunning'> | undefined;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Sends billing emails; the notification service depends on this, so tests and other providers can stand in. */
export interface BillingMailer {
  send(mail: BillingMail): Promise<void>;
}

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

const disputeStatusText = (status: string): string => status.replaceAll('_', ' ');

/**
 * A dispute opened or closed, to the tenant's billing contacts: what was disputed and, while it is
 * open, that the team is answering it (the evidence is submitted by the operators in Stripe).
 */
export function renderDisputeMail(input: {
  readonly to: readonly string[];
  readonly tenantName: string;
  readonly closed: boolean;
  readonly amount: Money;
  readonly reason: string | null;
  readonly status: string;
  readonly appUrl: string;
}): BillingMail {
  const what = `a payment of ${formatMoney(input.amount)} for ${input.tenantName}`;
  return mail(
    input.to,
    input.closed
      ? `The dispute of a payment for ${input.tenantName} is closed (${disputeStatusText(input.status)})`
      : `A payment for ${input.tenantName} on Plinth was disputed`,
    input.closed
      ? [
          `The dispute of ${what} is closed: ${disputeStatusText(input.status)}.`,
          'Nothing more is needed from you.',
        ]
      : [
          `Your bank or card issuer told us that ${what} is disputed${input.reason ? ` (reason: ${disputeStatusText(input.reason)})` : ''}.`,
          'If you did not mean to dispute it, please contact your bank to withdraw the dispute, and reply to this email so we can help. Access stays as it is while the dispute is reviewed.',
        ],
    { url: billingPageUrl(input.appUrl), label: 'Open billing' },
  );
}

/**
 * The same dispute for the operators (`opsEmail`): which tenant, which charge, and the evidence
 * deadline, with a link to the dispute in the Stripe dashboard.
 */
export function renderDisputeOpsMail(input: {
  readonly to: readonly string[];
  readonly tenantName: string;
  readonly tenantId: string;
  readonly closed: boolean;
  readonly disputeId: string;
  readonly chargeId: string;
  readonly amount: Money;
  readonly reason: string | null;
  readonly status: string;
  readonly evidenceDueBy: string | null;
}): BillingMail {
  const subject = input.closed
    ? `[Plinth ops] Dispute ${input.disputeId} closed: ${disputeStatusText(input.status)} (${input.tenantName})`
    : `[Plinth ops] Dispute ${input.disputeId}: evidence due ${input.evidenceDueBy ? formatTime(input.evidenceDueBy) : 'soon'} (${input.tenantName})`;
  return mail(
    input.to,
    subject,
    [
      `Tenant ${input.tenantName} (${input.tenantId}) disputed charge ${input.chargeId}: ${formatMoney(input.amount)}, reason ${input.reason ?? 'not given'}, status ${disputeStatusText(input.status)}.`,
      input.closed
        ? 'The dispute is closed; check the outcome in Stripe.'
        : input.evidenceDueBy
          ? `Submit evidence in the Stripe dashboard before ${formatTime(input.evidenceDueBy)}, or the dispute is lost.`
          : 'Check in the Stripe dashboard whether evidence is needed.',
    ],
    {
      url: `https://dashboard.stripe.com/disputes/${encodeURIComponent(input.disputeId)}`,
      label: 'Open in Stripe',
    },
  );
}

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import type { TransactStep } from '../../db/transact.ts';
import { outboxStep } from '../../events/outbox.ts';
import {
  type DetailOf,
  type DomainEvent,
  type SubscriptionDetail,
  type SubscriptionEventType,
  subscriptionEvent,
} from '../../events/subscription-events.ts';
import { BadRequestError } from '../../http/errors.ts';
import { type Clock, ID_PATTERN, type IdGenerator } from '../../ids.ts';
import type { PriceIds } from '../plans.ts';
import type { StripeEvent } from './stripe-objects.ts';
import { isoFromEpoch, type ResolvedDiscount } from './subscription-snapshot.ts';
import {
  type BillingRecord,
  recurringAmountOf,
  type Transition,
  type TransitionMeta,
} from './transitions.ts';

/**
 * What the event handlers share: their dependencies, the customer → tenant mapping, payload
 * parsing, and the outbox events they write with their state changes.
 */

/** The few Stripe reads a webhook needs when a payload names an object without describing it. */
export interface StripeLookups {
  /** Charge ids of an invoice's paid payments (webhooks leave `invoice.payments` out). */
  invoiceChargeIds(invoiceId: string): Promise<string[]>;
  /** A subscription's discounts (its own and its items') with their coupons. */
  subscriptionDiscounts(subscriptionId: string): Promise<ResolvedDiscount[]>;
}

/** The logging the handlers do; Powertools' logger fits. */
export interface WebhookLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface WebhookDeps {
  readonly db: Db;
  readonly priceIds: PriceIds;
  /** Days of full access after a failed payment (`BILLING_GRACE_DAYS`). */
  readonly graceDays: number;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly stripe: StripeLookups;
  readonly log: WebhookLog;
}

/** What a handler decided: write these steps (with the event's id, in one transaction), or nothing. */
export type HandlerOutcome =
  | { readonly kind: 'skip'; readonly reason: string }
  | {
      readonly kind: 'apply';
      readonly tenantId: string | null;
      readonly steps: readonly TransactStep[];
      /** A few words for the log and the stored event record. */
      readonly summary: string;
    };

export type EventHandler = (event: StripeEvent, deps: WebhookDeps) => Promise<HandlerOutcome>;

export const skip = (reason: string): HandlerOutcome => ({ kind: 'skip', reason });
export const apply = (
  tenantId: string | null,
  steps: readonly TransactStep[],
  summary: string,
): HandlerOutcome => ({
  kind: 'apply',
  tenantId,
  steps,
  summary,
});

/** Parses `data.object` with the schema of the event's type; a payload that does not fit is a 400. */
export function parseObject<S extends z.ZodType>(schema: S, event: StripeEvent): z.output<S> {
  const parsed = schema.safeParse(event.data.object);
  if (!parsed.success) {
    throw new BadRequestError(
      `The ${event.type} event does not carry the object Plinth expects.`,
      parsed.error.issues.map((issue) => ({
        field: ['body', 'data', 'object', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** An invoice event other than `invoice.upcoming` names a real invoice; one without an id is a 400. */
export function requireInvoiceId<T extends { readonly id?: string | null | undefined }>(
  event: StripeEvent,
  invoice: T,
): T & { id: string } {
  if (!invoice.id) {
    throw new BadRequestError(`The ${event.type} event's invoice has no id.`, [
      { field: 'body.data.object.id', message: 'required' },
    ]);
  }
  return invoice as T & { id: string };
}

/** The tenant a Stripe customer belongs to, from the mapping written at checkout. */
export async function tenantOfCustomer(db: Db, customerId: string): Promise<string | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.stripeCustomer(customerId), ConsistentRead: true }),
  );
  return typeof Item?.tenantId === 'string' ? Item.tenantId : undefined;
}

/**
 * The tenant an object belongs to: the customer mapping first (our own record, written when the
 * customer was created), then a `tenantId` in the metadata Plinth puts on the objects it creates
 * (covers a subscription event that overtakes the mapping), if that tenant exists. Undefined for a
 * customer Plinth does not know (made in the dashboard, another product on the same account).
 */
export async function resolveTenant(
  deps: Pick<WebhookDeps, 'db' | 'log'>,
  source: {
    readonly customerId: string | null | undefined;
    readonly metadata: readonly Record<string, string>[];
  },
): Promise<string | undefined> {
  const fromMetadata = source.metadata
    .map((m) => m.tenantId)
    .find((id): id is string => typeof id === 'string' && ID_PATTERN.test(id));
  const mapped = source.customerId ? await tenantOfCustomer(deps.db, source.customerId) : undefined;
  if (mapped && fromMetadata && mapped !== fromMetadata) {
    deps.log.warn('customer mapping and metadata name different tenants; using the mapping', {
      customerId: source.customerId,
      mapped,
      fromMetadata,
    });
  }
  if (mapped) return mapped;
  if (!fromMetadata) return undefined;
  // Metadata is ours but unverified here: only a tenant that exists gets billing state.
  const { Item } = await deps.db.client.send(
    new GetCommand({ TableName: deps.db.tableName, Key: keys.tenant(fromMetadata), ConsistentRead: true }),
  );
  return Item ? fromMetadata : undefined;
}

export { isoFromEpoch };

/** The meta of a state move for this event. */
export function transitionMeta(event: StripeEvent, deps: WebhookDeps): TransitionMeta {
  return { created: event.created, now: deps.clock().toISOString(), graceDays: deps.graceDays };
}

/** The common detail of every subscription event, from the state before and after the change. */
export function detailOf(
  event: StripeEvent,
  deps: WebhookDeps,
  previous: BillingRecord,
  next: BillingRecord,
): SubscriptionDetail {
  return {
    eventId: deps.newId(),
    tenantId: next.tenantId,
    subscriptionId: next.subscriptionId,
    plan: next.plan,
    interval: next.interval,
    status: next.status,
    amount: recurringAmountOf(next),
    previousAmount: recurringAmountOf(previous),
    stripeEventId: event.id,
    occurredAt: isoFromEpoch(event.created),
  };
}

/** The outbox step of one subscription event, validated against its schema before any write. */
export function eventStep<T extends SubscriptionEventType>(
  deps: WebhookDeps,
  detailType: T,
  detail: DetailOf<T>,
): TransactStep {
  const domainEvent: DomainEvent<T> = subscriptionEvent(detailType, detail);
  return outboxStep(deps.db, domainEvent as DomainEvent, deps.clock());
}

/** The outbox steps of a transition's lifecycle events, in order. */
export function lifecycleSteps(
  event: StripeEvent,
  deps: WebhookDeps,
  transition: Transition,
): TransactStep[] {
  return transition.emits.map((type) =>
    eventStep(deps, type, detailOf(event, deps, transition.previous, transition.next)),
  );
}

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import type { LocalServer, TestStack } from './harness.ts';
import {
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
} from './stripe-events.ts';

type Status = Parameters<typeof subscriptionObject>[0]['status'];

/** A named tenant of a history: its Stripe customer and current subscription. */
export interface HistoryCustomer {
  readonly tenantId: string;
  readonly customer: string;
  subscription: string;
}

/**
 * A subscription history told by name ("A", "B", ...) to a test stack: each name gets a tenant and
 * a Stripe customer mapped to it, and `webhook` posts a signed subscription event that Stripe
 * created at `iso` to the local server's webhook endpoint, expecting it applied (200). `target` is
 * read on each call, so the history can be declared before `beforeAll` creates the stack.
 */
export function subscriptionHistory(target: () => { stack: TestStack; server: LocalServer }) {
  const customers: Record<string, HistoryCustomer> = {};

  async function customerFor(name: string): Promise<void> {
    const { stack } = target();
    const entry = { tenantId: newId(), customer: stripeId('cus'), subscription: stripeId('sub') };
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.stripeCustomer(entry.customer),
          type: 'stripe-customer',
          customerId: entry.customer,
          tenantId: entry.tenantId,
        },
      }),
    );
    customers[name] = entry;
  }

  /** With `newSubscription`, the name subscribes again under a new subscription id. */
  async function webhook(
    name: string,
    type: string,
    price: TestPrice,
    status: Status,
    iso: string,
    newSubscription = false,
  ): Promise<void> {
    const { stack, server } = target();
    const who = customers[name];
    if (!who) throw new Error(`no customer ${name}`);
    if (newSubscription) who.subscription = stripeId('sub');
    const object = subscriptionObject({ id: who.subscription, customer: who.customer, status, price });
    const event = stripeEvent(type, object, { created: Math.floor(Date.parse(iso) / 1000) });
    const { body, signature } = signedDelivery(event, stack.stripeWebhookSecret);
    const response = await fetch(`${server.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
    });
    expect(response.status, await response.clone().text()).toBe(200);
  }

  return { customers, customerFor, webhook };
}

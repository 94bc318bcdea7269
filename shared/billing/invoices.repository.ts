import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { InvoiceRecord } from './webhooks/invoice-mirror.ts';
import { ConcurrentChangeError } from './webhooks/webhook.errors.ts';

/**
 * The invoice and charge mirror (the payment history), written by the Stripe webhook:
 * - the invoice item, `keys.invoice(tenant, createdIso, invoiceId)`: the API's `invoiceSchema`
 *   fields plus bookkeeping (`version`, event times, `subscriptionId`), listed newest first by
 *   `GET /v1/tenants/{tenantId}/billing/invoices` (Query `keys.invoicesPrefix`, descending);
 * - the invoice locator, `keys.invoiceLocator(tenant, invoiceId)`: its `invoiceSk`;
 * - the charge locator, `keys.chargeLocator(tenant, chargeId)`: `invoiceId` and `invoiceSk` of the
 *   invoice the charge paid, so refunds (which name the charge) find their invoice, and the admin
 *   refund route can check that a charge belongs to the tenant.
 */

export interface InvoiceKey {
  readonly pk: string;
  readonly sk: string;
}

export interface ChargeLocator {
  readonly chargeId: string;
  readonly invoiceId: string;
  readonly invoiceSk: string;
}

export const invoiceKeyOf = (tenantId: string, createdAt: string, invoiceId: string): InvoiceKey =>
  keys.invoice(tenantId, createdAt, invoiceId);

/** The stored invoice at `key`, or undefined. */
export async function readInvoice(db: Db, key: InvoiceKey): Promise<InvoiceRecord | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item ? (withoutKeys(Item) as unknown as InvoiceRecord) : undefined;
}

/** Where the invoice a charge paid is stored, if the charge is known for this tenant. */
export async function readChargeLocator(
  db: Db,
  tenantId: string,
  chargeId: string,
): Promise<ChargeLocator | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: keys.chargeLocator(tenantId, chargeId),
      ConsistentRead: true,
    }),
  );
  if (!Item || typeof Item.invoiceSk !== 'string' || typeof Item.invoiceId !== 'string') return undefined;
  return { chargeId, invoiceId: Item.invoiceId, invoiceSk: Item.invoiceSk };
}

/**
 * Writes `next` as the invoice item, on condition that it is still at the version that was read
 * (absent when `previous` is undefined): a refund and an invoice update of the same invoice applied
 * at once cannot overwrite each other.
 */
export function invoiceWriteStep(
  db: Db,
  previous: InvoiceRecord | undefined,
  next: InvoiceRecord,
): TransactStep {
  const key = invoiceKeyOf(next.tenantId, next.createdAt, next.invoiceId);
  return {
    item: {
      Put: {
        TableName: db.tableName,
        Item: { ...key, type: 'invoice', ...next, version: (previous?.version ?? 0) + 1 },
        ...(previous
          ? {
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': previous.version },
            }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    },
    onConditionFailed: () => new ConcurrentChangeError(`Invoice ${next.invoiceId}`),
  };
}

/** The invoice id → sort key locator (same content every time: an idempotent put). */
export function invoiceLocatorStep(db: Db, record: InvoiceRecord): TransactStep {
  const key = invoiceKeyOf(record.tenantId, record.createdAt, record.invoiceId);
  return {
    item: {
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.invoiceLocator(record.tenantId, record.invoiceId),
          type: 'invoice-locator',
          invoiceId: record.invoiceId,
          invoiceSk: key.sk,
        },
      },
    },
  };
}

/** The charge id → invoice locator (same content every time: an idempotent put). */
export function chargeLocatorStep(db: Db, record: InvoiceRecord, chargeId: string): TransactStep {
  const key = invoiceKeyOf(record.tenantId, record.createdAt, record.invoiceId);
  return {
    item: {
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.chargeLocator(record.tenantId, chargeId),
          type: 'charge-locator',
          chargeId,
          invoiceId: record.invoiceId,
          invoiceSk: key.sk,
        },
      },
    },
  };
}

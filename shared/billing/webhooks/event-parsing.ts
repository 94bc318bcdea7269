import type * as z from 'zod';
import type { StripeEvent } from './stripe-objects.ts';
import { MalformedStripeEventError } from './webhook.errors.ts';

/**
 * Parses `data.object` with the schema of the event's type. The event is signed by Stripe, so an
 * object that does not fit is our bug (a schema that does not match the endpoint's API version):
 * {@link MalformedStripeEventError}, a 500, so Stripe retries once it is fixed and the alarm fires.
 */
export function parseObject<S extends z.ZodType>(schema: S, event: StripeEvent): z.output<S> {
  const parsed = schema.safeParse(event.data.object);
  if (!parsed.success) {
    throw new MalformedStripeEventError(
      `The ${event.type} event ${event.id} does not carry the object Plinth expects.`,
      parsed.error.issues.map((issue) => ({
        field: ['data', 'object', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** An invoice event other than `invoice.upcoming` names a real invoice; one without an id is our bug. */
export function requireInvoiceId<T extends { readonly id?: string | null | undefined }>(
  event: StripeEvent,
  invoice: T,
): T & { id: string } {
  if (!invoice.id) {
    throw new MalformedStripeEventError(`The ${event.type} event ${event.id}'s invoice has no id.`, [
      { field: 'data.object.id', message: 'required' },
    ]);
  }
  return invoice as T & { id: string };
}

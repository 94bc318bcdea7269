import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * An amount of money in minor units (cents) with its ISO currency, lower-case as Stripe writes it.
 * A module of its own for the same reason as subscription-status.schema.ts.
 */
export const moneySchema = /* @__PURE__ */ lazyValue(() =>
  z.object({ amount: z.number().int(), currency: z.string().length(3) }),
);
export type Money = z.infer<ReturnType<typeof moneySchema>>;

/** What an erasure needs of the outside world besides the table: each with an adapter in this folder. */

/** The user pool: deletes a sign-in identity; false when it was already gone. */
export interface UserPoolEraser {
  deleteUser(userId: string): Promise<boolean>;
}

/** Stripe: deletes a customer; false when Stripe no longer has it. */
export interface StripeCustomerEraser {
  deleteCustomer(customerId: string): Promise<boolean>;
}

/** The exports bucket: deletes every object under a prefix; returns how many. */
export interface ExportArchiveEraser {
  deletePrefix(prefix: string): Promise<number>;
}

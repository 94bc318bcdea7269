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

/**
 * A tenant's enterprise SSO outside the table (shared/sso/): its identity provider in the user pool
 * and its OIDC client secret in Secrets Manager.
 */
export interface TenantSsoEraser {
  /** Deletes the tenant's provider; false when the pool no longer had it. */
  deleteIdentityProvider(tenantId: string): Promise<boolean>;
  /**
   * Deletes the tenant's client secret at once; succeeds whether or not it existed (a forced delete
   * of an unknown secret is not an error to Secrets Manager, so it cannot say which it was).
   */
  deleteClientSecret(tenantId: string): Promise<void>;
}

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

/** What a warehouse redaction is asked to do (shared/erasure/warehouse-redaction.ts). */
export interface WarehouseRedactionRequest {
  /** Whose lines go: `user_id` of a user, `tenant_id` of a tenant. */
  readonly match: { readonly field: 'user_id' | 'tenant_id'; readonly value: string };
  /** Resume after this object key (the cursor the last progress recorded). */
  readonly startAfter?: string | undefined;
  /** Objects last modified before this cannot hold the subject's lines: skipped unread. */
  readonly modifiedSince?: Date | undefined;
  /** Left on each rewritten object (the erasure id), so a resumed run counts a rewrite it did not record. */
  readonly rewrittenBy: string;
  /** Records counts and the cursor together: after each rewrite and each page. */
  readonly onProgress: (progress: {
    readonly cursor: string;
    readonly counts: Readonly<Record<string, number>>;
  }) => Promise<void>;
  /** Asked before each object: true ends the pass early (it resumes from the last recorded cursor). */
  readonly shouldYield?: () => boolean;
}

/**
 * The product warehouse (S3, `events/`): rewrites every object holding the subject's lines without
 * them; `finished` false when it yielded before the end.
 */
export interface WarehouseRedactor {
  redact(request: WarehouseRedactionRequest): Promise<{ finished: boolean }>;
}

import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { paginationQuery } from '../http/common.schema.ts';

/** The steps of a user's erasure, in the order they run (shared/erasure/erasure.plan.ts). */
export const userErasureSteps = [
  // Memberships first: the one step that may be refused (the last owner's rule) runs before anything else.
  'memberships',
  'cognito-user',
  'invitations',
  'product-events',
  'nps-answers',
  'audit-log',
  'tenant-records',
  'user-exports',
  'user-items',
  // Last: it waits until late Firehose deliveries have landed (shared/erasure/warehouse-step.ts).
  'warehouse',
] as const;

/** The steps of a tenant's purge, in the order they run. */
export const tenantPurgeSteps = [
  'stripe-customer',
  'exports',
  'sso-provider',
  'analytics',
  'locators',
  'tenant-items',
  'warehouse',
] as const;

export type UserErasureStep = (typeof userErasureSteps)[number];
export type TenantPurgeStep = (typeof tenantPurgeSteps)[number];
export type ErasureStep = UserErasureStep | TenantPurgeStep;

// The workers import this module for the step lists above; every schema below is a `lazyValue`
// marked `@__PURE__` (as in shared/http/common.schema.ts), so their bundles neither hold nor build them.

export const erasureKindSchema = /* @__PURE__ */ lazyValue(() => z.enum(['user', 'tenant']));
export const erasureStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z
    .enum(['pending', 'running', 'completed', 'blocked'])
    .describe(
      'pending: waiting for the erasure worker (at most a minute); running: a worker holds it; completed: every step done; ' +
        'blocked: a step cannot proceed (e.g. a live Stripe subscription): see `blockedReason`; nothing more runs until an operator retries it (POST /admin/erasures/{erasureId}/retry) once the cause is removed.',
    ),
);

export const requestedBySchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    kind: z.enum(['self', 'operator', 'schedule']),
    operatorId: z.string().optional().describe('The operator who asked for it (kind operator).'),
  }),
);

export const erasureStepSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    name: z.string(),
    status: z.enum(['pending', 'done', 'skipped', 'refused']),
    at: z.iso.datetime().optional().describe('When the step finished.'),
    where: z.string().describe('Where the step works (the store and its partitions), in words.'),
    action: z.enum(['deleted', 'pseudonymised', 'revoked', 'mixed']),
    counts: z
      .record(z.string(), z.number().int())
      .describe('Items handled, per kind (so far, while running).'),
    note: z.string().optional(),
  }),
);

export const erasureReportSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    erasureId: z.string(),
    kind: erasureKindSchema(),
    subject: z
      .string()
      .describe('The pseudonym of the erased user, or the id of the purged tenant; never an email or name.'),
    requestedBy: requestedBySchema(),
    requestedAt: z.iso.datetime(),
    status: erasureStatusSchema(),
    attempts: z.number().int(),
    startedAt: z.iso.datetime().optional(),
    completedAt: z.iso.datetime().optional(),
    blockedReason: z.string().optional(),
    lastError: z.string().optional().describe('The error class of the last failed attempt (retried).'),
    steps: z.array(erasureStepSchema()),
  }),
);
export type ErasureReport = z.infer<ReturnType<typeof erasureReportSchema>>;

export const erasureAcceptedSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    erasureId: z.string(),
    status: erasureStatusSchema(),
    requestedAt: z.iso.datetime(),
  }),
);

export const erasureListQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({
    kind: erasureKindSchema().optional(),
  }),
);
export const erasureListResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    items: z.array(erasureReportSchema()),
    nextCursor: z.string().optional(),
  }),
);
export const erasureParams = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    erasureId: z.string().regex(/^(user|tenant)-[A-Za-z0-9_-]{1,64}$/),
  }),
);

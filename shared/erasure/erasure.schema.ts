import * as z from 'zod';
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

// The workers import this module for the step lists above; every schema below is marked
// `@__PURE__` (as in shared/http/common.schema.ts), so their bundles neither hold nor build them.

export const erasureKindSchema = /* @__PURE__ */ z.enum(['user', 'tenant']);
export const erasureStatusSchema = /* @__PURE__ */ z
  .enum(['pending', 'running', 'completed', 'blocked'])
  .describe(
    'pending: waiting for the erasure worker (at most a minute); running: a worker holds it; completed: every step done; ' +
      'blocked: a step cannot proceed (e.g. a live Stripe subscription): see `blockedReason`; nothing more runs until an operator retries it (POST /admin/erasures/{erasureId}/retry) once the cause is removed.',
  );

export const requestedBySchema = /* @__PURE__ */ z.object({
  kind: /* @__PURE__ */ z.enum(['self', 'operator', 'schedule']),
  operatorId: /* @__PURE__ */ z
    .string()
    .optional()
    .describe('The operator who asked for it (kind operator).'),
});

export const erasureStepSchema = /* @__PURE__ */ z.object({
  name: /* @__PURE__ */ z.string(),
  status: /* @__PURE__ */ z.enum(['pending', 'done', 'skipped', 'refused']),
  at: /* @__PURE__ */ z.iso.datetime().optional().describe('When the step finished.'),
  where: /* @__PURE__ */ z
    .string()
    .describe('Where the step works (the store and its partitions), in words.'),
  action: /* @__PURE__ */ z.enum(['deleted', 'pseudonymised', 'revoked', 'mixed']),
  counts: /* @__PURE__ */ z
    .record(/* @__PURE__ */ z.string(), /* @__PURE__ */ z.number().int())
    .describe('Items handled, per kind (so far, while running).'),
  note: /* @__PURE__ */ z.string().optional(),
});

export const erasureReportSchema = /* @__PURE__ */ z.object({
  erasureId: /* @__PURE__ */ z.string(),
  kind: erasureKindSchema,
  subject: /* @__PURE__ */ z
    .string()
    .describe('The pseudonym of the erased user, or the id of the purged tenant; never an email or name.'),
  requestedBy: requestedBySchema,
  requestedAt: /* @__PURE__ */ z.iso.datetime(),
  status: erasureStatusSchema,
  attempts: /* @__PURE__ */ z.number().int(),
  startedAt: /* @__PURE__ */ z.iso.datetime().optional(),
  completedAt: /* @__PURE__ */ z.iso.datetime().optional(),
  blockedReason: /* @__PURE__ */ z.string().optional(),
  lastError: /* @__PURE__ */ z
    .string()
    .optional()
    .describe('The error class of the last failed attempt (retried).'),
  steps: /* @__PURE__ */ z.array(erasureStepSchema),
});
export type ErasureReport = z.infer<typeof erasureReportSchema>;

export const erasureAcceptedSchema = /* @__PURE__ */ z.object({
  erasureId: /* @__PURE__ */ z.string(),
  status: erasureStatusSchema,
  requestedAt: /* @__PURE__ */ z.iso.datetime(),
});

export const erasureListQuery = /* @__PURE__ */ paginationQuery.extend({
  kind: /* @__PURE__ */ erasureKindSchema.optional(),
});
export const erasureListResponse = /* @__PURE__ */ z.object({
  items: /* @__PURE__ */ z.array(erasureReportSchema),
  nextCursor: /* @__PURE__ */ z.string().optional(),
});
export const erasureParams = /* @__PURE__ */ z.strictObject({
  erasureId: /* @__PURE__ */ z.string().regex(/^(user|tenant)-[A-Za-z0-9_-]{1,64}$/),
});

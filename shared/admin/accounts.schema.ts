import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema, pageOf, paginationQuery, roleSchema } from '../http/common.schema.ts';
import { emailDeliveryStatusSchema } from '../mail/suppression.ts';
import { adminTicketSchema } from '../support/ticket.schema.ts';

/**
 * The operators' users-and-tenants routes (search, detail, suspension, password reset) and the
 * platform audit log: requests and answers.
 */

export {
  adminTenantIdParams,
  adminUserParams,
  type ReasonInput,
  reasonBody,
} from './admin-params.schema.ts';

const planFilter = /* @__PURE__ */ lazyValue(() => z.enum(['free', 'team', 'business']));
const tenantStatus = /* @__PURE__ */ lazyValue(() => z.enum(['active', 'suspended', 'deleted']));

export const tenantSearchQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe(
        'A prefix of the tenant name or slug or of an owner email (any case), or a tenant id (exact).',
      ),
    plan: planFilter()
      .optional()
      .describe(
        'Only tenants on this plan. Filtered after reading `limit` matches, so a page may be short or empty ' +
          'while `nextCursor` is present: follow `nextCursor` until it is absent.',
      ),
    status: tenantStatus().optional().describe('Only tenants in this status; filtered like `plan`.'),
  }),
);
export type TenantSearchQuery = z.infer<ReturnType<typeof tenantSearchQuery>>;

export const tenantMatchSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    name: z.string(),
    slug: z.string(),
    status: tenantStatus(),
    plan: planFilter(),
    createdAt: z.iso.datetime(),
    matchedOn: z.enum(['id', 'name', 'slug', 'ownerEmail']).describe('Which key matched `q`.'),
    ownerEmail: z
      .string()
      .optional()
      .describe('The owner whose email matched, when `matchedOn` is ownerEmail.'),
  }),
);
export type TenantMatch = z.infer<ReturnType<typeof tenantMatchSchema>>;
export const tenantSearchResponse = /* @__PURE__ */ lazyValue(() => pageOf(tenantMatchSchema()));

export const userSearchQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({
    q: z.string().trim().min(1).max(254).describe('A prefix of the email (any case), or a user id (exact).'),
  }),
);
export type UserSearchQuery = z.infer<ReturnType<typeof userSearchQuery>>;

const userStatus = /* @__PURE__ */ lazyValue(() => z.enum(['active', 'suspended']));

export const userMatchSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    userId: z.string(),
    email: z.string().nullable(),
    status: userStatus(),
    lastSignInAt: z.iso.datetime().nullable(),
    matchedOn: z.enum(['id', 'email']),
  }),
);
export type UserMatch = z.infer<ReturnType<typeof userMatchSchema>>;
export const userSearchResponse = /* @__PURE__ */ lazyValue(() => pageOf(userMatchSchema()));

const auditSummary = /* @__PURE__ */ lazyValue(() =>
  z.object({
    entryId: z.string(),
    tenantId: z.string(),
    at: z.iso.datetime(),
    actor: z.object({ userId: z.string(), kind: z.literal('support').optional() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    reason: z.string().optional(),
  }),
);

const invoiceSummary = /* @__PURE__ */ lazyValue(() =>
  z.object({
    invoiceId: z.string(),
    number: z.string().nullable(),
    status: z.string(),
    currency: z.string(),
    total: z.number().int(),
    amountPaid: z.number().int(),
    amountRefunded: z.number().int(),
    createdAt: z.iso.datetime(),
    paidAt: z.iso.datetime().nullable(),
  }),
);

const suspension = /* @__PURE__ */ lazyValue(() =>
  z
    .object({ at: z.iso.datetime(), by: z.string(), reason: z.string() })
    .nullable()
    .describe('Who suspended it, when and why; null when it is not suspended.'),
);

export const adminTenantResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    name: z.string(),
    slug: z.string(),
    status: tenantStatus(),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    suspension: suspension(),
    members: z
      .array(
        z.object({
          userId: z.string(),
          email: z.string(),
          role: roleSchema(),
          status: z.enum(['active', 'suspended']),
          joinedAt: z.iso.datetime(),
        }),
      )
      .describe('The first 100 members.'),
    billing: z.object({
      plan: planFilter(),
      effectivePlan: planFilter(),
      status: z.string(),
      interval: z.string().nullable(),
      customerId: z.string().nullable(),
      subscriptionId: z.string().nullable(),
      currentPeriodEnd: z.iso.datetime().nullable(),
      cancelAtPeriodEnd: z.boolean(),
      pastDueSince: z.iso.datetime().nullable(),
      graceEndsAt: z.iso.datetime().nullable(),
      restricted: z.boolean(),
      monthlyAmount: z.object({ amount: z.number().int(), currency: z.string() }),
    }),
    invoices: z.array(invoiceSummary()).describe('The 10 newest invoices.'),
    entitlements: z.object({
      seats: z.number().int(),
      projects: z.number().int(),
      features: z.array(z.string()),
    }),
    usage: z.object({
      members: z.number().int(),
      pendingInvitations: z.number().int(),
      reservedSeats: z.number().int(),
      projects: z.number().int(),
    }),
    recentAudit: z.array(auditSummary()).describe("The 20 newest entries of the tenant's audit log."),
    openTickets: z
      .array(adminTicketSchema())
      .describe(
        'Up to 20 of its support tickets not yet resolved (open or waiting for the customer), oldest first.',
      ),
    emailDelivery: z
      .array(emailDeliveryStatusSchema())
      .describe(
        "Whether Plinth still mails each listed member's address (suppressed after a bounce or complaint).",
      ),
  }),
);
export type AdminTenantView = z.infer<ReturnType<typeof adminTenantResponse>>;

export const adminUserResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    userId: z.string(),
    email: z.string().nullable(),
    emailVerified: z.boolean(),
    status: userStatus().describe(
      'suspended: an operator suspended the user (sign-in disabled, API refused).',
    ),
    cognitoStatus: z.string().describe('The user pool status, e.g. CONFIRMED or RESET_REQUIRED.'),
    enabled: z.boolean().describe('Whether the user pool lets the user sign in.'),
    mfaEnabled: z.boolean(),
    createdAt: z.iso.datetime().nullable(),
    lastSignInAt: z.iso.datetime().nullable().describe('The newest token `auth_time` the API has seen.'),
    lastActiveOn: z.iso
      .date()
      .nullable()
      .describe('The last UTC day with tracked activity (product analytics; kept 8 days after the day).'),
    suspension: suspension(),
    memberships: z.array(
      z.object({
        tenantId: z.string(),
        tenantName: z.string().nullable(),
        tenantStatus: z.string().nullable(),
        role: roleSchema(),
        status: z.enum(['active', 'suspended']),
      }),
    ),
    recentActivity: z
      .array(auditSummary())
      .describe("The user's 20 newest audit entries across their first 20 tenants."),
    emailDelivery: emailDeliveryStatusSchema()
      .nullable()
      .describe(
        'Whether Plinth still mails the address (suppressed after a bounce or complaint); null without an email.',
      ),
  }),
);
export type AdminUserView = z.infer<ReturnType<typeof adminUserResponse>>;

export const userStatusResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    userId: z.string(),
    status: userStatus(),
    suspension: suspension(),
  }),
);
export const tenantStatusResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    status: tenantStatus(),
    suspension: suspension(),
  }),
);
export const passwordResetResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    userId: z.string(),
    cognitoStatus: z.string().describe('RESET_REQUIRED: the next sign-in must reset the password.'),
  }),
);

export const platformAuditQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery()
    .extend({
      operator: z.uuid().optional().describe("Only this operator's entries (read from an index)."),
      tenantId: idSchema().optional().describe('Only entries about this tenant (read from an index).'),
      userId: z
        .uuid()
        .optional()
        .describe(
          'Only entries about this user. Filtered after reading `limit` entries, like `action`: a page may be ' +
            'short or empty while `nextCursor` is present.',
        ),
      action: z
        .string()
        .regex(/^[a-z]+\.[a-z.-]+$/, 'an action such as user.suspended')
        .optional()
        .describe('Only entries with this action; filtered after reading, like `userId`.'),
      from: z.iso.datetime().optional().describe('Entries at or after this instant.'),
      to: z.iso.datetime().optional().describe('Entries at or before this instant.'),
    })
    .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
      message: 'from must not be after to',
      path: ['from'],
    }),
);
export type PlatformAuditQuery = z.infer<ReturnType<typeof platformAuditQuery>>;

export const platformAuditEntrySchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    entryId: z.string(),
    at: z.iso.datetime(),
    operatorId: z.string(),
    action: z.string(),
    target: z.object({
      type: z.string(),
      id: z.string(),
      tenantId: z.string().optional(),
      userId: z.string().optional(),
    }),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    reason: z.string().nullable(),
    requestId: z.string(),
    sourceIp: z.string(),
  }),
);
export type PlatformAuditEntry = z.infer<ReturnType<typeof platformAuditEntrySchema>>;
export const platformAuditResponse = /* @__PURE__ */ lazyValue(() => pageOf(platformAuditEntrySchema()));

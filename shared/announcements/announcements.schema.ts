import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { planIdSchema } from '../billing/plans.ts';
import { idSchema, pageOf, paginationQuery, partialUpdate, roleSchema } from '../http/common.schema.ts';

/** The most markdown an announcement body may hold (bytes of UTF-8). */
export const MAX_BODY_BYTES = 10_000;
/** The most tenants one announcement may name; beyond that, target by plan or role. */
export const MAX_AUDIENCE_TENANTS = 50;

export const severitySchema = /* @__PURE__ */ lazyValue(() => z.enum(['info', 'warning', 'critical']));
export type Severity = z.infer<ReturnType<typeof severitySchema>>;

export const announcementStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['scheduled', 'active', 'expired', 'withdrawn']),
);
export type AnnouncementStatus = z.infer<ReturnType<typeof announcementStatusSchema>>;

/**
 * Who an announcement is for: `"everyone"` (every signed-in user), or filters that combine: a user
 * is addressed when ONE of their active memberships passes every filter given, e.g.
 * `{ plans: ['team'], roles: ['admin', 'owner'] }` reaches the admins and owners of Team tenants.
 * Combinable filters say "Team admins" in one announcement instead of two that would both show.
 */
export const audienceSchema = /* @__PURE__ */ lazyValue(() =>
  z.union([
    z.literal('everyone'),
    z
      .strictObject({
        /** The tenants' effective plan (free after a final payment failure). */
        plans: z.array(planIdSchema()).min(1).max(3).optional(),
        /** The user's role in the tenant. */
        roles: z.array(roleSchema()).min(1).max(4).optional(),
        tenantIds: z.array(idSchema()).min(1).max(MAX_AUDIENCE_TENANTS).optional(),
      })
      .refine((a) => a.plans || a.roles || a.tenantIds, {
        message: 'give at least one of plans, roles, tenantIds, or "everyone"',
      })
      .meta({ minProperties: 1 }),
  ]),
);
export type Audience = z.infer<ReturnType<typeof audienceSchema>>;

const bodySchema = /* @__PURE__ */ lazyValue(() =>
  z
    .string()
    .trim()
    .min(1)
    .refine((b) => Buffer.byteLength(b, 'utf8') <= MAX_BODY_BYTES, {
      message: `at most ${MAX_BODY_BYTES} bytes of markdown`,
    })
    .meta({ description: `Markdown (no raw HTML: it is shown as text), at most ${MAX_BODY_BYTES} bytes.` }),
);

/** Built on first use, with the schemas that use them. */
const fields = /* @__PURE__ */ lazyValue(() => ({
  // No control characters or line breaks: the title is an email subject for critical announcements.
  title: z
    .string()
    .trim()
    .min(1)
    .max(120)
    // A check, not `.regex()`: the pattern needs the `u` flag, which a JSON Schema pattern cannot
    // carry (it came out as a pattern ending in a literal `/u`, which no title matches).
    .refine(
      (title) => !/[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.test(title),
      'one line of text, no control characters',
    )
    .meta({ description: 'One line of text: no control characters, line breaks or bidi controls.' }),
  body: bodySchema(),
  severity: severitySchema(),
  audience: audienceSchema(),
  publishAt: z.iso.datetime({ offset: true }).transform((t) => new Date(t).toISOString()),
  expiresAt: z.iso.datetime({ offset: true }).transform((t) => new Date(t).toISOString()),
  /** Email every addressed user once at `publishAt`; only for `critical` announcements. */
  email: z.boolean(),
}));

const reason = /* @__PURE__ */ lazyValue(() => z.string().trim().min(3).max(500));

function timesInOrder(value: { publishAt?: string; expiresAt?: string }, ctx: z.RefinementCtx) {
  if (value.publishAt && value.expiresAt && value.expiresAt <= value.publishAt) {
    ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after publishAt' });
  }
}

export const createAnnouncementBody = /* @__PURE__ */ lazyValue(() =>
  z
    .strictObject({
      ...fields(),
      email: fields().email.default(false),
      /** Why it is published (platform audit log). */
      reason: reason(),
    })
    .superRefine((value, ctx) => {
      timesInOrder(value, ctx);
      if (value.email && value.severity !== 'critical') {
        ctx.addIssue({ code: 'custom', path: ['email'], message: 'only critical announcements are emailed' });
      }
    })
    .meta({
      example: {
        title: 'Maintenance on Sunday',
        body: 'The API is read-only on **Sunday 02:00-03:00 UTC**.',
        severity: 'warning',
        audience: { plans: ['team', 'business'], roles: ['owner', 'admin'] },
        publishAt: '2027-01-08T09:00:00Z',
        expiresAt: '2027-01-10T03:00:00Z',
        email: false,
        reason: 'Database upgrade, change 2231',
      },
    }),
);
export type CreateAnnouncementInput = z.infer<ReturnType<typeof createAnnouncementBody>>;

export const updateAnnouncementBody = /* @__PURE__ */ lazyValue(() =>
  partialUpdate(
    z.strictObject({
      title: fields().title.optional(),
      body: fields().body.optional(),
      severity: fields().severity.optional(),
      audience: fields().audience.optional(),
      publishAt: fields().publishAt.optional(),
      expiresAt: fields().expiresAt.optional(),
      email: fields().email.optional(),
      reason: reason(),
    }),
  )
    .superRefine(timesInOrder)
    .meta({ example: { title: 'Maintenance moved to Monday', reason: 'Rescheduled, change 2231' } }),
);
export type UpdateAnnouncementInput = z.infer<ReturnType<typeof updateAnnouncementBody>>;

export const withdrawAnnouncementBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ reason: reason() }));

export const announcementParams = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ announcementId: idSchema() }),
);

export const listAnnouncementsQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({
    status: announcementStatusSchema().optional(),
  }),
);

export const previewBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ body: bodySchema() }));
export const previewResponse = /* @__PURE__ */ lazyValue(() => z.object({ html: z.string() }));

/** An announcement as operators see it. */
export const announcementSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    announcementId: z.string(),
    title: z.string(),
    body: z.string(),
    /** The body rendered to HTML with every raw HTML tag escaped: safe to insert as is. */
    bodyHtml: z.string(),
    severity: severitySchema(),
    audience: audienceSchema(),
    publishAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    email: z.boolean(),
    /** Derived from the times and `withdrawnAt` when read. */
    status: announcementStatusSchema(),
    /** For emailed ones: `pending` until publishAt, `started` once the mail run began. */
    emailStatus: z.enum(['none', 'pending', 'started']),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    updatedAt: z.iso.datetime(),
    withdrawnAt: z.iso.datetime().nullable(),
    version: z.number().int(),
  }),
);
export type AnnouncementView = z.infer<ReturnType<typeof announcementSchema>>;
export const announcementPage = /* @__PURE__ */ lazyValue(() => pageOf(announcementSchema()));

/** An announcement as the users it addresses see it. */
export const userAnnouncementSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    announcementId: z.string(),
    title: z.string(),
    body: z.string(),
    bodyHtml: z.string(),
    severity: severitySchema(),
    publishAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  }),
);
export type UserAnnouncement = z.infer<ReturnType<typeof userAnnouncementSchema>>;
export const userAnnouncementList = /* @__PURE__ */ lazyValue(() =>
  z.object({ items: z.array(userAnnouncementSchema()) }),
);

import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { paginationQuery } from '../http/common.schema.ts';

export const auditEntrySchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    entryId: z.string(),
    tenantId: z.string(),
    at: z.iso.datetime(),
    actor: z.object({
      userId: z.string(),
      email: z.string().optional(),
      kind: z
        .enum(['support', 'api_client'])
        .optional()
        .describe(
          '`support`: an operator of the platform acting through the admin API; `api_client`: an API client ' +
            'of the tenant (its key), whose id is `userId` and whose name is `name`.',
        ),
      name: z.string().optional().describe("The API client's name, when `kind` is `api_client`."),
    }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    requestId: z.string(),
    sourceIp: z.string(),
    reason: z.string().optional().describe('Why an operator made the change.'),
    impersonatedBy: z
      .object({ operatorId: z.string(), sessionId: z.string() })
      .optional()
      .describe(
        'Present when an operator of the platform made the change while impersonating the actor (a support session).',
      ),
  }),
);
export type AuditEntry = z.infer<ReturnType<typeof auditEntrySchema>>;

export const auditQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery()
    .extend({
      actor: z.string().min(1).max(128).optional().describe('Only entries by this user id.'),
      action: z
        .string()
        .regex(/^[a-z]+\.[a-z.-]+$/, 'an action such as project.created')
        .optional()
        .describe(
          'Only entries with this action. Filtered after reading `limit` entries, so a page may be short ' +
            'or empty while `nextCursor` is present: follow `nextCursor` until it is absent.',
        ),
      from: z.iso.datetime().optional().describe('Entries at or after this instant.'),
      to: z.iso.datetime().optional().describe('Entries at or before this instant.'),
    })
    // Compared as instants: as strings, `…00Z` sorts after `…00.500Z`.
    .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
      message: 'from must not be after to',
      path: ['from'],
    }),
);
export type AuditQuery = z.infer<ReturnType<typeof auditQuery>>;

/** The longest range of days one verify or export request covers. */
export const MAX_AUDIT_RANGE_DAYS = 31;
/** Days a verify request covers when it names no `from`. */
export const DEFAULT_VERIFY_DAYS = 30;

const daySpan = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;

/** `from` <= `to`, and at most {@link MAX_AUDIT_RANGE_DAYS} days between them (both inclusive). */
function checkDayRange(q: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx) {
  if (!q.from || !q.to) return;
  if (q.from > q.to) ctx.addIssue({ code: 'custom', message: 'from must not be after to', path: ['from'] });
  else if (daySpan(q.from, q.to) > MAX_AUDIT_RANGE_DAYS) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_AUDIT_RANGE_DAYS} days`, path: ['to'] });
  }
}

export const auditVerifyQuery = /* @__PURE__ */ lazyValue(() =>
  z
    .object({
      from: z.iso
        .date()
        .optional()
        .describe(
          `First UTC day (YYYY-MM-DD), inclusive; default ${DEFAULT_VERIFY_DAYS - 1} days before \`to\`.`,
        ),
      to: z.iso.date().optional().describe('Last UTC day (YYYY-MM-DD), inclusive; default today.'),
    })
    .superRefine(checkDayRange),
);
export type AuditVerifyQuery = z.infer<ReturnType<typeof auditVerifyQuery>>;

/** Days an export covers when it names no `from`. */
export const DEFAULT_EXPORT_DAYS = 7;

export const auditExportQuery = /* @__PURE__ */ lazyValue(() =>
  z
    .object({
      from: z.iso
        .date()
        .optional()
        .describe(
          `First UTC day (YYYY-MM-DD), inclusive; default ${DEFAULT_EXPORT_DAYS - 1} days before \`to\`.`,
        ),
      to: z.iso
        .date()
        .optional()
        .describe(
          `Last UTC day (YYYY-MM-DD), inclusive, at most ${MAX_AUDIT_RANGE_DAYS} days after \`from\`; default today.`,
        ),
    })
    .superRefine(checkDayRange),
);
export type AuditExportQuery = z.infer<ReturnType<typeof auditExportQuery>>;

const sha256Hex = /* @__PURE__ */ lazyValue(() => z.string().regex(/^[0-9a-f]{64}$/));

export const chainBreakSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    day: z.iso.date(),
    kind: z
      .enum([
        'entry-changed',
        'entry-missing',
        'entry-added',
        'head-mismatch',
        'digest-missing',
        'table-digest-mismatch',
      ])
      .describe(
        'entry-changed: the entry no longer hashes to its anchored hash; entry-missing / entry-added: an entry ' +
          'the digest has is gone, or one it does not have appeared; head-mismatch: the day chains to another head; ' +
          "digest-missing: a closed day has entries but no anchored digest; table-digest-mismatch: the table's copy " +
          'of the digest differs from the Object Lock copy.',
      ),
    entryId: z.string().optional(),
    expected: z.string().describe('What the anchored digest holds (a hash, or "(none)").'),
    found: z.string().describe('What the table holds now (a hash, or "(none)").'),
  }),
);

export const auditVerificationSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    from: z.iso.date(),
    to: z.iso.date(),
    ok: z.boolean().describe('True when every digested day of the range holds.'),
    daysVerified: z.number().int(),
    entriesVerified: z.number().int(),
    pendingDays: z
      .array(z.iso.date())
      .describe('Days with entries not digested yet (the current day, or one closed less than a day ago).'),
    firstBreak: chainBreakSchema()
      .optional()
      .describe('The first link that does not hold, when `ok` is false.'),
  }),
);

export const dayDigestSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    algorithm: z.literal('plinth-audit-chain/v1'),
    tenantId: z.string(),
    day: z.iso.date(),
    revision: z.number().int().describe('1 for the first digest of the day; later entries made a new one.'),
    entryCount: z.number().int(),
    genesis: sha256Hex(),
    head: sha256Hex(),
    digestedAt: z.iso.datetime(),
    links: z
      .array(z.tuple([z.string(), sha256Hex()]))
      .describe('Each entry id with its hash, in chain order.'),
  }),
);

export const auditExportSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    algorithm: z
      .literal('plinth-audit-chain/v1')
      .describe('The chain algorithm (README "Tamper-evident audit").'),
    tenantId: z.string(),
    from: z.iso.date(),
    to: z.iso.date(),
    days: z.array(
      z.object({
        day: z.iso.date(),
        digest: dayDigestSchema()
          .nullable()
          .describe('The anchored digest (Object Lock bucket); null while pending.'),
        entries: z.array(
          z.object({
            entry: auditEntrySchema().extend({
              personalHash: sha256Hex()
                .optional()
                .describe('Present once an erasure replaced the personal fields: the hash of the originals.'),
            }),
            personalHash: sha256Hex(),
            previousHash: sha256Hex(),
            entryHash: sha256Hex(),
          }),
        ),
      }),
    ),
  }),
);

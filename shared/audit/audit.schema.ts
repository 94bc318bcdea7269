import * as z from 'zod';
import { paginationQuery } from '../http/common.schema.ts';

export const auditEntrySchema = z.object({
  entryId: z.string(),
  tenantId: z.string(),
  at: z.iso.datetime(),
  actor: z.object({
    userId: z.string(),
    email: z.string().optional(),
    kind: z
      .literal('support')
      .optional()
      .describe('Present when the actor is an operator of the platform acting through the admin API.'),
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
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuery = paginationQuery
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
  });
export type AuditQuery = z.infer<typeof auditQuery>;

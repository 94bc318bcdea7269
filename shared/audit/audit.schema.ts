import { z } from 'zod';
import { paginationQuery } from '../http/common.schema.ts';

export const auditEntrySchema = z.object({
  entryId: z.string(),
  tenantId: z.string(),
  at: z.iso.datetime(),
  actor: z.object({ userId: z.string(), email: z.string().optional() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  requestId: z.string(),
  sourceIp: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuery = paginationQuery
  .extend({
    actor: z.string().min(1).max(128).optional(),
    action: z
      .string()
      .regex(/^[a-z]+\.[a-z.-]+$/, 'an action such as project.created')
      .optional(),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });
export type AuditQuery = z.infer<typeof auditQuery>;

import * as z from 'zod';
import { idSchema, partialUpdate, slugSchema, tenantParams } from '../http/common.schema.ts';

const nameSchema = z.string().trim().min(1).max(120);
const descriptionSchema = z.string().max(2000);

export const projectSchema = z.object({
  projectId: z.string(),
  tenantId: z.string(),
  name: nameSchema,
  slug: slugSchema,
  description: descriptionSchema,
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /**
   * Counts the project's changes: 1 when created, one more per update. The `ETag` header is this
   * number quoted; send it back in `If-Match` to update.
   */
  version: z.number().int().min(0),
});
export type Project = z.infer<typeof projectSchema>;

export const createProjectBody = z.strictObject({
  name: nameSchema,
  slug: slugSchema,
  description: descriptionSchema.default(''),
});
export type CreateProjectInput = z.infer<typeof createProjectBody>;

export const updateProjectBody = partialUpdate(
  z.strictObject({ name: nameSchema.optional(), description: descriptionSchema.optional() }),
);
export type UpdateProjectInput = z.infer<typeof updateProjectBody>;

export const projectParams = tenantParams.extend({ projectId: idSchema });

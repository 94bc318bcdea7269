import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema, partialUpdate, slugSchema, tenantParams } from '../http/common.schema.ts';

const nameSchema = /* @__PURE__ */ lazyValue(() => z.string().trim().min(1).max(120));
const descriptionSchema = /* @__PURE__ */ lazyValue(() => z.string().max(2000));

export const projectSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    projectId: z.string(),
    tenantId: z.string(),
    name: nameSchema(),
    slug: slugSchema(),
    description: descriptionSchema(),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    /**
     * Counts the project's changes: 1 when created, one more per update. The `ETag` header is this
     * number quoted; send it back in `If-Match` to update.
     */
    version: z.number().int().min(0),
  }),
);
export type Project = z.infer<ReturnType<typeof projectSchema>>;

export const createProjectBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    name: nameSchema(),
    slug: slugSchema(),
    description: descriptionSchema().default(''),
  }),
);
export type CreateProjectInput = z.infer<ReturnType<typeof createProjectBody>>;

export const updateProjectBody = /* @__PURE__ */ lazyValue(() =>
  partialUpdate(
    z.strictObject({ name: nameSchema().optional(), description: descriptionSchema().optional() }),
  ),
);
export type UpdateProjectInput = z.infer<ReturnType<typeof updateProjectBody>>;

export const projectParams = /* @__PURE__ */ lazyValue(() =>
  tenantParams().extend({ projectId: idSchema() }),
);

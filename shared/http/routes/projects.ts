import { lazyValue } from '../../app/deferred.ts';
import {
  createProjectBody,
  projectParams,
  projectSchema,
  updateProjectBody,
} from '../../projects/projects.schema.ts';
import { pageOf, paginationQuery, tenantParams } from '../common.schema.ts';
import { ifMatchHeaders } from '../conditional.ts';
import { defineRoute, type ResponseHeaderDefinition, type RouteDefinition } from '../route.ts';

/** The response headers of a route that answers with a versioned project. */
const projectEtag: Record<string, ResponseHeaderDefinition> = {
  etag: {
    description:
      'The project\'s version as a strong entity tag (`"3"`); send it back in `If-Match` to update the project.',
  },
};

/** The `projects` function's routes: a tenant's projects. */
export const projectsRoutes = {
  listProjects: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/projects',
    area: 'projects',
    auth: 'jwt',
    operationId: 'listProjects',
    summary: "The tenant's projects, oldest first.",
    params: tenantParams,
    query: paginationQuery,
    response: lazyValue(() => pageOf(projectSchema())),
    status: 200,
    problems: [403, 404],
  }),
  createProject: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/projects',
    area: 'projects',
    auth: 'jwt',
    // Support may create and fix projects for a customer while impersonating them (audited with both).
    impersonation: 'allowed',
    operationId: 'createProject',
    summary: 'Create a project.',
    params: tenantParams,
    body: createProjectBody,
    response: projectSchema,
    status: 201,
    responseHeaders: projectEtag,
    problems: [402, 403, 404, 409],
  }),
  getProject: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/projects/{projectId}',
    area: 'projects',
    auth: 'jwt',
    operationId: 'getProject',
    summary: 'Read a project.',
    params: projectParams,
    response: projectSchema,
    status: 200,
    responseHeaders: projectEtag,
    problems: [403, 404],
  }),
  updateProject: defineRoute({
    method: 'PATCH',
    path: '/v1/tenants/{tenantId}/projects/{projectId}',
    area: 'projects',
    auth: 'jwt',
    // Support may create and fix projects for a customer while impersonating them (audited with both).
    impersonation: 'allowed',
    operationId: 'updateProject',
    summary:
      'Update a project: `If-Match` with its ETag is required (428 without it, 412 when the project changed since).',
    params: projectParams,
    headers: ifMatchHeaders,
    body: updateProjectBody,
    response: projectSchema,
    status: 200,
    responseHeaders: projectEtag,
    problems: [402, 403, 404, 409, 412, 428],
  }),
  deleteProject: defineRoute({
    method: 'DELETE',
    path: '/v1/tenants/{tenantId}/projects/{projectId}',
    area: 'projects',
    auth: 'jwt',
    operationId: 'deleteProject',
    summary: 'Delete a project.',
    params: projectParams,
    status: 204,
    problems: [402, 403, 404],
  }),
} as const satisfies Record<string, RouteDefinition>;

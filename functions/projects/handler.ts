import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { routes } from '#shared/http/routes.ts';
import { createProjectRepository } from '#shared/projects/projects.repository.ts';
import { createProjectService } from '#shared/projects/projects.service.ts';

const { db, clock, newId, tenancy } = createRuntime();
const projects = createProjectService({
  projects: createProjectRepository(db, { clock, newId }),
  clock,
  newId,
});

export const handler = createApiHandler('projects', [
  implement(routes.listProjects, async ({ params, query, caller, request }) =>
    projects.list(await tenancy.resolve(caller, params.tenantId, request), query),
  ),
  implement(routes.createProject, async ({ params, body, caller, request }) =>
    projects.create(await tenancy.resolve(caller, params.tenantId, request), body),
  ),
  implement(routes.getProject, async ({ params, caller, request }) =>
    projects.get(await tenancy.resolve(caller, params.tenantId, request), params.projectId),
  ),
  implement(routes.updateProject, async ({ params, body, caller, request }) =>
    projects.update(await tenancy.resolve(caller, params.tenantId, request), params.projectId, body),
  ),
  implement(routes.deleteProject, async ({ params, caller, request }) => {
    await projects.remove(await tenancy.resolve(caller, params.tenantId, request), params.projectId);
    return undefined;
  }),
]);

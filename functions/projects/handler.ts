import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement, reply } from '#shared/http/api-handler.ts';
import { etagOf, parseIfMatch } from '#shared/http/conditional.ts';
import { projectsRoutes as routes } from '#shared/http/routes/projects.ts';
import { createProjectRepository } from '#shared/projects/projects.repository.ts';
import type { Project } from '#shared/projects/projects.schema.ts';
import { createProjectService } from '#shared/projects/projects.service.ts';

const runtime = createRuntime();
const { db, clock, newId, tenancy } = runtime;
const projects = createProjectService({
  projects: createProjectRepository(db, { clock, newId }),
  clock,
  newId,
});

/** A project with its version as the ETag header. */
const withEtag = (project: Project) => reply(project, { etag: etagOf(project.version) });

export const handler = createApiHandler(
  'projects',
  routes,
  [
    implement(routes.listProjects, async ({ params, query, caller, request }) =>
      projects.list(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.createProject, async ({ params, body, caller, request }) =>
      withEtag(await projects.create(await tenancy.resolve(caller, params.tenantId, request), body)),
    ),
    implement(routes.getProject, async ({ params, caller, request }) =>
      withEtag(await projects.get(await tenancy.resolve(caller, params.tenantId, request), params.projectId)),
    ),
    implement(routes.updateProject, async ({ params, headers, body, caller, request }) =>
      withEtag(
        await projects.update(
          await tenancy.resolve(caller, params.tenantId, request),
          params.projectId,
          body,
          parseIfMatch(headers['if-match']),
        ),
      ),
    ),
    implement(routes.deleteProject, async ({ params, caller, request }) => {
      await projects.remove(await tenancy.resolve(caller, params.tenantId, request), params.projectId);
      return undefined;
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);

import { assertProjectRoom, projectLimit } from '../billing/limits.ts';
import type { Page } from '../db/page.ts';
import { NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { ProjectRepositoryFactory } from './projects.repository.ts';
import type { CreateProjectInput, Project, UpdateProjectInput } from './projects.schema.ts';

export interface ProjectServiceDeps {
  readonly projects: ProjectRepositoryFactory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/** Project use cases; every one is authorized against the caller's role in the tenant. */
export function createProjectService({ projects, clock, newId }: ProjectServiceDeps) {
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });

  async function find(ctx: TenantContext, projectId: string): Promise<Project> {
    const project = await projects.forTenant(ctx).get(projectId);
    if (!project) throw new NotFoundError('Project not found.');
    return project;
  }

  return {
    async list(
      ctx: TenantContext,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<Project>> {
      authorize(ctx, 'projects:read');
      return projects.forTenant(ctx).list(page);
    },

    async get(ctx: TenantContext, projectId: string): Promise<Project> {
      authorize(ctx, 'projects:read');
      return find(ctx, projectId);
    },

    /**
     * Creates a project within the plan's project limit: 402 naming the limit and the plan that
     * lifts it when the tenant is at (or, after a downgrade, above) it. The repository's condition
     * on the tenant's counter makes the check exact when requests race for the last slot.
     */
    async create(ctx: TenantContext, input: CreateProjectInput): Promise<Project> {
      authorize(ctx, 'projects:create');
      assertProjectRoom(ctx);
      const now = clock().toISOString();
      const project: Project = {
        projectId: newId(),
        tenantId: ctx.tenantId,
        name: input.name,
        slug: input.slug,
        description: input.description,
        createdBy: ctx.caller.userId,
        createdAt: now,
        updatedAt: now,
      };
      await projects.forTenant(ctx).create(
        project,
        {
          actor: actor(ctx),
          request: ctx.request,
          action: 'project.created',
          target: { type: 'project', id: project.projectId },
          before: null,
          after: project,
        },
        projectLimit(ctx),
      );
      return project;
    },

    async update(ctx: TenantContext, projectId: string, input: UpdateProjectInput): Promise<Project> {
      authorize(ctx, 'projects:update');
      const before = await find(ctx, projectId);
      const after: Project = { ...before, ...input, updatedAt: clock().toISOString() };
      await projects.forTenant(ctx).update(after, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'project.updated',
        target: { type: 'project', id: projectId },
        before,
        after,
      });
      return after;
    },

    async remove(ctx: TenantContext, projectId: string): Promise<void> {
      authorize(ctx, 'projects:delete');
      const before = await find(ctx, projectId);
      await projects.forTenant(ctx).remove(before, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'project.deleted',
        target: { type: 'project', id: projectId },
        before,
        after: null,
      });
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;

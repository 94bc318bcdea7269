import { assertProjectRoom, projectLimit } from '../billing/limits.ts';
import type { Page } from '../db/page.ts';
import { etagOf, type IfMatch, ifMatchAllows } from '../http/conditional.ts';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
} from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { authorize, authorizeSome, type TenantContext } from '../tenancy/tenant-context.ts';
import { type ProjectRepositoryFactory, StaleProjectError } from './projects.repository.ts';
import type { CreateProjectInput, Project, UpdateProjectInput } from './projects.schema.ts';

export interface ProjectServiceDeps {
  readonly projects: ProjectRepositoryFactory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/** Updates re-applied under `If-Match: *` when the project keeps changing between read and write. */
const MAX_UPDATE_ATTEMPTS = 3;

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
        version: 1,
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

    /**
     * Updates a project under optimistic concurrency. `ifMatch` (the request's `If-Match`) is
     * required, so no client overwrites a change it has not seen by leaving it out: absent, a 428.
     * A tag that is not the current version's ETag is a 412 and nothing changes. The write is
     * conditioned on the version it read, so a change made between that read and the write is
     * never overwritten either: with a tag that is a 412, with `*` the update is re-applied to the
     * new version (a few times at most, then a 409 to retry).
     */
    async update(
      ctx: TenantContext,
      projectId: string,
      input: UpdateProjectInput,
      ifMatch: IfMatch | undefined,
    ): Promise<Project> {
      authorize(ctx, 'projects:update');
      if (!ifMatch) {
        throw new PreconditionRequiredError(
          'Send If-Match with the ETag of the project as you last read it (GET, POST and PATCH answer with it), or * to change whatever version is current.',
        );
      }
      for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
        const before = await find(ctx, projectId);
        if (!ifMatchAllows(ifMatch, before.version)) {
          throw new PreconditionFailedError(
            `The project changed since you read it: its current ETag is ${etagOf(before.version)}. Read it again and re-apply your change.`,
            { headers: { etag: etagOf(before.version) } },
          );
        }
        const after: Project = {
          ...before,
          ...input,
          updatedAt: clock().toISOString(),
          version: before.version + 1,
        };
        try {
          await projects.forTenant(ctx).update(after, before.version, {
            actor: actor(ctx),
            request: ctx.request,
            action: 'project.updated',
            target: { type: 'project', id: projectId },
            before,
            after,
          });
          return after;
        } catch (error) {
          // Changed or deleted since the read: the next read says which (412, 404, or retry on *).
          if (!(error instanceof StaleProjectError)) throw error;
        }
      }
      throw new ConflictError('The project is being changed by other requests right now; retry.');
    },

    /** Admins and owners delete any project; managers only the ones they created (`createdBy`). */
    async remove(ctx: TenantContext, projectId: string): Promise<void> {
      authorizeSome(ctx, 'projects:delete');
      const before = await find(ctx, projectId);
      authorize(ctx, 'projects:delete', { createdBy: before.createdBy });
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

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../audit/audit.writer.ts';
import { auditStep } from '../audit/audit.writer.ts';
import { counterStep, type Limit } from '../billing/limits.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import type { Project } from './projects.schema.ts';

type Audit = Omit<AuditEvent, 'tenantId'>;

/** Projects of one tenant; only reachable through a verified {@link TenantContext}. */
export interface ProjectRepository {
  list(options: { limit: number; cursor?: string | undefined }): Promise<Page<Project>>;
  get(projectId: string): Promise<Project | undefined>;
  /**
   * Creates the project, claims its slug and counts it on the tenant, on condition that the
   * tenant's project count is below `limit.max` (402 from `limit.reached` otherwise); 409 when the
   * slug is taken in this tenant.
   */
  create(project: Project, audit: Audit, limit: Limit): Promise<void>;
  /**
   * Writes the project's mutable fields and its new version, on condition that the stored version
   * is still `expectedVersion` (one conditional write with the audit entry); throws
   * {@link StaleProjectError} when it is not, or when the project is gone.
   */
  update(project: Project, expectedVersion: number, audit: Audit): Promise<void>;
  /** Deletes the project, frees its slug and counts one project fewer; 404 when it is already gone. */
  remove(project: Project, audit: Audit): Promise<void>;
}

const gone = () => new NotFoundError('Project not found.');

/**
 * An update's version condition failed: the project changed (or was deleted) after it was read.
 * The service reads it again to say which.
 */
export class StaleProjectError extends Error {
  constructor() {
    super('The project changed or vanished after it was read.');
    this.name = 'StaleProjectError';
  }
}

/** Items written before projects had a version read as version 0. */
function toProject(item: Record<string, unknown>): Project {
  return { version: 0, ...withoutKeys(item) } as Project;
}

export function createProjectRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  return {
    forTenant(ctx: TenantContext): ProjectRepository {
      const { tenantId } = ctx;
      const audit = (event: Audit) => auditStep(db, { ...event, tenantId }, deps);

      return {
        async list(page) {
          // Consistent, so a project the caller just created or changed is listed as it is now.
          const { items, nextCursor } = await queryPrefixPage(
            db,
            keys.projectsPrefix(tenantId),
            'projects',
            page,
            { consistentRead: true },
          );
          return { items: items.map(toProject), nextCursor };
        },

        async get(projectId) {
          // Consistent: a GET right after a POST or PATCH sees that write, and an update reads the
          // version it is conditioned on.
          const result = await db.client.send(
            new GetCommand({
              TableName: db.tableName,
              Key: keys.project(tenantId, projectId),
              ConsistentRead: true,
            }),
          );
          return result.Item ? toProject(result.Item) : undefined;
        },

        async create(project, event, limit) {
          await transactWrite(db, [
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: {
                    ...keys.projectSlug(tenantId, project.slug),
                    type: 'project-slug',
                    projectId: project.projectId,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () =>
                new ConflictError(`A project with slug "${project.slug}" already exists.`),
            },
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: { ...keys.project(tenantId, project.projectId), type: 'project', ...project },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () => new ConflictError('The project already exists.'),
            },
            counterStep(
              db,
              tenantId,
              { projects: 1 },
              {
                conditions: [{ kind: 'below', counter: 'projectCount', max: limit.max }],
                onConditionFailed: limit.reached,
              },
            ),
            audit(event),
          ]);
        },

        async update(project, expectedVersion, event) {
          await transactWrite(db, [
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.project(tenantId, project.projectId),
                  UpdateExpression:
                    'SET #name = :name, description = :description, updatedAt = :updatedAt, #version = :version',
                  // Version 0 is a project written before versions existed: it has no attribute.
                  ConditionExpression:
                    expectedVersion === 0
                      ? 'attribute_exists(pk) AND attribute_not_exists(#version)'
                      : 'attribute_exists(pk) AND #version = :expected',
                  ExpressionAttributeNames: { '#name': 'name', '#version': 'version' },
                  ExpressionAttributeValues: {
                    ':name': project.name,
                    ':description': project.description,
                    ':updatedAt': project.updatedAt,
                    ':version': project.version,
                    ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
                  },
                },
              },
              onConditionFailed: () => new StaleProjectError(),
            },
            audit(event),
          ]);
        },

        async remove(project, event) {
          await transactWrite(db, [
            {
              item: {
                Delete: {
                  TableName: db.tableName,
                  Key: keys.project(tenantId, project.projectId),
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              onConditionFailed: gone,
            },
            { item: { Delete: { TableName: db.tableName, Key: keys.projectSlug(tenantId, project.slug) } } },
            counterStep(db, tenantId, { projects: -1 }),
            audit(event),
          ]);
        },
      };
    },
  };
}

export type ProjectRepositoryFactory = ReturnType<typeof createProjectRepository>;

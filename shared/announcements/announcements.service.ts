import type { Operator } from '../admin/operators.ts';
import { platformAuditSteps } from '../admin/platform-audit.ts';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import type { Page, PageRequest } from '../db/page.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { etagOf, type IfMatch, ifMatchAllows } from '../http/conditional.ts';
import {
  BadRequestError,
  ConflictError,
  type FieldError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
} from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import {
  type AnnouncementRecord,
  type AnnouncementRepository,
  StaleAnnouncementError,
} from './announcements.repository.ts';
import type {
  AnnouncementStatus,
  AnnouncementView,
  Audience,
  CreateAnnouncementInput,
  UpdateAnnouncementInput,
  UserAnnouncement,
} from './announcements.schema.ts';
import {
  type AudienceMembership,
  addressedTenants,
  addresses,
  needsMemberships,
  statusAt,
} from './audience.ts';
import { renderMarkdown } from './markdown.ts';

export interface AnnouncementServiceDeps {
  readonly db: Db;
  readonly announcements: AnnouncementRepository;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/** An announcement with the fields derived when read: its status now and its body as safe HTML. */
export function announcementView(record: AnnouncementRecord, now: Date): AnnouncementView {
  return { ...record, bodyHtml: renderMarkdown(record.body), status: statusAt(record, now) };
}

function userView(record: AnnouncementRecord): UserAnnouncement {
  return {
    announcementId: record.announcementId,
    title: record.title,
    body: record.body,
    bodyHtml: renderMarkdown(record.body),
    severity: record.severity,
    publishAt: record.publishAt,
    expiresAt: record.expiresAt,
  };
}

/** What the platform audit log keeps of an announcement (everything an operator can change). */
function audited(record: AnnouncementRecord): Record<string, unknown> {
  return { ...record };
}

const notFound = () => new NotFoundError('Announcement not found.');

/**
 * Announcements: operators (`announcements:manage`) publish, schedule, edit and withdraw them, every
 * change in the platform audit log with its reason; users read the ones addressed to them that are
 * active now, and dismiss them. Status is derived from the times when read, so a scheduled
 * announcement appears at `publishAt` and leaves at `expiresAt` with nothing written.
 */
export function createAnnouncementService(deps: AnnouncementServiceDeps) {
  const { announcements, clock } = deps;
  /** `<announcementId>|<tenantId>` pairs this container recorded (or found recorded) as delivered. */
  const delivered = new Set<string>();

  const auditSteps = (
    operator: Operator,
    request: RequestMeta,
    action: string,
    id: string,
    before: AnnouncementRecord | null,
    after: AnnouncementRecord,
    reason: string,
  ) =>
    platformAuditSteps(
      deps.db,
      {
        operatorId: operator.userId,
        action,
        target: { type: 'announcement', id },
        before: before ? audited(before) : null,
        after: audited(after),
        reason,
        request,
      },
      deps,
    );

  /** 400 unless every tenant the audience names exists; the rules the schema cannot check alone. */
  async function checkAudience(audience: Audience): Promise<void> {
    if (audience === 'everyone' || !audience.tenantIds) return;
    const existing = await announcements.existingTenants(audience.tenantIds);
    const errors: FieldError[] = audience.tenantIds.flatMap((id, index) =>
      existing.has(id) ? [] : [{ field: `body.audience.tenantIds.${index}`, message: `no tenant ${id}` }],
    );
    if (errors.length > 0) throw new BadRequestError('The audience names tenants that do not exist.', errors);
  }

  /** 400 for an announcement that could never be seen or emailed. */
  function checkRecord(record: AnnouncementRecord, now: Date): void {
    const errors: FieldError[] = [];
    if (record.expiresAt <= record.publishAt)
      errors.push({ field: 'body.expiresAt', message: 'must be after publishAt' });
    if (record.expiresAt <= now.toISOString())
      errors.push({ field: 'body.expiresAt', message: 'must be in the future' });
    if (record.email && record.severity !== 'critical') {
      errors.push({ field: 'body.email', message: 'only critical announcements are emailed' });
    }
    if (errors.length > 0) throw new BadRequestError('The announcement is invalid.', errors);
  }

  async function find(id: string): Promise<AnnouncementRecord> {
    const record = await announcements.get(id);
    if (!record) throw notFound();
    return record;
  }

  /**
   * Announcements that are active now and address the user, not dismissed, with the user's
   * memberships (read whenever something is active: they also say which tenants it reached).
   */
  async function visibleTo(
    userId: string,
  ): Promise<{ visible: AnnouncementRecord[]; memberships: AudienceMembership[] }> {
    const now = clock();
    const active = (await announcements.live(now)).filter((a) => statusAt(a, now) === 'active');
    if (active.length === 0) return { visible: [], memberships: [] };
    const facts = await announcements.userFacts(
      userId,
      active.map((a) => a.announcementId),
      { withMemberships: true },
    );
    const visible = active.filter(
      (a) => !facts.dismissed.has(a.announcementId) && addresses(a.audience, facts.memberships),
    );
    return { visible, memberships: facts.memberships };
  }

  /**
   * The first time an announcement is shown to someone of a tenant, the tenant's communication
   * history records it (once per tenant, guarded by a marker item; this container remembers what
   * it recorded so later reads write nothing). A failed write is logged and tried again on the
   * next read: the user still gets their announcements.
   */
  async function recordDeliveries(
    caller: Caller,
    visible: readonly AnnouncementRecord[],
    memberships: readonly AudienceMembership[],
  ): Promise<void> {
    // Shown to an operator acting as the user, not to the user.
    if (caller.impersonatedBy) return;
    for (const announcement of visible) {
      for (const tenantId of addressedTenants(announcement.audience, memberships)) {
        const pair = `${announcement.announcementId}|${tenantId}`;
        if (delivered.has(pair)) continue;
        try {
          await announcements.recordDelivery(announcement, tenantId, clock(), deps.newId());
          delivered.add(pair);
        } catch (error) {
          logger.error('could not record an announcement delivery', {
            announcementId: announcement.announcementId,
            tenantId,
            error,
          });
        }
      }
    }
  }

  return {
    async create(
      operator: Operator,
      input: CreateAnnouncementInput,
      request: RequestMeta,
    ): Promise<AnnouncementView> {
      const now = clock();
      const at = now.toISOString();
      const { reason, ...fields } = input;
      const record: AnnouncementRecord = {
        announcementId: deps.newId(),
        ...fields,
        emailStatus: fields.email ? 'pending' : 'none',
        createdAt: at,
        createdBy: operator.userId,
        updatedAt: at,
        withdrawnAt: null,
        version: 1,
      };
      checkRecord(record, now);
      await checkAudience(record.audience);
      await announcements.create(
        record,
        auditSteps(operator, request, 'announcement.created', record.announcementId, null, record, reason),
      );
      return announcementView(record, now);
    },

    async get(id: string): Promise<AnnouncementView> {
      return announcementView(await find(id), clock());
    },

    async list(status: AnnouncementStatus | undefined, page: PageRequest): Promise<Page<AnnouncementView>> {
      const now = clock();
      const result = await announcements.list(status, now, page);
      return { ...result, items: result.items.map((r) => announcementView(r, now)) };
    },

    /**
     * Edits an announcement under optimistic concurrency: `If-Match` is required (428), a stale tag
     * is a 412 and nothing changes; the write is conditioned on the version read. A withdrawn
     * announcement cannot be edited (409). Turning email on while it is pending schedules the mail
     * run; once the run started, emails sent stay sent.
     */
    async update(
      operator: Operator,
      id: string,
      input: UpdateAnnouncementInput,
      ifMatch: IfMatch | undefined,
      request: RequestMeta,
    ): Promise<AnnouncementView> {
      if (!ifMatch) {
        throw new PreconditionRequiredError(
          'Send If-Match with the ETag of the announcement as you last read it, or * to change whatever version is current.',
        );
      }
      const { reason, ...changes } = input;
      if (Object.keys(changes).length === 0) {
        throw new BadRequestError('Nothing to change.', [
          { field: 'body', message: 'send at least one field to change besides reason' },
        ]);
      }
      for (let attempt = 1; attempt <= 3; attempt++) {
        const now = clock();
        const before = await find(id);
        if (!ifMatchAllows(ifMatch, before.version)) {
          throw new PreconditionFailedError(
            `The announcement changed since you read it: its current ETag is ${etagOf(before.version)}.`,
            { headers: { etag: etagOf(before.version) } },
          );
        }
        if (before.withdrawnAt) throw new ConflictError('The announcement is withdrawn; publish a new one.');
        const merged = { ...before, ...changes };
        const after: AnnouncementRecord = {
          ...merged,
          emailStatus: before.emailStatus === 'started' ? 'started' : merged.email ? 'pending' : 'none',
          updatedAt: now.toISOString(),
          version: before.version + 1,
        };
        checkRecord(after, now);
        if (changes.audience) await checkAudience(after.audience);
        try {
          await announcements.replace(
            after,
            before.version,
            auditSteps(operator, request, 'announcement.updated', id, before, after, reason),
          );
          return announcementView(after, now);
        } catch (error) {
          if (!(error instanceof StaleAnnouncementError)) throw error;
        }
      }
      throw new ConflictError('The announcement is being changed by other requests right now; retry.');
    },

    /** Withdraws an announcement: users stop seeing it at once and no more email goes out. Idempotent. */
    async withdraw(
      operator: Operator,
      id: string,
      reason: string,
      request: RequestMeta,
    ): Promise<AnnouncementView> {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const now = clock();
        const before = await find(id);
        if (before.withdrawnAt) return announcementView(before, now);
        const after: AnnouncementRecord = {
          ...before,
          withdrawnAt: now.toISOString(),
          updatedAt: now.toISOString(),
          version: before.version + 1,
        };
        try {
          await announcements.replace(
            after,
            before.version,
            auditSteps(operator, request, 'announcement.withdrawn', id, before, after, reason),
          );
          return announcementView(after, now);
        } catch (error) {
          if (!(error instanceof StaleAnnouncementError)) throw error;
        }
      }
      throw new ConflictError('The announcement is being changed by other requests right now; retry.');
    },

    /** The console's preview: the markdown as the users will see it. */
    preview(body: string): { html: string } {
      return { html: renderMarkdown(body) };
    },

    /** `GET /v1/me/announcements`: active now, addressed to the caller, not dismissed; newest first. */
    async listForUser(caller: Caller): Promise<{ items: UserAnnouncement[] }> {
      const { visible, memberships } = await visibleTo(caller.userId);
      await recordDeliveries(caller, visible, memberships);
      visible.sort((a, b) => (a.publishAt === b.publishAt ? 0 : a.publishAt < b.publishAt ? 1 : -1));
      return { items: visible.map(userView) };
    },

    /**
     * Dismisses an announcement for the caller, idempotently: 404 unless it is active and addressed
     * to them (or they dismissed it already, which changes nothing).
     */
    async dismiss(caller: Caller, id: string): Promise<void> {
      const now = clock();
      const record = await announcements.get(id);
      if (!record || statusAt(record, now) !== 'active') throw notFound();
      const facts = await announcements.userFacts(caller.userId, [id], {
        withMemberships: needsMemberships(record.audience),
      });
      if (facts.dismissed.has(id)) return;
      if (!addresses(record.audience, facts.memberships)) throw notFound();
      await announcements.dismiss(caller.userId, record, now);
    },
  };
}

export type AnnouncementService = ReturnType<typeof createAnnouncementService>;
